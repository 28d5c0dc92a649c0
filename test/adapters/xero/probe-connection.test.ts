import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../support/databases.ts';
import { FakeXero, interceptXeroOnly, ORGS, resetNock } from './fake-xero.ts';
import { buildAdapter, leaked, newKeys, seedGrant } from './harness.ts';

const expired = () => new Date(Date.now() - 1_000);

describe('probeConnection', () => {
  let database: TestDatabase;
  let fake: FakeXero;
  const keys = newKeys();

  beforeEach(async () => {
    interceptXeroOnly();
    fake = await FakeXero.start();
    database = await createTestDatabase('sqlite');
  });
  afterEach(async () => {
    resetNock();
    await database.drop();
  });

  const logRows = (connectionId: string) => database.db.connectionLog.findMany({ where: { connectionId }, orderBy: { id: 'asc' } });

  it('says ok for a connected tenant and writes an ok log row', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz]);
    const { adapter } = buildAdapter(database.db, fake, keys);
    const outcome = await adapter.probeConnection(seeded.connectionIds[0]!, adapter.newCycle());
    expect(outcome).toEqual({ ok: true, connectionId: seeded.connectionIds[0], tenantName: 'Demo Company (NZ)', probed: true });
    const rows = await logRows(seeded.connectionIds[0]!);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'check', outcome: 'ok', tenantId: ORGS.demoNz.tenantId });
  });

  it('shares one GET /connections (and one refresh) among all tenants of a grant in a cycle', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz, ORGS.demoAu, ORGS.acme], { accessExpiresAt: expired() });
    const { adapter } = buildAdapter(database.db, fake, keys);
    const cycle = adapter.newCycle();
    const outcomes = await Promise.all(seeded.connectionIds.map((id) => adapter.probeConnection(id, cycle)));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(fake.apiCalls.filter((c) => c.route === 'connections')).toHaveLength(1);
    expect(fake.apiCalls.filter((c) => c.route === 'organisation').map((c) => c.tenantId).sort()).toEqual(
      [ORGS.demoNz.tenantId, ORGS.demoAu.tenantId, ORGS.acme.tenantId].sort(),
    );
    expect(fake.tokenCalls).toHaveLength(1);
    // A new cycle lists again.
    await adapter.probeConnection(seeded.connectionIds[0]!, adapter.newCycle());
    expect(fake.apiCalls.filter((c) => c.route === 'connections')).toHaveLength(2);
  });

  it('reports app_disconnected_in_xero when the tenant is missing from GET /connections', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz, ORGS.acme]);
    fake.removeInXero(ORGS.demoNz.tenantId);
    const { adapter } = buildAdapter(database.db, fake, keys);
    const cycle = adapter.newCycle();
    const gone = await adapter.probeConnection(seeded.connectionIds[0]!, cycle);
    const still = await adapter.probeConnection(seeded.connectionIds[1]!, cycle);
    expect(gone).toMatchObject({ ok: false, cause: 'app_disconnected_in_xero', operation: 'connections' });
    expect(still.ok).toBe(true);
    expect((await logRows(seeded.connectionIds[0]!))[0]).toMatchObject({ outcome: 'failure', cause: 'app_disconnected_in_xero', operation: 'connections' });
  });

  it('reports access_lost on 403 AuthenticationUnsuccessful while the tenant is listed', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz]);
    fake.fail('organisation', { status: 403, body: { Type: null, Title: 'Forbidden', Status: 403, Detail: 'AuthenticationUnsuccessful', Instance: 'x', Extensions: {} } });
    const { adapter } = buildAdapter(database.db, fake, keys);
    const outcome = await adapter.probeConnection(seeded.connectionIds[0]!, adapter.newCycle());
    expect(outcome).toMatchObject({ ok: false, cause: 'access_lost', operation: 'organisation', httpStatus: 403, xeroError: 'AuthenticationUnsuccessful' });
    expect((await logRows(seeded.connectionIds[0]!))[0]).toMatchObject({ httpStatus: 403, xeroError: 'AuthenticationUnsuccessful', cause: 'access_lost' });
  });

  it('reports access_lost when the organisation is no longer ACTIVE', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz]);
    fake.organisationStatus.set(ORGS.demoNz.tenantId, 'SUSPENDED');
    const { adapter } = buildAdapter(database.db, fake, keys);
    const outcome = await adapter.probeConnection(seeded.connectionIds[0]!, adapter.newCycle());
    expect(outcome).toMatchObject({ ok: false, cause: 'access_lost', operation: 'organisation' });
  });

  it('reports permission_missing on 401 with WWW-Authenticate insufficient_scope', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz]);
    fake.fail('organisation', {
      status: 401,
      body: { Type: null, Title: 'Unauthorized', Status: 401, Detail: 'AuthorizationUnsuccessful', Instance: 'x', Extensions: {} },
      headers: { 'www-authenticate': 'Bearer error="insufficient_scope"' },
    });
    const { adapter } = buildAdapter(database.db, fake, keys);
    const outcome = await adapter.probeConnection(seeded.connectionIds[0]!, adapter.newCycle());
    expect(outcome).toMatchObject({ ok: false, cause: 'permission_missing', httpStatus: 401 });
  });

  it('refreshes and retries once after 401 TokenExpired, then succeeds', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz]);
    fake.fail('organisation', { status: 401, body: { Type: null, Title: 'Unauthorized', Status: 401, Detail: 'TokenExpired: token expired at 09/24/2021 08:23:47', Instance: 'x', Extensions: {} } });
    const { adapter } = buildAdapter(database.db, fake, keys);
    const outcome = await adapter.probeConnection(seeded.connectionIds[0]!, adapter.newCycle());
    expect(outcome.ok).toBe(true);
    expect(fake.tokenCalls).toHaveLength(1);
  });

  it('reports token_revoked when the refresh gets invalid_grant', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz], { accessExpiresAt: expired() });
    fake.revokeAllTokens('user-1');
    const { adapter } = buildAdapter(database.db, fake, keys);
    const outcome = await adapter.probeConnection(seeded.connectionIds[0]!, adapter.newCycle());
    expect(outcome).toMatchObject({ ok: false, cause: 'token_revoked', operation: 'refresh', httpStatus: 400, xeroError: 'invalid_grant' });
    expect(fake.apiCalls).toHaveLength(0);
  });

  it('reports rate_limited with Retry-After and the limit Xero names, and pauses the tenant', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz]);
    fake.fail('organisation', { status: 429, body: {}, headers: { 'retry-after': '30', 'x-rate-limit-problem': 'minute', 'x-minlimit-remaining': '0', 'x-daylimit-remaining': '4000' } });
    const { adapter, logs } = buildAdapter(database.db, fake, keys);
    const outcome = await adapter.probeConnection(seeded.connectionIds[0]!, adapter.newCycle());
    expect(outcome).toMatchObject({ ok: false, cause: 'rate_limited', operation: 'organisation', httpStatus: 429, retryAfterMs: 30_000 });
    expect(adapter.budget.snapshot(ORGS.demoNz.tenantId).blockedForMs).toBeGreaterThan(25_000);
    // While paused, the next check does not call Xero for that tenant at all.
    const probes = () => fake.apiCalls.filter((c) => c.route === 'organisation').length;
    const before = probes();
    const again = await adapter.probeConnection(seeded.connectionIds[0]!, adapter.newCycle());
    expect(again).toMatchObject({ ok: false, cause: 'rate_limited' });
    expect(probes()).toBe(before);
    const row = (await logRows(seeded.connectionIds[0]!))[0]!;
    expect(row).toMatchObject({ cause: 'rate_limited', httpStatus: 429 });
    expect(row.detail).toBe('retry after 30000 ms (limit: minute)');
    expect(logs.join('')).toContain('rate_limited');
  });

  it('waits out a short Retry-After and tries once more', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz]);
    fake.fail('connections', { status: 429, body: {}, headers: { 'retry-after': '1', 'x-rate-limit-problem': 'appminute' } });
    const { adapter } = buildAdapter(database.db, fake, keys);
    const outcome = await adapter.probeConnection(seeded.connectionIds[0]!, adapter.newCycle());
    expect(outcome.ok).toBe(true);
    expect(fake.apiCalls.filter((c) => c.route === 'connections')).toHaveLength(2);
  });

  it.each([
    ['a 500', { status: 500, body: { Title: 'Internal Server Error', Status: 500, Detail: 'An error occurred' } }, 500],
    ['a timeout', { delayMs: 1_500, thenProcess: true }, undefined],
    ['malformed JSON', { status: 200, rawBody: '{"Organisations": [' }, 200],
  ])('treats %s on the tenant probe as xero_unavailable', async (_name, fault, status) => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz]);
    fake.fail('organisation', fault);
    const { adapter } = buildAdapter(database.db, fake, keys);
    const outcome = await adapter.probeConnection(seeded.connectionIds[0]!, adapter.newCycle());
    expect(outcome).toMatchObject({ ok: false, cause: 'xero_unavailable', operation: 'organisation' });
    expect(outcome.ok === false && outcome.httpStatus).toBe(status);
  });

  it('treats malformed JSON from GET /connections as xero_unavailable, not as a missing tenant', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz]);
    fake.fail('connections', { status: 200, rawBody: '[{"id":' });
    const { adapter } = buildAdapter(database.db, fake, keys);
    const outcome = await adapter.probeConnection(seeded.connectionIds[0]!, adapter.newCycle());
    expect(outcome).toMatchObject({ ok: false, cause: 'xero_unavailable', operation: 'connections', xeroError: 'malformed response' });
  });

  it('never writes a token or the client credentials into logs or log rows', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz], { accessExpiresAt: expired() });
    fake.fail('token', { status: 400, body: { error: 'invalid_client' } });
    const { adapter, logs } = buildAdapter(database.db, fake, keys);
    await adapter.probeConnection(seeded.connectionIds[0]!, adapter.newCycle());
    fake.fail('organisation', { status: 403, body: { Detail: 'AuthenticationUnsuccessful' } });
    await adapter.probeConnection(seeded.connectionIds[0]!, adapter.newCycle());
    const rows = JSON.stringify(await database.db.connectionLog.findMany());
    const secrets = [seeded.accessToken, seeded.refreshToken, fake.clientSecret, fake.basicCredential()];
    expect(leaked(logs, secrets)).toEqual([]);
    expect(leaked([rows], secrets)).toEqual([]);
  });
});
