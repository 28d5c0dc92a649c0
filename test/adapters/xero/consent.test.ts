// The connect and reconnect flows through HTTP, as a browser walks them: the single-use link,
// the redirect to Xero's consent page, and the callback (a real signed id_token, checked against
// the JWKS the fake discovery document names).
import type { Server } from 'node:http';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTokenCipher, keyIdOf } from '../../../src/adapters/xero/token-cipher.ts';
import { hashSecret } from '../../../src/handlers/oauth/issue-link.ts';
import { createTestDatabase, type TestDatabase } from '../../support/databases.ts';
import { FakeXero, interceptXeroOnly, ORGS, resetNock } from './fake-xero.ts';
import { buildAdapter, leaked, newKeys, seedGrant, type Harness } from './harness.ts';

const ADA = { platform: 'slack' as const, userId: 'U_ADA', name: 'Ada' };

describe('OAuth consent over HTTP', () => {
  let database: TestDatabase;
  let fake: FakeXero;
  let harness: Harness;
  let server: Server;
  let base: string;
  const keys = newKeys();

  beforeEach(async () => {
    interceptXeroOnly();
    fake = await FakeXero.start();
    database = await createTestDatabase('sqlite');
    harness = buildAdapter(database.db, fake, keys);
    const app = express();
    app.use(harness.adapter.router);
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    resetNock();
    await database.drop();
  });

  const localUrl = (publicUrl: string) => publicUrl.replace('https://guard.example.com', base);
  const get = (path: string) => fetch(path.startsWith('http') ? path : `${base}${path}`, { redirect: 'manual' });

  /** Follows a link to Xero's consent page and returns the state Xero would echo back. */
  async function toConsentPage(linkUrl: string): Promise<{ state: string; consentUrl: URL }> {
    const res = await get(localUrl(linkUrl));
    expect(res.status).toBe(302);
    const consentUrl = new URL(res.headers.get('location')!);
    return { state: consentUrl.searchParams.get('state')!, consentUrl };
  }

  it('connects: link, consent page, callback; stores grant and connection and says what was connected', async () => {
    const link = await harness.adapter.issueLink({ purpose: 'connect', actor: ADA });
    expect(link.ok).toBe(true);
    if (!link.ok) return;
    expect(link.value.url).toMatch(/^https:\/\/guard\.example\.com\/xero\/connect\?t=[A-Za-z0-9_-]{40,}$/);
    expect(link.value.expiresAt.getTime() - Date.now()).toBeGreaterThan(29 * 60_000);

    const { state, consentUrl } = await toConsentPage(link.value.url);
    expect(consentUrl.origin + consentUrl.pathname).toBe('https://login.xero.com/identity/connect/authorize');
    expect(consentUrl.searchParams.get('client_id')).toBe(fake.clientId);
    expect(consentUrl.searchParams.get('redirect_uri')).toBe('https://guard.example.com/xero/callback');
    expect(consentUrl.searchParams.get('scope')).toContain('offline_access');

    fake.user('xero-user-1', 'Ada Lovelace', 'ada@example.com');
    const code = fake.consent('xero-user-1', [ORGS.demoNz]);
    const res = await get(`/xero/callback?code=${code}&scope=openid&state=${state}`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('Connected: Demo Company (NZ)');
    expect(html).toContain('You may close this window');

    const grant = await database.db.grant.findFirstOrThrow();
    expect(grant).toMatchObject({ xeroUserId: 'xero-user-1', xeroUserEmail: 'ada@example.com', xeroUserName: 'Ada Lovelace' });
    expect(grant.authEventId).toBe(fake.connectionsOf('xero-user-1')[0]!.authEventId);
    const connection = await database.db.connection.findFirstOrThrow();
    expect(connection).toMatchObject({
      tenantId: ORGS.demoNz.tenantId,
      tenantName: 'Demo Company (NZ)',
      grantId: grant.id,
      state: 'connected',
      connectedByPlatform: 'slack',
      connectedByUserId: 'U_ADA',
      xeroUserId: 'xero-user-1',
      xeroConnectionId: fake.connectionsOf('xero-user-1')[0]!.id,
    });
    expect(harness.bound).toEqual([
      expect.objectContaining({ purpose: 'connect', actor: ADA, connections: [expect.objectContaining({ id: connection.id, tenantName: 'Demo Company (NZ)', created: true })] }),
    ]);
    // The tokens work: the first check after connecting is ok.
    expect((await harness.adapter.checkConnection(connection.id, harness.adapter.newCycle())).ok).toBe(true);
    const cipher = createTokenCipher(keys);
    const stored = [grant.accessTokenEnc!, grant.refreshTokenEnc!].map((e) => cipher.decrypt(e)).map((r) => (r.ok ? r.value : ''));
    expect(leaked(harness.logs, [...stored, fake.clientSecret, fake.basicCredential(), code, state])).toEqual([]);
  });

  it('binds only the organisations this consent authorised (authentication_event_id)', async () => {
    // The same Xero user connected Acme earlier (another grant row of ours holds it).
    await seedGrant(database.db, fake, keys, 'xero-user-1', [ORGS.acme]);
    const link = await harness.adapter.issueLink({ purpose: 'connect', actor: ADA });
    const { state } = await toConsentPage(link.ok ? link.value.url : '');
    const code = fake.consent('xero-user-1', [ORGS.demoNz, ORGS.demoAu]);
    const res = await get(`/xero/callback?code=${code}&state=${state}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Demo Company (NZ)');
    expect(html).toContain('Demo Company (AU)');
    expect(html).not.toContain('Acme');
    expect(harness.bound[0]!.connections.map((c) => c.tenantName).sort()).toEqual(['Demo Company (AU)', 'Demo Company (NZ)']);
    // One grant per Xero user: the new consent's tokens replaced the old ones on the same row.
    expect(await database.db.grant.count()).toBe(1);
    expect(await database.db.connection.count()).toBe(3);
  });

  it('reconnects the same organisation and restores the connection with its settings', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'xero-user-1', [ORGS.demoNz]);
    const connectionId = seeded.connectionIds[0]!;
    const syncFrom = new Date('2026-01-02T03:04:05Z');
    await database.db.connection.update({ where: { id: connectionId }, data: { state: 'broken', syncFrom } });
    fake.revokeAllTokens('xero-user-1');
    fake.removeInXero(ORGS.demoNz.tenantId);

    const link = await harness.adapter.issueLink({ purpose: 'reconnect', actor: ADA, connectionId, incidentId: 'incident-1' });
    const { state } = await toConsentPage(link.ok ? link.value.url : '');
    const code = fake.consent('xero-user-1', [ORGS.demoNz]);
    const res = await get(`/xero/callback?code=${code}&state=${state}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Reconnected: Demo Company (NZ)');

    const connection = await database.db.connection.findUniqueOrThrow({ where: { id: connectionId } });
    expect(connection).toMatchObject({ state: 'connected', syncFrom, grantId: seeded.grantId });
    expect(harness.bound[0]).toMatchObject({ purpose: 'reconnect', incidentId: 'incident-1', reconnectedConnectionId: connectionId });
    const rows = await database.db.connectionLog.findMany({ where: { connectionId } });
    expect(rows.map((r) => [r.kind, r.outcome, r.fromState, r.toState])).toEqual(
      expect.arrayContaining([['oauth', 'ok', null, null], ['state', 'info', 'broken', 'connected']]),
    );
    expect((await harness.adapter.checkConnection(connectionId, harness.adapter.newCycle())).ok).toBe(true);
  });

  it('refuses a reconnect to a different organisation, with a clear page and a log row, and binds nothing', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'xero-user-1', [ORGS.demoNz]);
    const connectionId = seeded.connectionIds[0]!;
    await database.db.connection.update({ where: { id: connectionId }, data: { state: 'broken' } });
    const before = await database.db.grant.findUniqueOrThrow({ where: { id: seeded.grantId } });

    const link = await harness.adapter.issueLink({ purpose: 'reconnect', actor: ADA, connectionId });
    const { state } = await toConsentPage(link.ok ? link.value.url : '');
    const code = fake.consent('xero-user-1', [ORGS.acme]);
    const res = await get(`/xero/callback?code=${code}&state=${state}`);
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(html).toContain('You authorised Acme Widgets Ltd, but this link reconnects Demo Company (NZ)');

    const after = await database.db.grant.findUniqueOrThrow({ where: { id: seeded.grantId } });
    expect(after.version).toBe(before.version);
    expect(after.refreshTokenEnc).toBe(before.refreshTokenEnc);
    expect((await database.db.connection.findUniqueOrThrow({ where: { id: connectionId } })).state).toBe('broken');
    expect(await database.db.connection.count()).toBe(1);
    expect(harness.bound).toEqual([]);
    const row = await database.db.connectionLog.findFirstOrThrow({ where: { connectionId, kind: 'oauth' } });
    expect(row).toMatchObject({ outcome: 'failure', actorId: 'U_ADA' });
    expect(row.detail).toContain('expected Demo Company (NZ)');
    // Acme, unknown to us, does not stay connected to the app at Xero with tokens nobody holds.
    expect(fake.connectionsOf('xero-user-1').map((c) => c.tenantId)).toEqual([ORGS.demoNz.tenantId]);
  });

  describe('bad links, states and codes give a 400 page and change nothing', () => {
    async function snapshot() {
      return JSON.stringify([await database.db.grant.findMany(), await database.db.connection.findMany()]);
    }

    it.each([
      ['a missing t', '/xero/connect'],
      ['an unknown t', '/xero/connect?t=not-a-real-token'],
    ])('refuses %s', async (_name, path) => {
      const res = await get(path);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('cache-control')).toBe('no-store');
    });

    it('refuses a reused link', async () => {
      const link = await harness.adapter.issueLink({ purpose: 'connect', actor: ADA });
      await toConsentPage(link.ok ? link.value.url : '');
      const again = await get(localUrl(link.ok ? link.value.url : ''));
      expect(again.status).toBe(400);
      expect(await again.text()).toContain('already used');
    });

    it('refuses an expired link', async () => {
      const link = await harness.adapter.issueLink({ purpose: 'connect', actor: ADA });
      const t = new URL(link.ok ? link.value.url : '').searchParams.get('t')!;
      await database.db.linkToken.update({ where: { tokenHash: hashSecret(t) }, data: { expiresAt: new Date(Date.now() - 1_000) } });
      const res = await get(localUrl(link.ok ? link.value.url : ''));
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('expired');
    });

    it('refuses a missing, unknown, reused or expired state, and a bad or missing code', async () => {
      fake.user('xero-user-1');
      const link = await harness.adapter.issueLink({ purpose: 'connect', actor: ADA });
      const { state } = await toConsentPage(link.ok ? link.value.url : '');
      const before = await snapshot();

      expect((await get(`/xero/callback?code=abc`)).status).toBe(400);
      expect((await get(`/xero/callback?code=abc&state=forged`)).status).toBe(400);

      // A wrong code: Xero answers invalid_grant. The state is spent; nothing is stored.
      const bad = await get(`/xero/callback?code=not-a-code&state=${state}`);
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain('Xero refused this sign-in');
      // Reusing that state, even with a good code now, is refused.
      const code = fake.consent('xero-user-1', [ORGS.demoNz]);
      const reused = await get(`/xero/callback?code=${code}&state=${state}`);
      expect(reused.status).toBe(400);
      expect(await reused.text()).toContain('already completed');

      // Missing code and an expired state on fresh links.
      const link2 = await harness.adapter.issueLink({ purpose: 'connect', actor: ADA });
      const second = await toConsentPage(link2.ok ? link2.value.url : '');
      expect((await get(`/xero/callback?state=${second.state}`)).status).toBe(400);
      const link3 = await harness.adapter.issueLink({ purpose: 'connect', actor: ADA });
      const third = await toConsentPage(link3.ok ? link3.value.url : '');
      await database.db.linkToken.update({ where: { stateHash: hashSecret(third.state) }, data: { stateExpiresAt: new Date(Date.now() - 1) } });
      const late = await get(`/xero/callback?code=${code}&state=${third.state}`);
      expect(late.status).toBe(400);
      expect(await late.text()).toContain('took too long');

      expect(await snapshot()).toBe(before);
      expect(harness.bound).toEqual([]);
    });

    it('shows a cancelled page when the person declines at Xero', async () => {
      const link = await harness.adapter.issueLink({ purpose: 'connect', actor: ADA });
      const { state } = await toConsentPage(link.ok ? link.value.url : '');
      const res = await get(`/xero/callback?error=access_denied&state=${state}`);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('cancelled');
      expect(await database.db.grant.count()).toBe(0);
    });

    it('refuses an id_token that does not verify against the JWKS', async () => {
      fake.user('xero-user-1');
      const link = await harness.adapter.issueLink({ purpose: 'connect', actor: ADA });
      const { state } = await toConsentPage(link.ok ? link.value.url : '');
      const code = fake.consent('xero-user-1', [ORGS.demoNz]);
      // The token endpoint's answer carries an id_token signed by someone else.
      const forged = await FakeXero.start(); // another key pair; its interceptors are shadowed by ours
      forged.user('xero-user-1');
      const tokens = await forged['issue']('xero-user-1', 'evt', true);
      fake.fail('token', { status: 200, body: tokens });
      const res = await get(`/xero/callback?code=${code}&state=${state}`);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('could not be verified');
      expect(await database.db.grant.count()).toBe(0);
    });
  });

  it('stores tokens encrypted with the configured key', async () => {
    fake.user('xero-user-1');
    const link = await harness.adapter.issueLink({ purpose: 'connect', actor: ADA });
    const { state } = await toConsentPage(link.ok ? link.value.url : '');
    const code = fake.consent('xero-user-1', [ORGS.demoNz]);
    await get(`/xero/callback?code=${code}&state=${state}`);
    const grant = await database.db.grant.findFirstOrThrow();
    expect(grant.refreshTokenEnc!.startsWith(`v1.${keyIdOf(keys[0]!.key)}.`)).toBe(true);
    const plain = createTokenCipher(keys).decrypt(grant.refreshTokenEnc!);
    expect(plain.ok && plain.value.startsWith('rt')).toBe(true);
  });
});
