// Scale-out: N connections (1 to 5 organisations per grant) on two replicas of `npm start` sharing
// one PostgreSQL database and one Xero fake, in the steady state of a check interval (each grant
// due at its own slot, as a running service leaves them). One interval is measured: every
// connection checked once, the Xero budget shared (calls summed over both replicas), memory and
// CPU per replica. Part way through, one replica is killed with SIGKILL; the other takes over the
// checks it held (after their leases run out) and finishes the interval alone.
import pg from 'pg';
import type { Figure } from './report.ts';
import { cpuSecondsOf, memoryOf } from './stats.ts';
import { prepareWorld, sleep, startReplica, until, watchTakeOver, type Replica, type World } from './stack.ts';
import { postgresSize, scheduleSteady } from './seed.ts';
import { LEASE_RENEW_EVERY_MS, LEASE_TERM_MS } from '../src/domain/leases.ts';
import { formatDuration } from '../src/domain/duration.ts';

export type ScaleOutOptions = {
  connections: number;
  intervalMs: number;
  /** When in the interval one replica is killed (0.5: half way); undefined: no kill. */
  killAt?: number;
  /** How long after the interval the last checks may come (a budget at its limit queues the last slots). */
  graceMs?: number;
};

/** What the growth table takes from this run. */
export type ScaleOutResult = {
  figures: Figure[];
  growth: { connections: number; cycleMs: number; callsPerConnection: number; cpuMsPerCheck: number; peakMemoryMb: number; databaseBytes: number; setup: string };
};

/** The fake Xero answers in 300 to 600 ms. */
const XERO_LATENCY_MS = 300;

type ReplicaWatch = { name: string; replica: Replica; owner?: string; peakMb: number; cpuS: number; checks: number; alive: boolean };

