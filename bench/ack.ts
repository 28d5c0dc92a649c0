// Ack latency of slash commands and button clicks while Xero answers in 2 s, beside a bare Bolt
// app that only acks (same receiver setup, same load, same machine, same run).
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { blockActionsBody, blockActionsPayload, slashCommandBody } from '../test/fakes/slack-api.ts';
import { encodeButtonValue } from '../src/domain/actions.ts';
import { freePort } from '../test/support/service-process.ts';
import type { LoadJob } from './load-process.ts';
import { cpuPressureUsOf, cpuSecondsOf, runQueueWaitMsOf, summarise, type LatencySummary } from './stats.ts';
import type { Figure } from './report.ts';
import { ADMIN, ALERT_CHANNEL, SIGNING_SECRET, sleep, startStack, until, type Stack } from './stack.ts';
import { formatSummary, summariseProfile, type CpuProfile } from './profile-summary.ts';

export type AckOptions = {
  rates: number[];
  durationMs: number;
  /**
   * Each phase runs at least long enough to send this many requests: a p99 is then the 20th slowest
   * of 2,000, not the 5th of 500 (10 s at 50/s), which moved by half between runs of the same code.
   */
  minRequests?: number;
  dialect: 'sqlite' | 'postgres';
  /** Organisations broken for the spread-out click load (clicks over many alerts). */
  alerts: number;
  /** Also run the bare Bolt app under the same phases. */
  baseline: boolean;
  /** Rounds each phase is split into, the service's and the bare app's in turn (with the baseline). */
  rounds: number;
  /** Only these phases (command, click, spread); all when undefined. */
  kinds?: string[];
  /** CPU profile and event-loop histogram of each measured phase, written here (BENCH_PROFILE). */
  profileDir?: string;
};

type Kind = 'command' | 'click' | 'spread';
type Phase = { rate: number; kind: Kind };
type PhaseResult = Phase & {
  summary: LatencySummary;
  answers: number;
  drainS: number;
  loop?: LoopFigures;
  profile?: string;
  cpuMsPerRequest?: number;
  fakesCpuMsPerRequest?: number;
  /** How long the acking thread waited for a core over the load, and how much of the load's time the machine's CPUs were contended. */
  latencies: number[];
  contention: Contention;
  /** The bare Bolt app under the same requests, in rounds between the service's. */
  bare?: Measurement;
  /** p99 ÷ the bare app's p99, round by round. */
  ratios?: number[];
};
/** Time the acking thread waited for a core; time some task waited for a CPU (/proc/pressure/cpu); the load's wall time. */
type Contention = { waitMs?: number; pressureUs?: number; wallUs?: number };
type Measurement = { summary: LatencySummary; latencies: number[]; contention: Contention };
type LoopFigures = { p50: number; p99: number; max: number };

const LABEL: Record<Kind, string> = { command: 'slash commands', click: 'button clicks, one alert', spread: 'button clicks, many alerts' };

export async function benchAck(options: AckOptions): Promise<Figure[]> {
  const phases: Phase[] = options.rates
    .flatMap((rate) => [
      { rate, kind: 'command' as const },
      { rate, kind: 'click' as const },
      ...(rate === Math.max(...options.rates) ? [{ rate, kind: 'spread' as const }] : []),
    ])
    .filter((p) => !options.kinds || options.kinds.includes(p.kind));
  // The bare app starts first and stays up: each of its phases runs right after the service's
  // phase it is compared with, so both meet the machine in the same minute (a shared virtual
  // machine's background varies from one minute to the next; minutes apart, the bare app's p99
  // moved between 5.7 and 23 ms from run to run).
  const bare = options.baseline ? await startBare() : undefined;
  try {
    return figuresOf(await measureService(options, phases, bare));
  } finally {
    bare?.stop();
  }
}

