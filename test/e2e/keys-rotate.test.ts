// `npm run keys:rotate` as an operator runs it, on SQLite and Postgres: killed halfway it loses no
// token, run to the end it moves every readable token to the first key and says how many, and run
// again it finds nothing to do.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTokenCipher, keyIdOf } from '../../src/adapters/xero/token-cipher.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.ts';
import { runCommand } from '../support/service-process.ts';
import { legacyEnvelope } from '../adapters/xero/harness.ts';

// More than one page (500) of grants, and enough that a kill lands mid-run.
const GRANTS = 600;

describe.each(DIALECTS)('npm run keys:rotate on %s', (dialect) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase(dialect);
  });
  afterEach(async () => {
    await database.drop();
  });

  const rotate = (keys: string) =>
    runCommand('npm', ['run', '--silent', 'keys:rotate'], { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: database.url, TOKEN_ENCRYPTION_KEY: keys });

  it('survives a kill halfway, then moves every readable token to the first key, once', async () => {
    const [k1, k2] = [randomBytes(32), randomBytes(32)];
    const underK1 = createTokenCipher([{ key: k1 }]);
    const plain = (i: number, kind: string) => `${kind}-token-${i}`;
    await database.db.grant.createMany({
      data: Array.from({ length: GRANTS }, (_, i) => ({
        xeroUserId: `user-${i}`,
        // A tenth were stored when key ids were positions ("k1").
        accessTokenEnc: i % 10 === 0 ? legacyEnvelope(k1, 'k1', plain(i, 'access')) : underK1.encrypt(plain(i, 'access')),
        refreshTokenEnc: i % 10 === 0 ? legacyEnvelope(k1, 'k1', plain(i, 'refresh')) : underK1.encrypt(plain(i, 'refresh')),
        previousRefreshTokenEnc: i % 3 === 0 ? underK1.encrypt(plain(i, 'previous')) : null,
      })),
    });
    const lost = await database.db.grant.create({
      data: { xeroUserId: 'user-lost', accessTokenEnc: legacyEnvelope(randomBytes(32), 'k1', 'a'), refreshTokenEnc: legacyEnvelope(randomBytes(32), 'k1', 'r') },
    });
    const keys = `new:${k2.toString('base64')},old:${k1.toString('base64')}`;
    const underK2 = () => database.db.grant.count({ where: { refreshTokenEnc: { startsWith: `v1.${keyIdOf(k2)}.` } } });

    // 1. Killed as soon as it has moved some grants.
    const interrupted = rotate(keys);
    const killedAt = await new Promise<number>((resolve, reject) => {
      const timer = setInterval(() => {
        underK2().then((moved) => {
          if (moved === 0) return;
          clearInterval(timer);
          process.kill(-interrupted.child.pid!, 'SIGKILL');
          resolve(moved);
        }, reject);
      }, 10);
    });
    await interrupted.exited;
    const movedBeforeKill = await underK2();
    expect(killedAt).toBeGreaterThan(0);
    expect(movedBeforeKill).toBeLessThan(GRANTS);
    expect(interrupted.output()).not.toContain('re-encrypted');
    await expectEveryTokenReadable(createTokenCipher([{ key: k2 }, { key: k1 }]));

    // 2. Run to the end: the rest moves; the lost grant is counted and left alone.
    const full = rotate(keys);
    expect(await full.exited, full.output()).toBe(0);
    expect(full.output()).toContain(`keys:rotate: ${GRANTS - movedBeforeKill} token sets re-encrypted, ${movedBeforeKill} already under key ${keyIdOf(k2)}, 1 unreadable, 0 busy`);
    expect(full.output()).toContain('1 token set cannot be decrypted with any key in TOKEN_ENCRYPTION_KEY');
    expect(await database.db.grant.findUniqueOrThrow({ where: { id: lost.id } })).toMatchObject({ accessTokenEnc: lost.accessTokenEnc, refreshTokenEnc: lost.refreshTokenEnc });

    // 3. Again: nothing to do. K2 alone now reads every token, and no version moved.
    const again = rotate(keys);
    expect(await again.exited, again.output()).toBe(0);
    expect(again.output()).toContain(`keys:rotate: 0 token sets re-encrypted, ${GRANTS} already under key ${keyIdOf(k2)}, 1 unreadable, 0 busy`);
    await expectEveryTokenReadable(createTokenCipher([{ key: k2 }]));
    expect(await database.db.grant.count({ where: { version: { not: 0 } } })).toBe(0);

    async function expectEveryTokenReadable(cipher: ReturnType<typeof createTokenCipher>): Promise<void> {
      const rows = await database.db.grant.findMany({ where: { id: { not: lost.id } } });
      expect(rows).toHaveLength(GRANTS);
      for (const row of rows) {
        const i = Number(row.xeroUserId.slice('user-'.length));
        expect(cipher.decrypt(row.accessTokenEnc!)).toEqual({ ok: true, value: plain(i, 'access') });
        expect(cipher.decrypt(row.refreshTokenEnc!)).toEqual({ ok: true, value: plain(i, 'refresh') });
        if (i % 3 === 0) expect(cipher.decrypt(row.previousRefreshTokenEnc!)).toEqual({ ok: true, value: plain(i, 'previous') });
        else expect(row.previousRefreshTokenEnc).toBeNull();
      }
    }
  }, 180_000);

  it('refuses a bad key with one line and changes nothing', async () => {
    const run = rotate('not a key');
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('keys:rotate: TOKEN_ENCRYPTION_KEY must be 32 bytes of base64');
  });
});
