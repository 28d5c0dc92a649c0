// What the Xero side keeps in the database, as the handlers define it: grants (token sets, sealed
// by the Xero adapter's cipher before they get here), the connections as Xero knows them, and the
// single-use links with their trips to Xero. The database adapter implements these
// (src/adapters/db/xero-repos.ts, src/adapters/db/links.ts); the Xero adapter and the consent
// handler see nothing of Prisma.
import type { ChatActor, Platform } from '../domain/permissions.ts';
import type { ChannelRef } from '../domain/consent.ts';
import type { ConnectionState } from '../domain/states.ts';
import type { LinkPurpose } from '../domain/consent.ts';
import type { CheckTarget, ConnectionRecord, ConsentAttemptRecord, GrantRecord, LinkRecord } from './rows.ts';

// ---- grants ----

/** The three token columns, each a cipher envelope or null. */
export const TOKEN_COLUMNS = ['accessTokenEnc', 'refreshTokenEnc', 'previousRefreshTokenEnc'] as const;
export type TokenColumn = (typeof TOKEN_COLUMNS)[number];

/** A grant's tokens as stored: envelopes only, with the version that guards rewriting them. */
export type GrantEnvelopes = { id: string; version: number } & Record<TokenColumn, string | null>;

/** A new token set, already sealed: what a refresh or a consent writes. */
export type SealedTokens = { accessTokenEnc: string; refreshTokenEnc: string; accessTokenExpiresAt: Date; scopes: readonly string[] };

/** Who consented, as Xero's id_token said. */
export type ConsentIdentity = { email?: string | undefined; name?: string | undefined; authEventId?: string | undefined };

/**
 * Grants, one per Xero user. The lease makes "one refresher per grant" hold across processes;
 * the version makes every token write a compare-and-set.
 */
export interface GrantTokensRepo {
  get(id: string): Promise<GrantRecord | null>;
  /** Takes the grant's lease if it is free, expired, or already `owner`'s. */
  tryLease(id: string, owner: string, now: Date, ms: number): Promise<boolean>;
  releaseLease(id: string, owner: string): Promise<void>;
  /** Compare-and-set on version: false when someone wrote tokens since `expectedVersion`. */
  saveRefreshed(id: string, expectedVersion: number, tokens: SealedTokens & { previousRefreshTokenEnc: string }, now: Date): Promise<boolean>;
  recordRefreshFailure(id: string): Promise<void>;
  /** Xero refused the tokens of `version` for good; a newer version (a new consent) is left alone. */
  recordRefusal(id: string, version: number, now: Date): Promise<void>;
  /** Tokens from a new consent replace whatever the grant held (bumps the version). */
  replaceTokens(id: string, tokens: SealedTokens, identity: ConsentIdentity, now: Date): Promise<void>;
  create(xeroUserId: string, tokens: SealedTokens, identity: ConsentIdentity, now: Date): Promise<string>;
  /** The live grant of a Xero user (not revoked, holding a refresh token), newest first. */
  findLiveByXeroUser(xeroUserId: string): Promise<string | undefined>;
  /** Forgets the tokens; the row stays as a record of who consented and when it ended. */
  erase(id: string, now: Date, revoked: boolean): Promise<void>;
  /** Grants holding any token, `limit` at a time in id order after `after`. */
  withTokens(after: string | undefined, limit: number): Promise<GrantEnvelopes[]>;
  envelopes(id: string): Promise<GrantEnvelopes | null>;
  /**
   * Rewrites some envelopes of `row`, only while the grant still holds exactly `row` (version and
   * every envelope): false when anyone wrote it since. The version is not bumped.
   */
  rewriteEnvelopes(row: GrantEnvelopes, data: Partial<Record<TokenColumn, string | null>>): Promise<boolean>;
}

// ---- connections ----

/** A connection as a link's page and the consent handler name it. */
export type ConnectionSummary = { id: string; tenantId: string; tenantName: string; state: ConnectionState };

/** Connections, as probing, disconnecting and the stored-token survey read and write them. */
export interface XeroConnectionsRepo {
  /** The connection as a probe needs it; null when there is none. */
  target(id: string): Promise<CheckTarget | null>;
  /** Xero is the source of truth for its own connection id and the organisation's name. */
  recordXeroIdentity(id: string, identity: { xeroConnectionId: string; tenantName?: string }): Promise<void>;
  /** Connections other than `exceptId` riding on the grant. */
  countOthersOnGrant(grantId: string, exceptId: string): Promise<number>;
  /** The connection no longer points at tokens or at Xero's connection (its settings stay). */
  detachGrant(id: string): Promise<void>;
  /** Connections not disconnected riding on any of these grants. */
  countLiveOnGrants(grantIds: readonly string[]): Promise<number>;

