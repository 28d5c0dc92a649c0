// The read API over real HTTP on a real database: bearer keys (plain and stored hashed; wrong,
// missing, revoked and malformed get the same bare 401), the answers checked against the OpenAPI
// document the service serves (ajv, JSON Schema 2020-12), and no token or secret in any answer.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiRouter } from '../../../src/adapters/http/api.ts';
import { getConnection, listConnections } from '../../../src/handlers/read-api.ts';
import { ADMIN, aConnection, aGrant, anAlertChannel, checkNowAsScheduler, createMonitorHarness, slackContext, type MonitorHarness } from '../../builders/monitor.ts';

const KEY = 'k'.repeat(8) + 'live-key-0123456789abcdefghijklmnop';
const HASHED_KEY = 'hashed-key-0123456789abcdefghijklmnopqrstuv';
const REVOKED_KEY = 'revoked-key-0123456789abcdefghijklmnopqrstu';

let h: MonitorHarness;
let server: http.Server;
let base: string;
const ids: Record<string, { id: string; tenantId: string }> = {};

beforeAll(async () => {
  h = await createMonitorHarness('sqlite');
  await anAlertChannel(h.store, 'slack');
  const grant = await aGrant(h.store);
  for (const name of ['Broken Ltd', 'Healthy Ltd', 'Paused Ltd', 'Restored Ltd']) ids[name] = await aConnection(h.store, { tenantName: name, grantId: grant.id });
  h.xero.fail(ids['Broken Ltd']!.id, 'access_lost', { httpStatus: 403, xeroError: 'AuthenticationUnsuccessful' });
  h.xero.fail(ids['Restored Ltd']!.id, 'token_revoked', { httpStatus: 400, xeroError: 'invalid_grant' });
  for (const name of Object.keys(ids)) await checkNowAsScheduler(h, ids[name]!.id);
  h.clock.advance(10 * 60_000);
  h.xero.heal(ids['Restored Ltd']!.id);
  await checkNowAsScheduler(h, ids['Restored Ltd']!.id);
  expect((await h.handlers.runCommand(ADMIN, 'pause paused', slackContext)).ok).toBe(true);

  const app = express();
  app.use(
    createApiRouter({
      keys: [
        { name: 'billing', sha256: createHash('sha256').update(KEY).digest() },
        { name: 'ledger', sha256: createHash('sha256').update(HASHED_KEY).digest() },
        { name: 'old', sha256: createHash('sha256').update(REVOKED_KEY).digest() },
      ],
      revoked: ['old'],
      listConnections: () => listConnections(h.deps),
      getConnection: (tenantId) => getConnection(h.deps, tenantId),
    }),
  );
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await h?.close();
});

const get = (path: string, key?: string, scheme = 'Bearer') => fetch(`${base}${path}`, key === undefined ? {} : { headers: { authorization: `${scheme} ${key}` } });

/** Validates a real answer against the schema the served document gives for that path and status. */
async function validator(path: string, status: string) {
  const doc = (await (await get('/api/v1/openapi.json')).json()) as Record<string, any>;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: 'https://xero-guard.test/openapi.json', components: doc.components });
  const response = doc.paths[path].get.responses[status];
  const content = (response.$ref ? doc.components.responses[response.$ref.split('/').pop()] : response).content['application/json'].schema;
  const validate = ajv.getSchema(`https://xero-guard.test/openapi.json${content.$ref}`)!;
  return (body: unknown) => {
    const ok = validate(body);
    if (!ok) throw new Error(`answer does not match the OpenAPI document: ${ajv.errorsText(validate.errors)}`);
    return true;
  };
}

