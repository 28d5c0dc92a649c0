// Runs one open-loop load in its own process, so the fakes' work in the bench process cannot delay
// the clock that measures the service. Input: a JSON file path (argv[2]); output: one JSON line.
//
// The instrument must not be what it measures: on two shared cores its own garbage collections and
// its waits for a core showed up as latency of whichever app it measured (the slow requests came in
// runs of ten consecutive ones, for the bare app as for the service). So it raises its priority
// above the apps' where the machine allows it (root or CAP_SYS_NICE), collects its garbage before
// the load starts, and reports its own event-loop delay and pauses beside the latencies.
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { runOpenLoop, type RequestSpec } from './load.ts';
import { FORM, signBody } from '../test/fakes/slack-api.ts';
import type { Instrument } from './stats.ts';

export type LoadJob = { base: string; ratePerSecond: number; durationMs: number; signingSecret: string; bodies: string[] };

/** A nice value below the apps' 0: the kernel runs the load generator first when both are ready. */
const LOAD_NICE = -10;

let raised = true;
try {
  setPriority(LOAD_NICE);
} catch {
  raised = false;
}
const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadJob;
// The bodies are in the heap now: one full collection here rather than during the load.
(globalThis as { gc?: () => void }).gc?.();
const pauses: number[] = [];
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) pauses.push(entry.duration);
});
observer.observe({ entryTypes: ['gc'] });
const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
const summary = await runOpenLoop({
  base: job.base,
  ratePerSecond: job.ratePerSecond,
  durationMs: job.durationMs,
  makeRequest: (i): RequestSpec => {
    const body = job.bodies[i % job.bodies.length]!;
    const timestamp = Math.floor(Date.now() / 1000);
    return {
      path: '/slack/events',
      body,
      headers: { 'content-type': FORM, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signBody(job.signingSecret, timestamp, body) },
    };
  },
});
loop.disable();
observer.disconnect();
const instrument: Instrument = {
  raised,
  loopP99Ms: loop.percentile(99) / 1e6,
  loopMaxMs: loop.max / 1e6,
  longestPauseMs: Math.max(0, ...pauses),
};
console.log(JSON.stringify({ ...summary, instrument }));
