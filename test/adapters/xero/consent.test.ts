// The connect and reconnect flows through HTTP, as a browser walks them: the link's page (GET,
// uses nothing), "Continue to Xero" (a form POST) to Xero's consent page with state, nonce and
// PKCE, and the callback (a real signed id_token, checked against the JWKS the fake discovery
// document names, carrying our nonce; the code redeemed only with our verifier).
import type { Server } from 'node:http';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTokenCipher, keyIdOf } from '../../../src/adapters/xero/token-cipher.ts';
import { hashSecret } from '../../../src/handlers/oauth/issue-link.ts';
import type { ConsentRefused, FreshLinkRequest } from '../../../src/handlers/ports.ts';
import { createTestDatabase, type TestDatabase } from '../../support/databases.ts';
import { formOf, submit } from '../../support/link-pages.ts';
import { FakeXero, interceptXeroOnly, ORGS, resetNock } from './fake-xero.ts';
import { buildAdapter, leaked, newKeys, seedGrant, type Harness } from './harness.ts';

const ADA = { platform: 'slack' as const, userId: 'U_ADA', name: 'Ada' };

describe('OAuth consent over HTTP', () => {
  let database: TestDatabase;
  let fake: FakeXero;
  let harness: Harness;
  let server: Server;
  let base: string;
  let fresh: FreshLinkRequest[];
  let refused: ConsentRefused[];
  const keys = newKeys();

  beforeEach(async () => {
    interceptXeroOnly();
    fake = await FakeXero.start();
    database = await createTestDatabase('sqlite');
    fresh = [];
    refused = [];
    // A loaded machine signs and checks RS256 tokens slowly: no fault here needs a short timeout.
    harness = buildAdapter(database.db, fake, keys, {
      settings: { timeoutMs: 5_000 },
      followUps: {
        freshLink: async (request) => {
          fresh.push(request);
          return { ok: true };
        },
        refused: async (event) => {
          refused.push(event);
        },
      },
    });
    const app = express();
    app.use(harness.router);
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
  const get = (path: string, method = 'GET') => fetch(path.startsWith('http') ? path : `${base}${path}`, { redirect: 'manual', method });

  async function issue(input: { purpose: 'connect' } | { purpose: 'reconnect'; connectionId: string; connectionIds?: string[]; incidentId?: string }): Promise<string> {
    const link = await harness.issueLink({ ...input, actor: ADA } as Parameters<typeof harness.issueLink>[0]);
    if (!link.ok) throw new Error(link.error.code);
    return localUrl(link.value.url);
  }

  /** Opens the link's page and presses its button: Xero's consent URL. */
  async function continueAt(link: string): Promise<URL> {
    const page = await get(link);
    const html = await page.text();
    expect(page.status, html).toBe(200);
    const res = await submit(base, formOf(html)!);
    expect(res.status).toBe(303);
    return new URL(res.headers.get('location')!);
  }

  async function callback(consentUrl: URL, code: string): Promise<{ status: number; html: string; url: string }> {
    const url = `/xero/callback?code=${code}&scope=openid&state=${consentUrl.searchParams.get('state')}`;
    const res = await get(url);
    return { status: res.status, html: await res.text(), url };
  }

  const connectionStates = async () => Object.fromEntries((await database.db.connection.findMany()).map((c) => [c.tenantName, c.state]));

  it('connects: page, Continue, consent with PKCE and nonce, callback; stores grant and connection', async () => {
    const link = await issue({ purpose: 'connect' });
    expect(link).toMatch(/\/xero\/connect\?t=[A-Za-z0-9_-]{40,}$/);

    const page = await get(link);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(html).toContain('Connect Xero organisations');
    expect(html).toContain('Xero Guard');
    expect(formOf(html)).toMatchObject({ action: '/xero/connect', label: 'Continue to Xero' });

    const consentUrl = await continueAt(link);
    expect(consentUrl.origin + consentUrl.pathname).toBe('https://login.xero.com/identity/connect/authorize');
    expect(consentUrl.searchParams.get('client_id')).toBe(fake.clientId);
    expect(consentUrl.searchParams.get('redirect_uri')).toBe('https://guard.example.com/xero/callback');
    expect(consentUrl.searchParams.get('scope')).toContain('offline_access');
    expect(consentUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(consentUrl.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(consentUrl.searchParams.get('nonce')!.length).toBeGreaterThanOrEqual(16);

    fake.user('xero-user-1', 'Ada Lovelace', 'ada@example.com');
    const code = fake.approve(consentUrl, 'xero-user-1', [ORGS.demoNz]);
    const res = await callback(consentUrl, code);
    expect(res.status).toBe(200);
    expect(res.html).toContain('Connected: Demo Company (NZ)');
    // No alert channel yet: the page says so and how to choose one.
    expect(res.html).toContain('No alert channel is chosen yet');
    expect(res.html).toContain('/xero here');

    const grant = await database.db.grant.findFirstOrThrow();
    expect(grant).toMatchObject({ xeroUserId: 'xero-user-1', xeroUserEmail: 'ada@example.com', xeroUserName: 'Ada Lovelace' });
    const connection = await database.db.connection.findFirstOrThrow();
    expect(connection).toMatchObject({ tenantId: ORGS.demoNz.tenantId, grantId: grant.id, state: 'connected', connectedByUserId: 'U_ADA', xeroUserId: 'xero-user-1' });
    expect(harness.bound).toEqual([expect.objectContaining({ purpose: 'connect', actor: ADA, connections: [expect.objectContaining({ id: connection.id, created: true })] })]);
    expect((await harness.adapter.probeConnection(connection.id, harness.adapter.newCycle())).ok).toBe(true);

    // The link did its job: its page now offers a fresh one instead.
    const after = await get(link);
    expect(after.status).toBe(410);
    expect(formOf(await after.text())?.label).toBe('Send me a fresh link');

    const cipher = createTokenCipher(keys);
    const stored = [grant.accessTokenEnc!, grant.refreshTokenEnc!].map((e) => cipher.decrypt(e)).map((r) => (r.ok ? r.value : ''));
    expect(leaked(harness.logs, [...stored, fake.clientSecret, fake.basicCredential(), code, consentUrl.searchParams.get('state')!])).toEqual([]);
  });

  it('a GET, a HEAD and a link scanner burn nothing; only Continue starts a consent', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'xero-user-1', [ORGS.demoNz]);
    const link = await issue({ purpose: 'reconnect', connectionId: seeded.connectionIds[0]! });
    for (let i = 0; i < 3; i++) expect((await get(link)).status).toBe(200);
    expect((await get(link, 'HEAD')).status).toBe(200);
    // A chat unfurl or scanner: another user agent, no cookies, same GET.
    const unfurl = await fetch(link, { headers: { 'user-agent': 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' } });
    const html = await unfurl.text();
    expect(html).toContain('Reconnect Demo Company (NZ)');
    expect(await database.db.consentAttempt.count()).toBe(0);
    expect((await database.db.linkToken.findFirstOrThrow()).usedAt).toBeNull();

    const consentUrl = await continueAt(link);
    const res = await callback(consentUrl, fake.approve(consentUrl, 'xero-user-1', [ORGS.demoNz]));
    expect(res.status).toBe(200);
    expect(res.html).toContain('Reconnected: Demo Company (NZ)');
  });

  it('refuses a code from another consent: PKCE and nonce bind each code to its own link', async () => {
    await seedGrant(database.db, fake, keys, 'xero-user-1', [ORGS.demoNz]);
    const first = await continueAt(await issue({ purpose: 'connect' }));
    const secondLink = await issue({ purpose: 'connect' });
    const second = await continueAt(secondLink);
    const codeOfFirst = fake.approve(first, 'xero-user-1', [ORGS.acme]);
    const before = await database.db.grant.findFirstOrThrow();

    // The first consent's code arriving with the second consent's state.
    const res = await callback(second, codeOfFirst);
    expect(res.status).toBe(400);
    expect(res.html).toContain('Xero did not accept this sign-in');
    expect(await database.db.connection.count()).toBe(1);
    expect((await database.db.grant.findFirstOrThrow()).refreshTokenEnc).toBe(before.refreshTokenEnc);
    expect(harness.bound).toEqual([]);

    // Nor does a code minted without any challenge (straight at the token endpoint's door).
    const third = await continueAt(secondLink);
    const bare = fake.consent('xero-user-1', [ORGS.acme], 'https://guard.example.com/xero/callback');
    const unbound = await callback(third, bare);
    expect(unbound.status).toBe(400);
    expect(harness.bound).toEqual([]);

    // The second link still works with its own code.
    const fourth = await continueAt(secondLink);
    expect((await callback(fourth, fake.approve(fourth, 'xero-user-1', [ORGS.acme]))).status).toBe(200);
    expect(harness.bound).toHaveLength(1);
  });

  it('wrong organisation: refused, the link stays usable, the page retries at Xero, a reload shows the same result', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'xero-user-1', [ORGS.demoNz]);
    const connectionId = seeded.connectionIds[0]!;
    await database.db.connection.update({ where: { id: connectionId }, data: { state: 'broken' } });
    const link = await issue({ purpose: 'reconnect', connectionId });

    const consentUrl = await continueAt(link);
    const wrong = await callback(consentUrl, fake.approve(consentUrl, 'xero-user-1', [ORGS.acme]));
    expect(wrong.status).toBe(409);
    expect(wrong.html).toContain('You ticked Acme Widgets Ltd at Xero, but this link reconnects Demo Company (NZ)');
    expect((await connectionStates())['Demo Company (NZ)']).toBe('broken');
    expect(harness.bound).toEqual([]);
    const row = await database.db.connectionLog.findFirstOrThrow({ where: { connectionId, kind: 'oauth' } });
    expect(row).toMatchObject({ outcome: 'failure', actorId: 'U_ADA' });
    // Acme, unknown to us, does not stay connected to the app at Xero with tokens nobody holds.
    expect(fake.connectionsOf('xero-user-1').map((c) => c.tenantId)).toEqual([ORGS.demoNz.tenantId]);

    // Reload: the same page, not a red "already used".
    const reload = await get(wrong.url);
    expect(reload.status).toBe(409);
    expect(await reload.text()).toBe(wrong.html);

    // The link still opens, and the result page's button goes to Xero again.
    expect((await get(link)).status).toBe(200);
    const retryForm = formOf(wrong.html)!;
    expect(retryForm).toMatchObject({ action: '/xero/connect', field: 's', label: 'Try again at Xero' });
    const retry = await submit(base, retryForm);
    expect(retry.status).toBe(303);
    const again = new URL(retry.headers.get('location')!);
    const ok = await callback(again, fake.approve(again, 'xero-user-1', [ORGS.demoNz]));
    expect(ok.status).toBe(200);
    expect(ok.html).toContain('Reconnected: Demo Company (NZ)');
    expect((await connectionStates())['Demo Company (NZ)']).toBe('connected');

    // Reloading the success page shows the success again.
    const reloaded = await get(ok.url);
    expect(reloaded.status).toBe(200);
    expect(await reloaded.text()).toContain('Reconnected: Demo Company (NZ)');
  });

  it('one consent repairs three organisations of one connector, and lists what it did not', async () => {
    const orgs = [ORGS.demoNz, ORGS.demoAu, ORGS.acme];
    const seeded = await seedGrant(database.db, fake, keys, 'xero-user-1', orgs);
    await database.db.connection.updateMany({ data: { state: 'broken' } });
    const [a, b, c] = seeded.connectionIds as [string, string, string];
    const link = await issue({ purpose: 'reconnect', connectionId: a, connectionIds: [b, c] });
    const page = await (await get(link)).text();
    expect(page).toContain('Reconnect Demo Company (NZ), Demo Company (AU) and Acme Widgets Ltd');

    // Two of three ticked: both reconnect; the page names the third; the link keeps working for it.
    const first = await continueAt(link);
    const partial = await callback(first, fake.approve(first, 'xero-user-1', [ORGS.demoNz, ORGS.demoAu]));
    expect(partial.status).toBe(200);
    expect(partial.html).toContain('Reconnected: Demo Company (NZ) and Demo Company (AU)');
    expect(partial.html).toContain('Not reconnected: Acme Widgets Ltd (not ticked at Xero)');
    expect(await connectionStates()).toEqual({ 'Demo Company (NZ)': 'connected', 'Demo Company (AU)': 'connected', 'Acme Widgets Ltd': 'broken' });
    expect(harness.bound[0]!.connections.map((x) => x.tenantName).sort()).toEqual(['Demo Company (AU)', 'Demo Company (NZ)']);
    expect(await (await get(link)).text()).toContain('Reconnect Acme Widgets Ltd');

    // All three ticked in one consent.
    const second = await continueAt(link);
    const all = await callback(second, fake.approve(second, 'xero-user-1', orgs));
    expect(all.html).toContain('Reconnected: Demo Company (NZ), Demo Company (AU) and Acme Widgets Ltd');
    expect(Object.values(await connectionStates())).toEqual(['connected', 'connected', 'connected']);
    expect(harness.bound[1]!.connections).toHaveLength(3);
    expect((await get(link)).status).toBe(410);
  });

  it('a used or expired link offers one fresh link by direct message to the same person, once', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'xero-user-1', [ORGS.demoNz]);
    const link = await issue({ purpose: 'reconnect', connectionId: seeded.connectionIds[0]!, incidentId: 'incident-1' });
    const t = new URL(link).searchParams.get('t')!;
    await database.db.linkToken.update({ where: { tokenHash: hashSecret(t) }, data: { expiresAt: new Date(Date.now() - 1_000) } });

    const page = await get(link);
    const html = await page.text();
    expect(page.status).toBe(410);
    expect(html).toContain('This link has expired');
    const form = formOf(html)!;
    expect(form).toMatchObject({ action: '/xero/link/fresh', label: 'Send me a fresh link' });
    // Continue on an expired link changes nothing and says the same.
    expect((await submit(base, { ...form, action: '/xero/connect' })).status).toBe(410);

    const sent = await submit(base, form);
    expect(sent.status).toBe(200);
    expect(await sent.text()).toContain('A fresh link is on its way');
    expect(fresh).toEqual([{ purpose: 'reconnect', actor: ADA, connectionIds: seeded.connectionIds, incidentId: 'incident-1' }]);
    const twice = await submit(base, form);
    expect(await twice.text()).toContain('already on its way');
    expect(fresh).toHaveLength(1);
  });

  describe('Xero refusing at the callback: a plain page, and the admins are told', () => {
    async function refusedWith(query: (state: string) => string) {
      const link = await issue({ purpose: 'connect' });
      const consentUrl = await continueAt(link);
      const res = await get(`/xero/callback?${query(consentUrl.searchParams.get('state')!)}`);
      return { link, status: res.status, html: await res.text() };
    }

    it('the app at its connection cap', async () => {
      const r = await refusedWith((s) => `error=access_denied&error_description=${encodeURIComponent('The maximum number of connections for this app has been reached')}&state=${s}`);
      expect(r.status).toBe(400);
      expect(r.html).toContain('Xero would not add the organisation');
      expect(r.html).toContain('pricing tier');
      expect(r.html).toContain('The admins were told in chat.');
      expect(r.html).not.toMatch(/access_denied|\b400\b/);
      expect(refused).toEqual([expect.objectContaining({ reason: 'connection_cap', purpose: 'connect', actor: ADA })]);
      // The link is not used up: its page still continues to Xero.
      expect((await get(r.link)).status).toBe(200);
      expect(formOf(r.html)?.label).toBe('Try again at Xero');
    });

    it('a cancel (access_denied)', async () => {
      const r = await refusedWith((s) => `error=access_denied&state=${s}`);
      expect(r.html).toContain('Access was not allowed at Xero');
      expect(refused.map((e) => e.reason)).toEqual(['declined']);
      expect(await database.db.grant.count()).toBe(0);
    });

    it('a failed code exchange', async () => {
      const r = await refusedWith((s) => `code=not-a-code&state=${s}`);
      expect(r.html).toContain('Xero did not accept this sign-in');
      expect(refused.map((e) => e.reason)).toEqual(['code_refused']);
    });

    it('an id_token that does not verify', async () => {
      fake.user('xero-user-1');
      const link = await issue({ purpose: 'connect' });
      const consentUrl = await continueAt(link);
      const code = fake.approve(consentUrl, 'xero-user-1', [ORGS.demoNz]);
      const forged = await FakeXero.start(); // another key pair; its interceptors are shadowed by ours
      forged.user('xero-user-1');
      const tokens = await forged['issue']('xero-user-1', 'evt', true, 1800, consentUrl.searchParams.get('nonce')!);
      fake.fail('token', { status: 200, body: tokens });
      const res = await callback(consentUrl, code);
      expect(res.status).toBe(400);
      expect(res.html).toContain('could not be verified');
      expect(await database.db.grant.count()).toBe(0);
    });
  });

  describe('bad links and states change nothing', () => {
    it.each([
      ['a missing t', '/xero/connect', 400],
      ['an unknown t', '/xero/connect?t=not-a-real-token', 404],
    ])('refuses %s', async (_name, path, status) => {
      const res = await get(path);
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('cache-control')).toBe('no-store');
    });

    it('refuses a missing, unknown or expired state', async () => {
      const link = await issue({ purpose: 'connect' });
      const consentUrl = await continueAt(link);
      expect((await get(`/xero/callback?code=abc`)).status).toBe(400);
      expect((await get(`/xero/callback?code=abc&state=forged`)).status).toBe(400);
      await database.db.consentAttempt.update({ where: { stateHash: hashSecret(consentUrl.searchParams.get('state')!) }, data: { expiresAt: new Date(Date.now() - 1) } });
      const late = await callback(consentUrl, fake.approve(consentUrl, 'xero-user-1', [ORGS.demoNz]));
      expect(late.status).toBe(400);
      expect(late.html).toContain('took too long');
      // The link is still live: the page's button goes to Xero again.
      expect(formOf(late.html)?.label).toBe('Try again at Xero');
      expect(await database.db.grant.count()).toBe(0);
      expect(harness.bound).toEqual([]);
    });
  });

  it('stores tokens encrypted with the configured key', async () => {
    fake.user('xero-user-1');
    const consentUrl = await continueAt(await issue({ purpose: 'connect' }));
    await callback(consentUrl, fake.approve(consentUrl, 'xero-user-1', [ORGS.demoNz]));
    const grant = await database.db.grant.findFirstOrThrow();
    expect(grant.refreshTokenEnc!.startsWith(`v1.${keyIdOf(keys[0]!.key)}.`)).toBe(true);
    const plain = createTokenCipher(keys).decrypt(grant.refreshTokenEnc!);
    expect(plain.ok && plain.value.startsWith('rt')).toBe(true);
  });
});
