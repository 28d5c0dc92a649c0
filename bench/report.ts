// Every figure beside its bar and the ratio between them, printed and written to BENCHMARKS.md; the
// growth table; and the README's summary of the same run (between its bench markers).
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

export type Figure = {
  scenario: string;
  measure: string;
  value: number;
  unit: string;
  /** The bar from DESIGN.md section 9 (or the platform's limit); undefined for figures with no bar. */
  bar?: { limit: number; kind: 'max' | 'min'; source: string };
  note?: string;
};

/** One size of the growth table. */
export type GrowthRow = {
  connections: number;
  setup: string;
  /** From the first check until every connection had been checked once. */
  cycleMs: number;
  callsPerConnection: number;
  cpuMsPerCheck: number;
  peakMemoryMb: number;
  databaseBytes: number;
};

export type ReportContext = { command: string; startedAt: Date; durationMs: number; notes: string[]; growth: GrowthRow[] };

export function ratioOf(f: Figure): string {
  if (!f.bar) return '–';
  if (!Number.isFinite(f.value)) return '–';
  if (f.bar.limit === 0) return f.value === 0 ? '0 (meets)' : `${fmt(f.value)} over`;
  return (f.value / f.bar.limit).toFixed(2);
}

export function meets(f: Figure): boolean | undefined {
  if (!f.bar) return undefined;
  if (!Number.isFinite(f.value)) return false;
  return f.bar.kind === 'max' ? f.value <= f.bar.limit : f.value >= f.bar.limit;
}

export const fmt = (n: number) => (!Number.isFinite(n) ? 'n/a' : Number.isInteger(n) ? n.toLocaleString('en') : Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));
const withUnit = (n: number, unit: string) => (unit ? `${fmt(n)} ${unit}` : fmt(n));

export function printFigure(f: Figure): void {
  const bar = f.bar ? `bar ${f.bar.kind === 'max' ? '≤' : '≥'} ${withUnit(f.bar.limit, f.unit)}, ratio ${ratioOf(f)} ${meets(f) ? 'OK' : 'MISSED'}` : 'no bar';
  console.log(`  ${f.scenario} | ${f.measure}: ${withUnit(f.value, f.unit)} (${bar})${f.note ? ` — ${f.note}` : ''}`);
}

/**
 * The growth table's figures: each size's costs, and the largest size's cost per connection over
 * the smallest's (linear cost: the ratio stays near 1).
 */
export function growthFigures(rows: GrowthRow[]): Figure[] {
  const figures: Figure[] = [];
  for (const r of rows) {
    const scenario = `Growth ${r.connections.toLocaleString('en')}`;
    figures.push(
      { scenario, measure: 'cycle: every connection checked once', value: r.cycleMs / 1000, unit: 's', note: r.setup },
      { scenario, measure: 'Xero API calls per connection per cycle', value: r.callsPerConnection, unit: 'calls' },
      { scenario, measure: 'CPU per check', value: r.cpuMsPerCheck, unit: 'ms' },
      { scenario, measure: 'peak memory (RSS)', value: r.peakMemoryMb, unit: 'MB', bar: { limit: 300, kind: 'max', source: 'DESIGN §9' } },
      { scenario, measure: 'database size', value: r.databaseBytes / 2 ** 20, unit: 'MB', note: `${fmt(r.databaseBytes / r.connections)} bytes per connection` },
    );
  }
  if (rows.length >= 2) {
    const [small, large] = [rows[0]!, rows.at(-1)!];
    const scenario = `Growth ${small.connections.toLocaleString('en')} → ${large.connections.toLocaleString('en')}`;
    const linear = { limit: 1.5, kind: 'max' as const, source: 'linear cost' };
    figures.push(
      { scenario, measure: 'CPU per check, largest ÷ smallest', value: large.cpuMsPerCheck / small.cpuMsPerCheck, unit: '×', bar: linear },
      { scenario, measure: 'Xero calls per connection, largest ÷ smallest', value: large.callsPerConnection / small.callsPerConnection, unit: '×', bar: linear },
      { scenario, measure: 'database bytes per connection, largest ÷ smallest', value: large.databaseBytes / large.connections / (small.databaseBytes / small.connections), unit: '×', bar: linear, note: 'SQLite and PostgreSQL store the same rows differently' },
    );
  }
  return figures;
}

