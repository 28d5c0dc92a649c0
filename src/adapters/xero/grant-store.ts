// Grants (token sets) in the database, tokens encrypted. The lease columns make "one refresher per
// grant" hold across processes; the version column makes every token write a compare-and-set, so
// a writer that lost its lease (or raced a new consent) can never overwrite newer tokens.
import type { Db } from '../db/client.ts';
import type { TokenCipher } from './token-cipher.ts';
import type { Tokens } from './gateway.ts';

export type StoredGrant = {
  id: string;
  version: number;
  xeroUserId: string;
  accessToken?: string;
  refreshToken?: string;
  previousRefreshToken?: string;
  accessTokenExpiresAt: Date | null;
  refreshedAt: Date | null;
  createdAt: Date;
  refreshFailures: number;
  /** Xero refused the stored refresh token (invalid_grant): only a new consent brings the grant back. */
  refusedAt: Date | null;
  revokedAt: Date | null;
  /** A stored token that would not decrypt (key removed from TOKEN_ENCRYPTION_KEY, or tampered). */
  undecryptable: boolean;
  /** The scopes Xero said it granted, space-separated; empty when not known (grants stored before they were kept). */
  scopes: string;
};

export type GrantStore = ReturnType<typeof createGrantStore>;

export function createGrantStore(db: Db, cipher: TokenCipher) {
  const open = (envelope: string | null): { value?: string; bad: boolean } => {
    if (!envelope) return { bad: false };
    const plain = cipher.decrypt(envelope);
    return plain.ok ? { value: plain.value, bad: false } : { bad: true };
  };

  async function get(grantId: string): Promise<StoredGrant | undefined> {
    const row = await db.grant.findUnique({ where: { id: grantId } });
    if (!row) return undefined;
    const access = open(row.accessTokenEnc);
    const refresh = open(row.refreshTokenEnc);
    const previous = open(row.previousRefreshTokenEnc);
    return {
      id: row.id,
      version: row.version,
      xeroUserId: row.xeroUserId,
      accessToken: access.value,
      refreshToken: refresh.value,
      previousRefreshToken: previous.value,
      accessTokenExpiresAt: row.accessTokenExpiresAt,
      refreshedAt: row.refreshedAt,
      createdAt: row.createdAt,
      refreshFailures: row.refreshFailures,
      refusedAt: row.refusedAt,
      revokedAt: row.revokedAt,
      undecryptable: access.bad || refresh.bad,
      scopes: row.scopes,
    };
  }

  return {
    get,

    /** Takes the grant's lease if it is free, expired, or already ours. */
    async tryLease(grantId: string, owner: string, now: Date, ms: number): Promise<boolean> {
      const taken = await db.grant.updateMany({
        where: { id: grantId, OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }, { leaseOwner: owner }] },
        data: { leaseOwner: owner, leaseUntil: new Date(now.getTime() + ms) },
      });
      return taken.count === 1;
    },

    async releaseLease(grantId: string, owner: string): Promise<void> {
      await db.grant.updateMany({ where: { id: grantId, leaseOwner: owner }, data: { leaseOwner: null, leaseUntil: null } });
    },

    /** Compare-and-set on version: false when someone wrote tokens since `expectedVersion`. */
    async saveRefreshed(grantId: string, expectedVersion: number, tokens: Tokens, usedRefreshToken: string, now: Date): Promise<boolean> {
      const saved = await db.grant.updateMany({
        where: { id: grantId, version: expectedVersion },
        data: {
          accessTokenEnc: cipher.encrypt(tokens.accessToken),
          refreshTokenEnc: cipher.encrypt(tokens.refreshToken),
          previousRefreshTokenEnc: cipher.encrypt(usedRefreshToken),
          accessTokenExpiresAt: tokens.expiresAt,
          refreshedAt: now,
          ...(tokens.scopes.length > 0 ? { scopes: tokens.scopes.join(' ') } : {}),
          refreshFailures: 0,
          version: { increment: 1 },
        },
      });
      return saved.count === 1;
    },

    async recordRefreshFailure(grantId: string): Promise<void> {
      await db.grant.updateMany({ where: { id: grantId }, data: { refreshFailures: { increment: 1 } } });
    },

    /**
     * Xero refused the tokens of `version` for good (invalid_grant). Guarded by the version, so a
     * new consent that replaced them meanwhile is never marked refused.
     */
    async recordRefusal(grantId: string, version: number, now: Date): Promise<void> {
      await db.grant.updateMany({ where: { id: grantId, version }, data: { refusedAt: now, refreshFailures: { increment: 1 } } });
    },

    /** Tokens from a new consent replace whatever the grant held (bumps version: refreshers in flight lose). */
    async replaceTokens(grantId: string, tokens: Tokens, identity: { email?: string; name?: string; authEventId?: string }, now: Date): Promise<void> {
      await db.grant.update({
        where: { id: grantId },
        data: {
          accessTokenEnc: cipher.encrypt(tokens.accessToken),
          refreshTokenEnc: cipher.encrypt(tokens.refreshToken),
          previousRefreshTokenEnc: null,
          accessTokenExpiresAt: tokens.expiresAt,
          refreshedAt: now,
          scopes: tokens.scopes.join(' '),
          authEventId: identity.authEventId ?? null,
          xeroUserEmail: identity.email ?? null,
          xeroUserName: identity.name ?? null,
          refreshFailures: 0,
          refusedAt: null,
          revokedAt: null,
          version: { increment: 1 },
        },
      });
    },

    async create(xeroUserId: string, tokens: Tokens, identity: { email?: string; name?: string; authEventId?: string }, now: Date): Promise<string> {
      const row = await db.grant.create({
        data: {
          xeroUserId,
          xeroUserEmail: identity.email ?? null,
          xeroUserName: identity.name ?? null,
          accessTokenEnc: cipher.encrypt(tokens.accessToken),
          refreshTokenEnc: cipher.encrypt(tokens.refreshToken),
          accessTokenExpiresAt: tokens.expiresAt,
          refreshedAt: now,
          scopes: tokens.scopes.join(' '),
          authEventId: identity.authEventId ?? null,
        },
      });
      return row.id;
    },

    /** The live grant of a Xero user: tokens are per user per app, so one grant per user. */
    async findLiveByXeroUser(xeroUserId: string): Promise<string | undefined> {
      const row = await db.grant.findFirst({ where: { xeroUserId, revokedAt: null, refreshTokenEnc: { not: null } }, orderBy: { createdAt: 'desc' } });
      return row?.id;
    },

    /** Forgets the tokens; the row stays as a record of who consented and when it ended. */
    async erase(grantId: string, now: Date, revoked: boolean): Promise<void> {
      await db.grant.update({
        where: { id: grantId },
        data: {
          accessTokenEnc: null,
          refreshTokenEnc: null,
          previousRefreshTokenEnc: null,
          accessTokenExpiresAt: null,
          ...(revoked ? { revokedAt: now } : {}),
          leaseOwner: null,
          leaseUntil: null,
          version: { increment: 1 },
        },
      });
    },
  };
}
