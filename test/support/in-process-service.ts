// The service built exactly as `npm start` builds it (loadConfig + startService, a SQLite file in
// a fresh folder), in the test's own process so Xero can be faked by nock at the network edge.
// Chat fakes (Slack Web API, Bot Connector) and receivers stay with each test: it passes their
// settings in `env`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config.ts';
import { startService, type RunningService } from '../../src/service.ts';
import { FakeXero, interceptXeroOnly, resetNock } from '../adapters/xero/fake-xero.ts';
import { captureLogs, type CapturedLogs } from './log-capture.ts';
import { freePort } from './service-process.ts';

export type InProcessService = {
  service: RunningService;
  /** The service's origin, e.g. http://127.0.0.1:40123 */
  base: string;
  xero: FakeXero;
  logs: CapturedLogs;
  stop(): Promise<void>;
};

/**
 * Starts the service with checks every 2 s and a 1 s grouping window unless `env` says otherwise;
 * `env` may be a function of the service's origin and the Xero fake.
 */
export async function startInProcessService(
  env: Record<string, string> | ((base: string, xero: FakeXero) => Record<string, string>),
  options: { logLevel?: 'debug' | 'info' } = {},
): Promise<InProcessService> {
  interceptXeroOnly();
  const xero = await FakeXero.start();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'xg-in-process-'));
  const level = options.logLevel ?? 'debug';
  const loaded = loadConfig({
    PORT: String(port),
    PUBLIC_URL: base,
    DATABASE_URL: `file:${path.join(dir, 'data', 'guard.db')}`,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    XERO_CLIENT_ID: xero.clientId,
    XERO_CLIENT_SECRET: xero.clientSecret,
    CHECK_INTERVAL: '2s',
    GROUP_WINDOW: '1s',
    LOG_LEVEL: level,
    ...(typeof env === 'function' ? env(base, xero) : env),
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const logs = captureLogs(level);
  const service = await startService(loaded.config, { logger: logs.logger });
  return {
    service,
    base,
    xero,
    logs,
    async stop() {
      await service.stop();
      resetNock();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` until it gives a value (not undefined or false); fails naming `what`. */
export async function until<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
