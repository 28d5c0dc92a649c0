import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/adapters/db/client.ts';
import { createTokenCipher } from '../../../src/adapters/xero/token-cipher.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../support/databases.ts';
import { FakeXero, interceptXeroOnly, ORGS, resetNock } from './fake-xero.ts';
import { buildAdapter, leaked, newKeys, seedGrant } from './harness.ts';

const soon = () => new Date(Date.now() + 60_000); // under the 5-minute margin: refresh is due

describe.each(DIALECTS)('grant refresh on %s', (dialect) => {
  let database: TestDatabase;
  let fake: FakeXero;
  const keys = newKeys();

  beforeEach(async () => {
    interceptXeroOnly();
    fake = await FakeXero.start();
    database = await createTestDatabase(dialect);
  });
  afterEach(async () => {
    resetNock();
    await database.drop();
  });

  it('20 concurrent refreshes from two processes call the token endpoint once and all get the same valid token', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz], { accessExpiresAt: soon() });
    // A second process: its own adapter and lease owner, and on Postgres its own Prisma client.
    // (SQLite is one process by design, and better-sqlite3 blocks the event loop while it waits
    // for a lock, so two clients in one test process would only deadlock each other.)
    const second = dialect === 'postgres' ? await openDatabase(database.url) : { db: database.db, close: async () => undefined };
    try {
      const a = buildAdapter(database.db, fake, keys);
      const b = buildAdapter(second.db, fake, keys);
      const attempts = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).adapter.refresher.ensureFresh(seeded.grantId));
      const results = await Promise.all(attempts);

      expect(fake.tokenCalls).toHaveLength(1);
      expect(results.every((r) => r.ok)).toBe(true);
      const tokens = new Set(results.map((r) => (r.ok ? r.value.accessToken : '')));
      expect(tokens.size).toBe(1);
      const [token] = [...tokens];
      expect(token).not.toBe(seeded.accessToken);

      const stored = await database.db.grant.findUniqueOrThrow({ where: { id: seeded.grantId } });
      const cipher = createTokenCipher(keys);
      const storedAccess = cipher.decrypt(stored.accessTokenEnc!);
      expect(storedAccess.ok && storedAccess.value).toBe(token);
      expect(stored.version).toBe(1);
      expect(stored.leaseOwner).toBeNull();
      // The token really works at Xero: the next check lists connections with it.
      const listed = await a.adapter.gateway.connections(token!);
      expect(listed.ok).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('recovers through the grace window when Xero rotated the token but the answer timed out', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz], { accessExpiresAt: soon() });
    const { adapter, logs } = buildAdapter(database.db, fake, keys);
    // Xero does the refresh (rotates the token) and answers after our 400 ms timeout.
    fake.fail('token', { thenProcess: true, delayMs: 1_000 });

    const result = await adapter.refresher.ensureFresh(seeded.grantId);

    expect(result.ok).toBe(true);
    expect(fake.tokenCalls.map((c) => c.refreshToken)).toEqual([seeded.refreshToken, seeded.refreshToken]);
    const stored = await database.db.grant.findUniqueOrThrow({ where: { id: seeded.grantId } });
    expect(stored.refreshFailures).toBe(0);
    // The stored refresh token is the rotated one: it refreshes again normally.
    const forced = await adapter.refresher.ensureFresh(seeded.grantId, { force: true });
    expect(forced.ok).toBe(true);
    expect(fake.tokenCalls).toHaveLength(3);
    expect(fake.tokenCalls[2]!.refreshToken).not.toBe(seeded.refreshToken);
    expect(logs.join('')).toContain('refresh answer lost');
  });

  it('keeps the old refresh token and retries on the next cycle when every attempt is lost', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz], { accessExpiresAt: soon() });
    const { adapter } = buildAdapter(database.db, fake, keys);
    fake.fail('token', { thenProcess: true, delayMs: 1_000 }, { status: 503, body: {} }, { status: 502, rawBody: '<html>Bad gateway</html>' });

    const first = await adapter.refresher.ensureFresh(seeded.grantId);
    expect(first.ok).toBe(false);
    expect(!first.ok && first.error.cause).toBe('xero_unavailable');
    const afterFailure = await database.db.grant.findUniqueOrThrow({ where: { id: seeded.grantId } });
    expect(afterFailure.refreshFailures).toBe(1);
    expect(afterFailure.version).toBe(0);

    // Next cycle, within 30 minutes: the same old token still works (grace), and the grant heals.
    const second = await adapter.refresher.ensureFresh(seeded.grantId);
    expect(second.ok).toBe(true);
    expect(fake.tokenCalls.at(-1)!.refreshToken).toBe(seeded.refreshToken);
    expect((await database.db.grant.findUniqueOrThrow({ where: { id: seeded.grantId } })).refreshFailures).toBe(0);
  });

  it('reports invalid_grant as token_revoked and invalid_client as app_credentials_invalid', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz], { accessExpiresAt: soon() });
    const { adapter, logs } = buildAdapter(database.db, fake, keys);
    fake.fail('token', { status: 400, body: { error: 'invalid_client' } });
    const credentials = await adapter.refresher.ensureFresh(seeded.grantId);
    expect(!credentials.ok && credentials.error).toMatchObject({ cause: 'app_credentials_invalid', status: 400, xeroError: 'invalid_client' });

    fake.revokeAllTokens('user-1');
    const revoked = await adapter.refresher.ensureFresh(seeded.grantId);
    expect(!revoked.ok && revoked.error).toMatchObject({ cause: 'token_revoked', status: 400, xeroError: 'invalid_grant' });
    expect(leaked(logs, [seeded.refreshToken, seeded.accessToken, fake.clientSecret, fake.basicCredential()])).toEqual([]);
  });

  it('leaves a fresh token alone and refreshes an idle grant once a day', async () => {
    const fresh = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz]);
    const idle = await seedGrant(database.db, fake, keys, 'user-2', [ORGS.acme], { refreshedAt: new Date(Date.now() - 25 * 3600_000) });
    const { adapter } = buildAdapter(database.db, fake, keys);

    const a = await adapter.refresher.ensureFresh(fresh.grantId);
    expect(a.ok && a.value).toMatchObject({ refreshed: false, reason: 'fresh', accessToken: fresh.accessToken });
    expect(fake.tokenCalls).toHaveLength(0);

    const b = await adapter.refresher.ensureFresh(idle.grantId);
    expect(b.ok && b.value).toMatchObject({ refreshed: true, reason: 'idle_daily' });
    expect(fake.tokenCalls).toHaveLength(1);
  });

  if (dialect === 'sqlite') {
    it('never stores a token in plain text', async () => {
      const seeded = await seedGrant(database.db, fake, keys, 'user-1', [ORGS.demoNz], { accessExpiresAt: soon() });
      const { adapter } = buildAdapter(database.db, fake, keys);
      const result = await adapter.refresher.ensureFresh(seeded.grantId);
      expect(result.ok).toBe(true);
      await database.db.$queryRawUnsafe('PRAGMA wal_checkpoint(TRUNCATE)');
      const bytes = readFileSync(database.file!).toString('latin1');
      for (const secret of [seeded.refreshToken, seeded.accessToken, result.ok ? result.value.accessToken : 'x']) {
        expect(bytes.includes(secret)).toBe(false);
      }
    });
  }
});

afterAll(() => resetNock());