async function measureService(options: AckOptions, phases: Phase[], bare: Bare | undefined): Promise<PhaseResult[]> {
  const profiling = options.profileDir
    ? { NODE_OPTIONS: `--import ${path.resolve('bench/profile-hook.mjs')}`, BENCH_PROFILE_DIR: path.resolve(options.profileDir) }
    : undefined;
  if (options.profileDir) mkdirSync(options.profileDir, { recursive: true });
  const stack = await startStack({ dialect: options.dialect, connections: 400, checkInterval: '30s', ...(profiling ? { env: profiling } : {}) });
  try {
    // Organisations broken from the start, so there are alerts with buttons to click: the first
    // takes the one-alert load (every click on the same message), the rest the spread-out load.
    const tenants = stack.grants.flatMap((g) => g.tenants);
    const victims = tenants.filter((_, i) => i % Math.floor(tenants.length / options.alerts) === 0).slice(0, options.alerts);
    for (const v of victims) stack.xero.fake.removeInXero(v.tenantId);
    const victimIds = victims.map((v) => stack.connectionIds.get(v.tenantId)!);
    await until(async () => (await stack.database.db.incident.count({ where: { status: 'open', connectionId: { in: victimIds }, announcedAt: { not: null } } })) === victims.length, 180_000, 1_000);
    const incidents = await stack.database.db.incident.findMany({ where: { status: 'open', connectionId: { in: victimIds } } });
    const byConnection = new Map(incidents.map((i) => [i.connectionId, i]));
    const targets = victimIds.map((connectionId) => {
      const incidentId = byConnection.get(connectionId)!.id;
      // Slack sends the message the button sits on with every click (its blocks as they read now).
      const message = stack.slack.messages(ALERT_CHANNEL).filter((m) => JSON.stringify(m.blocks ?? []).includes(incidentId)).at(-1);
      return { value: encodeButtonValue({ incidentId, connectionId }), ts: message?.ts ?? '1700000000.000100', blocks: message?.blocks ?? [] };
    });
    stack.xero.fake.setLatency({ ms: 2_000 });

    const names = tenants.map((t) => t.tenantName);
    const responseUrl = stack.slack.responseUrl('bench');
    const bodiesOf = (kind: Kind, count: number, offset = 0) =>
      Array.from({ length: count }, (_, n) => {
        const i = n + offset;
        if (kind === 'command') return slashBody(i, names, responseUrl);
        // The one-alert load: Disconnect, "I disconnected in Xero too" and Reconnect, over and over, on one alert.
        if (kind === 'click') return clickBody(i, targets[0]!, responseUrl);
        return clickBody(i, targets[1 + (i % (targets.length - 1))]!, responseUrl);
      });
    // Warm-up, not measured: the first requests of a fresh process pay for JIT compilation and
    // lazy initialisation (a running service has long paid them). Clicks go to the spread-out
    // alerts only, so the one-alert phases start on an alert nobody has clicked yet.
    await loadInOwnProcess({ base: stack.base, ratePerSecond: 40, durationMs: 5_000, signingSecret: SIGNING_SECRET, bodies: bodiesOf('command', 100).concat(bodiesOf('spread', 100, 7)) });
    await drainOfAnswers(stack);

    if (bare) await loadInOwnProcess({ base: bare.base, ratePerSecond: 40, durationMs: 5_000, signingSecret: SIGNING_SECRET, bodies: bodiesOf('command', 100).concat(bodiesOf('spread', 100, 7)) });

    const results: PhaseResult[] = [];
    for (const phase of phases) {
      // Rounds: the service takes a share of the phase's requests, then, with the service stopped
      // (SIGSTOP: none of its work shares the cores), the bare app takes the same requests, and so
      // on. Both then meet the same minutes of a shared machine; the service's backlog carries over
      // from round to round as if the load had not paused (its clock stops with it).
      const rounds = bare ? options.rounds : 1;
      const perRound = Math.ceil(requestsOf(options, phase.rate) / rounds);
      const durationMs = (perRound / phase.rate) * 1000;
      const bodies = bodiesOf(phase.kind, perRound * rounds);
      const answersBefore = stack.slack.calls('response_url').length;
      const cpuBefore = cpuSecondsOf(stack.pid);
      const fakesBefore = process.cpuUsage();
      const ours: Measurement[] = [];
      const theirs: Measurement[] = [];
      const loops: LoopFigures[] = [];
      for (let round = 0; round < rounds; round++) {
        const job = { ratePerSecond: phase.rate, durationMs, signingSecret: SIGNING_SECRET, bodies: bodies.slice(round * perRound, (round + 1) * perRound) };
        await scrapeLoop(stack.base); // resets prom-client's event-loop histogram
        const profiled = options.profileDir !== undefined && round === 0;
        if (profiled) process.kill(stack.pid, 'SIGUSR2');
        ours.push(await underLoad(stack.pid, { base: stack.base, ...job }));
        if (profiled) process.kill(stack.pid, 'SIGUSR2');
        const loop = await scrapeLoop(stack.base);
        if (loop) loops.push(loop);
        if (!bare) continue;
        process.kill(stack.pid, 'SIGSTOP');
        try {
          theirs.push(await underLoad(bare.pid, { base: bare.base, ...job }));
        } finally {
          process.kill(stack.pid, 'SIGCONT');
        }
        // Its event-loop timer fires late once on waking; that is the stop, not the service.
        await sleep(200);
      }
      const drainS = await drainOfAnswers(stack);
      // The service's CPU for the phase and its queued work, per request: unlike latency, it does
      // not depend on what else the machine runs.
      const cpuMsPerRequest = ((cpuSecondsOf(stack.pid) - cpuBefore) * 1000) / bodies.length;
      // The fakes of Slack and Xero answer in this process: their CPU shares the machine too.
      const fakes = process.cpuUsage(fakesBefore);
      const fakesCpuMsPerRequest = (fakes.user + fakes.system) / 1000 / bodies.length;
      const result: PhaseResult = {
        ...phase,
        ...pooled(ours),
        answers: stack.slack.calls('response_url').length - answersBefore,
        drainS,
        cpuMsPerRequest,
        fakesCpuMsPerRequest,
        ...(loops.length ? { loop: { p50: Math.max(...loops.map((l) => l.p50)), p99: Math.max(...loops.map((l) => l.p99)), max: Math.max(...loops.map((l) => l.max)) } } : {}),
        ...(bare ? { bare: pooled(theirs), ratios: ours.map((o, i) => o.summary.p99 / theirs[i]!.summary.p99) } : {}),
      };
      if (options.profileDir) result.profile = await writeProfileFindings(options.profileDir, results.length + 1, phase);
      results.push(result);
    }
    return results;
  } finally {
    await stack.close();
  }
}

