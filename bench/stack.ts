// One benchmark world: the fake Xero (identity + API, Xero's limits enforced) and the fake Slack
// Web API on 127.0.0.1, a real database seeded with N connections, and the real service started
// as `npm start` starts it, once or as several replicas sharing the database; each replica's CPU
// and memory are read from /proc of its node process under npm.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openDatabase, type Database } from '../src/adapters/db/client.ts';
import { migrate, migrationsDir, readMigrations } from '../src/adapters/db/migrate.ts';
import type { EncryptionKey } from '../src/adapters/xero/token-cipher.ts';
import { startFakeXeroServer, type FakeXeroServer } from '../test/fakes/xero/http-server.ts';
import { seedServiceDatabase } from '../test/fakes/xero/seed-service.ts';
import type { SeededGrant } from '../test/fakes/xero/core.ts';
import { startFakeSlack, type FakeSlack } from '../test/fakes/slack-api.ts';
import { sqliteUrl } from '../test/support/databases.ts';
import { freePort, runNpmStart } from '../test/support/service-process.ts';
import { bulkSeedPostgres, createBenchPostgres, dropBenchPostgres } from './seed.ts';
import { findProcess } from './stats.ts';

export const SIGNING_SECRET = 'bench-signing-secret';
export const ADMIN = 'U0BENCHADM';
export const CONNECTOR = 'U0CONNECT1';
export const ALERT_CHANNEL = 'C0ALERTS01';

export type WorldOptions = {
  dialect: 'sqlite' | 'postgres';
  connections: number;
  seed?: number;
  /**
   * When each connection is first due: 'now' (a first start, or a restart after downtime: every
   * connection at once) or 'parked' (a day from now; PostgreSQL only: bench/seed.ts scheduleSteady
   * then starts the steady state once the replicas run).
   */
  schedule?: 'now' | 'parked';
};

export type World = {
  xero: FakeXeroServer;
  slack: FakeSlack;
  /** The bench's own connection to the service's database (reads only). */
  database: Database;
  url: string;
  dialect: 'sqlite' | 'postgres';
  keys: EncryptionKey[];
  grants: SeededGrant[];
  connectionIds: Map<string, string>;
  /** PostgreSQL: every grant's row id (bench/seed.ts scheduleSteady). */
  grantIds: string[];
  close(): Promise<void>;
};

export type Replica = {
  base: string;
  port: number;
  pid: number;
  /** When `npm start` was run: the service checks from its first second, before it serves HTTP. */
  startedAt: number;
  output(): string;
  /** Everything the service wrote (its log lines, at LOG_LEVEL). */
  fullOutput(): string;
  /** SIGKILL to npm and the service at once: a crash, nothing flushed. */
  kill(): Promise<void>;
  /** SIGTERM, SIGKILL if it lingers. */
  stop(): Promise<void>;
  exited: Promise<number | null>;
};

export type StackOptions = WorldOptions & { checkInterval: string; env?: Record<string, string> };

/** A world and one replica: what most scenarios use. */
export type Stack = Omit<World, 'close'> & Replica & { close(): Promise<void> };

export async function prepareWorld(options: WorldOptions): Promise<World> {
  const xero = await startFakeXeroServer();
  const slack = await startFakeSlack();
  const url = options.dialect === 'sqlite' ? sqliteUrl() : await createBenchPostgres();
  const database = await openDatabase(url);
  await migrate(database.db, database.dialect, readMigrations(migrationsDir(database.dialect)));
  const keys: EncryptionKey[] = [{ key: randomBytes(32) }];
  const target = await database.db.chatTarget.create({
    data: { platform: 'slack', kind: 'channel', externalId: ALERT_CHANNEL, name: 'xero-alerts', isAlertChannel: true },
  });
  const grants = xero.fake.seedMany({ connections: options.connections, minTenants: 1, maxTenants: 5, seed: options.seed ?? 1 });
  const who = { platform: 'slack' as const, connectedByUserId: CONNECTOR, connectedByName: 'Connie', alertTargetId: target.id };
  if (options.schedule === 'parked' && options.dialect === 'sqlite') throw new Error('parked schedules are seeded on PostgreSQL only');
  const seeded =
    options.dialect === 'postgres'
      ? await bulkSeedPostgres(url, keys, grants, { ...who, parked: options.schedule === 'parked' })
      : { ...(await seedServiceDatabase(database.db, keys, grants, who)), grantIds: [] };
  return {
    xero,
    slack,
    database,
    url,
    dialect: options.dialect,
    keys,
    grants,
    connectionIds: seeded.connectionIds,
    grantIds: seeded.grantIds,
    async close() {
      await database.close();
      await xero.close();
      await slack.close();
      if (options.dialect === 'postgres') await dropBenchPostgres(url);
    },
  };
}

