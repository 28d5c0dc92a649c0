// Every figure beside its bar and the ratio between them, printed and written to BENCHMARKS.md.
import { writeFileSync } from 'node:fs';
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

export function ratioOf(f: Figure): string {
  if (!f.bar) return '–';
  if (f.bar.limit === 0) return f.value === 0 ? '0 (meets)' : `${f.value} over`;
  return (f.value / f.bar.limit).toFixed(2);
}

export function meets(f: Figure): boolean | undefined {
  if (!f.bar) return undefined;
  return f.bar.kind === 'max' ? f.value <= f.bar.limit : f.value >= f.bar.limit;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

export function printFigure(f: Figure): void {
  const bar = f.bar ? `bar ${f.bar.kind === 'max' ? '≤' : '≥'} ${fmt(f.bar.limit)} ${f.unit}, ratio ${ratioOf(f)} ${meets(f) ? 'OK' : 'MISSED'}` : 'no bar';
  console.log(`  ${f.scenario} | ${f.measure}: ${fmt(f.value)} ${f.unit} (${bar})${f.note ? ` — ${f.note}` : ''}`);
}

export function writeReport(path: string, figures: Figure[], context: { command: string; startedAt: Date; durationMs: number; notes: string[] }): void {
  const cpus = os.cpus();
  const rows = figures.map(
    (f) =>
      `| ${f.scenario} | ${f.measure} | ${fmt(f.value)} ${f.unit} | ${f.bar ? `${f.bar.kind === 'max' ? '≤' : '≥'} ${fmt(f.bar.limit)} ${f.unit} (${f.bar.source})` : '–'} | ${ratioOf(f)} | ${meets(f) === undefined ? '' : meets(f) ? 'meets' : '**misses**'} |${f.note ? ` ${f.note}` : ''}`,
  );
  const text = `# Benchmarks

Measured by \`${context.command}\` on ${context.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC
(${Math.round(context.durationMs / 1000)} s in all).

Machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}; Node ${process.version}.

The service runs as \`npm start\` runs it (one node process, real HTTP server, real database) against
local fakes on 127.0.0.1: Xero (identity and API, enforcing Xero's per-tenant and app-wide limits and
counting every 429) and the Slack Web API. Requests are signed exactly as Slack signs them. CPU and
memory are read from \`/proc\` of the service process. Bars are DESIGN.md section 9; the ratio is
figure ÷ bar (below 1 is inside a "≤" bar).

| Scenario | Measure | Figure | Bar | Ratio | |  Notes |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

${context.notes.map((n) => `- ${n}`).join('\n')}

How the scenarios run:

- **Ack**: open-loop load from its own process (requests leave on schedule whether or not earlier ones
  were answered), half slash commands (\`/xero status\`), half button clicks, while the fake Xero takes
  2 s to answer. The figure is the time to Slack's 200.
- **Checking** and **growth**: a cold start with every connection due at once (the worst case: a
  first start, or a restart after downtime), 1 to 5 tenants per grant. A cycle ends when every
  connection has been found healthy. The service claims no more checks than Xero's app-wide budget
  (90% of 10,000 calls a minute) can pay for, so a backlog waits in the database rather than in
  Xero's 429s; at 10,000 connections that budget, not CPU, sets the pace.
- **Detection**: after one quiet interval, connections are removed in the fake Xero at random
  moments over one interval; the figure runs from each removal to the first message at the fake
  Slack that names the organisation.
- **Mass revocation**: every connection removed at once; counts what reached Slack.

Run it again with \`npm run bench\` (add \`-- --quick\` for a smaller run, \`-- --only=ack,detection\` for some
scenarios). \`TEST_POSTGRES_URL\` adds a Postgres run of the checking scenario.
`;
  writeFileSync(path, text);
}