describe('read API', () => {
  it('serves an OpenAPI 3.1 document without a key', async () => {
    const res = await get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(['/api/v1/connections', '/api/v1/connections/{tenantId}']);
  });

  it.each([
    ['no key', undefined, 'Bearer'],
    ['a wrong key', 'not-the-key-0123456789abcdefghijklmnopq', 'Bearer'],
    ['a revoked key', REVOKED_KEY, 'Bearer'],
    ['a right key in the wrong scheme', KEY, 'Basic'],
    ['the stored digest instead of the key', createHash('sha256').update(HASHED_KEY).digest('hex'), 'Bearer'],
  ])('a request with %s gets 401 and nothing else', async (_what, key, scheme) => {
    const check401 = await validator('/api/v1/connections', '401');
    for (const path of ['/api/v1/connections', `/api/v1/connections/${ids['Broken Ltd']!.tenantId}`, '/api/v1/connections/unknown', '/api/v1/anything']) {
      const res = await get(path, key, scheme);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      const body = await res.json();
      expect(body).toEqual({ error: 'unauthorized' });
      expect(check401(body)).toBe(true);
    }
  });

  it('lists every connection, each answer as the document says, with no token or secret', async () => {
    const check = await validator('/api/v1/connections', '200');
    for (const key of [KEY, HASHED_KEY]) {
      const res = await get('/api/v1/connections', key);
      expect(res.status).toBe(200);
      const text = await res.text();
      const body = JSON.parse(text) as { connections: { organisation: { name: string }; state: string; paused: boolean }[] };
      expect(check(body)).toBe(true);
      expect(body.connections.map((c) => [c.organisation.name, c.state, c.paused])).toEqual([
        ['Broken Ltd', 'broken', false],
        ['Healthy Ltd', 'connected', false],
        ['Paused Ltd', 'paused', true],
        ['Restored Ltd', 'connected', false],
      ]);
      for (const secret of ['not-a-real-envelope', KEY, HASHED_KEY, 'grantId', 'Enc"']) expect(text).not.toContain(secret);
    }
  });

  it('answers one connection by tenant id: state, cause, since, last good check, open incident, sync-from', async () => {
    const check = await validator('/api/v1/connections/{tenantId}', '200');
    const broken = await (await get(`/api/v1/connections/${ids['Broken Ltd']!.tenantId}`, KEY)).json();
    expect(check(broken)).toBe(true);
    const incident = (await h.store.incidents.findOpen(ids['Broken Ltd']!.id))!;
    const row = (await h.store.connections.get(ids['Broken Ltd']!.id))!;
    expect(broken).toEqual({
      connectionId: row.id,
      organisation: { tenantId: row.tenantId, name: 'Broken Ltd' },
      state: 'broken',
      since: row.stateSince.toISOString(),
      paused: false,
      cause: { code: 'access_lost', summary: expect.any(String), description: expect.stringContaining('lost access') },
      lastCheckAt: row.lastCheckAt!.toISOString(),
      lastGoodCheckAt: row.lastGoodCheckAt!.toISOString(),
      openIncident: { id: incident.id, status: 'open', cause: expect.objectContaining({ code: 'access_lost' }), openedAt: incident.openedAt.toISOString(), brokenSince: incident.brokenSince.toISOString(), reconnectRequestedAt: null, resolvedAt: null },
      syncFrom: null,
    });
    const restored = (await (await get(`/api/v1/connections/${ids['Restored Ltd']!.tenantId}`, KEY)).json()) as Record<string, unknown>;
    expect(check(restored)).toBe(true);
    const resolved = await h.store.db.incident.findFirst({ where: { connectionId: ids['Restored Ltd']!.id } });
    expect(restored).toMatchObject({ state: 'connected', cause: null, openIncident: null, syncFrom: resolved!.brokenSince.toISOString() });
  });

  it('an unknown tenant id is 404 for a key holder', async () => {
    const check = await validator('/api/v1/connections/{tenantId}', '404');
    const res = await get('/api/v1/connections/no-such-tenant', KEY);
    expect(res.status).toBe(404);
    expect(check(await res.json())).toBe(true);
  });
});
