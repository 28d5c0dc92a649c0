// The Xero fake as a real HTTP server on 127.0.0.1, for the service run as a child process
// (`npm start` with XERO_IDENTITY_URL and XERO_API_URL set to `server.url`) and for benchmarks.
// One origin serves Xero's identity host, its login page and its API host (their paths do not
// overlap), plus a JSON control API under /_fake/ that mirrors the core's methods:
//
//   POST /_fake/next-consent   {user: "id" | {id,name?,email?}, tenants: [{tenantId, tenantName}]} | {deny: "access_denied"}
//   POST /_fake/users          {id, name?, email?}
//   POST /_fake/seed           {grants: [{user, tenants}], expiresInSec?}          → {grants: SeededGrant[]}
//                              {connections, minTenants?, maxTenants?, seed?, prefix?, expiresInSec?}
//   POST /_fake/revoke         {user | users | tenantId | tenantIds}  (refresh → invalid_grant, access tokens → 401)
//   POST /_fake/remove-tenant  {tenantId | tenantIds}  (disconnected in Xero: gone from /connections)
//   POST /_fake/forbid-tenant  {tenantId | tenantIds, forbidden?: boolean}  (Organisation → 403 AuthenticationUnsuccessful)
//   POST /_fake/organisation-status {tenantId, status}
//   POST /_fake/latency        {ms?, jitterMs?, routes?: {token: 2000, organisation: 500, ...}}
//   POST /_fake/faults         {route, faults: Fault[]} | {route, fault: Fault, times?} | {route, fault, probability}
//   DELETE /_fake/faults
//   POST /_fake/limits         {enforce?, minute?, day?, concurrent?, appMinute?}
//   GET  /_fake/connections?user=ID
//   GET  /_fake/stats          POST /_fake/stats/reset          POST /_fake/reset
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROUTES, XeroFakeCore, json, type CoreOptions, type Fault, type FakeResponse, type Limits, type PlannedConsent, type Route, type SeedGrant } from './core.ts';

export type FakeXeroServer = {
  /** The one origin, e.g. http://127.0.0.1:40123; use it as XERO_IDENTITY_URL and XERO_API_URL. */
  url: string;
  port: number;
  fake: XeroFakeCore;
  /** The settings the service takes (env names of src/config.ts). */
  env: { XERO_IDENTITY_URL: string; XERO_API_URL: string; XERO_CLIENT_ID: string; XERO_CLIENT_SECRET: string };
  close(): Promise<void>;
};

const MAX_BODY = 64 * 1024 * 1024;

export async function startFakeXeroServer(options: { port?: number; host?: string } & Omit<CoreOptions, 'urls'> = {}): Promise<FakeXeroServer> {
  const host = options.host ?? '127.0.0.1';
  let fake: XeroFakeCore | undefined;
  const server = http.createServer((req, res) => {
    if (!fake) {
      res.writeHead(503).end();
      return;
    }
    void serve(fake, req, res);
  });
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 35_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  fake = await XeroFakeCore.create({
    ...options,
    urls: { identity: url, api: url, authorize: `${url}/identity/connect/authorize` },
    recordCalls: options.recordCalls ?? false,
  });
  return {
    url,
    port,
    fake,
    env: { XERO_IDENTITY_URL: url, XERO_API_URL: url, XERO_CLIENT_ID: fake.clientId, XERO_CLIENT_SECRET: fake.clientSecret },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(fake: XeroFakeCore, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  try {
    const body = await readBody(req);
    const path = req.url ?? '/';
    let answer: FakeResponse;
    if (path.startsWith('/_fake/')) answer = control(fake, req.method ?? 'GET', new URL(path, 'http://fake'), body);
    else {
      const hungUp = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) hungUp.abort();
      });
      answer = await fake.handle({ method: req.method ?? 'GET', path, headers: req.headers, body, signal: hungUp.signal });
    }
    if (res.destroyed) return;
    res.writeHead(answer.status, answer.headers);
    res.end(answer.status === 204 ? undefined : answer.body);
  } catch (error) {
    if (res.headersSent || res.destroyed) return;
    const status = error instanceof BadRequest ? 400 : 500;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String((error as Error).message ?? error) }));
  }
}