/** How many requests a phase at `rate` sends: the set duration's, or the least number when more. */
function requestsOf(options: AckOptions, rate: number): number {
  return Math.max(Math.ceil((rate * options.durationMs) / 1000), options.minRequests ?? 0);
}

/** The rounds of one app taken together: one latency summary over all their requests. */
function pooled(rounds: Measurement[]): Measurement {
  const latencies = rounds.flatMap((r) => r.latencies);
  const instruments = rounds.map((r) => r.summary.instrument).filter((i) => i !== undefined);
  const summary: LatencySummary = {
    ...summarise(latencies, rounds.reduce((n, r) => n + r.summary.errors, 0)),
    ...(instruments.length
      ? {
          instrument: {
            raised: instruments.every((i) => i.raised),
            loopP99Ms: Math.max(...instruments.map((i) => i.loopP99Ms)),
            loopMaxMs: Math.max(...instruments.map((i) => i.loopMaxMs)),
            longestPauseMs: Math.max(...instruments.map((i) => i.longestPauseMs)),
          },
        }
      : {}),
  };
  const sum = (pick: (c: Contention) => number | undefined) => (rounds.every((r) => pick(r.contention) !== undefined) ? rounds.reduce((n, r) => n + pick(r.contention)!, 0) : undefined);
  const waitMs = sum((c) => c.waitMs);
  const pressureUs = sum((c) => c.pressureUs);
  const wallUs = sum((c) => c.wallUs);
  return {
    summary,
    latencies,
    contention: { ...(waitMs !== undefined ? { waitMs } : {}), ...(pressureUs !== undefined ? { pressureUs } : {}), ...(wallUs !== undefined ? { wallUs } : {}) },
  };
}

