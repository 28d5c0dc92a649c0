// `npm run bench`: measures the quality bars of DESIGN.md section 9 and writes BENCHMARKS.md.
//
//   npm run bench                         every scenario (about 35 minutes; scale-out alone takes 19)
//   npm run bench -- ack scale-out        only these (ack, throughput, growth, detection, mass, takeover, scale-out)
//   npm run bench -- --quick              smaller sizes and shorter runs (a smoke run; not for the record)
//   npm run bench -- --out=FILE           where to write the report (default BENCHMARKS.md; BENCHMARKS.quick.md with --quick)
//
// Sizes can be scaled down for a trial (the report names what was run):
//   BENCH_SCALE_OUT=10000 BENCH_SCALE_OUT_INTERVAL=2m   connections and interval of the scale-out run
//   BENCH_ACK_RATES=50,200 BENCH_ACK_SECONDS=30        ack rates and seconds of load per phase and app
//   BENCH_ACK_MIN_REQUESTS=3000                         a phase runs longer when needed to send this many (50/s: 60 s)
//   BENCH_ACK_PHASES=command,click,spread               which ack phases; BENCH_BASELINE=0 skips the bare Bolt app
//   BENCH_ACK_ROUNDS=4                                  rounds of each phase, the service's and the bare app's in turn
//   BENCH_PROFILE=dir                                   CPU profile and event-loop/GC record of each ack phase
//   BENCH_LOAD_SLOW_MS=300                              names every ack slower than this (when it was due)
//   BENCH_POSTGRES_URL                                  the PostgreSQL server for the scale-out databases
//   BENCH_POSTGRES_THROUGHPUT=1                         also a single-process checking run on PostgreSQL
// A run writing BENCHMARKS.md with every scenario also rewrites the README's figures (between its
// bench markers), so the two always agree.
import { benchAck } from './ack.ts';
import { benchDetection, benchMassRevocation } from './detection.ts';
import { growthFigures, printFigure, updateReadme, writeReport, type Figure, type GrowthRow } from './report.ts';
import { benchScaleOut, type ScaleOutResult } from './scale-out.ts';
import { benchTakeOver } from './takeover.ts';
import { cycleFigures, measureCycle, type CycleResult } from './throughput.ts';
import { parseDuration } from '../src/domain/duration.ts';