function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}; Node ${process.version}; load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(', ')} at the end of the run`;
}

function growthTable(rows: GrowthRow[]): string {
  if (rows.length === 0) return '';
  const lines = [
    '| Connections | Setup | Cycle (every one checked once) | Xero calls per connection per cycle | CPU per check | Peak memory (RSS) | Database | Bytes per connection |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.connections.toLocaleString('en')} | ${r.setup} | ${fmt(r.cycleMs / 1000)} s | ${fmt(r.callsPerConnection)} | ${fmt(r.cpuMsPerCheck)} ms | ${fmt(r.peakMemoryMb)} MB | ${fmt(r.databaseBytes / 2 ** 20)} MB | ${fmt(r.databaseBytes / r.connections)} |`,
    ),
  ];
  return `## Growth\n\n${lines.join('\n')}\n\nThe cycle is set by Xero's budget (9,000 calls a minute) from 10,000 connections on, not by CPU; CPU per check excludes start-up.\n`;
}

export function writeReport(path: string, figures: Figure[], context: ReportContext): void {
  const rows = figures.map(
    (f) =>
      `| ${f.scenario} | ${f.measure} | ${withUnit(f.value, f.unit)} | ${f.bar ? `${f.bar.kind === 'max' ? '≤' : '≥'} ${withUnit(f.bar.limit, f.unit)} (${f.bar.source})` : '–'} | ${ratioOf(f)} | ${meets(f) === undefined ? '' : meets(f) ? 'meets' : '**misses**'} |${f.note ? ` ${f.note}` : ''}`,
  );
  const text = `# Benchmarks

Measured by \`${context.command}\` on ${context.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC
(${Math.round(context.durationMs / 1000)} s in all).

Machine: ${machine()}.

The service runs as \`npm start\` runs it (one node process per replica, real HTTP server, real
database) against local fakes on 127.0.0.1: Xero (identity and API, enforcing Xero's per-tenant and
app-wide limits and counting every 429) and the Slack Web API. Requests are signed exactly as Slack
signs them. CPU and memory are read from \`/proc\` of each service process. Bars are DESIGN.md
section 9; the ratio is figure ÷ bar (below 1 is inside a "≤" bar).

| Scenario | Measure | Figure | Bar | Ratio | |  Notes |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

${growthTable(context.growth)}
${context.notes.length ? `${context.notes.map((n) => `- ${n}`).join('\n')}\n` : ''}
How the scenarios run:

- **Ack**: open-loop load from its own process (requests leave on schedule whether or not earlier ones
  were answered) while the fake Xero takes 2 s to answer: slash commands (\`/xero status\`, \`check\`,
  \`errors\`, \`help\`), then button clicks on one alert (Disconnect, "I disconnected in Xero too",
  Reconnect in turn, each click carrying the message's blocks as Slack sends them), then at the top
  rate clicks spread over 19 other alerts. The figure is the time to Slack's 200, from when the
  request was due. A bare Bolt app that only acks (same ExpressReceiver setup, its own process, same
  machine) takes the same requests in rounds between the service's: each phase is four rounds, the
  service's share of the requests, then the bare app's with the service stopped (SIGSTOP; its
  queued work resumes with it), so both meet the same minutes of a shared machine. The ratio of the
  p99s over all rounds is the 1.5× bar; each round's ratio is beside it. The load generator runs
  above the apps' priority where allowed and reports its own event-loop delay and pauses. CPU per
  request counts the service's CPU from the start of a phase until its queued work (the private
  answers) has drained.
- **Checking** and **growth**: a cold start with every connection due at once (the worst case: a
  first start, or a restart after downtime), 1 to 5 tenants per grant. A cycle ends when every
  connection has been found healthy. The service claims no more checks than Xero's app-wide budget
  (90% of 10,000 calls a minute) can pay for, so a backlog waits in the database rather than in
  Xero's 429s. The growth table's largest row is the scale-out run.
- **Detection**: after one quiet interval, connections are removed in the fake Xero at random
  moments over one interval; the figure runs from each removal to the first message at the fake
  Slack that names the organisation.
- **Mass revocation**: every connection removed at once; counts what reached Slack.
- **Take-over after a single-process death**: SQLite, a cold start while Xero answers in 3 s (many
  checks in flight, their leases held); SIGKILL mid-cycle, \`npm start\` again at once; the figure
  runs from the kill until every check the dead process held was done by the new one.
- **Scale-out**: two replicas of \`npm start\` on one fresh PostgreSQL database and one Xero fake, in
  the steady state of the interval (each grant due at its own slot, as a running service leaves
  them; seeded in bulk through pg with tokens encrypted by the service's own cipher). One interval
  is measured: each connection's checks from its slot until its next one (connection log rows),
  Xero's calls per minute summed over both replicas at the fake, memory and CPU of each replica.
  Half way through, one replica is killed with SIGKILL; the take-over runs from the kill until the
  survivor has checked every connection the dead one held.

Where the quarter-second stalls of clicks at 200/s came from in the run of 2026-11-23 (a CPU
profile, the event-loop delay and every GC pause of that phase) and what removed them:
[bench/findings/click-stall.md](bench/findings/click-stall.md). \`BENCH_PROFILE=dir npm run bench -- ack\`
records the same for every ack phase.

Run it again with \`npm run bench\` (about 35 minutes), or some scenarios: \`npm run bench -- ack
scale-out\`; \`-- --quick\` is a smaller smoke run. \`BENCH_SCALE_OUT=10000 BENCH_SCALE_OUT_INTERVAL=2m\`
scales the scale-out run down for a trial; bench/run.ts lists the other settings.
`;
  writeFileSync(path, text);
}

