// Grants (token sets) as the refresher and the consent use them: plain tokens in, plain tokens out,
// sealed by the cipher on the way to the database (GrantTokensRepo, src/adapters/db/xero-repos.ts)
// and opened on the way back. The repository's lease makes "one refresher per grant" hold across
// processes; its version makes every token write a compare-and-set, so a writer that lost its
// lease (or raced a new consent) can never overwrite newer tokens.
import type { ConsentIdentity, GrantTokensRepo, SealedTokens } from '../../handlers/xero-repos.ts';
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

export function createGrantStore(rows: GrantTokensRepo, cipher: TokenCipher) {
  const open = (envelope: string | null): { value?: string; bad: boolean } => {
    if (!envelope) return { bad: false };
    const plain = cipher.decrypt(envelope);
    return plain.ok ? { value: plain.value, bad: false } : { bad: true };
  };
  const seal = (tokens: Tokens): SealedTokens => ({
    accessTokenEnc: cipher.encrypt(tokens.accessToken),
    refreshTokenEnc: cipher.encrypt(tokens.refreshToken),
    accessTokenExpiresAt: tokens.expiresAt,
    scopes: tokens.scopes,
  });

  async function get(grantId: string): Promise<StoredGrant | undefined> {
    const row = await rows.get(grantId);
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
    seal,

    tryLease: (grantId: string, owner: string, now: Date, ms: number): Promise<boolean> => rows.tryLease(grantId, owner, now, ms),

    releaseLease: (grantId: string, owner: string): Promise<void> => rows.releaseLease(grantId, owner),

    /** Compare-and-set on version: false when someone wrote tokens since `expectedVersion`. */
    saveRefreshed(grantId: string, expectedVersion: number, tokens: Tokens, usedRefreshToken: string, now: Date): Promise<boolean> {
      return rows.saveRefreshed(grantId, expectedVersion, { ...seal(tokens), previousRefreshTokenEnc: cipher.encrypt(usedRefreshToken) }, now);
    },

    recordRefreshFailure: (grantId: string): Promise<void> => rows.recordRefreshFailure(grantId),

    /**
     * Xero refused the tokens of `version` for good (invalid_grant). Guarded by the version, so a
     * new consent that replaced them meanwhile is never marked refused.
     */
    recordRefusal: (grantId: string, version: number, now: Date): Promise<void> => rows.recordRefusal(grantId, version, now),

    /** Tokens from a new consent replace whatever the grant held (bumps version: refreshers in flight lose). */
    replaceTokens: (grantId: string, tokens: Tokens, identity: ConsentIdentity, now: Date): Promise<void> => rows.replaceTokens(grantId, seal(tokens), identity, now),

    create: (xeroUserId: string, tokens: Tokens, identity: ConsentIdentity, now: Date): Promise<string> => rows.create(xeroUserId, seal(tokens), identity, now),

    /** The live grant of a Xero user: tokens are per user per app, so one grant per user. */
    findLiveByXeroUser: (xeroUserId: string): Promise<string | undefined> => rows.findLiveByXeroUser(xeroUserId),

    /** Forgets the tokens; the row stays as a record of who consented and when it ended. */
    erase: (grantId: string, now: Date, revoked: boolean): Promise<void> => rows.erase(grantId, now, revoked),
  };
}