const SCENARIOS = ['ack', 'throughput', 'growth', 'detection', 'mass', 'takeover', 'scale-out'] as const;

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const named = [...args.filter((a) => !a.startsWith('-')), ...(args.find((a) => a.startsWith('--only='))?.slice(7).split(',') ?? [])];
const unknown = named.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(', ')}: choose from ${SCENARIOS.join(', ')}`);
  process.exit(2);
}
const only = named.length > 0 ? named : undefined;
const out = args.find((a) => a.startsWith('--out='))?.slice(6) ?? (quick ? 'BENCHMARKS.quick.md' : 'BENCHMARKS.md');
const wanted = (name: (typeof SCENARIOS)[number]) => !only || only.includes(name);
const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const durationMs = (text: string) => {
  const parsed = parseDuration(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.ms;
};

const figures: Figure[] = [];
const notes: string[] = [];
const started = new Date();

async function scenario(name: (typeof SCENARIOS)[number], run: () => Promise<Figure[]>): Promise<void> {
  if (!wanted(name)) return;
  console.log(`\n== ${name}`);
  const t = Date.now();
  try {
    const result = await run();
    result.forEach(printFigure);
    figures.push(...result);
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    console.error(`  ${name} failed: ${message}`);
    notes.push(`The ${name} scenario failed: ${message}`);
  }
  console.log(`  (${Math.round((Date.now() - t) / 1000)} s)`);
}

await scenario('ack', () =>
  benchAck({
    rates: env('BENCH_ACK_RATES', '50,200').split(',').map(Number),
    durationMs: Number(env('BENCH_ACK_SECONDS', quick ? '3' : '30')) * 1000,
    minRequests: Number(env('BENCH_ACK_MIN_REQUESTS', quick ? '0' : '3000')),
    dialect: 'sqlite',
    alerts: 20,
    baseline: env('BENCH_BASELINE', '1') !== '0',
    rounds: Number(env('BENCH_ACK_ROUNDS', quick ? '1' : '4')),
    ...(process.env.BENCH_ACK_PHASES ? { kinds: process.env.BENCH_ACK_PHASES.split(',') } : {}),
    ...(process.env.BENCH_PROFILE ? { profileDir: process.env.BENCH_PROFILE } : {}),
  }),
);

// Throughput and growth share one series of cold starts (every connection due at once, so a cycle
// is as fast as the service can go): each size is measured once and reported under both.
const cycleInterval = quick ? '30s' : '2m';
const cycles = new Map<string, Promise<CycleResult>>();
function cycleOf(connections: number, dialect: 'sqlite' | 'postgres'): Promise<CycleResult> {
  const key = `${dialect}:${connections}`;
  if (!cycles.has(key)) cycles.set(key, measureCycle({ connections, checkInterval: cycleInterval, dialect }));
  return cycles.get(key)!;
}
const smallSizes = quick ? [500, 1_000] : [1_000, 10_000];

await scenario('throughput', async () => {
  const result: Figure[] = [];
  for (const connections of smallSizes) result.push(...cycleFigures(await cycleOf(connections, 'sqlite'), 'SQLite', cycleInterval, true));
  if (process.env.BENCH_POSTGRES_THROUGHPUT === '1') result.push(...cycleFigures(await cycleOf(smallSizes.at(-1)!, 'postgres'), 'PostgreSQL', cycleInterval, true));
  return result;
});

await scenario('detection', () =>
  benchDetection({ connections: quick ? 200 : 1_000, revocations: quick ? 10 : 50, checkInterval: quick ? '20s' : '1m', dialect: 'sqlite' }),
);

await scenario('mass', () => benchMassRevocation({ connections: quick ? 300 : 1_000, checkInterval: quick ? '20s' : '1m', dialect: 'sqlite' }));

await scenario('takeover', () => benchTakeOver({ connections: quick ? 500 : 2_000, xeroLatencyMs: 3_000 }));

// Last: the longest (one whole check interval), and its growth row joins the table below.
let scaleOut: ScaleOutResult | undefined;
await scenario('scale-out', async () => {
  scaleOut = await benchScaleOut({
    connections: Number(env('BENCH_SCALE_OUT', quick ? '5000' : '100000')),
    intervalMs: durationMs(env('BENCH_SCALE_OUT_INTERVAL', quick ? '2m' : '15m')),
    // BENCH_SCALE_OUT_KILL_AT=none keeps both replicas to the end.
    killAt: env('BENCH_SCALE_OUT_KILL_AT', '0.5') === 'none' ? undefined : Number(env('BENCH_SCALE_OUT_KILL_AT', '0.5')),
  });
  return scaleOut.figures;
});

const growth: GrowthRow[] = [];
await scenario('growth', async () => {
  for (const connections of smallSizes) {
    const r = await cycleOf(connections, 'sqlite');
    growth.push({
      connections,
      setup: `SQLite, 1 process, cold start (all due at once), interval ${cycleInterval}`,
      cycleMs: r.cycleMs,
      callsPerConnection: r.apiCalls / connections,
      cpuMsPerCheck: r.cpuMsPerCheck,
      peakMemoryMb: r.peakMemoryMb,
      databaseBytes: r.databaseBytes,
    });
  }
  if (scaleOut) growth.push(scaleOut.growth);
  else notes.push('The growth table has no scale-out row: the scale-out scenario was not run.');
  return growthFigures(growth);
});

const command = `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
const context = { command, startedAt: started, durationMs: Date.now() - started.getTime(), notes, growth };
writeReport(out, figures, context);
console.log(`\nwrote ${out}`);
if (!only && !quick && out === 'BENCHMARKS.md') {
  updateReadme('README.md', figures, context);
  console.log('updated the figures in README.md');
}
process.exit(0);
