// What the handlers need from the outside world, as plain interfaces. Adapters implement them;
// tests pass fakes. Nothing here knows Slack, Teams, Xero or Prisma.
import type { Platform } from '../domain/permissions.ts';
import type { View } from '../domain/views/model.ts';

export interface Clock {
  now(): Date;
}

/**
 * Where a message goes. Slack: a channel, a user (DM via conversations.open) or a response_url.
 * Teams: a stored ChatTarget (its conversation reference) or a user to open a 1:1 with.
 */
export type ChatAddress =
  | { platform: 'slack'; channel: string }
  | { platform: 'slack'; user: string }
  | { platform: 'slack'; responseUrl: string; userForEphemeral?: string }
  | { platform: 'slack'; ephemeralIn: string; user: string }
  | { platform: 'teams'; targetId: string }
  | { platform: 'teams'; user: string; tenantId?: string; serviceUrl?: string };

export type OutboxKind = 'post' | 'update' | 'reply' | 'dm' | 'ephemeral' | 'home';

/** One delivery attempt, as the outbox worker hands it to a platform sender. */
export type Delivery = {
  id: string;
  kind: OutboxKind;
  address: ChatAddress;
  view: View;
  /** For update: the message to edit. */
  existing?: { channelId: string; messageId: string };
  /** For reply: the thread parent. */
  parent?: { channelId: string; messageId: string };
  /**
   * True when an earlier attempt of this same delivery (same `id`) may have reached the platform
   * before the process stopped. A sender that can tag messages with `id` may look before posting.
   */
  inDoubt?: boolean;
};

export type DeliveryOutcome =
  | { ok: true; channelId: string; messageId: string }
  | {
      ok: false;
      /** retry: try again later (429, 5xx, network); permanent: give up (bad request, channel gone). */
      retry: boolean;
      retryAfterMs?: number;
      /** The user cannot be reached (Slack: cannot_dm_bot / user_disabled; Teams: 403 blocked). */
      unreachableUser?: boolean;
      error: string;
    };

/** Implemented by the Slack and Teams adapters. */
export interface ChatSender {
  readonly platform: Platform;
  deliver(delivery: Delivery): Promise<DeliveryOutcome>;
  /**
   * Optional: finds a message an earlier, interrupted attempt of this delivery already posted
   * (e.g. Slack message metadata carrying `delivery.id`). The outbox asks only for deliveries in
   * doubt; without it, such a delivery is sent again (at most one duplicate, never a loss).
   */
  findDelivered?(delivery: Delivery): Promise<{ channelId: string; messageId: string } | undefined>;
}

// ---- Xero, as the checks and the buttons see it (implemented by the Xero adapter) ----

import type { Cause } from '../domain/causes.ts';
import type { ChatActor } from '../domain/permissions.ts';

/** Shares one GET /connections per grant among all the connections checked in one cycle. */
export interface CheckCycle {
  readonly id: string;
}

export type CheckOutcome =
  /** `probed`: the tenant itself was asked (and answered well), not only GET /connections. */
  | { ok: true; connectionId: string; tenantName?: string; probed?: boolean }
  | {
      ok: false;
      connectionId: string;
      cause: Cause;
      /** refresh | connections | organisation | ... : which call failed */
      operation: string;
      httpStatus?: number;
      xeroError?: string;
      /** Set for rate_limited: how long Xero asked us to wait. */
      retryAfterMs?: number;
      /** permission_missing found from the grant's scopes (not from Xero's answer): the needed scopes it lacks. */
      missingScopes?: string[];
    };

export type DisconnectOutcome = {
  /** DELETE /connections/{id}: removed (204), already_gone (404), skipped (token dead or no grant), failed */
  tenantRemoval: 'removed' | 'already_gone' | 'skipped' | 'failed';
  /** Revocation of the grant at identity.xero.com: only when no other connection uses it. */
  grantRevocation: 'revoked' | 'kept_for_other_connections' | 'skipped' | 'failed';
  tokensErased: boolean;
  error?: string;
};

export type { CheckTarget } from './rows.ts';
import type { CheckTarget } from './rows.ts';

export interface XeroPort {
  newCycle(): CheckCycle;
  /**
   * How many more checks may start now without running past Xero's app-wide budget. The scheduler
   * claims no more than this, so a backlog waits in the database instead of in the rate limiter.
   */
  checkCapacity(): number;
  /** Checks one connection (as the caller just read it) and writes the outcome as a connection log row. */
  probeConnection(connection: CheckTarget, cycle: CheckCycle): Promise<CheckOutcome>;
  /** Removes the connection on our side and in Xero as far as the token allows; keeps its settings. */
  disconnect(connectionId: string, actor: ChatActor): Promise<DisconnectOutcome>;
}

/**
 * Refreshes a grant's tokens when due (the Xero adapter's refresher, under its per-grant lock).
 * Checks do this on their own; the handlers call it for grants nothing checks (all paused).
 */
export interface GrantKeeper {
  ensureFresh(grantId: string): Promise<
    | { ok: true; refreshed: boolean; reason: string }
    | { ok: false; cause: Cause; httpStatus?: number; xeroError?: string }
  >;
}

