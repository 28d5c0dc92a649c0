import { afterEach, describe, expect, it } from 'vitest';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpApp, finishHttpApp, listen, closeServer } from '../../../src/adapters/http/server.ts';
import { createMetrics } from '../../../src/adapters/observability/metrics.ts';
import { captureLogs } from '../../support/log-capture.ts';

const servers: http.Server[] = [];
afterEach(async () => {
  while (servers.length) await closeServer(servers.pop()!);
});

async function serve(database: boolean, mount?: (app: ReturnType<typeof createHttpApp>, logs: ReturnType<typeof captureLogs>) => void) {
  const logs = captureLogs();
  const metrics = createMetrics();
  const app = createHttpApp({ logger: logs.logger, metrics, health: async () => ({ database }) });
  mount?.(app, logs);
  finishHttpApp(app, logs.logger);
  const server = await listen(app, 0);
  servers.push(server);
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, logs, metrics };
}

describe('the HTTP server', () => {
  it('reports a reachable database on /healthz', async () => {
    const { base } = await serve(true);
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', database: 'reachable' });
  });

  it('answers 503 when the database is unreachable', async () => {
    const { base } = await serve(false);
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unhealthy', database: 'unreachable' });
  });

  it('serves process metrics and request counters in Prometheus format', async () => {
    const { base } = await serve(true);
    await fetch(`${base}/nowhere`);
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const body = await res.text();
    expect(body).toMatch(/^# HELP xero_guard_process_cpu_user_seconds_total/m);
    expect(body).toMatch(/^xero_guard_process_resident_memory_bytes \d+/m);
    expect(body).toContain('xero_guard_http_requests_total{route="other",status="404"} 1');
  });

  it('never writes tokens, secrets or authorization headers to the log', async () => {
    const secrets = {
      bearer: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ',
      refresh: 'refresh-0123456789abcdef0123456789abcdef',
      basic: Buffer.from('client-id:client-secret-value').toString('base64'),
      slack: 'xoxb-123456789-abcdefghijkl',
    };
    const { base, logs } = await serve(true, (app, l) => {
      app.post('/echo', (req, res) => {
        // What a careless handler might log: the whole request and an error carrying the credentials.
        l.logger.info({ req: { headers: req.headers }, refresh_token: secrets.refresh, body: { access_token: secrets.bearer } }, 'request received');
        l.logger.error({ err: new Error(`token request failed with Authorization: Basic ${secrets.basic}`) }, 'xero said no');
        l.logger.warn(`calling with ${secrets.slack} and https://guard.example/xero/connect?t=link-token-123456`);
        res.json({ ok: true });
      });
    });
    const res = await fetch(`${base}/echo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secrets.bearer}`, 'x-slack-signature': 'v0=abcdef', cookie: 'session=secret-cookie' },
    });
    expect(res.status).toBe(200);
    const text = logs.text();
    expect(text).toContain('request received');
    expect(text).toContain('xero said no');
    for (const secret of [...Object.values(secrets), 'v0=abcdef', 'secret-cookie', 'link-token-123456']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });
});
