import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { createHttpApp, finishHttpApp, listen, closeServer } from '../../../src/adapters/http/server.ts';
import { createMetrics } from '../../../src/adapters/observability/metrics.ts';
import { captureLogs } from '../../support/log-capture.ts';

const servers: http.Server[] = [];
afterEach(async () => {
  while (servers.length) await closeServer(servers.pop()!);
});

async function serve(
  database: boolean,
  mount?: (app: ReturnType<typeof createHttpApp>, logs: ReturnType<typeof captureLogs>) => void,
  metricsToken?: string,
) {
  const logs = captureLogs();
  const metrics = createMetrics();
  const app = createHttpApp({ logger: logs.logger, metrics, health: async () => ({ database }), ...(metricsToken ? { metricsToken } : {}) });
  mount?.(app, logs);
  finishHttpApp(app, logs.logger);
  const server = await listen(app, 0);
  servers.push(server);
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, logs, metrics, server };
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

  it('serves the standard process and Node.js series under their usual names, and its own counters', async () => {
    const { base } = await serve(true);
    await fetch(`${base}/nowhere`);
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const body = await res.text();
    // The names stock dashboards (Node.js exporter dashboards for prom-client) query.
    expect(body).toMatch(/^# TYPE process_cpu_seconds_total counter$/m);
    expect(body).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(body).toMatch(/^process_start_time_seconds \d+/m);
    expect(body).toMatch(/^nodejs_eventloop_lag_seconds [\d.e-]+$/m);
    expect(body).toMatch(/^nodejs_heap_size_used_bytes \d+/m);
    expect(body).toMatch(/^nodejs_version_info\{/m);
    expect(body).not.toMatch(/^xero_guard_(process|nodejs)_/m);
    expect(body).toContain('xero_guard_http_requests_total{route="other",status="404"} 1');
  });

  it('answers /metrics only with the bearer token when METRICS_TOKEN is set', async () => {
    const token = 'metrics-token-0123456789abcdef';
    const { base } = await serve(true, undefined, token);
    const without = await fetch(`${base}/metrics`);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await without.text()).not.toContain('process_cpu');
    for (const authorization of [`Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, `Basic ${token}`, token]) {
      expect((await fetch(`${base}/metrics`, { headers: { authorization } })).status).toBe(401);
    }
    const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^process_cpu_seconds_total /m);
    // Health stays open: load balancers probe it without credentials.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('keeps idle connections open longer than a load balancer does (65 s), with header timeout above it', async () => {
    const { base, server } = await serve(true);
    const headers = await new Promise<http.IncomingHttpHeaders>((resolve, reject) => {
      http.get(`${base}/healthz`, { agent: new http.Agent({ keepAlive: true }) }, (res) => {
        res.resume();
        resolve(res.headers);
      }).on('error', reject);
    });
    expect(headers.connection).toBe('keep-alive');
    expect(headers['keep-alive']).toBe('timeout=65');
    expect(server.keepAliveTimeout).toBe(65_000);
    expect(server.headersTimeout).toBeGreaterThan(server.keepAliveTimeout);
  });

  it('stops promptly even with a keep-alive connection open', async () => {
    const { base, server } = await serve(true);
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => http.get(`${base}/healthz`, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject));
    const started = Date.now();
    await closeServer(server);
    servers.splice(servers.indexOf(server), 1);
    expect(Date.now() - started).toBeLessThan(1_000);
    agent.destroy();
  });

  it('sends X-Content-Type-Options: nosniff on pages, JSON answers, metrics and 404s', async () => {
    const { base } = await serve(true);
    for (const path of ['/', '/privacy', '/terms', '/healthz', '/metrics', '/nowhere']) {
      const res = await fetch(`${base}${path}`);
      await res.arrayBuffer();
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
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