/** Starts one replica of the service on `world`, exactly as `npm start` starts it. */
export async function startReplica(world: World, options: { checkInterval: string; env?: Record<string, string> }): Promise<Replica> {
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: world.url,
    TOKEN_ENCRYPTION_KEY: world.keys[0]!.key.toString('base64'),
    ...world.xero.env,
    SLACK_BOT_TOKEN: 'xoxb-bench-token',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: world.slack.apiUrl,
    SLACK_ADMIN_USER_IDS: ADMIN,
    CHECK_INTERVAL: options.checkInterval,
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  // Started exactly as `npm start` starts it (its heap limit included). BENCH_NODE_ARGS goes on as
  // NODE_OPTIONS, so only options Node allows there work (not --cpu-prof; BENCH_PROFILE profiles
  // through bench/profile-hook.mjs instead), and npm gets them too.
  execFileSync(process.execPath, ['scripts/build.mjs']);
  if (process.env.BENCH_NODE_ARGS) env.NODE_OPTIONS = [env.NODE_OPTIONS, process.env.BENCH_NODE_ARGS].filter(Boolean).join(' ');
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
    base,
    port,
    pid,
    startedAt,
    output: () => started.output().slice(-20_000),
    fullOutput: () => started.output(),
    exited: started.exited,
    async kill() {
      if (ended(child)) return;
      signalGroup(child, 'SIGKILL');
      await started.exited;
    },
    stop: () => stopGroup(child, started.exited),
  };
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const world = await prepareWorld(options);
  try {
    const replica = await startReplica(world, options);
    return {
      ...world,
      ...replica,
      async close() {
        await replica.stop();
        await world.close();
      },
    };
  } catch (error) {
    await world.close();
    throw error;
  }
}

async function waitForHealth(base: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
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
  if (ended(child)) return;
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 15_000);
  signalGroup(child, 'SIGTERM');
  await exited;
  clearTimeout(timer);
}

/** npm has exited, by itself or by a signal. */
function ended(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // The group is gone already.
  }
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

/**
 * After a SIGKILL: when the checks the dead process held were claimed by another (their lease
 * owner changed) and when they were done (a connection log row after the kill). Milliseconds from
 * the kill to the last of each; Infinity when not within `timeoutMs`.
 */
export async function watchTakeOver(db: Database['db'], held: Map<string, string>, killedAt: number, timeoutMs = 120_000): Promise<{ claimedMs: number; doneMs: number }> {
  const ids = [...held.keys()];
  const claimed = new Map<string, number>();
  const done = new Map<string, number>();
  while ((claimed.size < ids.length || done.size < ids.length) && Date.now() - killedAt < timeoutMs) {
    const now = Date.now();
    const rows = await db.connection.findMany({ where: { id: { in: ids } }, select: { id: true, checkLeaseOwner: true } });
    for (const r of rows) if (!claimed.has(r.id) && r.checkLeaseOwner !== null && r.checkLeaseOwner !== held.get(r.id)) claimed.set(r.id, now);
    const logs = await db.connectionLog.findMany({ where: { kind: 'check', connectionId: { in: ids }, at: { gt: new Date(killedAt) } }, select: { connectionId: true, at: true } });
    for (const l of logs) {
      const id = l.connectionId!;
      if (!done.has(id)) done.set(id, l.at.getTime());
      // A check done between two polls was claimed at the latest when it was done.
      if (!claimed.has(id)) claimed.set(id, l.at.getTime());
    }
    await sleep(200);
  }
  const last = (m: Map<string, number>) => (m.size < ids.length ? Number.POSITIVE_INFINITY : Math.max(killedAt, ...m.values()) - killedAt);
  return { claimedMs: last(claimed), doneMs: last(done) };
}