export async function benchScaleOut(options: ScaleOutOptions): Promise<ScaleOutResult> {
  const interval = options.intervalMs;
  const grace = options.graceMs ?? Math.max(60_000, interval / 10);
  const every = formatDuration(interval);
  const world = await prepareWorld({ dialect: 'postgres', connections: options.connections, schedule: 'parked' });
  const watches: ReplicaWatch[] = [];
  try {
    // info: each replica's scheduler names its lease owner once at start ('scheduler started').
    const env = { LOG_LEVEL: 'info' };
    const [a, b] = await Promise.all([startReplica(world, { checkInterval: every, env }), startReplica(world, { checkInterval: every, env })]);
    watches.push({ name: 'A', replica: a!, peakMb: 0, cpuS: 0, checks: 0, alive: true }, { name: 'B', replica: b!, peakMb: 0, cpuS: 0, checks: 0, alive: true });
    for (const w of watches) w.owner = await ownerOf(w.replica);
    // Xero's usual pace, so checks are in flight (their leases held) when a replica dies.
    world.xero.fake.setLatency({ ms: XERO_LATENCY_MS, jitterMs: XERO_LATENCY_MS });
    world.xero.fake.resetStats();

    const from = Date.now() + 2_000;
    const dueOfGrant = await scheduleSteady(world.url, world.grantIds, from, interval);
    const end = from + interval;
    const killAt = options.killAt === undefined || !Number.isFinite(options.killAt) ? undefined : from + interval * options.killAt;
    let takeOver: { killedAt: number; held: string[]; heldBy: string; watching: ReturnType<typeof watchTakeOver> } | undefined;

    // Every few seconds: peak memory, CPU and checks of each live replica (after a SIGKILL its
    // /proc and /metrics are gone, so the last reading before it stands).
    const sample = async () => {
      for (const w of watches.filter((x) => x.alive)) {
        try {
          w.peakMb = Math.max(w.peakMb, memoryOf(w.replica.pid).peakMb);
          w.cpuS = cpuSecondsOf(w.replica.pid);
          w.checks = await checksOf(w.replica.base);
        } catch {
          // It ended between two readings.
        }
      }
    };
    const cpuAtStart = new Map(watches.map((w) => [w.name, cpuSecondsOf(w.replica.pid)]));
    const checksAtStart = new Map<string, number>();
    for (const w of watches) checksAtStart.set(w.name, await checksOf(w.replica.base));
    while (Date.now() < end + grace) {
      await sleep(5_000);
      await sample();
      if (killAt !== undefined && !takeOver && Date.now() >= killAt) {
        const victim = watches[1]!;
        await sample();
        victim.alive = false;
        await victim.replica.kill();
        const killedAt = Date.now();
        // The checks it held: their leases stay in the database until they run out.
        const held = await world.database.db.connection.findMany({ where: { checkLeaseOwner: { startsWith: `${victim.owner}#` } }, select: { id: true, checkLeaseOwner: true } });
        const watching = watchTakeOver(world.database.db, new Map(held.map((h) => [h.id, h.checkLeaseOwner!])), killedAt);
        takeOver = { killedAt, held: held.map((h) => h.id), heldBy: victim.name, watching };
      }
    }

    // Every check is a connection log row (src/adapters/xero/check-connection.ts).
    const checks = await checkTimes(world.url, from);
    const grantOf = await grantOfConnection(world.url);
    let missed = 0;
    let twice = 0;
    let twiceHeld = 0;
    let latestLateMs = 0;
    let lastCheckAt = from;
    const held = new Set(takeOver?.held ?? []);
    for (const [connectionId, grantId] of grantOf) {
      const due = dueOfGrant.get(grantId)!;
      // Its checks for this slot: from its due time until its next slot one interval later.
      const times = (checks.get(connectionId) ?? []).filter((t) => t >= due - 1_000 && t < due + interval);
      if (times.length === 0) missed++;
      if (times.length > 1) {
        if (held.has(connectionId)) twiceHeld++;
        else twice++;
      }
      if (times.length > 0) {
        latestLateMs = Math.max(latestLateMs, times[0]! - due);
        lastCheckAt = Math.max(lastCheckAt, times[0]!);
      }
    }
    const taken = takeOver ? await takeOver.watching : undefined;
    // Checks done per minute of the run (from the connection log), and how many were due by then:
    // where a run fell behind, and whether it was before or after the kill.
    const perMinute: number[] = [];
    const duePerMinute: number[] = [];
    for (const list of checks.values()) for (const t of list) perMinute[Math.floor((t - from) / 60_000)] = (perMinute[Math.floor((t - from) / 60_000)] ?? 0) + 1;
    for (const [, grantId] of grantOf) {
      const m = Math.floor((dueOfGrant.get(grantId)! - from) / 60_000);
      duePerMinute[m] = (duePerMinute[m] ?? 0) + 1;
    }
    const pace = Array.from({ length: Math.max(perMinute.length, duePerMinute.length) }, (_, m) => `${perMinute[m] ?? 0}/${duePerMinute[m] ?? 0}`).join(', ');
    const stats = world.xero.fake.stats();
    const apiCalls = (stats.byRoute.connections ?? 0) + (stats.byRoute.organisation ?? 0) + (stats.byRoute.delete ?? 0);
    // The run goes on past the interval (the grace), so some connections are checked into their
    // next slot: calls per check, times one check per connection, is the cost of one cycle.
    let checksDone = 0;
    for (const list of checks.values()) checksDone += list.length;
    const callsPerConnection = apiCalls / Math.max(1, checksDone);
    const peakPerMinute = Math.max(0, ...stats.appMinutes.map((m) => m.calls));
    const databaseBytes = await postgresSize(world.url);
    const n = options.connections;
    const scenario = `Scale-out ${n.toLocaleString('en')} on 2 replicas (PostgreSQL, interval ${every})`;
    const figures: Figure[] = [
      {
        scenario,
        measure: 'connections checked in their interval',
        value: n - missed,
        unit: '',
        bar: { limit: n, kind: 'min', source: 'every connection, DESIGN §9' },
        note: `the last first check ${((lastCheckAt - from) / 1000).toFixed(0)} s after the interval began; latest ${(latestLateMs / 1000).toFixed(1)} s after its slot; checks done/due per minute: ${pace}`,
      },
      {
        scenario,
        measure: 'connections checked twice in one interval',
        value: twice,
        unit: '',
        bar: { limit: 0, kind: 'max', source: 'once per interval, DESIGN §9' },
        note: takeOver ? `besides ${twiceHeld} of the ${takeOver.held.length} checks the killed replica was running (it may have asked Xero before it died)` : undefined,
      },
      {
        scenario,
        measure: 'peak Xero API calls per minute, both replicas',
        value: peakPerMinute,
        unit: 'calls/min',
        bar: { limit: 9_000, kind: 'max', source: '90% of 10,000/min' },
        note: `${apiCalls} calls for ${checksDone} checks (the interval and ${Math.round(grace / 1000)} s more): ${callsPerConnection.toFixed(2)} per check, so per connection per cycle; ${stats.byRoute.token ?? 0} token calls`,
      },
      { scenario, measure: '429s received', value: stats.rateLimited.total, unit: '', bar: { limit: 0, kind: 'max', source: 'DESIGN §9' } },
    ];
    for (const w of watches) {
      const cpu = w.cpuS - cpuAtStart.get(w.name)!;
      const did = w.checks - checksAtStart.get(w.name)!;
      figures.push(
        { scenario, measure: `replica ${w.name} peak memory (RSS)`, value: w.peakMb, unit: 'MB', bar: { limit: 300, kind: 'max', source: 'DESIGN §9' }, ...(w.alive ? {} : { note: 'until it was killed' }) },
        { scenario, measure: `replica ${w.name} CPU per check`, value: did > 0 ? (cpu * 1000) / did : NaN, unit: 'ms', note: `${did} checks, ${cpu.toFixed(1)} CPU s${w.alive ? '' : ' until it was killed'}` },
      );
    }
    if (takeOver && taken) {
      figures.push({
        scenario,
        measure: `take-over after replica ${takeOver.heldBy} was killed (SIGKILL)`,
        value: taken.claimedMs / 1000,
        unit: 's',
        bar: { limit: 20, kind: 'max', source: `lease term ${LEASE_TERM_MS / 1000} s + 5 s` },
        note: `killed ${((takeOver.killedAt - from) / 1000).toFixed(0)} s into the interval holding ${takeOver.held.length} checks; from the kill until the other replica had claimed the last of them (leases renewed every ${LEASE_RENEW_EVERY_MS / 1000} s), all done ${(taken.doneMs / 1000).toFixed(1)} s after the kill`,
      });
    }
    figures.push({ scenario, measure: 'database size', value: databaseBytes / 2 ** 20, unit: 'MB', note: `${(databaseBytes / n).toFixed(0)} bytes per connection after one interval` });
    const alive = watches.filter((w) => w.checks > 0);
    const totalCpu = watches.reduce((s, w) => s + w.cpuS - cpuAtStart.get(w.name)!, 0);
    const totalChecks = watches.reduce((s, w) => s + w.checks - checksAtStart.get(w.name)!, 0);
    return {
      figures,
      growth: {
        connections: n,
        cycleMs: lastCheckAt - from,
        callsPerConnection,
        cpuMsPerCheck: totalChecks > 0 ? (totalCpu * 1000) / totalChecks : NaN,
        peakMemoryMb: Math.max(...alive.map((w) => w.peakMb)),
        databaseBytes,
        setup: `PostgreSQL, 2 replicas (one killed half way), steady state at interval ${every}`,
      },
    };
  } finally {
    await Promise.all(watches.map((w) => w.replica.stop()));
    await world.close();
  }
}

