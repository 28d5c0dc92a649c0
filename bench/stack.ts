// One benchmark stack: the fake Xero (identity + API, Xero's limits enforced) and the fake Slack
// Web API on 127.0.0.1, a real database seeded with N connections, and the real service started
// as `npm start` starts it; its CPU and memory are read from /proc of the node process under npm.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openDatabase, type Database } from '../src/adapters/db/client.ts';
import { migrate, migrationsDir, readMigrations } from '../src/adapters/db/migrate.ts';
import type { EncryptionKey } from '../src/adapters/xero/token-cipher.ts';
import { startFakeXeroServer, type FakeXeroServer } from '../test/fakes/xero/http-server.ts';
import { seedFakeAndService } from '../test/fakes/xero/seed-service.ts';
import type { SeededGrant } from '../test/fakes/xero/core.ts';
import { startFakeSlack, type FakeSlack } from '../test/fakes/slack-api.ts';
import { createPostgresDatabase, dropPostgresDatabase, sqliteUrl } from '../test/support/databases.ts';
import { freePort, runNpmStart } from '../test/support/service-process.ts';
import { findProcess } from './stats.ts';

export const SIGNING_SECRET = 'bench-signing-secret';
export const ADMIN = 'U0BENCHADM';
export const CONNECTOR = 'U0CONNECT1';
export const ALERT_CHANNEL = 'C0ALERTS01';

export type StackOptions = {
  dialect: 'sqlite' | 'postgres';
  connections: number;
  checkInterval: string;
  env?: Record<string, string>;
  seed?: number;
};

export type Stack = {
  xero: FakeXeroServer;
  slack: FakeSlack;
  /** The bench's own connection to the service's database (reads only). */
  database: Database;
  grants: SeededGrant[];
  connectionIds: Map<string, string>;
  base: string;
  pid: number;
  /** When `npm start` was run: the service checks from its first second, before it serves HTTP. */
  startedAt: number;
  output(): string;
  close(): Promise<void>;
};

export async function startStack(options: StackOptions): Promise<Stack> {
  const xero = await startFakeXeroServer();
  const slack = await startFakeSlack();
  const url = options.dialect === 'sqlite' ? sqliteUrl() : await createPostgresDatabase();
  const database = await openDatabase(url);
  await migrate(database.db, database.dialect, readMigrations(migrationsDir(database.dialect)));
  const keys: EncryptionKey[] = [{ key: randomBytes(32) }];
  const target = await database.db.chatTarget.create({
    data: { platform: 'slack', kind: 'channel', externalId: ALERT_CHANNEL, name: 'xero-alerts', isAlertChannel: true },
  });
  const seeded = await seedFakeAndService(
    xero.fake,
    database.db,
    keys,
    { connections: options.connections, minTenants: 1, maxTenants: 5, seed: options.seed ?? 1 },
    { platform: 'slack', connectedByUserId: CONNECTOR, connectedByName: 'Connie', alertTargetId: target.id },
  );

  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: url,
    TOKEN_ENCRYPTION_KEY: keys[0]!.key.toString('base64'),
    ...xero.env,
    SLACK_BOT_TOKEN: 'xoxb-bench-token',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    SLACK_ADMIN_USER_IDS: ADMIN,
    CHECK_INTERVAL: options.checkInterval,
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  // Started exactly as `npm start` starts it (its heap limit included). BENCH_NODE_ARGS goes on as
  // NODE_OPTIONS, so only options Node allows there work (not --cpu-prof), and npm gets them too.
  execFileSync(process.execPath, ['scripts/build.mjs']);
  if (process.env.BENCH_NODE_ARGS) env.NODE_OPTIONS = process.env.BENCH_NODE_ARGS;
  if (process.env.HEAP_LIMIT_MB) env.HEAP_LIMIT_MB = process.env.HEAP_LIMIT_MB;
  const startedAt = Date.now();
  const started = runNpmStart(env);
  const { child } = started;
  const base = `http://127.0.0.1:${port}`;
  await waitForHealth(base, child, started.output);
  // CPU and memory are the service's own: the node process under npm.
  const pid = findProcess(child.pid!, /^\S*node\s.*dist\/main\.js/);
  if (!pid) throw new Error(`no service process under npm start:\n${started.output()}`);
  return {
    xero,
    slack,
    database,
    grants: seeded.grants,
    connectionIds: seeded.connectionIds,
    base,
    pid,
    startedAt,
    output: () => started.output().slice(-20_000),
    async close() {
      await stopGroup(child, started.exited);
      await database.close();
      await xero.close();
      await slack.close();
      if (options.dialect === 'postgres') await dropPostgresDatabase(url);
    },
  };
}

async function waitForHealth(base: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`service exited:\n${output()}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`service did not start:\n${output()}`);
}

/** SIGTERM to npm and the service (their own process group); SIGKILL if they linger. */
async function stopGroup(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null) return;
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 15_000);
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
  clearTimeout(timer);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `done` is true; returns the elapsed ms, or throws after `timeoutMs`. */
export async function until(done: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 500): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await done()) return Date.now() - started;
    await sleep(everyMs);
  }
  throw new Error(`gave up after ${timeoutMs} ms`);
}