  // A consent binds organisations to its grant (src/handlers/oauth/consent.ts, in one transaction):
  /** The connection of a Xero organisation, if we watch it. */
  byTenant(tenantId: string): Promise<Pick<ConnectionRecord, 'id' | 'state' | 'grantId'> | null>;
  /** Of these organisations, the ones we have a connection for. */
  knownTenants(tenantIds: readonly string[]): Promise<string[]>;
  /** A new connection, connected and due for its first check now. */
  createBound(tenantId: string, binding: TenantBinding): Promise<string>;
  /**
   * An existing connection takes the consent's grant and Xero's ids, checked again now (the tenant
   * itself asked again); its settings (alert channel, sync-from, schedule) stay. `toState` when its
   * state changes.
   */
  rebind(id: string, binding: TenantBinding, toState?: ConnectionState): Promise<void>;
  /** Connections riding on the grant. */
  countOnGrant(grantId: string): Promise<number>;
}

/** What a consent writes on each organisation it binds. */
export type TenantBinding = {
  grantId: string;
  xeroConnectionId: string;
  tenantName: string;
  tenantType?: string | null | undefined;
  connectedBy: ChatActor;
  xeroUserId: string;
  now: Date;
};

// ---- links and trips to Xero ----

/** A link as issued (src/handlers/oauth/issue-link.ts): only its token's hash is stored. */
export type NewLink = {
  tokenHash: string;
  purpose: LinkPurpose;
  actor: ChatActor;
  /** Reconnect: every connection the link repairs (one consent fixes many). */
  connectionIds?: string[];
  incidentId?: string;
  expiresAt: Date;
};

/** What issuing a link writes and checks. */
export interface LinkTokens {
  create(link: NewLink): Promise<{ id: string }>;
  connectionExists(connectionId: string): Promise<boolean>;
}

/** What a trip to Xero's consent page stores before it leaves. */
export type NewAttempt = { stateHash: string; nonce: string; verifierEnc: string; expiresAt: Date };

/** Links (/xero/connect?t=...) and the trips to Xero started from them. Claims are compare-and-sets. */
export interface LinksRepo extends LinkTokens {
  /** Reads a link: a GET, a HEAD or a link scanner changes nothing. */
  find(tokenHash: string): Promise<LinkRecord | undefined>;
  get(linkId: string): Promise<LinkRecord | undefined>;
  /** A new trip to Xero for a live link; several may be open (two tabs, a retry). */
  startAttempt(linkId: string, attempt: NewAttempt): Promise<void>;
  /** Uses a state once; a second arrival gets the attempt back with `fresh: false`. */
  claimAttempt(stateHash: string, now: Date): Promise<{ attempt: ConsentAttemptRecord; link: LinkRecord; fresh: boolean } | 'unknown' | 'expired'>;
  /** The link behind a state, for the result page's buttons (retry, fresh link). */
  linkOfState(stateHash: string): Promise<LinkRecord | undefined>;
  saveOutcome(attemptId: string, outcome: unknown): Promise<void>;
  /** Marks the link used (once): the consent bound everything it was for. */
  markUsed(linkId: string, now: Date): Promise<boolean>;
  /** Records that its page sent a fresh link (once: a second click sends nothing more). */
  markRenewed(linkId: string, now: Date): Promise<boolean>;
  /** Undoes markRenewed when the fresh link could not be sent, so the button works again. */
  clearRenewed(linkId: string): Promise<void>;
  /** A reconnect link for the connection held by `person`, issued at or after `since`, neither used nor expired at `now`. */
  hasLiveLink(connectionId: string, person: ChatActor, since: Date, now: Date): Promise<boolean>;
  /** The connections a reconnect link is for, as they are now, in the link's order. */
  connectionsOf(ids: readonly string[]): Promise<ConnectionSummary[]>;
  /** The alert channel of a platform, for a page's link back into chat. */
  alertChannel(platform: Platform): Promise<ChannelRef | undefined>;
}
