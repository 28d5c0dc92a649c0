// `npm run teams:package`: builds the Teams app package (manifest.json + the two icons at the zip
// root) that is uploaded in Teams ("Upload a custom app") or in the Teams Developer Portal.
//
// teams/manifest.json is committed with placeholder values that are valid on their own (the zero
// GUID, example.com). This fills them from the environment and .env:
//   MicrosoftAppId      the bot's app id (required): bots[0].botId, and the app id unless TEAMS_APP_ID is set
//   PUBLIC_URL          where the service runs: validDomains and the default developer URLs
//   TEAMS_APP_ID, TEAMS_APP_VERSION, TEAMS_DEVELOPER_NAME, TEAMS_WEBSITE_URL, TEAMS_PRIVACY_URL,
//   TEAMS_TERMS_URL     optional overrides
// The filled manifest is checked against the Teams manifest schema before the zip is written.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import dotenv from 'dotenv';
import { zipSync } from 'fflate';
import { z } from 'zod';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const TEAMS_DIR = path.join(REPO_ROOT, 'teams');

const guid = z.string().regex(/^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/, 'must be a GUID (the Microsoft App ID)');
const httpsUrl = z.url({ protocol: /^https$/, message: 'must be an https URL' });

export const packageSettingsSchema = z.object({
  MicrosoftAppId: guid,
  PUBLIC_URL: httpsUrl,
  TEAMS_APP_ID: guid.optional(),
  TEAMS_APP_VERSION: z.string().regex(/^\d+\.\d+\.\d+$/, 'must be a version like 1.2.3').optional(),
  TEAMS_DEVELOPER_NAME: z.string().min(1).max(32).optional(),
  TEAMS_WEBSITE_URL: httpsUrl.optional(),
  TEAMS_PRIVACY_URL: httpsUrl.optional(),
  TEAMS_TERMS_URL: httpsUrl.optional(),
});
export type PackageSettings = z.infer<typeof packageSettingsSchema>;

export type Manifest = Record<string, any>;

export function readManifestTemplate(dir = TEAMS_DIR): Manifest {
  return JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

/** The template with every placeholder replaced; the template itself is not changed. */
export function fillManifest(template: Manifest, settings: PackageSettings, appVersion?: string): Manifest {
  const manifest = structuredClone(template);
  const base = settings.PUBLIC_URL.replace(/\/+$/, '');
  manifest.id = settings.TEAMS_APP_ID ?? settings.MicrosoftAppId;
  manifest.version = settings.TEAMS_APP_VERSION ?? appVersion ?? manifest.version;
  manifest.developer = {
    ...manifest.developer,
    ...(settings.TEAMS_DEVELOPER_NAME ? { name: settings.TEAMS_DEVELOPER_NAME } : {}),
    websiteUrl: settings.TEAMS_WEBSITE_URL ?? base,
    privacyUrl: settings.TEAMS_PRIVACY_URL ?? `${base}/privacy`,
    termsOfUseUrl: settings.TEAMS_TERMS_URL ?? `${base}/terms`,
  };
  for (const bot of manifest.bots ?? []) bot.botId = settings.MicrosoftAppId;
  manifest.validDomains = [new URL(base).host];
  return manifest;
}

/** The zip Teams accepts: the three files at its root, no folder. */
export function buildPackage(manifest: Manifest, dir = TEAMS_DIR): Uint8Array {
  const icon = (name: string) => new Uint8Array(readFileSync(path.join(dir, name)));
  return zipSync(
    {
      'manifest.json': new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`),
      [manifest.icons.color]: icon(manifest.icons.color),
      [manifest.icons.outline]: icon(manifest.icons.outline),
    },
    // A fixed date keeps the zip byte-for-byte the same for the same inputs.
    { level: 9, mtime: new Date('2026-01-01T00:00:00Z') },
  );
}

async function main(): Promise<void> {
  const envFile = process.env.ENV_FILE ?? '.env';
  if (envFile !== '') dotenv.config({ path: path.resolve(REPO_ROOT, envFile), quiet: true });
  const parsed = packageSettingsSchema.safeParse(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0]);
      console.error(`teams:package: ${name} ${process.env[name] ? issue.message : 'is missing'}`);
    }
    console.error('teams:package: set them in the environment or .env (README, Microsoft Teams).');
    process.exit(1);
  }
  const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const manifest = fillManifest(readManifestTemplate(), parsed.data, version);
  const { checkManifest } = await import('./check-teams.ts');
  const problems = checkManifest(manifest);
  if (problems.length > 0) {
    for (const problem of problems) console.error(`teams:package: manifest ${problem}`);
    process.exit(1);
  }
  const out = path.join(REPO_ROOT, 'dist', 'xero-guard-teams.zip');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, buildPackage(manifest));
  console.log(`teams:package: wrote ${path.relative(process.cwd(), out)} (app ${manifest.id}, bot ${parsed.data.MicrosoftAppId}, version ${manifest.version})`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error('teams:package: failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
