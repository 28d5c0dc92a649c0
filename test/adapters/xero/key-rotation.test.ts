// TOKEN_ENCRYPTION_KEY rotation through the real Xero adapter on real databases: tokens stored
// under one key keep working when a new key is put first, move to it on their next refresh or all
// at once (the keys:rotate path), and a token no configured key opens is named for what it is.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGrantTokens } from '../../../src/adapters/db/xero-repos.ts';
import { createGrantStore } from '../../../src/adapters/xero/grant-store.ts';
import { createTokenCipher, keyIdOf, type EncryptionKey } from '../../../src/adapters/xero/token-cipher.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../support/databases.ts';
import { FakeXero, interceptXeroOnly, ORGS, resetNock } from './fake-xero.ts';
import { buildAdapter as buildWithShortTimeout, leaked, legacyEnvelope, seedGrant } from './harness.ts';

const expired = () => new Date(Date.now() - 1_000);
const key = (): EncryptionKey => ({ key: randomBytes(32) });
// Nothing here is about timeouts: a generous one keeps a loaded machine from failing a check.
const buildAdapter = (...[db, fake, keys]: Parameters<typeof buildWithShortTimeout>) => buildWithShortTimeout(db, fake, keys, { settings: { timeoutMs: 10_000 } });
const COLUMNS = ['accessTokenEnc', 'refreshTokenEnc', 'previousRefreshTokenEnc'] as const;

