// The Teams app package: the committed manifest and icons pass the same check .ci/run runs, the
// package script fills the placeholders and zips the three files at the root, and a bad setting
// stops it with a line naming the setting.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { buildPackage, fillManifest, readManifestTemplate, REPO_ROOT, TEAMS_DIR } from '../../../scripts/teams-package.ts';
import { checkIcons, checkManifest, checkTeams } from '../../../scripts/check-teams.ts';
import { decodePng, encodePng } from '../../../scripts/teams-png.ts';
import { colorIcon, outlineIcon } from '../../../scripts/teams-icons.ts';

const run = promisify(execFile);
const APP_ID = '0f0e0d0c-0b0a-4909-8807-060504030201';

describe('teams/ as committed', () => {
  it('passes the whole check: manifest, packaged manifest, icons and every card', () => {
    expect(checkTeams()).toEqual([]);
  });

  it('declares every command the bot understands, within the manifest limits', () => {
    const manifest = readManifestTemplate();
    const titles = manifest.bots[0].commandLists.flatMap((list: { commands: { title: string }[] }) => list.commands.map((c) => c.title));
    for (const command of ['status', 'errors', 'connect', 'reconnect', 'disconnect', 'check', 'pause', 'resume', 'here', 'help']) expect(titles).toContain(command);
  });

  it('ships icons that are exactly what the drawing script makes', () => {
    expect(readFileSync(path.join(TEAMS_DIR, 'color.png')).equals(encodePng(colorIcon()))).toBe(true);
    expect(readFileSync(path.join(TEAMS_DIR, 'outline.png')).equals(encodePng(outlineIcon()))).toBe(true);
  });

  it('spots a wrong icon: bad size, colour in the outline, no transparency', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'teams-icons-'));
    try {
      const small = colorIcon();
      writeFileSync(path.join(dir, 'color.png'), encodePng({ width: 32, height: 32, pixels: small.pixels.slice(0, 32 * 32 * 4) }));
      const outline = outlineIcon();
      outline.pixels.set([255, 0, 0, 255], 0);
      writeFileSync(path.join(dir, 'outline.png'), encodePng(outline));
      const problems = checkIcons({ icons: { color: 'color.png', outline: 'outline.png' } }, dir);
      expect(problems).toContain('color.png is 32x32, must be 192x192');
      expect(problems).toContain('outline.png has a pixel that is neither white nor transparent');
      const opaque = outlineIcon();
      for (let i = 3; i < opaque.pixels.length; i += 4) opaque.pixels[i] = 255;
      writeFileSync(path.join(dir, 'outline.png'), encodePng(opaque));
      expect(checkIcons({ icons: { color: 'color.png', outline: 'outline.png' } }, dir)).toContain('outline.png has no transparent background');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm run teams:package', () => {
  it('fills the bot id, app id, domains and links from the settings', () => {
    const manifest = fillManifest(readManifestTemplate(), { MicrosoftAppId: APP_ID, PUBLIC_URL: 'https://guard.example.org/' }, '2.3.4');
    expect(manifest).toMatchObject({ id: APP_ID, version: '2.3.4', validDomains: ['guard.example.org'], bots: [{ botId: APP_ID }] });
    expect(manifest.developer).toMatchObject({ websiteUrl: 'https://guard.example.org', privacyUrl: 'https://guard.example.org/privacy' });
    expect(checkManifest(manifest)).toEqual([]);
    // The template itself is untouched.
    expect(readManifestTemplate().bots[0].botId).toBe('00000000-0000-0000-0000-000000000000');
  });

  it('zips manifest.json and the two icons at the root of the archive', () => {
    const manifest = fillManifest(readManifestTemplate(), { MicrosoftAppId: APP_ID, PUBLIC_URL: 'https://guard.example.org' });
    const files = unzipSync(buildPackage(manifest));
    expect(Object.keys(files).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    expect(JSON.parse(new TextDecoder().decode(files['manifest.json'])).bots[0].botId).toBe(APP_ID);
    expect(decodePng(Buffer.from(files['color.png']!)).width).toBe(192);
  });

  it('builds the zip from the environment, and stops with one line per bad setting', async () => {
    // ENV_FILE empty: no .env of the checkout is read, only what the test gives.
    const root = mkdtempSync(path.join(tmpdir(), 'teams-package-'));
    try {
      const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ENV_FILE: '' };
      const script = path.join(REPO_ROOT, 'scripts', 'teams-package.ts');
      const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
      const ok = await run(tsx, [script], { cwd: root, env: { ...env, MicrosoftAppId: APP_ID, PUBLIC_URL: 'https://guard.example.org' } });
      expect(ok.stdout).toContain('wrote');
      const zip = path.join(REPO_ROOT, 'dist', 'xero-guard-teams.zip');
      expect(existsSync(zip)).toBe(true);
      const failed = await run(tsx, [script], { cwd: root, env: { ...env, MicrosoftAppId: 'not-a-guid', PUBLIC_URL: 'http://plain.example.org' } }).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stderr).toContain('teams:package: MicrosoftAppId must be a GUID (the Microsoft App ID)');
      expect(failed?.stderr).toContain('teams:package: PUBLIC_URL must be an https URL');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
