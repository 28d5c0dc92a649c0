// Checking throughput and growth: N connections (1 to 5 tenants per grant), one full check cycle.
import { statSync } from 'node:fs';
import type { Figure } from './report.ts';
import { cpuSecondsOf, memoryOf } from './stats.ts';
import { sleep, startStack } from './stack.ts';
import { parseDuration } from '../src/domain/duration.ts';

export type CycleResult = {
  connections: number;
  cycleMs: number;
  apiCalls: number;
  peakCallsPerMinute: number;
  rateLimited: number;
  cpuSeconds: number;
  peakMemoryMb: number;
  tokenCalls: number;
  /** CPU per check after the process was up (start-up excluded): checks done after /healthz answered. */
  cpuMsPerCheck: number;
  databaseBytes: number;
};

/** Starts a stack with `connections`, waits until every one has been checked once, and reads the costs. */
export async function measureCycle(options: { connections: number; checkInterval: string; dialect: 'sqlite' | 'postgres' }): Promise<CycleResult> {
  const stack = await startStack({ dialect: options.dialect, connections: options.connections, checkInterval: options.checkInterval });
  try {
    // From `npm start` on: checks begin before the service answers /healthz. CPU likewise counts the
    // whole process, boot included.
    const started = stack.startedAt;
    const cpuAtReady = cpuSecondsOf(stack.pid);
    const checkedAtReady = await stack.database.db.connection.count({ where: { lastCheckAt: { not: null } } });
    const interval = parseDuration(options.checkInterval);
    const limit = (interval.ok ? interval.ms : 300_000) * 3 + 60_000;
    let checked = 0;
    while (checked < options.connections) {
      if (Date.now() - started > limit) throw new Error(`only ${checked} of ${options.connections} checked after ${limit} ms\n${stack.output()}`);
      await sleep(1_000);
      // Checked and found healthy (every seeded connection is): a check deferred by the budget does not count.
      checked = await stack.database.db.connection.count({ where: { lastGoodCheckAt: { gte: new Date(started - 1_000) } } });
    }
    const cycleMs = Date.now() - started;
    const cpuSeconds = cpuSecondsOf(stack.pid);
    const stats = stack.xero.fake.stats();
    const apiCalls = (stats.byRoute.connections ?? 0) + (stats.byRoute.organisation ?? 0) + (stats.byRoute.delete ?? 0);
    return {
      connections: options.connections,
      cycleMs,
      apiCalls,
      peakCallsPerMinute: Math.max(0, ...stats.appMinutes.map((w) => w.calls)),
      rateLimited: stats.rateLimited.total,
      cpuSeconds,
      peakMemoryMb: memoryOf(stack.pid).peakMb,
      tokenCalls: stats.byRoute.token ?? 0,
      cpuMsPerCheck: ((cpuSeconds - cpuAtReady) * 1000) / Math.max(1, options.connections - checkedAtReady),
      databaseBytes: sqliteBytes(stack.url),
    };
  } finally {
    await stack.close();
  }
}

/** The SQLite file with its write-ahead log. */
function sqliteBytes(url: string): number {
  const file = url.replace(/^file:/, '');
  const size = (f: string) => {
    try {
      return statSync(f).size;
    } catch {
      return 0;
    }
  };
  return size(file) + size(`${file}-wal`);
}

export function cycleFigures(r: CycleResult, dialect: string, checkInterval: string, withBars: boolean): Figure[] {
  const scenario = `Checking ${r.connections.toLocaleString('en')} (${dialect}, interval ${checkInterval})`;
  return [
    { scenario, measure: 'one full cycle', value: r.cycleMs / 1000, unit: 's', note: `${r.apiCalls} API calls, ${r.tokenCalls} token calls` },
    {
      scenario,
      measure: 'peak Xero API calls per minute',
      value: r.peakCallsPerMinute,
      unit: 'calls/min',
      bar: withBars ? { limit: 9_000, kind: 'max', source: '90% of 10,000/min' } : undefined,
      note: `${((100 * r.peakCallsPerMinute) / 10_000).toFixed(1)}% of the app limit`,
    },
    { scenario, measure: '429s received', value: r.rateLimited, unit: '', bar: { limit: 0, kind: 'max', source: 'DESIGN §9' } },
    { scenario, measure: 'CPU per check', value: r.cpuMsPerCheck, unit: 'ms', note: `after start-up; ${r.cpuSeconds.toFixed(1)} CPU s for the whole process, start included` },
    {
      scenario,
      measure: 'peak memory (RSS)',
      value: r.peakMemoryMb,
      unit: 'MB',
      bar: withBars && r.connections >= 10_000 ? { limit: 300, kind: 'max', source: 'DESIGN §9' } : undefined,
    },
  ];
}
