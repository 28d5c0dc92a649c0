// Loaded into the service only by the bench (NODE_OPTIONS=--import <this file>, BENCH_PROFILE_DIR
// set), never by `npm start` itself. Each SIGUSR2 toggles one measured phase: the first starts a
// CPU profile and an event-loop delay histogram, the second writes both to BENCH_PROFILE_DIR as
// <n>.cpuprofile and <n>.loop.json; SIGWINCH records the live heap after a full collection. npm and sh run with the same NODE_OPTIONS: only the service
// process (dist/main.js) listens.
import { Session } from 'node:inspector';
import { monitorEventLoopDelay, PerformanceObserver, constants } from 'node:perf_hooks';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;
const GC_KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
if (dir && /dist\/main\.js$/.test(process.argv[1] ?? '')) {
  const session = new Session();
  session.connect();
  const post = (method, params = {}) => new Promise((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
  let phase = 0;
  let running;
  // The engine thread (src/engine.ts) is profiled through this thread's inspector: a hook loaded
  // with --import does not run in worker threads, and signals reach only this one.
  const engine = engineProfiler(session, post);
  // SIGWINCH: a full garbage collection, then the live heap appended to heap.jsonl (what the process
  // keeps, not what it has not collected yet).
  process.on('SIGWINCH', async () => {
    await post('HeapProfiler.enable');
    await post('HeapProfiler.collectGarbage');
    appendFileSync(path.join(dir, 'heap.jsonl'), `${JSON.stringify({ at: Date.now(), ...process.memoryUsage() })}\n`);
  });
  process.on('SIGUSR2', async () => {
    if (!running) {
      phase++;
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      // Stalls longer than 50 ms, with when they ended and the CPU the process used meanwhile: on a
      // shared machine a stall with little CPU is the process waiting for a core, not working.
      const stalls = [];
      let last = performance.now();
      let lastCpu = process.cpuUsage();
      const probe = setInterval(() => {
        const now = performance.now();
        const cpu = process.cpuUsage();
        if (now - last > 60) stalls.push({ atMs: Math.round(now), ms: Math.round(now - last - 10), cpuMs: Math.round((cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000) });
        last = now;
        lastCpu = cpu;
      }, 10);
      // Every garbage collection pause, by kind (minor scavenge, major mark-compact, ...).
      const gcs = [];
      const gcObserver = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) gcs.push({ atMs: Math.round(e.startTime + e.duration), ms: e.duration, kind: GC_KINDS[e.detail?.kind] ?? String(e.detail?.kind) });
      });
      gcObserver.observe({ entryTypes: ['gc'] });
      running = { loop, stalls, probe, gcs, gcObserver, startedAt: performance.now() };
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 500 });
      await post('Profiler.start');
      await engine.start();
      return;
    }
    const { loop, stalls, probe, gcs, gcObserver, startedAt } = running;
    running = undefined;
    clearInterval(probe);
    gcObserver.disconnect();
    loop.disable();
    const { profile } = await post('Profiler.stop');
    writeFileSync(path.join(dir, `${phase}.cpuprofile`), JSON.stringify(profile));
    const engineProfile = await engine.stop();
    if (engineProfile) writeFileSync(path.join(dir, `${phase}.engine.cpuprofile`), JSON.stringify(engineProfile));
    const ms = (ns) => ns / 1e6;
    writeFileSync(
      path.join(dir, `${phase}.loop.json`),
      JSON.stringify({
        durationMs: Math.round(performance.now() - startedAt),
        count: loop.count,
        p50: ms(loop.percentile(50)),
        p90: ms(loop.percentile(90)),
        p99: ms(loop.percentile(99)),
        max: ms(loop.max),
        mean: ms(loop.mean),
        startedAtMs: Math.round(startedAt),
        stalls,
        gcs,
        heap: process.memoryUsage(),
      }),
    );
  });
}

/** Starts and stops a CPU profile of the first worker thread, through the NodeWorker domain. */
function engineProfiler(session, post) {
  let sessionId;
  let nextId = 1;
  const pending = new Map();
  session.on('NodeWorker.attachedToWorker', ({ params }) => {
    sessionId ??= params.sessionId;
  });
  session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => {
    const message = JSON.parse(params.message);
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(message.error.message));
    else waiter.resolve(message.result);
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      void post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
    });
  return {
    async start() {
      if (!sessionId) {
        await post('NodeWorker.enable', { waitForDebuggerOnStart: false });
        for (let i = 0; i < 50 && !sessionId; i++) await new Promise((r) => setTimeout(r, 20));
      }
      if (!sessionId) return;
      await send('Profiler.enable');
      await send('Profiler.setSamplingInterval', { interval: 500 });
      await send('Profiler.start');
    },
    async stop() {
      if (!sessionId) return undefined;
      const { profile } = await send('Profiler.stop');
      return profile;
    },
  };
}
