import { describe, expect, it } from 'vitest';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { baseEnv, freePort, runNpmStart, startServiceProcess } from '../support/service-process.ts';

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
      expect(metrics).toContain('xero_guard_process_cpu_user_seconds_total');
    } finally {
      await service.stop();
    }
    expect(service.output()).toContain('"msg":"shutting down"');
  });
});