describe.each(DIALECTS)('encryption key rotation on %s', (dialect) => {
  let database: TestDatabase;
  let fake: FakeXero;
  const k1 = key();
  const k2 = key();

  beforeEach(async () => {
    interceptXeroOnly();
    fake = await FakeXero.start();
    database = await createTestDatabase(dialect);
  });
  afterEach(async () => {
    resetNock();
    await database.drop();
  });

  const grantRow = (id: string) => database.db.grant.findUniqueOrThrow({ where: { id } });
  const keyIdsOf = async (id: string) => {
    const row = await grantRow(id);
    return COLUMNS.map((c) => row[c]?.split('.')[1] ?? null);
  };

  it('keeps checking under new:<K2>,old:<K1>, moves the tokens to K2 on the next refresh, then works with K2 alone', async () => {
    const seeded = await seedGrant(database.db, fake, [k1], 'user-1', [ORGS.demoNz]);
    expect(await keyIdsOf(seeded.grantId)).toEqual([keyIdOf(k1.key), keyIdOf(k1.key), null]);

    const rotated = buildAdapter(database.db, fake, [{ ...k2, label: 'new' }, { ...k1, label: 'old' }]).adapter;
    expect(await rotated.probeConnection(seeded.connectionIds[0]!, rotated.newCycle())).toMatchObject({ ok: true });
    expect(fake.tokenCalls).toHaveLength(0);
    expect(await rotated.storedTokens.survey()).toEqual({ grants: 1, unreadable: 0, unreadableOrganisations: 0, underOlderKeys: 1 });

    await database.db.grant.update({ where: { id: seeded.grantId }, data: { accessTokenExpiresAt: expired() } });
    expect(await rotated.probeConnection(seeded.connectionIds[0]!, rotated.newCycle())).toMatchObject({ ok: true });
    expect(fake.tokenCalls).toHaveLength(1);
    expect(await keyIdsOf(seeded.grantId)).toEqual([keyIdOf(k2.key), keyIdOf(k2.key), keyIdOf(k2.key)]);
    expect(await rotated.storedTokens.survey()).toMatchObject({ unreadable: 0, underOlderKeys: 0 });

    const k2Alone = buildAdapter(database.db, fake, [k2]).adapter;
    expect(await k2Alone.probeConnection(seeded.connectionIds[0]!, k2Alone.newCycle())).toMatchObject({ ok: true });
    await database.db.grant.update({ where: { id: seeded.grantId }, data: { accessTokenExpiresAt: expired() } });
    expect(await k2Alone.probeConnection(seeded.connectionIds[0]!, k2Alone.newCycle())).toMatchObject({ ok: true });
    expect(fake.tokenCalls).toHaveLength(2);
  });

  it('opens tokens stored under the old positional id "k1" and moves them to the fingerprinted key on refresh', async () => {
    const seeded = await seedGrant(database.db, fake, [k1], 'user-1', [ORGS.demoNz], { accessExpiresAt: expired() });
    await database.db.grant.update({
      where: { id: seeded.grantId },
      data: { accessTokenEnc: legacyEnvelope(k1.key, 'k1', seeded.accessToken), refreshTokenEnc: legacyEnvelope(k1.key, 'k1', seeded.refreshToken) },
    });
    // The old recipe, new:<K2>,old:<K1>, where K1 used to be the bare key labelled "k1".
    const { adapter } = buildAdapter(database.db, fake, [{ ...k2, label: 'new' }, { ...k1, label: 'old' }]);
    expect(await adapter.probeConnection(seeded.connectionIds[0]!, adapter.newCycle())).toMatchObject({ ok: true });
    expect(fake.tokenCalls.map((c) => c.refreshToken)).toEqual([seeded.refreshToken]);
    expect(await keyIdsOf(seeded.grantId)).toEqual([keyIdOf(k2.key), keyIdOf(k2.key), keyIdOf(k2.key)]);
  });

  it('names a token no configured key opens "encryption_key_changed", asks Xero nothing, and counts it at start', async () => {
    const lost = await seedGrant(database.db, fake, [k1], 'user-1', [ORGS.demoNz, ORGS.demoAu], { accessExpiresAt: expired() });
    const kept = await seedGrant(database.db, fake, [k2], 'user-2', [ORGS.acme]);
    const { adapter, logs } = buildAdapter(database.db, fake, [k2]);

    const outcome = await adapter.probeConnection(lost.connectionIds[0]!, adapter.newCycle());
    expect(outcome).toEqual({ ok: false, connectionId: lost.connectionIds[0], cause: 'encryption_key_changed', operation: 'refresh', httpStatus: undefined, xeroError: undefined, retryAfterMs: undefined });
    expect(fake.tokenCalls).toHaveLength(0);
    expect(fake.apiCalls).toHaveLength(0);
    const row = await database.db.connectionLog.findFirstOrThrow({ where: { connectionId: lost.connectionIds[0]! } });
    expect(row).toMatchObject({ outcome: 'failure', cause: 'encryption_key_changed', httpStatus: null, xeroError: null });
    expect(await adapter.probeConnection(kept.connectionIds[0]!, adapter.newCycle())).toMatchObject({ ok: true });

    expect(await adapter.storedTokens.survey()).toEqual({ grants: 2, unreadable: 1, unreadableOrganisations: 2, underOlderKeys: 0 });
    // Disconnecting it still cleans up our side, without blaming Xero.
    const disconnected = await adapter.disconnect(lost.connectionIds[1]!, { platform: 'slack', userId: 'U_ADA', name: 'Ada' });
    expect(disconnected).toEqual({ tenantRemoval: 'skipped', grantRevocation: 'kept_for_other_connections', tokensErased: false });
    expect(leaked(logs, [lost.refreshToken, lost.accessToken, kept.refreshToken])).toEqual([]);
  });

  it('re-encrypts every readable grant once (keys:rotate), leaves unreadable ones, and a refresh that read before still saves', async () => {
    const underK1 = await seedGrant(database.db, fake, [k1], 'user-1', [ORGS.demoNz]);
    const legacy = await seedGrant(database.db, fake, [k1], 'user-2', [ORGS.demoAu], { accessExpiresAt: expired() });
    await database.db.grant.update({
      where: { id: legacy.grantId },
      data: {
        accessTokenEnc: legacyEnvelope(k1.key, 'k1', legacy.accessToken),
        refreshTokenEnc: legacyEnvelope(k1.key, 'k1', legacy.refreshToken),
        previousRefreshTokenEnc: legacyEnvelope(randomBytes(32), 'k1', 'an old refresh token under a lost key'),
      },
    });
    const underK2 = await seedGrant(database.db, fake, [k2], 'user-3', [ORGS.acme]);
    const lost = await seedGrant(database.db, fake, [key()], 'user-4', [{ tenantId: '5d2c4b3a-3333-4444-8555-b66677788899', tenantName: 'Lost Key Ltd' }]);
    const before = await Promise.all([underK1, legacy, underK2, lost].map((g) => grantRow(g.grantId)));

    const { adapter } = buildAdapter(database.db, fake, [k2, k1]);
    expect(await adapter.storedTokens.reencrypt()).toEqual({ reencrypted: 2, alreadyCurrent: 1, unreadable: 1, busy: 0 });
    expect(await adapter.storedTokens.reencrypt()).toEqual({ reencrypted: 0, alreadyCurrent: 3, unreadable: 1, busy: 0 });

    const id2 = keyIdOf(k2.key);
    expect(await keyIdsOf(underK1.grantId)).toEqual([id2, id2, null]);
    expect(await keyIdsOf(legacy.grantId)).toEqual([id2, id2, null]);
    expect(await grantRow(underK2.grantId)).toEqual(before[2]);
    expect(await grantRow(lost.grantId)).toEqual(before[3]);
    // The plaintext did not change, so neither did any version.
    for (const [i, g] of [underK1, legacy, underK2, lost].entries()) expect((await grantRow(g.grantId)).version).toBe(before[i]!.version);

    // K2 alone now reads every token that was readable, and a check refreshes the legacy grant.
    const k2Alone = createTokenCipher([k2]);
    for (const g of [underK1, legacy]) {
      const row = await grantRow(g.grantId);
      expect(k2Alone.decrypt(row.refreshTokenEnc!)).toEqual({ ok: true, value: g.refreshToken });
      expect(k2Alone.decrypt(row.accessTokenEnc!)).toEqual({ ok: true, value: g.accessToken });
    }
    const alone = buildAdapter(database.db, fake, [k2]).adapter;
    expect(await alone.probeConnection(legacy.connectionIds[0]!, alone.newCycle())).toMatchObject({ ok: true });
    expect(fake.tokenCalls.map((c) => c.refreshToken)).toEqual([legacy.refreshToken]);
  });

  it('lets a refresher that read the grant before keys:rotate save the tokens Xero rotated', async () => {
    const seeded = await seedGrant(database.db, fake, [k1], 'user-1', [ORGS.demoNz], { accessExpiresAt: expired() });
    const { adapter } = buildAdapter(database.db, fake, [k2, k1]);
    // A refresher that read the grant (version 0) before keys:rotate ran, then saves what Xero answered.
    const store = createGrantStore(createGrantTokens(database.db), createTokenCipher([k2, k1]));
    const read = (await store.get(seeded.grantId))!;
    expect(await adapter.storedTokens.reencrypt()).toMatchObject({ reencrypted: 1 });
    const rotated = { accessToken: 'access-after', refreshToken: 'refresh-after', expiresAt: new Date(Date.now() + 1_800_000), scopes: [] };
    expect(await store.saveRefreshed(seeded.grantId, read.version, rotated, read.refreshToken!, new Date())).toBe(true);
    const stored = (await store.get(seeded.grantId))!;
    expect(stored).toMatchObject({ accessToken: 'access-after', refreshToken: 'refresh-after', previousRefreshToken: seeded.refreshToken });
    expect(await adapter.storedTokens.reencrypt()).toEqual({ reencrypted: 0, alreadyCurrent: 1, unreadable: 0, busy: 0 });
  });
});
