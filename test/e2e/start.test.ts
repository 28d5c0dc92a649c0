import { describe, expect, it } from 'vitest';
import { mkdtempSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { baseEnv, freePort, runCommand, runNpmStart, startServiceProcess } from '../support/service-process.ts';

describe('npm start', () => {
  it('exits non-zero with one line per missing setting and a pointer to the README', async () => {
    const { output, exited } = runNpmStart({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' });
    expect(await exited).toBe(1);
    const lines = output().trim().split('\n').filter((l) => l.startsWith('xero-guard:'));
    expect(lines).toEqual([
      'xero-guard: PUBLIC_URL is missing',
      'xero-guard: TOKEN_ENCRYPTION_KEY is missing',
      'xero-guard: XERO_CLIENT_ID is missing',
      'xero-guard: XERO_CLIENT_SECRET is missing',
      expect.stringMatching(/^xero-guard: no chat platform is configured/),
      expect.stringMatching(/README\.md/),
    ]);
  });

  it('names a bad value and does not start', async () => {
    const port = await freePort();
    const { output, exited } = runNpmStart(baseEnv(port, { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', CHECK_INTERVAL: 'sometimes' }));
    expect(await exited).toBe(1);
    expect(output()).toContain('xero-guard: CHECK_INTERVAL "sometimes" is not a duration');
  });

  it('creates its SQLite database on first start and serves HTTP on PORT', async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'xg-start-'));
    const file = path.join(dir, 'data', 'guard.db');
    const service = await startServiceProcess(
      baseEnv(port, { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'secret', DATABASE_URL: `file:${file}`, SLACK_API_URL: 'http://127.0.0.1:9/api/' }),
    );
    try {
      expect(existsSync(file)).toBe(true);
      const health = await fetch(`${service.base}/healthz`);
      expect(await health.json()).toEqual({ status: 'ok', database: 'reachable' });
      const metrics = await (await fetch(`${service.base}/metrics`)).text();
      expect(metrics).toMatch(/^process_cpu_seconds_total /m);
    } finally {
      await service.stop();
    }
    expect(service.output()).toContain('"msg":"shutting down"');
  });
});

describe('the settings file', () => {
  const repo = process.cwd();
  const main = path.join(repo, 'dist', 'main.js');

  it('is .env in the working directory unless ENV_FILE is empty, so the tests never read a developer .env', async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'xg-envfile-'));
    const settings = baseEnv(port, { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'secret', DATABASE_URL: `file:${path.join(dir, 'guard.db')}`, SLACK_API_URL: 'http://127.0.0.1:9/api/' });
    writeFileSync(path.join(dir, '.env'), Object.entries(settings).filter(([k]) => k !== 'PATH' && k !== 'HOME').map(([k, v]) => `${k}=${v}`).join('\n'));
    const bare = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };

    // ENV_FILE empty (what every test gets): the .env beside it changes nothing.
    const ignored = runCommand(process.execPath, [main], bare, dir);
    expect(await ignored.exited).toBe(1);
    expect(ignored.output()).toContain('xero-guard: PUBLIC_URL is missing');

    // No ENV_FILE at all, as an operator runs it: the .env is read and the service starts.
    const read = runCommand(process.execPath, [main], { ...bare, ENV_FILE: '.env' }, dir);
    try {
      await expect.poll(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status, { timeout: 20_000, interval: 100 }).toBe(200);
    } finally {
      process.kill(-read.child.pid!, 'SIGTERM');
      await read.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
});
