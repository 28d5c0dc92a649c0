// `npm run bench`: measures the quality bars of DESIGN.md section 9 and writes BENCHMARKS.md.
//   --quick          smaller sizes and shorter runs (a smoke run; not for the record)
//   --only=a,b       ack, throughput, growth, detection, mass
//   --out=FILE       where to write the report (default BENCHMARKS.md)
import { benchAck } from './ack.ts';
import { benchDetection, benchMassRevocation } from './detection.ts';
import { printFigure, writeReport, type Figure } from './report.ts';
import { cycleFigures, measureCycle, type CycleResult } from './throughput.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const named = args.filter((a) => !a.startsWith('-'));
const only = named.length > 0 ? named : args.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const out = args.find((a) => a.startsWith('--out='))?.slice(6) ?? (quick ? 'BENCHMARKS.quick.md' : 'BENCHMARKS.md');
const wanted = (name: string) => !only || only.includes(name);
const postgres = Boolean(process.env.TEST_POSTGRES_URL);

const figures: Figure[] = [];
const notes: string[] = [];
const started = new Date();

async function scenario(name: string, run: () => Promise<Figure[]>): Promise<void> {
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
    rates: (process.env.BENCH_ACK_RATES ?? '50,200').split(',').map(Number),
    durationMs: Number(process.env.BENCH_ACK_SECONDS ?? (quick ? 3 : 10)) * 1000,
    dialect: 'sqlite',
    alerts: 20,
    baseline: process.env.BENCH_BASELINE !== '0',
    ...(process.env.BENCH_ACK_PHASES ? { kinds: process.env.BENCH_ACK_PHASES.split(',') } : {}),
    ...(process.env.BENCH_PROFILE ? { profileDir: process.env.BENCH_PROFILE } : {}),
  }),
);

// Throughput and growth are one series of cold starts (every connection due at once, so a cycle
// is as fast as the service can go): each size is measured once and reported under both.
const cycleInterval = quick ? '30s' : '2m';
const cycles = new Map<string, Promise<CycleResult>>();
function cycleOf(connections: number, dialect: 'sqlite' | 'postgres'): Promise<CycleResult> {
  const key = `${dialect}:${connections}`;
  if (!cycles.has(key)) cycles.set(key, measureCycle({ connections, checkInterval: cycleInterval, dialect }));
  return cycles.get(key)!;
}

await scenario('throughput', async () => {
  const result: Figure[] = [];
  for (const connections of quick ? [1_000] : [1_000, 10_000]) result.push(...cycleFigures(await cycleOf(connections, 'sqlite'), 'SQLite', cycleInterval, true));
  if (postgres && !quick) result.push(...cycleFigures(await cycleOf(10_000, 'postgres'), 'Postgres', cycleInterval, true));
  return result;
});

await scenario('growth', async () => {
  const result: Figure[] = [];
  for (const connections of quick ? [500, 1_000] : [1_000, 5_000, 10_000]) {
    const r = await cycleOf(connections, 'sqlite');
    const scenario = `Growth ${connections.toLocaleString('en')} (SQLite, interval ${cycleInterval})`;
    result.push(
      { scenario, measure: 'one full cycle', value: r.cycleMs / 1000, unit: 's', note: `${r.peakCallsPerMinute} calls in the busiest minute, ${r.rateLimited} 429s` },
      { scenario, measure: 'CPU seconds per 1,000 checks', value: (r.cpuSeconds * 1000) / connections, unit: 's', note: 'the whole process from npm start: start-up weighs most at 1,000' },
      { scenario, measure: 'peak memory (RSS)', value: r.peakMemoryMb, unit: 'MB' },
    );
  }
  return result;
});

await scenario('detection', () =>
  benchDetection({ connections: quick ? 200 : 1_000, revocations: quick ? 10 : 50, checkInterval: quick ? '20s' : '1m', dialect: 'sqlite' }),
);

await scenario('mass', () => benchMassRevocation({ connections: quick ? 300 : 1_000, checkInterval: quick ? '20s' : '1m', dialect: 'sqlite' }));

const command = `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
writeReport(out, figures, { command, startedAt: started, durationMs: Date.now() - started.getTime(), notes });
console.log(`\nwrote ${out}`);
process.exit(0);
