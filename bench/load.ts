// An open-loop load generator: starts requests at a fixed rate whatever the answers do, so a slow
// server shows up as latency instead of as a lower request rate (no coordinated omission).
import http from 'node:http';
import { summarise, type LatencySummary } from './stats.ts';

export type RequestSpec = { path: string; headers: Record<string, string>; body: string };

export async function runOpenLoop(options: {
  base: string;
  ratePerSecond: number;
  durationMs: number;
  makeRequest: (index: number) => RequestSpec;
}): Promise<LatencySummary & { latencies: number[] }> {
  const url = new URL(options.base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const latencies: number[] = [];
  let errors = 0;
  const total = Math.round((options.ratePerSecond * options.durationMs) / 1000);
  const interval = 1000 / options.ratePerSecond;
  const started = performance.now();
  // BENCH_LOAD_SLOW_MS: each request slower than this is named on stderr (index, when it was due).
  const slowMs = process.env.BENCH_LOAD_SLOW_MS ? Number(process.env.BENCH_LOAD_SLOW_MS) : undefined;
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const spec = options.makeRequest(i);
    inFlight.push(
      send(agent, url, spec).then(
        (status) => {
          // Measured from when the request was due, not when it happened to be sent.
          const ms = performance.now() - due;
          latencies.push(ms);
          if (status !== 200) errors++;
          if (slowMs !== undefined && ms > slowMs) console.error(JSON.stringify({ slow: i, atMs: Math.round(due - started), ms: Math.round(ms), status }));
        },
        () => {
          errors++;
        },
      ),
    );
  }
  await Promise.all(inFlight);
  agent.destroy();
  return { ...summarise(latencies, errors), latencies };
}

function send(agent: http.Agent, base: URL, spec: RequestSpec): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: base.hostname, port: base.port, path: spec.path, method: 'POST', headers: { ...spec.headers, 'content-length': Buffer.byteLength(spec.body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end(spec.body);
  });
}
