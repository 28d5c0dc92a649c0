// Reads a V8 CPU profile (.cpuprofile) and says where the time went: the functions with the most
// self time, and, for the stretches where the thread never went idle for 50 ms or more (the stalls
// an ack waits behind), which functions were on the stack for most of them.
//   npx tsx bench/profile-summary.ts <file.cpuprofile> [--top=20]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] };
export type CpuProfile = { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] };

export type FunctionTime = { name: string; where: string; ms: number; share: number };
export type BusyStretch = { startMs: number; ms: number; top: FunctionTime[] };
export type ProfileSummary = { totalMs: number; idleMs: number; gcMs: number; self: FunctionTime[]; stretches: BusyStretch[] };

const IDLE = '(idle)';

function label(frame: CallFrame): { name: string; where: string } {
  const file = frame.url.replace(/^file:\/\//, '').replace(/^.*?\/(node_modules|src|dist|bench)\//, '$1/');
  return { name: frame.functionName || '(anonymous)', where: file ? `${file}:${frame.lineNumber + 1}` : '' };
}

export function summariseProfile(profile: CpuProfile, options: { top?: number; stretchMs?: number } = {}): ProfileSummary {
  const top = options.top ?? 20;
  const stretchMs = options.stretchMs ?? 50;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (id: number) => {
    const { name, where } = label(byId.get(id)!.callFrame);
    return `${name}\t${where}`;
  };
  // Sample i lasted timeDeltas[i + 1] (the delta is the gap before the next sample).
  const durations = profile.samples.map((_, i) => (profile.timeDeltas[i + 1] ?? 0) / 1000);
  const self = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let gc = 0;
  profile.samples.forEach((id, i) => {
    const ms = durations[i]!;
    total += ms;
    const name = byId.get(id)!.callFrame.functionName;
    if (name === IDLE) idle += ms;
    if (name === '(garbage collector)') gc += ms;
    self.set(keyOf(id), (self.get(keyOf(id)) ?? 0) + ms);
  });
  const busy = total - idle;
  const rank = (times: Map<string, number>, base: number): FunctionTime[] =>
    [...times]
      .filter(([key]) => !key.startsWith(IDLE))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, ms]) => {
        const [name, where] = key.split('\t');
        return { name: name!, where: where!, ms, share: base > 0 ? ms / base : 0 };
      });

  // Stretches with no idle sample: inclusive time of each function over the stretch (once per sample).
  const stretches: BusyStretch[] = [];
  let at = 0;
  let begin = -1;
  let beginAt = 0;
  const close = (end: number) => {
    if (begin < 0) return;
    const ms = durations.slice(begin, end).reduce((a, b) => a + b, 0);
    if (ms >= stretchMs) {
      const inclusive = new Map<string, number>();
      for (let i = begin; i < end; i++) {
        const seen = new Set<string>();
        for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id)) {
          const key = keyOf(id);
          if (seen.has(key) || key.startsWith('(root)')) continue;
          seen.add(key);
          inclusive.set(key, (inclusive.get(key) ?? 0) + durations[i]!);
        }
      }
      stretches.push({ startMs: beginAt, ms, top: rank(inclusive, ms) });
    }
    begin = -1;
  };
  profile.samples.forEach((id, i) => {
    if (byId.get(id)!.callFrame.functionName === IDLE) close(i);
    else if (begin < 0) {
      begin = i;
      beginAt = at;
    }
    at += durations[i]!;
  });
  close(profile.samples.length);
  return { totalMs: total, idleMs: idle, gcMs: gc, self: rank(self, busy), stretches: stretches.sort((a, b) => b.ms - a.ms) };
}

export function formatSummary(s: ProfileSummary, options: { stretches?: number; stretchTop?: number } = {}): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [
    `Profiled ${(s.totalMs / 1000).toFixed(1)} s: busy ${((s.totalMs - s.idleMs) / 1000).toFixed(1)} s (${pct((s.totalMs - s.idleMs) / s.totalMs)}), garbage collection ${(s.gcMs / 1000).toFixed(2)} s.`,
    '',
    '| Self time | Share of busy | Function | Where |',
    '| ---: | ---: | --- | --- |',
    ...s.self.map((f) => `| ${f.ms.toFixed(0)} ms | ${pct(f.share)} | \`${f.name}\` | ${f.where} |`),
  ];
  const longest = s.stretches.slice(0, options.stretches ?? 3);
  const stretchCount = s.stretches.length;
  lines.push('', `Busy stretches of 50 ms or more (no idle sample): ${stretchCount}, the longest ${longest.map((x) => `${x.ms.toFixed(0)} ms`).join(', ') || 'none'}.`);
  for (const x of longest) {
    lines.push('', `Stretch of ${x.ms.toFixed(0)} ms at ${(x.startMs / 1000).toFixed(1)} s, functions on the stack (inclusive):`, '');
    for (const f of x.top.slice(0, options.stretchTop ?? 12)) lines.push(`- ${pct(f.share)} \`${f.name}\` ${f.where}`);
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [--top=20]');
  const top = Number(process.argv.find((a) => a.startsWith('--top='))?.slice(6) ?? 20);
  console.log(formatSummary(summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, { top })));
}