/** One load, with how long the acking thread of `pid` waited for a core meanwhile and how contended the CPUs were. */
async function underLoad(pid: number, job: LoadJob): Promise<Measurement> {
  const waitBefore = runQueueWaitMsOf(pid);
  const pressureBefore = cpuPressureUsOf();
  const started = Date.now();
  const { latencies, ...summary } = await loadInOwnProcess(job);
  const waitAfter = runQueueWaitMsOf(pid);
  const pressureAfter = cpuPressureUsOf();
  return {
    summary,
    latencies,
    contention: {
      wallUs: (Date.now() - started) * 1000,
      ...(waitBefore !== undefined && waitAfter !== undefined ? { waitMs: waitAfter - waitBefore } : {}),
      ...(pressureBefore !== undefined && pressureAfter !== undefined ? { pressureUs: pressureAfter - pressureBefore } : {}),
    },
  };
}

/** The service's own event-loop delay over the last phase (prom-client: reset at every scrape). */
async function scrapeLoop(base: string): Promise<LoopFigures | undefined> {
  try {
    const text = await (await fetch(`${base}/metrics`)).text();
    const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]) * 1000;
    return { p50: read('nodejs_eventloop_lag_p50_seconds'), p99: read('nodejs_eventloop_lag_p99_seconds'), max: read('nodejs_eventloop_lag_max_seconds') };
  } catch {
    return undefined;
  }
}

/** Summarises the profile the hook wrote for phase `n` into <dir>/<n>.md; returns its path. */
async function writeProfileFindings(dir: string, n: number, phase: Phase): Promise<string> {
  const profileFile = path.join(dir, `${n}.cpuprofile`);
  const loopFile = path.join(dir, `${n}.loop.json`);
  await until(() => {
    try {
      readFileSync(loopFile);
      return true;
    } catch {
      return false;
    }
  }, 30_000, 200);
  type Loop = {
    p50: number;
    p99: number;
    max: number;
    mean: number;
    count: number;
    stalls: { atMs: number; ms: number; cpuMs: number }[];
    gcs: { ms: number; kind: string }[];
    heap: { heapUsed: number; heapTotal: number; rss: number };
  };
  const loop = JSON.parse(readFileSync(loopFile, 'utf8')) as Loop;
  const stalls = [...loop.stalls].sort((a, b) => b.ms - a.ms);
  const kinds = [...new Set(loop.gcs.map((g) => g.kind))];
  const gc = kinds.map((kind) => {
    const ms = loop.gcs.filter((g) => g.kind === kind).map((g) => g.ms).sort((a, b) => a - b);
    return `${kind} ${ms.length} (p50 ${ms[Math.floor(ms.length / 2)]!.toFixed(1)} ms, max ${ms.at(-1)!.toFixed(1)} ms, ${ms.reduce((a, b) => a + b, 0).toFixed(0)} ms in all)`;
  });
  const mb = (b: number) => (b / 2 ** 20).toFixed(0);
  const text = [
    `# ${LABEL[phase.kind]} @ ${phase.rate}/s`,
    '',
    `Event-loop delay (monitorEventLoopDelay, 5 ms resolution): p50 ${loop.p50.toFixed(1)} ms, p99 ${loop.p99.toFixed(1)} ms, max ${loop.max.toFixed(1)} ms, mean ${loop.mean.toFixed(1)} ms.`,
    `Stalls over 50 ms seen by a 10 ms timer: ${stalls.length}${stalls.length ? ` (longest ${stalls
      .slice(0, 8)
      .map((x) => `${x.ms} ms with ${x.cpuMs} ms of process CPU`)
      .join(', ')}; a stall with little CPU is the process waiting for a core)` : ''}.`,
    `Garbage collection pauses: ${gc.join('; ') || 'none'}.`,
    `Heap at the end of the phase: ${mb(loop.heap.heapUsed)} MB used of ${mb(loop.heap.heapTotal)} MB, RSS ${mb(loop.heap.rss)} MB.`,
    '',
    formatSummary(summariseProfile(JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile, { top: 25 })),
    '',
  ].join('\n');
  const out = path.join(dir, `${n}.md`);
  writeFileSync(out, text);
  return out;
}