/** The scheduler's lease owner of a replica, from its start-up line. */
async function ownerOf(replica: Replica): Promise<string> {
  let owner: string | undefined;
  await until(() => {
    const line = replica.fullOutput().split('\n').find((l) => l.includes('"scheduler started"'));
    owner = line ? (JSON.parse(line) as { owner?: string }).owner : undefined;
    return owner !== undefined;
  }, 30_000, 200);
  return owner!;
}

/** xero_checks_total summed over outcomes, from the replica's /metrics. */
async function checksOf(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^xero_guard_xero_checks_total\{[^}]*\} (\S+)$/gm)) sum += Number(m[1]);
  return sum;
}

/** Every check since `from`, by connection: times in ms, ascending. */
async function checkTimes(url: string, from: number): Promise<Map<string, number[]>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ connectionId: string; at: Date }>(
      `SELECT "connectionId", "at" FROM "ConnectionLog" WHERE kind = 'check' AND "at" >= $1::timestamp ORDER BY "at"`,
      [new Date(from - 60_000).toISOString()],
    );
    const byConnection = new Map<string, number[]>();
    for (const r of rows) {
      const list = byConnection.get(r.connectionId) ?? [];
      list.push(utc(r.at));
      byConnection.set(r.connectionId, list);
    }
    return byConnection;
  } finally {
    await client.end();
  }
}

async function grantOfConnection(url: string): Promise<Map<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; grantId: string }>(`SELECT id, "grantId" FROM "Connection"`);
    return new Map(rows.map((r) => [r.id, r.grantId]));
  } finally {
    await client.end();
  }
}

/** pg reads `timestamp` (no zone) as local time; Prisma stores UTC there. */
function utc(d: Date): number {
  return d.getTime() - d.getTimezoneOffset() * 60_000;
}

export type { World };