const README_START = '<!-- bench:figures:start -->';
const README_END = '<!-- bench:figures:end -->';

/** Rewrites the README's summary of the last full run (between its bench markers) from this run's figures. */
export function updateReadme(path: string, figures: Figure[], context: ReportContext): void {
  const readme = readFileSync(path, 'utf8');
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`${path} has no ${README_START} … ${README_END} section`);
  const find = (scenario: RegExp, measure: RegExp) => figures.find((f) => scenario.test(f.scenario) && measure.test(f.measure));
  const say = (f: Figure | undefined, unit = f?.unit ?? '') => (f ? withUnit(f.value, unit) : 'n/a');
  const verdict = (list: (Figure | undefined)[]) => {
    const missed = list.filter((f): f is Figure => f !== undefined && meets(f) === false);
    return missed.length === 0 ? 'all meet their bars' : `**missed: ${missed.map((f) => `${f.scenario}, ${f.measure}`).join('; ')}**`;
  };
  const top = Math.max(...figures.filter((f) => f.scenario.startsWith('Ack @') && !f.scenario.includes('bare')).map((f) => Number(/@ (\d+)/.exec(f.scenario)?.[1] ?? 0)), 0);
  const ackAt = (kind: RegExp) => find(new RegExp(`^Ack @ ${top}/s$`), kind);
  const ack = [ackAt(/^slash commands p99$/), ackAt(/^button clicks, one alert p99$/), ackAt(/^button clicks, many alerts p99$/)];
  const ratios = figures.filter((f) => f.measure.includes('÷ bare Bolt'));
  const so = (m: RegExp) => find(/^Scale-out/, m);
  const scaleOut = figures.find((f) => f.scenario.startsWith('Scale-out'))?.scenario;
  const ten = find(/^Checking 10,000/, /one full cycle/);
  const bars = figures.filter((f) => f.bar);
  const text = `${README_START}
Last full run (${context.startedAt.toISOString().slice(0, 10)}, ${os.cpus().length} cores; every figure beside its bar in [BENCHMARKS.md](BENCHMARKS.md), ${verdict(bars)}):
acks at ${top}/s while Xero answers in 2 s: commands p99 ${say(ack[0])}, clicks on one alert p99 ${say(ack[1])}, clicks over many alerts p99
${say(ack[2])} (bar 100 ms), ${ratios.map((r) => `${fmt(r.value)}×`).join(', ') || 'n/a'} the p99 of a bare Bolt app that only acks (bar 1.5×).
${ten ? `10,000 connections checked from a cold start in ${say(ten)}. ` : ''}${scaleOut ? `${scaleOut}: ${say(so(/connections checked in their interval/))} connections checked in their interval, ${say(so(/checked twice/))} twice, peak ${say(so(/peak Xero API calls/))} summed over both replicas (bar 9,000), ${say(so(/429s/))} 429s, peak memory ${say(so(/replica A peak memory/))} and ${say(so(/replica B peak memory/))}, take-over after a SIGKILL ${say(so(/take-over/))}. ` : ''}Take-over after a single-process death: ${say(find(/^Take-over after a single-process death/, /.*/))}. A revocation alerted within ${say(find(/^Detection/, /max/))} at a 1-minute interval.
${README_END}`;
  writeFileSync(path, readme.slice(0, start) + text + readme.slice(end + README_END.length));
}