type Bare = { base: string; pid: number; stop(): void };

/** The bare Bolt app in its own process, idle until the service's warm-up requests warm it too. */
async function startBare(): Promise<Bare> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--max-old-space-size=160', '--import', 'tsx', 'bench/bare-bolt.ts'], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), SLACK_SIGNING_SECRET: SIGNING_SECRET },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = () => child.kill('SIGTERM');
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d) => String(d).includes('listening') && resolve());
      child.once('exit', (code) => reject(new Error(`bare Bolt app exited with ${code}`)));
    });
    return { base: `http://127.0.0.1:${port}`, pid: child.pid!, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

function figuresOf(ours: PhaseResult[]): Figure[] {
  const figures: Figure[] = [];
  const fmt = (ms: number) => (ms >= 10 ? ms.toFixed(0) : ms.toFixed(1));
  for (const r of ours) {
    const scenario = `Ack @ ${r.rate}/s`;
    const label = LABEL[r.kind];
    const base = r.bare;
    const loop = r.loop ? `; engine thread's event loop over the phase (acks no longer wait on it): delay p99 ${fmt(r.loop.p99)} ms, max ${fmt(r.loop.max)} ms` : '';
    figures.push(
      {
        scenario,
        measure: `${label} p50`,
        value: r.summary.p50,
        unit: 'ms',
        note: `${r.summary.count} requests, ${r.summary.errors} non-200; ${r.answers} private answers, ${Number.isFinite(r.drainS) ? `the last ${r.drainS.toFixed(1)} s after the load ended` : `still arriving ${DRAIN_LIMIT_MS / 1000} s after the load ended`}${r.cpuMsPerRequest !== undefined ? `; service CPU ${r.cpuMsPerRequest.toFixed(1)} ms per request, its queued work included` : ''}${r.fakesCpuMsPerRequest !== undefined ? `; the fakes of Slack and Xero ${r.fakesCpuMsPerRequest.toFixed(1)} ms per request` : ''}${loop}${base ? `; bare Bolt p50 ${base.summary.p50.toFixed(2)} ms` : ''}`,
      },
      { scenario, measure: `${label} p99`, value: r.summary.p99, unit: 'ms', bar: { limit: 100, kind: 'max', source: 'DESIGN §9' }, note: [base ? `bare Bolt p99 ${base.summary.p99.toFixed(2)} ms` : '', contentionOf(r, 'the front thread'), base ? contentionOf(base, "the bare app's thread") : '', instrumentOf(r.summary)].filter(Boolean).join('; ') },
    );
    if (base) {
      figures.push({
        scenario,
        measure: `${label} p99 ÷ bare Bolt p99`,
        value: r.summary.p99 / base.summary.p99,
        unit: '×',
        bar: { limit: 1.5, kind: 'max', source: 'DESIGN §9' },
        note: `p50 ÷ bare p50: ${(r.summary.p50 / base.summary.p50).toFixed(2)}×${r.ratios && r.ratios.length > 1 ? `; p99 ÷ bare p99 round by round (${r.summary.count / r.ratios.length} requests each): ${r.ratios.map((x) => `${x.toFixed(2)}×`).join(', ')}` : ''}`,
      });
    }
    figures.push({ scenario, measure: `${label} max`, value: r.summary.max, unit: 'ms', bar: { limit: 3_000, kind: 'max', source: "Slack's 3 s" } });
  }
  for (const r of ours) {
    const b = r.bare;
    if (!b) continue;
    const scenario = `Ack @ ${r.rate}/s, bare Bolt app`;
    const label = `${LABEL[r.kind]}, the same requests`;
    figures.push(
      { scenario, measure: `${label} p50`, value: b.summary.p50, unit: 'ms', note: `${b.summary.count} requests, ${b.summary.errors} non-200` },
      { scenario, measure: `${label} p99`, value: b.summary.p99, unit: 'ms', note: [contentionOf(b, 'its thread'), instrumentOf(b.summary)].filter(Boolean).join('; ') },
      { scenario, measure: `${label} max`, value: b.summary.max, unit: 'ms' },
    );
  }
  return figures;
}

/** "the load generator (nice -10): event-loop delay p99 1.1 ms, max 3.0 ms, longest GC pause 1.2 ms". */
function instrumentOf(summary: LatencySummary): string {
  const i = summary.instrument;
  if (!i) return '';
  return `the load generator (${i.raised ? 'above the apps' : 'at their priority: not allowed higher here'}): its own event-loop delay p99 ${i.loopP99Ms.toFixed(1)} ms, max ${i.loopMaxMs.toFixed(1)} ms, longest GC pause ${i.longestPauseMs.toFixed(1)} ms`;
}

/** "waited 120 ms for a core over the load (60 µs a request); CPUs contended 35% of the time". */
function contentionOf(r: Measurement, whose: string): string {
  const c = r.contention;
  const parts = [
    c.waitMs !== undefined ? `${whose} waited ${c.waitMs.toFixed(0)} ms for a core over the load (${((c.waitMs * 1000) / r.summary.count).toFixed(0)} µs a request)` : '',
    c.pressureUs !== undefined && c.wallUs ? `CPUs contended ${((c.pressureUs / c.wallUs) * 100).toFixed(0)}% of the time` : '',
  ];
  return parts.filter(Boolean).join(', ');
}

/** Work queued after the acks may take this long to drain before the next phase starts anyway. */
const DRAIN_LIMIT_MS = Number(process.env.BENCH_ACK_DRAIN_SECONDS ?? 90) * 1000;

/**
 * Seconds from the end of a load until its last private answer reached Slack (quiet for 3 s), or
 * Infinity when answers were still arriving after DRAIN_LIMIT_MS.
 */
async function drainOfAnswers(stack: Stack): Promise<number> {
  const ended = Date.now();
  let count = -1;
  while (count !== stack.slack.calls('response_url').length) {
    if (Date.now() - ended > DRAIN_LIMIT_MS) return Number.POSITIVE_INFINITY;
    count = stack.slack.calls('response_url').length;
    await sleep(3_000);
  }
  const last = stack.slack.calls('response_url').at(-1)?.at ?? ended;
  return Math.max(0, (last - ended) / 1000);
}

const COMMANDS = ['status', 'check', 'errors', 'help'] as const;

function slashBody(i: number, names: string[], responseUrl: string): string {
  const command = COMMANDS[i % COMMANDS.length]!;
  // `check <org>` makes the service call Xero (2 s) after the ack; the ack must not wait for it.
  const text = command === 'check' ? `check ${names[i % names.length]}` : command;
  return slashCommandBody({ text, user_id: ADMIN, channel_id: ALERT_CHANNEL, response_url: responseUrl });
}

/** Disconnect, "I disconnected in Xero too", Reconnect in turn; the value names the alert's incident. */
function clickBody(i: number, target: { value: string; ts: string; blocks: unknown[] }, responseUrl: string): string {
  const actions = ['xg_confirm_xero', 'xg_disconnect', 'xg_reconnect'];
  const payload = blockActionsPayload({
    user_id: ADMIN,
    action_id: actions[i % actions.length]!,
    channel_id: ALERT_CHANNEL,
    message_ts: target.ts,
    response_url: responseUrl,
    value: target.value,
    message: { blocks: target.blocks },
  });
  return blockActionsBody(payload);
}

const run = promisify(execFile);

async function loadInOwnProcess(job: LoadJob): Promise<LatencySummary & { latencies: number[] }> {
  const file = path.join(tmpdir(), `xg-load-${process.pid}-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(job));
  const { stdout, stderr } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/load-process.ts', file], { maxBuffer: 1 << 24 });
  if (stderr) process.stderr.write(stderr);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as LatencySummary & { latencies: number[] };
}

export type { Stack };
