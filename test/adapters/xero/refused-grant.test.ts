// A refresh token Xero refused (invalid_grant) is never offered to Xero again: later checks answer
// from what we know (the grant waits for a reconnect) without a single call, and the reconnect's new
// tokens bring the grant back to normal checks. The Xero fake runs on nock and records every call.
import type { Server } from 'node:http';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../support/databases.ts';
import { FakeXero, interceptXeroOnly, ORGS, resetNock } from './fake-xero.ts';
import { buildAdapter, newKeys, seedGrant, type Harness } from './harness.ts';
import { continueToXero } from '../../support/link-pages.ts';

const ADA = { platform: 'slack' as const, userId: 'U_ADA', name: 'Ada' };
const expired = () => new Date(Date.now() - 60_000);

describe.each(DIALECTS)('a grant Xero refused, on %s', (dialect) => {
  let database: TestDatabase;
  let fake: FakeXero;
  let harness: Harness;
  let server: Server;
  let base: string;
  const keys = newKeys();

  beforeEach(async () => {
    interceptXeroOnly();
    fake = await FakeXero.start();
    database = await createTestDatabase(dialect);
    // A generous timeout: a lost answer would be retried and blur the count of calls asserted here.
    harness = buildAdapter(database.db, fake, keys, { settings: { timeoutMs: 10_000 } });
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

  const xeroCalls = () => fake.tokenCalls.length + fake.apiCalls.length;

  it('is not sent to Xero again at later checks, for any of its organisations, until a reconnect', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'xero-user-1', [ORGS.demoNz, ORGS.acme], { accessExpiresAt: expired() });
    fake.revokeAllTokens('xero-user-1');
    const [nz, acme] = seeded.connectionIds as [string, string];

    const first = await harness.adapter.probeConnection(nz, harness.adapter.newCycle());
    expect(first).toMatchObject({ ok: false, cause: 'token_revoked', operation: 'refresh', httpStatus: 400, xeroError: 'invalid_grant' });
    expect(fake.tokenCalls).toHaveLength(1);
    const grant = await database.db.grant.findUniqueOrThrow({ where: { id: seeded.grantId } });
    expect(grant.refusedAt).not.toBeNull();

    // Every later check, of either organisation, in new cycles, and a forced refresh: no call at all.
    const calls = xeroCalls();
    for (let i = 0; i < 3; i += 1) {
      for (const id of [nz, acme]) {
        const again = await harness.adapter.probeConnection(id, harness.adapter.newCycle());
        expect(again).toMatchObject({ ok: false, cause: 'token_revoked', operation: 'refresh' });
      }
    }
    expect((await harness.adapter.refresher.ensureFresh(seeded.grantId, { force: true })).ok).toBe(false);
    expect(xeroCalls()).toBe(calls);
    // Each check still leaves its row in the connection log (/xero errors shows the cause).
    expect(await database.db.connectionLog.count({ where: { connectionId: nz, kind: 'check', cause: 'token_revoked' } })).toBe(4);

    // The connector reconnects: new tokens, and checks go to Xero again and succeed.
    const link = await harness.issueLink({ purpose: 'reconnect', actor: ADA, connectionId: nz });
    expect(link.ok).toBe(true);
    const consentUrl = await continueToXero((link.ok ? link.value.url : '').replace('https://guard.example.com', base));
    const code = fake.approve(consentUrl, 'xero-user-1', [ORGS.demoNz, ORGS.acme]);
    const callback = await fetch(`${base}/xero/callback?code=${code}&state=${consentUrl.searchParams.get('state')}`, { redirect: 'manual' });
    expect(callback.status).toBe(200);
    expect((await database.db.grant.findUniqueOrThrow({ where: { id: seeded.grantId } })).refusedAt).toBeNull();

    const before = xeroCalls();
    expect((await harness.adapter.probeConnection(nz, harness.adapter.newCycle())).ok).toBe(true);
    expect((await harness.adapter.probeConnection(acme, harness.adapter.newCycle())).ok).toBe(true);
    expect(xeroCalls()).toBeGreaterThan(before);
  });

  it('a refusal of tokens a reconnect already replaced does not mark the new tokens refused', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'xero-user-1', [ORGS.demoNz], { accessExpiresAt: expired() });
    fake.revokeAllTokens('xero-user-1');
    // The refresh is answered (invalid_grant) only after a new consent has replaced the tokens.
    fake.fail('token', { thenProcess: true, delayMs: 200 });
    const refusing = harness.adapter.refresher.ensureFresh(seeded.grantId);
    // Waits for the request to reach Xero (a few database round trips first), not for the clock.
    for (let i = 0; i < 400 && fake.tokenCalls.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(fake.tokenCalls).toHaveLength(1);
    await database.db.grant.update({ where: { id: seeded.grantId }, data: { version: { increment: 1 } } });
    await refusing;
    expect((await database.db.grant.findUniqueOrThrow({ where: { id: seeded.grantId } })).refusedAt).toBeNull();
  });
});
