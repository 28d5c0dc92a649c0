// Bulk seeding as the benchmarks use it: the fake and the service's database agree, so the real
// adapter checks seeded connections against the HTTP fake with the seeded (encrypted) tokens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenCipher } from '../../../src/adapters/xero/token-cipher.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../support/databases.ts';
import { buildAdapter, newKeys } from '../../adapters/xero/harness.ts';
import { XeroFakeCore } from './core.ts';
import { startFakeXeroServer, type FakeXeroServer } from './http-server.ts';
import { seedFakeAndService } from './seed-service.ts';

describe.each(DIALECTS)('seeding the fake and the service database on %s', (dialect) => {
  let xero: FakeXeroServer;
  let database: TestDatabase;
  const keys = newKeys();

  beforeAll(async () => {
    xero = await startFakeXeroServer();
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await xero.close();
    await database.drop();
  });

  it('1,000 connections over grants of 1 to 5 tenants, consistent on both sides (benchmarks seed 10,000 the same way)', async () => {
    const seeded = await seedFakeAndService(xero.fake, database.db, keys, { connections: 1_000, minTenants: 1, maxTenants: 5, seed: 7 });

    const sizes = seeded.grants.map((g) => g.tenants.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1_000);
    expect(Math.min(...sizes)).toBe(1);
    expect(Math.max(...sizes)).toBe(5);
    expect(await database.db.connection.count()).toBe(1_000);
    expect(await database.db.grant.count()).toBe(seeded.grants.length);
    expect(xero.fake.stats()).toMatchObject({ connections: 1_000, tenants: 1_000, users: seeded.grants.length });

    // Same data set on every run (seeded PRNG).
    const again = (await XeroFakeCore.create()).seedMany({ connections: 1_000, minTenants: 1, maxTenants: 5, seed: 7 });
    expect(again.map((g) => g.tenants.map((t) => t.tenantId))).toEqual(seeded.grants.map((g) => g.tenants.map((t) => t.tenantId)));

    // A grant row holds the fake's tokens, encrypted, and its connections carry Xero's connection ids.
    const sample = seeded.grants[123]!;
    const row = await database.db.grant.findUniqueOrThrow({ where: { id: seeded.grantIds.get(sample.userId)! }, include: { connections: true } });
    const access = createTokenCipher(keys).decrypt(row.accessTokenEnc!);
    expect(access.ok && access.value).toBe(sample.accessToken);
    expect(row.authEventId).toBe(sample.authEventId);
    expect(row.connections.map((c) => c.xeroConnectionId).sort()).toEqual(sample.tenants.map((t) => t.connectionId).sort());

    // The real adapter checks seeded connections against the HTTP fake.
    const { adapter } = buildAdapter(database.db, xero.fake as never, keys, { settings: { identityUrl: xero.url, apiUrl: xero.url, timeoutMs: 3_000 } });
    const cycle = adapter.newCycle();
    for (const t of sample.tenants) expect(await adapter.probeConnection(seeded.connectionIds.get(t.tenantId)!, cycle)).toMatchObject({ ok: true });
    expect(xero.fake.stats().byRoute).toMatchObject({ connections: 1, organisation: sample.tenants.length });
  });
});