// ---- The connection log (implemented by the database adapter, connection-log.ts) ----

export type LogEntry = {
  connectionId?: string | null;
  tenantId?: string | null;
  kind: 'check' | 'state' | 'action' | 'oauth' | 'refresh' | 'notice' | 'disconnect';
  operation: string;
  /** note: a person's resolution note ("What fixed it?"), listed with the failures it answers. */
  outcome: 'ok' | 'failure' | 'info' | 'note';
  httpStatus?: number | null;
  xeroError?: string | null;
  cause?: Cause | null;
  fromState?: string | null;
  toState?: string | null;
  actor?: ChatActor | null;
  detail?: string | null;
  at?: Date;
};

export interface ConnectionLogWriter {
  append(entry: LogEntry): Promise<void>;
}

// ---- Single-use links and consent results ----

export type { LinkPurpose } from '../domain/consent.ts';
import type { LinkPurpose } from '../domain/consent.ts';
import type { ConsentRefusal } from '../domain/consent.ts';

/** Issues a single-use /xero/connect link bound to a chat user (createLinkIssuer in src/handlers/oauth/issue-link.ts). */
export interface LinkIssuer {
  /** `connectionIds`: a reconnect link for several organisations at once (one consent fixes many). */
  issue(input: { purpose: LinkPurpose; actor: ChatActor; connectionId?: string; connectionIds?: string[]; incidentId?: string }): Promise<{ url: string; expiresAt: Date | string }>;
  /**
   * True when `person` holds a reconnect link for the connection, issued at or after `since`, that
   * still works (not used, not expired): asking again within the dedupe window then sends nothing.
   */
  hasLiveLink?(connectionId: string, person: ChatActor, since: Date): Promise<boolean>;
}

/**
 * What the consent handler reports after it bound a consent (in its own transaction):
 * onConsentBound resolves incidents and queues "Connected: <org>" from it.
 */
export type ConsentBound = {
  purpose: LinkPurpose;
  actor: ChatActor;
  /** Connections this consent created or restored (one per authorised tenant). */
  connections: { id: string; tenantId: string; tenantName: string; created?: boolean }[];
  /** Reconnect: the connection the link was issued for (bound only when the tenantId matched). */
  reconnectedConnectionId?: string;
  incidentId?: string;
  /** When it was bound. */
  at?: Date;
  /** Identifies this consent (the link token id, or Xero's authentication_event_id): a repeated call with the same id posts nothing twice. */
  consentId?: string;
};

/** A link's page asked for a fresh link for the same person and the same purpose. */
export type FreshLinkRequest = { purpose: LinkPurpose; actor: ChatActor; connectionIds: string[]; incidentId?: string };

/** Xero refused a consent at the callback (declined, tier cap, failed exchange, ...). */
export type ConsentRefused = { purpose: LinkPurpose; actor: ChatActor; reason: ConsentRefusal; tenantNames: string[]; attemptId: string; at: Date };

// ---- Xero's consent, as the consent handler sees it (implemented by the Xero adapter) ----

import type { Result } from '../domain/result.ts';
import type { SealedTokens } from './xero-repos.ts';

/** A Xero call in a consent that failed, in safe fields only (no token, no credential). */
export type XeroCallFailure = {
  cause: Cause;
  status?: number | undefined;
  xeroError?: string | undefined;
  /** A check on our side failed (state, nonce, id_token signature): not Xero's availability. */
  clientCheck?: boolean | undefined;
};

/** One trip to Xero's consent page: where to send the browser, and what the callback must match. */
export type ConsentTrip = { url: string; state: string; nonce: string; verifierEnc: string };

/** An organisation a token may reach, as GET /connections lists it. */
export type XeroTenant = { id: string; tenantId: string; tenantName?: string | null | undefined; tenantType?: string | null | undefined; authEventId?: string | null | undefined };

/** What a consent gave: the Xero user (from the id_token) and their tokens, sealed for storage. */
export type ConsentGrant = {
  xeroUserId: string;
  email?: string | undefined;
  name?: string | undefined;
  /** Which consent this was: matched against the connections' authEventId. */
  authEventId?: string | undefined;
  tokens: SealedTokens;
  /** For the calls that follow at once (list, remove); never stored as it is. */
  accessToken: string;
};

export type ExchangeFailure = { code: 'verifier_unreadable' } | ({ code: 'xero' } & XeroCallFailure);

export interface XeroConsentPort {
  /** The authorize URL with a fresh state, OpenID nonce and PKCE pair (its verifier sealed). */
  startTrip(): Promise<Result<ConsentTrip, XeroCallFailure>>;
  /** Redeems the callback's code with the trip's verifier; the id_token must carry the trip's nonce. */
  finishTrip(callbackQuery: string, trip: { state: string; nonce: string; verifierEnc: string }): Promise<Result<ConsentGrant, ExchangeFailure>>;
  listConnections(accessToken: string): Promise<Result<XeroTenant[], XeroCallFailure>>;
  removeConnection(accessToken: string, xeroConnectionId: string): Promise<Result<'removed' | 'already_gone', XeroCallFailure>>;
}
