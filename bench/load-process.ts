// Runs one open-loop load in its own process, so the fakes' work in the bench process cannot delay
// the clock that measures the service. Input: a JSON file path (argv[2]); output: one JSON line.
import { readFileSync } from 'node:fs';
import { runOpenLoop, type RequestSpec } from './load.ts';
import { FORM, signBody } from '../test/fakes/slack-api.ts';

export type LoadJob = { base: string; ratePerSecond: number; durationMs: number; signingSecret: string; bodies: string[] };

const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadJob;
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
console.log(JSON.stringify(summary));
