// Runs the Xero fake by hand: `npx tsx test/fakes/xero/run.ts --port 4010 [--latency 2000]
// [--no-limits] [--seed 1000]`. Prints the settings to give the service, then serves until Ctrl-C.
import { parseArgs } from 'node:util';
import { startFakeXeroServer } from './http-server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4010' },
    host: { type: 'string', default: '127.0.0.1' },
    latency: { type: 'string' },
    'no-limits': { type: 'boolean', default: false },
    seed: { type: 'string' },
    'record-calls': { type: 'boolean', default: false },
  },
});

const server = await startFakeXeroServer({
  port: Number(values.port),
  host: values.host,
  limits: values['no-limits'] ? { enforce: false } : undefined,
  recordCalls: values['record-calls'],
});
if (values.latency) server.fake.setLatency({ ms: Number(values.latency) });
if (values.seed) {
  const grants = server.fake.seedMany({ connections: Number(values.seed) });
  console.log(`seeded ${values.seed} connections over ${grants.length} users (POST /_fake/seed returns their tokens)`);
}
console.log(`Xero fake on ${server.url}`);
for (const [k, v] of Object.entries(server.env)) console.log(`${k}=${v}`);
console.log(`plan the next consent: curl -XPOST ${server.url}/_fake/next-consent -d '{"user":"u1","tenants":[{"tenantId":"t1","tenantName":"Demo"}]}'`);
console.log(`stats: curl ${server.url}/_fake/stats`);

const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
