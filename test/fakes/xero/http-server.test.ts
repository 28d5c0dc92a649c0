// The HTTP fake of Xero against the real Xero adapter, pointed at it only through its settings
// (identityUrl/apiUrl, as XERO_IDENTITY_URL/XERO_API_URL do for `npm start`): a consent walked hop
// by hop with plain fetch, a refresh, checks and a disconnect; then Xero's limits and latency.
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../support/databases.ts';
import { buildAdapter, newKeys, type Harness } from '../../adapters/xero/harness.ts';
import { startFakeXeroServer, type FakeXeroServer } from './http-server.ts';
import { continueToXero } from '../../support/link-pages.ts';

const ADA = { platform: 'slack' as const, userId: 'U_ADA', name: 'Ada' };
const NZ = { tenantId: 'fe79f7dd-b6d4-4a92-ba7b-538af6289c58', tenantName: 'Demo Company (NZ)' };
const ACME = { tenantId: '9c8b7a6d-2222-4333-8444-a55566677788', tenantName: 'Acme Widgets Ltd' };

describe('the HTTP fake of Xero', () => {
  let xero: FakeXeroServer;
  let database: TestDatabase;
  let harness: Harness;
  let service: Server;
  let base: string;
  const keys = newKeys();

  /** GET without a body, POST with one. */
  const control = async (path: string, body?: unknown) => {
    const res = await fetch(`${xero.url}/_fake/${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    return res.json() as Promise<any>;
  };

  beforeAll(async () => {
    xero = await startFakeXeroServer({ recordCalls: true });
    database = await createTestDatabase('sqlite');
    harness = buildAdapter(database.db, xero.fake as never, keys, { settings: { identityUrl: xero.url, apiUrl: xero.url, timeoutMs: 3_000 } });
    const app = express();
    app.use(harness.router);
    service = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(service.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => service.close(resolve));
    await xero.close();
    await database.drop();
  });
  beforeEach(async () => {
    await control('reset', {});
  });

  const hop = (url: string) => fetch(url.replace('https://guard.example.com', base), { redirect: 'manual' });

  async function connectThroughBrowser(user: string, tenants: { tenantId: string; tenantName: string }[]): Promise<string> {
    await control('next-consent', { user: { id: user, name: 'Ada Lovelace', email: 'ada@example.com' }, tenants });
    const link = await harness.issueLink({ purpose: 'connect', actor: ADA });
    if (!link.ok) throw new Error('no link');
    const consentPage = (await continueToXero(link.value.url.replace('https://guard.example.com', base))).toString();
    expect(consentPage.startsWith(`${xero.url}/identity/connect/authorize?`)).toBe(true);
    const back = await hop(consentPage);
    expect(back.status).toBe(302);
    const callback = back.headers.get('location')!;
    expect(callback).toMatch(/^https:\/\/guard\.example\.com\/xero\/callback\?code=/);
    const page = await hop(callback);
    expect(page.status).toBe(200);
    return page.text();
  }

  it('completes a consent, a refresh, checks and a disconnect with the real adapter', async () => {
    const html = await connectThroughBrowser('xero-user-1', [NZ, ACME]);
    expect(html).toContain('Connected: ');
    expect(html).toContain('Demo Company (NZ)');

    const grant = await database.db.grant.findFirstOrThrow({ where: { xeroUserId: 'xero-user-1' } });
    expect(grant).toMatchObject({ xeroUserEmail: 'ada@example.com', xeroUserName: 'Ada Lovelace' });
    expect(grant.authEventId).toBe(xero.fake.connectionsOf('xero-user-1')[0]!.authEventId);
    const [nz, acme] = await Promise.all([NZ, ACME].map((o) => database.db.connection.findUniqueOrThrow({ where: { tenantId: o.tenantId } })));

    // Refresh: due (under 5 minutes left), rotates at the fake, and the new token works.
    await database.db.grant.update({ where: { id: grant.id }, data: { accessTokenExpiresAt: new Date(Date.now() + 60_000) } });
    const refreshed = await harness.adapter.refresher.ensureFresh(grant.id);
    expect(refreshed.ok).toBe(true);
    expect(xero.fake.tokenCalls.map((c) => c.grantType)).toEqual(['authorization_code', 'refresh_token']);

    expect(await harness.adapter.probeConnection(nz!.id, harness.adapter.newCycle())).toMatchObject({ ok: true });
    expect(await harness.adapter.probeConnection(acme!.id, harness.adapter.newCycle())).toMatchObject({ ok: true });

    // Disconnected in Xero (Connected Apps): gone from /connections.
    await control('remove-tenant', { tenantId: ACME.tenantId });
    const gone = await harness.adapter.probeConnection(acme!.id, harness.adapter.newCycle());
    expect(gone).toMatchObject({ ok: false, operation: 'connections' });

    // Still listed but the organisation refuses: 403 AuthenticationUnsuccessful.
    await control('forbid-tenant', { tenantId: NZ.tenantId });
    const forbidden = await harness.adapter.probeConnection(nz!.id, harness.adapter.newCycle());
    expect(forbidden).toMatchObject({ ok: false, httpStatus: 403, xeroError: expect.stringContaining('AuthenticationUnsuccessful') });
    await control('forbid-tenant', { tenantId: NZ.tenantId, forbidden: false });

    // ACME first: already gone at Xero (404 counts), and the grant stays for NZ.
    expect(await harness.adapter.disconnect(acme!.id, ADA)).toEqual({ tenantRemoval: 'already_gone', grantRevocation: 'kept_for_other_connections', tokensErased: false });
    const outcome = await harness.adapter.disconnect(nz!.id, ADA);
    expect(outcome).toEqual({ tenantRemoval: 'removed', grantRevocation: 'revoked', tokensErased: true });
    expect(await control('connections?user=xero-user-1')).toEqual([]);
  });

  it('a revoked grant answers invalid_grant at the token endpoint and 401 on the API', async () => {
    const [seeded] = (await control('seed', { grants: [{ user: 'u-rev', tenants: [NZ] }] })).grants;
    await control('revoke', { tenantId: NZ.tenantId });
    const token = await fetch(`${xero.url}/connect/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${xero.fake.basicCredential()}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: seeded.refreshToken }),
    });
    expect(token.status).toBe(400);
    expect(await token.json()).toEqual({ error: 'invalid_grant' });
    const listed = await fetch(`${xero.url}/connections`, { headers: { authorization: `Bearer ${seeded.accessToken}` } });
    expect(listed.status).toBe(401);
    expect(listed.headers.get('x-appminlimit-remaining')).not.toBeNull();
  });

  it('enforces the per-tenant minute limit: the 61st call in a minute is a 429 minute with Retry-After', async () => {
    const [seeded] = (await control('seed', { grants: [{ user: 'u-lim', tenants: [NZ] }] })).grants;
    const call = () => fetch(`${xero.url}/api.xro/2.0/Organisation`, { headers: { authorization: `Bearer ${seeded.accessToken}`, 'xero-tenant-id': NZ.tenantId, accept: 'application/json' } });
    const remaining: string[] = [];
    for (let i = 0; i < 60; i++) {
      const res = await call();
      expect(res.status).toBe(200);
      remaining.push(res.headers.get('x-minlimit-remaining')!);
      expect(res.headers.get('x-daylimit-remaining')).toBe(String(5000 - i - 1));
      expect(res.headers.get('x-appminlimit-remaining')).toBe(String(10000 - i - 1));
      await res.arrayBuffer();
    }
    expect(remaining.slice(0, 2)).toEqual(['59', '58']);
    expect(remaining.at(-1)).toBe('0');
    const limited = await call();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-rate-limit-problem')).toBe('minute');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);

    // /connections costs no tenant quota and says only how much of the app minute is left
    // (every call that reached the API counts there, the refused one too: 62 so far).
    const listed = await fetch(`${xero.url}/connections`, { headers: { authorization: `Bearer ${seeded.accessToken}` } });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('x-appminlimit-remaining')).toBe('9938');
    expect(listed.headers.get('x-minlimit-remaining')).toBeNull();

    const stats = await control('stats');
    expect(stats.rateLimited).toMatchObject({ total: 1, minute: 1 });
    expect(stats.byRoute).toMatchObject({ organisation: 61, connections: 1 });
  });

  it('the real adapter stays inside the limits the fake enforces: 65 probes of one tenant, 60 reach Xero, no 429', async () => {
    const [seeded] = (await control('seed', { grants: [{ user: 'u-budget', tenants: [NZ] }] })).grants;
    const { adapter } = buildAdapter(database.db, xero.fake as never, keys, { settings: { identityUrl: xero.url, apiUrl: xero.url, timeoutMs: 3_000, maxBudgetWaitMs: 50 } });
    const results = [];
    for (let i = 0; i < 65; i++) results.push(await adapter.gateway.organisation(seeded.accessToken, NZ.tenantId));
    expect(results.filter((r) => r.ok)).toHaveLength(60);
    expect(results.filter((r) => !r.ok && r.error.cause === 'rate_limited')).toHaveLength(5);
    const stats = await control('stats');
    expect(stats.byRoute.organisation).toBe(60);
    expect(stats.rateLimited.total).toBe(0);
  });

  it('enforces 5 concurrent calls per tenant and the app-wide minute (no Retry-After for either)', async () => {
    const [seeded] = (await control('seed', { grants: [{ user: 'u-con', tenants: [NZ] }] })).grants;
    await control('latency', { routes: { organisation: 300 } });
    const call = () => fetch(`${xero.url}/api.xro/2.0/Organisation`, { headers: { authorization: `Bearer ${seeded.accessToken}`, 'xero-tenant-id': NZ.tenantId } });
    const answers = await Promise.all(Array.from({ length: 6 }, call));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const refused = answers.find((a) => a.status === 429)!;
    expect(refused.headers.get('x-rate-limit-problem')).toBe('concurrent');
    expect(refused.headers.get('retry-after')).toBeNull();

    await control('limits', { appMinute: 8 });
    const more = await Promise.all(Array.from({ length: 3 }, () => fetch(`${xero.url}/connections`, { headers: { authorization: `Bearer ${seeded.accessToken}` } })));
    const app = more.find((a) => a.status === 429)!;
    expect(app.headers.get('x-rate-limit-problem')).toBe('appminute');
    expect(app.headers.get('x-appminlimit-remaining')).toBe('0');
    await control('limits', { appMinute: 10_000 });
  });

  it('answers as late as the latency setting says, and times the adapter out when it is past its deadline', async () => {
    const [seeded] = (await control('seed', { grants: [{ user: 'u-lat', tenants: [NZ] }] })).grants;
    await control('latency', { ms: 250 });
    const started = performance.now();
    const res = await fetch(`${xero.url}/connections`, { headers: { authorization: `Bearer ${seeded.accessToken}` } });
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);

    const slow = buildAdapter(database.db, xero.fake as never, keys, { settings: { identityUrl: xero.url, apiUrl: xero.url, timeoutMs: 100 } });
    const listed = await slow.adapter.gateway.connections(seeded.accessToken);
    expect(listed).toMatchObject({ ok: false, error: { timeout: true } });
  });

  it('queues faults per route: a 500 then a normal answer', async () => {
    const [seeded] = (await control('seed', { grants: [{ user: 'u-f', tenants: [NZ] }] })).grants;
    await control('faults', { route: 'connections', fault: { status: 503, rawBody: 'Service Unavailable' }, times: 1 });
    const auth = { authorization: `Bearer ${seeded.accessToken}` };
    expect((await fetch(`${xero.url}/connections`, { headers: auth })).status).toBe(503);
    const ok = await fetch(`${xero.url}/connections`, { headers: auth });
    expect(ok.status).toBe(200);
    expect((await ok.json())[0]).toMatchObject({ tenantId: NZ.tenantId, tenantName: NZ.tenantName, tenantType: 'ORGANISATION', authEventId: seeded.authEventId });
  });

  it('rotates refresh tokens with a 30-minute grace window, and a hanging token endpoint times the adapter out', async () => {
    const [seeded] = (await control('seed', { grants: [{ user: 'u-grace', tenants: [NZ] }] })).grants;
    const refresh = async (token: string) => {
      const res = await fetch(`${xero.url}/connect/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${xero.fake.basicCredential()}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const first = await refresh(seeded.refreshToken);
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(seeded.refreshToken);
    expect(JSON.parse(Buffer.from(first.body.access_token.split('.')[1], 'base64url').toString())).toMatchObject({ authentication_event_id: seeded.authEventId, xero_userid: 'u-grace' });
    // The answer was "lost": the old token still works, and gives the same successor.
    expect((await refresh(seeded.refreshToken)).body.refresh_token).toBe(first.body.refresh_token);
    const realNow = xero.fake.now;
    xero.fake.now = () => realNow() + 31 * 60_000;
    try {
      expect(await refresh(seeded.refreshToken)).toEqual({ status: 400, body: { error: 'invalid_grant' } });
      expect((await refresh(first.body.refresh_token)).status).toBe(200);
    } finally {
      xero.fake.now = realNow;
    }

    await control('faults', { route: 'token', fault: { hang: true } });
    const { adapter } = buildAdapter(database.db, xero.fake as never, keys, { settings: { identityUrl: xero.url, apiUrl: xero.url, timeoutMs: 200 } });
    const hung = await adapter.gateway.refresh(seeded.refreshToken);
    expect(hung).toMatchObject({ ok: false, error: { timeout: true } });
  });

  it('seeds, removes and revokes in bulk through the control API, and refuses a bad request', async () => {
    const { grants } = await control('seed', { connections: 40, minTenants: 1, maxTenants: 5, seed: 2 });
    const tenantIds = grants.flatMap((g: { tenants: { tenantId: string }[] }) => g.tenants.map((t) => t.tenantId));
    expect(tenantIds).toHaveLength(40);
    await control('remove-tenant', { tenantIds: tenantIds.slice(0, 10) });
    expect((await control('stats')).connections).toBe(30);
    const { revoked } = await control('revoke', { tenantIds: tenantIds.slice(10, 20) });
    expect(revoked.length).toBeGreaterThan(0);
    const bad = await fetch(`${xero.url}/_fake/remove-tenant`, { method: 'POST', body: '{}' });
    expect(bad.status).toBe(400);
    expect((await fetch(`${xero.url}/_fake/nothing`)).status).toBe(404);
  });

  it('serves a discovery document that points at itself', async () => {
    const doc = await (await fetch(`${xero.url}/.well-known/openid-configuration`)).json();
    for (const key of ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'revocation_endpoint', 'userinfo_endpoint']) expect(doc[key].startsWith(xero.url)).toBe(true);
    const jwks = await (await fetch(doc.jwks_uri)).json();
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', kid: 'fake-key-1' });
  });
});
