import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../support/databases.ts';
import { FakeXero, interceptXeroOnly, ORGS, resetNock } from './fake-xero.ts';
import { buildAdapter, newKeys, seedGrant } from './harness.ts';

const ADA = { platform: 'slack' as const, userId: 'U_ADA', name: 'Ada' };

describe('disconnect', () => {
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

  it('removes the tenant at Xero, revokes the grant, erases the tokens and keeps the settings', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz]);
    const connectionId = seeded.connectionIds[0]!;
    const syncFrom = new Date('2026-03-01T00:00:00Z');
    await database.db.connection.update({ where: { id: connectionId }, data: { syncFrom } });
    const { adapter } = buildAdapter(database.db, fake, keys);

    const outcome = await adapter.disconnect(connectionId, ADA);

    expect(outcome).toEqual({ tenantRemoval: 'removed', grantRevocation: 'revoked', tokensErased: true });
    expect(fake.connectionsOf('user-1')).toEqual([]);
    const grant = await database.db.grant.findUniqueOrThrow({ where: { id: seeded.grantId } });
    expect(grant).toMatchObject({ accessTokenEnc: null, refreshTokenEnc: null, previousRefreshTokenEnc: null });
    expect(grant.revokedAt).not.toBeNull();
    const connection = await database.db.connection.findUniqueOrThrow({ where: { id: connectionId } });
    expect(connection).toMatchObject({ grantId: null, syncFrom, connectedByUserId: 'U_ADA', tenantName: 'Demo Company (NZ)' });
    const row = await database.db.connectionLog.findFirstOrThrow({ where: { connectionId, kind: 'disconnect' } });
    expect(row).toMatchObject({ outcome: 'ok', actorId: 'U_ADA', detail: 'tenant removed; grant revoked; tokens erased' });
  });

  it('counts 404 from DELETE /connections as already gone', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz]);
    fake.fail('delete', { status: 404, rawBody: '' });
    const { adapter } = buildAdapter(database.db, fake, keys);
    const outcome = await adapter.disconnect(seeded.connectionIds[0]!, ADA);
    expect(outcome).toMatchObject({ tenantRemoval: 'already_gone', grantRevocation: 'revoked', tokensErased: true });
  });

  it('keeps the grant for the other organisations that use it', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz, ORGS.acme]);
    const { adapter } = buildAdapter(database.db, fake, keys);
    const outcome = await adapter.disconnect(seeded.connectionIds[0]!, ADA);
    expect(outcome).toEqual({ tenantRemoval: 'removed', grantRevocation: 'kept_for_other_connections', tokensErased: false });
    expect(fake.connectionsOf('user-1').map((c) => c.tenantId)).toEqual([ORGS.acme.tenantId]);
    expect((await database.db.grant.findUniqueOrThrow({ where: { id: seeded.grantId } })).refreshTokenEnc).not.toBeNull();
    // Acme still works on the shared grant.
    expect((await adapter.probeConnection(seeded.connectionIds[1]!, adapter.newCycle())).ok).toBe(true);
  });

  it('only erases locally when the token is already dead, and says so', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz], { accessExpiresAt: new Date(Date.now() - 1_000) });
    fake.revokeAllTokens('user-1');
    const { adapter } = buildAdapter(database.db, fake, keys);
    const outcome = await adapter.disconnect(seeded.connectionIds[0]!, ADA);
    expect(outcome).toEqual({ tenantRemoval: 'skipped', grantRevocation: 'skipped', tokensErased: true });
    expect(fake.apiCalls).toEqual([]);
    expect((await database.db.grant.findUniqueOrThrow({ where: { id: seeded.grantId } })).refreshTokenEnc).toBeNull();
  });

  it('still erases locally when Xero is down, and reports what failed', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz]);
    fake.fail('delete', { status: 503, body: {} });
    fake.fail('revocation', { status: 500, body: {} });
    const { adapter } = buildAdapter(database.db, fake, keys);
    const outcome = await adapter.disconnect(seeded.connectionIds[0]!, ADA);
    expect(outcome).toMatchObject({ tenantRemoval: 'failed', grantRevocation: 'failed', tokensErased: true });
    expect(outcome.error).toContain('delete_connection 503');
    const row = await database.db.connectionLog.findFirstOrThrow({ where: { kind: 'disconnect' } });
    expect(row.outcome).toBe('failure');
  });

  it('does nothing twice on a double click', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz]);
    const { adapter } = buildAdapter(database.db, fake, keys);
    await adapter.disconnect(seeded.connectionIds[0]!, ADA);
    const calls = fake.apiCalls.length;
    const again = await adapter.disconnect(seeded.connectionIds[0]!, ADA);
    expect(again).toEqual({ tenantRemoval: 'skipped', grantRevocation: 'skipped', tokensErased: true });
    expect(fake.apiCalls.length).toBe(calls);
  });
});