class BadRequest extends Error {}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) reject(new BadRequest('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function control(fake: XeroFakeCore, method: string, url: URL, raw: string): FakeResponse {
  const body = parse(raw);
  const key = `${method} ${url.pathname.replace(/\/+$/, '')}`;
  switch (key) {
    case 'GET /_fake/stats':
      return json(200, fake.stats());
    case 'POST /_fake/stats/reset':
      fake.resetStats();
      return json(200, { ok: true });
    case 'POST /_fake/reset':
      fake.reset();
      return json(200, { ok: true });
    case 'POST /_fake/users': {
      const user = fake.user(str(body.id, 'id'), optStr(body.name), optStr(body.email));
      return json(200, user);
    }
    case 'POST /_fake/next-consent':
      fake.planConsent(body as PlannedConsent);
      return json(200, { planned: fake.plannedConsents.length });
    case 'POST /_fake/seed': {
      const grants = Array.isArray(body.grants)
        ? fake.seed(body.grants as SeedGrant[], { expiresInSec: optNum(body.expiresInSec) })
        : fake.seedMany({
            connections: num(body.connections, 'connections'),
            minTenants: optNum(body.minTenants),
            maxTenants: optNum(body.maxTenants),
            seed: optNum(body.seed),
            prefix: optStr(body.prefix),
            expiresInSec: optNum(body.expiresInSec),
          });
      return json(200, { grants });
    }
    case 'POST /_fake/revoke': {
      const users = new Set<string>();
      if (typeof body.user === 'string') users.add(body.user);
      for (const u of strings(body.users)) users.add(u);
      for (const t of tenants(body)) for (const u of fake.usersOfTenant(t)) users.add(u);
      if (users.size === 0) throw new BadRequest('user, users, tenantId or tenantIds is required');
      for (const u of users) fake.revokeGrant(u);
      return json(200, { revoked: [...users] });
    }
    case 'POST /_fake/remove-tenant':
      for (const t of tenants(body)) fake.removeInXero(t);
      return json(200, { ok: true });
    case 'POST /_fake/forbid-tenant':
      for (const t of tenants(body)) fake.forbidTenant(t, body.forbidden !== false);
      return json(200, { ok: true });
    case 'POST /_fake/organisation-status':
      fake.organisationStatus.set(str(body.tenantId, 'tenantId'), str(body.status, 'status'));
      return json(200, { ok: true });
    case 'POST /_fake/latency':
      fake.setLatency({ ms: optNum(body.ms), jitterMs: optNum(body.jitterMs), routes: (body.routes ?? {}) as Partial<Record<Route, number>> });
      return json(200, fake.latency);
    case 'POST /_fake/faults': {
      const route = str(body.route, 'route') as Route;
      if (!ROUTES.includes(route)) throw new BadRequest(`route must be one of ${ROUTES.join(', ')}`);
      if (Array.isArray(body.faults)) fake.fail(route, ...(body.faults as Fault[]));
      else if (typeof body.probability === 'number') fake.failSometimes(route, body.probability, body.fault as Fault);
      else fake.fail(route, ...Array.from({ length: optNum(body.times) ?? 1 }, () => body.fault as Fault));
      return json(200, { pending: fake.pendingFaults(route) });
    }
    case 'DELETE /_fake/faults':
      fake.clearFaults();
      return json(200, { ok: true });
    case 'POST /_fake/limits':
      fake.setLimits(body as Partial<Limits>);
      return json(200, fake.limits);
    case 'GET /_fake/connections':
      return json(200, fake.connectionsOf(str(url.searchParams.get('user'), 'user')));
    default:
      return json(404, { error: `no control endpoint ${key}` });
  }
}

function parse(raw: string): Record<string, unknown> {
  if (!raw) return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (v && typeof v === 'object') return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new BadRequest('the control API takes a JSON object');
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new BadRequest(`${name} is required`);
  return v;
}

function num(v: unknown, name: string): number {
  if (typeof v !== 'number') throw new BadRequest(`${name} must be a number`);
  return v;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length > 0) : [];
}

/** `tenantId` or `tenantIds` (mass revocation in one call); at least one. */
function tenants(body: Record<string, unknown>): string[] {
  const list = [...(typeof body.tenantId === 'string' && body.tenantId ? [body.tenantId] : []), ...strings(body.tenantIds)];
  if (list.length === 0 && body.user === undefined && body.users === undefined) throw new BadRequest('tenantId or tenantIds is required');
  return list;
}

function optStr(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function optNum(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}
