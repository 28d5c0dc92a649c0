// The browser side of connecting (DESIGN.md sections 1.1, 8), as a use case. A link's page shows
// what the link will do and changes nothing; its "Continue to Xero" starts one trip to Xero's
// consent page with its own state, nonce and PKCE verifier; the callback checks all three and
// binds what the consent authorised. The link is used only when a consent bound everything it was
// for: a wrong organisation, a refusal or a cancel leave it working until it expires. Every result
// is stored with its trip, so reloading the result page shows the same result.
//
// Each entry returns a ConsentOutcome; the HTTP adapter only lays it out as a page
// (src/adapters/http/consent-routes.ts, words in src/domain/views/pages.ts). Xero itself is
// reached through XeroConsentPort (the authorize URL, the code exchange, the organisation list).
import type { ChatActor } from '../../domain/permissions.ts';
import {
  classifyCallbackError,
  linkFinished,
  linkState,
  matchReconnect,
  tellAdmins,
  type ConsentOutcome,
  type ConsentRefusal,
  type LinkPurpose,
  type NotBound,
} from '../../domain/consent.ts';
import type { HandlerDeps } from '../deps.ts';
import type { ConsentBound, ConsentGrant, ConsentRefused, FreshLinkRequest, LogEntry, XeroConsentPort, XeroTenant } from '../ports.ts';
import type { LinkRecord } from '../rows.ts';
import type { Repos } from '../store.ts';
import { hashSecret, LINK_LIFETIME_MS } from './issue-link.ts';

/** Time allowed between leaving for Xero and coming back (sign-in, MFA, picking organisations). */
export const STATE_LIFETIME_MS = LINK_LIFETIME_MS;

/** What happens in chat after a consent: the handlers' own use cases (src/handlers/index.ts). */
export type ConsentFollowUps = {
  /** Resolves incidents, queues "Connected: <org>". */
  bound(result: ConsentBound): Promise<void>;
  /** Sends a fresh link by direct message. */
  freshLink(request: FreshLinkRequest): Promise<{ ok: boolean }>;
  /** Tells the person and the admins that Xero refused a consent. */
  refused(event: ConsentRefused): Promise<void>;
};

export type ConsentDeps = Pick<HandlerDeps, 'store' | 'clock' | 'log'> & { xero: XeroConsentPort; followUps: ConsentFollowUps };

/** A page's form carries the link token (`t`) or, on a result page, the trip's state (`s`). */
export type LinkKey = { t?: string; s?: string };

export type StartResult = { redirect: string } | { outcome: ConsentOutcome };

export type ConsentHandlers = {
  /** GET /xero/connect: what the link will do. Reads only: a scanner, an unfurl or a HEAD uses nothing. */
  showLink(t: string | undefined): Promise<ConsentOutcome>;
  /** POST /xero/connect ("Continue to Xero", or "Try again at Xero" on a result page). */
  startConsent(key: LinkKey): Promise<StartResult>;
  /** POST /xero/link/fresh: a used or expired link's one-click way to a new one, by direct message. */
  renewLink(key: LinkKey): Promise<ConsentOutcome>;
  /** GET /xero/callback: Xero's answer, with its raw query. */
  completeConsent(rawQuery: string): Promise<ConsentOutcome>;
};

export function createConsentHandlers(deps: ConsentDeps): ConsentHandlers {
  return {
    showLink: (t) => showLink(deps, t),
    startConsent: (key) => startConsent(deps, key),
    renewLink: (key) => renewLink(deps, key),
    completeConsent: (rawQuery) => completeConsent(deps, rawQuery),
  };
}

async function resolveLink(deps: ConsentDeps, key: LinkKey): Promise<LinkRecord | undefined> {
  if (key.t) return deps.store.links.find(hashSecret(key.t));
  if (key.s) return deps.store.links.linkOfState(hashSecret(key.s));
  return undefined;
}

async function where(deps: ConsentDeps, link: LinkRecord) {
  const back = await deps.store.links.alertChannel(link.platform);
  return { platform: link.platform, ...(back ? { back } : {}) };
}

export async function showLink(deps: ConsentDeps, t: string | undefined): Promise<ConsentOutcome> {
  if (!t) return { kind: 'link_invalid', state: 'missing' };
  const link = await deps.store.links.find(hashSecret(t));
  if (!link) return { kind: 'link_invalid', state: 'unknown' };
  return linkPage(deps, link);
}

async function linkPage(deps: ConsentDeps, link: LinkRecord): Promise<ConsentOutcome> {
  const now = deps.clock.now();
  const state = linkState(link, now);
  const at = await where(deps, link);
  if (state !== 'live') return { kind: 'link_closed', state, canRenew: !link.renewedAt, ...at };
  const targets = await deps.store.links.connectionsOf(link.connectionIds);
  const waiting = targets.filter((c) => c.state !== 'connected');
  const names = (waiting.length > 0 ? waiting : targets).map((c) => c.tenantName);
  return { kind: 'link_open', purpose: link.purpose, names, minutesLeft: Math.ceil((link.expiresAt.getTime() - now.getTime()) / 60_000), ...at };
}

export async function startConsent(deps: ConsentDeps, key: LinkKey): Promise<StartResult> {
  const link = await resolveLink(deps, key);
  if (!link) return { outcome: { kind: 'link_invalid', state: key.t || key.s ? 'unknown' : 'missing' } };
  const now = deps.clock.now();
  if (linkState(link, now) !== 'live') return { outcome: await linkPage(deps, link) };
  const trip = await deps.xero.startTrip();
  if (!trip.ok) {
    deps.log.warn({ status: trip.error.status, xeroError: trip.error.xeroError }, 'could not build the consent url');
    return { outcome: { kind: 'refused', reason: 'xero_down', retry: true, ...(await where(deps, link)) } };
  }
  await deps.store.links.startAttempt(link.id, {
    stateHash: hashSecret(trip.value.state),
    nonce: trip.value.nonce,
    verifierEnc: trip.value.verifierEnc,
    expiresAt: new Date(now.getTime() + STATE_LIFETIME_MS),
  });
  deps.log.info({ linkId: link.id, purpose: link.purpose }, 'sent to xero consent');
  return { redirect: trip.value.url };
}

export async function renewLink(deps: ConsentDeps, key: LinkKey): Promise<ConsentOutcome> {
  const link = await resolveLink(deps, key);
  if (!link) return { kind: 'link_invalid', state: key.t || key.s ? 'unknown' : 'missing' };
  const now = deps.clock.now();
  if (linkState(link, now) === 'live') return linkPage(deps, link);
  const at = await where(deps, link);
  if (!(await deps.store.links.markRenewed(link.id, now))) return { kind: 'fresh_sent', already: true, ...at };
  const actor = actorOf(link);
  const sent = await deps.followUps
    .freshLink({ purpose: link.purpose, actor, connectionIds: link.connectionIds, ...(link.incidentId ? { incidentId: link.incidentId } : {}) })
    .catch((error: unknown) => {
      deps.log.error({ err: error, linkId: link.id }, 'could not send a fresh link');
      return { ok: false };
    });
  if (!sent.ok) {
    await deps.store.links.clearRenewed(link.id);
    return { kind: 'fresh_failed', ...at };
  }
  deps.log.info({ linkId: link.id, purpose: link.purpose }, 'fresh link sent');
  return { kind: 'fresh_sent', already: false, ...at };
}

function actorOf(link: LinkRecord): ChatActor {
  return { platform: link.platform, userId: link.chatUserId, ...(link.chatUserName ? { name: link.chatUserName } : {}) };
}

export async function completeConsent(deps: ConsentDeps, rawQuery: string): Promise<ConsentOutcome> {
  const query = new URLSearchParams(rawQuery);
  const state = query.get('state');
  if (!state) return { kind: 'sign_in', state: 'unknown', retry: false };
  const now = deps.clock.now();
  const claimed = await deps.store.links.claimAttempt(hashSecret(state), now);
  if (claimed === 'unknown') {
    deps.log.info({ refusal: claimed }, 'oauth state refused');
    return { kind: 'sign_in', state: 'unknown', retry: false };
  }
  if (claimed === 'expired') {
    const link = await deps.store.links.linkOfState(hashSecret(state));
    return { kind: 'sign_in', state: 'expired', retry: link !== undefined && linkState(link, now) === 'live' };
  }
  const { attempt, link, fresh } = claimed;
  if (!fresh) {
    // A reload, or the browser asking twice: the result the first arrival stored.
    if (attempt.outcome) return JSON.parse(attempt.outcome) as ConsentOutcome;
    return { kind: 'sign_in', state: 'in_progress', retry: false };
  }
  const outcome = await finish(deps, link, attempt, state, rawQuery);
  await deps.store.links.saveOutcome(attempt.id, outcome);
  if (outcome.kind === 'refused' && tellAdmins(outcome.reason)) {
    const names = (await deps.store.links.connectionsOf(link.connectionIds)).map((c) => c.tenantName);
    await deps.followUps.refused({ purpose: link.purpose, actor: actorOf(link), reason: outcome.reason, tenantNames: names, attemptId: attempt.id, at: now }).catch((error: unknown) => {
      // The page already says what happened; the chat message is the outbox's to retry.
      deps.log.error({ err: error, attemptId: attempt.id }, 'could not tell the admins about a refused consent');
    });
  }
  return outcome;
}

async function finish(deps: ConsentDeps, link: LinkRecord, attempt: { nonce: string; verifierEnc: string }, state: string, rawQuery: string): Promise<ConsentOutcome> {
  const query = new URLSearchParams(rawQuery);
  const actor = actorOf(link);
  const log = deps.log.child({ linkId: link.id, purpose: link.purpose });
  const at = await where(deps, link);
  const audit: Audit = (outcome, detail, extra = {}) =>
    deps.store.connections.log({
      connectionId: extra.connectionId ?? link.connectionIds[0] ?? null,
      tenantId: extra.tenantId ?? null,
      kind: 'oauth',
      operation: link.purpose,
      outcome,
      httpStatus: extra.httpStatus ?? null,
      xeroError: extra.xeroError ?? null,
      actor,
      detail,
      at: deps.clock.now(),
    });
  const refused = async (reason: ConsentRefusal, detail: string, extra: Parameters<Audit>[2] = {}): Promise<ConsentOutcome> => {
    await audit('failure', detail, extra);
    log.warn({ reason }, 'consent refused');
    return { kind: 'refused', reason, retry: reason !== 'operator' && linkState(link, deps.clock.now()) === 'live', ...at };
  };

  const xeroError = query.get('error');
  if (xeroError) return refused(classifyCallbackError(xeroError, query.get('error_description')), `consent not given: ${xeroError}`.slice(0, 200), { xeroError: xeroError.slice(0, 100) });
  if (!query.get('code')) return refused('xero_refused', 'Xero sent no authorisation code');

  // 1. Code for tokens, with our PKCE verifier; the id_token must carry our nonce.
  const exchanged = await deps.xero.finishTrip(rawQuery, { state, nonce: attempt.nonce, verifierEnc: attempt.verifierEnc });
  if (!exchanged.ok) {
    const f = exchanged.error;
    if (f.code === 'verifier_unreadable') return refused('unverified', 'the stored PKCE verifier could not be read');
    log.warn({ cause: f.cause, status: f.status, xeroError: f.xeroError }, 'code exchange failed');
    const reason: ConsentRefusal = f.clientCheck ? 'unverified' : f.cause === 'token_revoked' ? 'code_refused' : f.cause === 'app_credentials_invalid' ? 'operator' : 'xero_down';
    return refused(reason, 'code exchange failed', { httpStatus: f.status, xeroError: f.xeroError });
  }
  const grant = exchanged.value;

  // 2. Which organisations this consent just authorised: the access token's
  // authentication_event_id matches Connection.authEventId (reference/xero-facts.md 1.6).
  const listed = await deps.xero.listConnections(grant.accessToken);
  if (!listed.ok) return refused('xero_down', 'listing connections failed after consent', { httpStatus: listed.error.status, xeroError: listed.error.xeroError });
  const authorised = justAuthorised(listed.value, grant.authEventId);
  if (authorised.length === 0) return refused('nothing_authorised', 'consent authorised no organisation');

  const input = { link, actor, grant, authorised, audit, at };
  return link.purpose === 'reconnect' ? reconnect(deps, input) : connect(deps, input);
}

type Audit = (outcome: 'ok' | 'failure', detail: string, extra?: { httpStatus?: number | undefined; xeroError?: string | undefined; connectionId?: string | null; tenantId?: string }) => Promise<void>;

type Finish = {
  link: LinkRecord;
  actor: ChatActor;
  grant: ConsentGrant;
  authorised: XeroTenant[];
  audit: Audit;
  at: { platform: LinkRecord['platform']; back?: Extract<ConsentOutcome, { kind: 'bound' }>['back'] };
};

type Bound = { id: string; tenantId: string; tenantName: string; created: boolean };

async function connect(deps: ConsentDeps, f: Finish): Promise<ConsentOutcome> {
  const { bound, stateRows } = await bindAll(deps, f.grant, f.authorised, f.actor, 'connect');
  for (const b of bound) await f.audit('ok', `${b.created ? 'connected' : 'restored'} ${b.tenantName}`, { connectionId: b.id, tenantId: b.tenantId });
  for (const row of stateRows) await deps.store.connections.log(row);
  await deps.store.links.markUsed(f.link.id, deps.clock.now());
  await notify(deps, { purpose: 'connect', actor: f.actor, connections: bound, at: deps.clock.now(), consentId: f.link.id });
  return { kind: 'bound', purpose: 'connect', bound: bound.map((b) => b.tenantName), notBound: [], alertChannel: await anyAlertChannel(deps), ...f.at };
}

/** One consent repairs every organisation of the link it authorised (same tenant each). */
async function reconnect(deps: ConsentDeps, f: Finish): Promise<ConsentOutcome> {
  const targets = await deps.store.links.connectionsOf(f.link.connectionIds);
  if (targets.length === 0) {
    await f.audit('failure', 'the connections to reconnect no longer exist');
    return { kind: 'sign_in', state: 'unknown', retry: false };
  }
  const { matched, notTicked, strays } = matchReconnect(targets, f.authorised.map((a) => ({ tenantId: a.tenantId, tenantName: a.tenantName ?? a.tenantId })));
  // Organisations ticked by mistake and unknown to us would stay connected to the app at Xero
  // with tokens nobody holds: remove them there. Known ones keep their own grants untouched.
  const strayConnections = f.authorised.filter((a) => strays.some((s) => s.tenantId === a.tenantId));
  const known = new Set(await deps.store.xeroConnections.knownTenants(strays.map((o) => o.tenantId)));
  for (const stray of strayConnections.filter((o) => !known.has(o.tenantId))) {
    const removed = await deps.xero.removeConnection(f.grant.accessToken, stray.id);
    if (!removed.ok) deps.log.warn({ tenantId: stray.tenantId, status: removed.error.status }, 'could not remove a wrongly authorised organisation');
  }
  const strayNames = strays.map((o) => o.tenantName);
  if (matched.length === 0) {
    const expected = targets.map((t) => t.tenantName);
    await f.audit('failure', `refused: authorised ${strayNames.join(', ')}, expected ${expected.join(', ')}`, { tenantId: targets[0]!.tenantId });
    deps.log.warn({ expected: targets.map((t) => t.tenantId), authorised: strays.map((o) => o.tenantId) }, 'reconnect refused: different organisation');
    // The link is not used: its page's button goes to Xero again until it expires.
    return { kind: 'wrong_organisation', authorised: strayNames, expected, retry: linkState(f.link, deps.clock.now()) === 'live', ...f.at };
  }
  const tenants = f.authorised.filter((a) => matched.some((m) => m.tenantId === a.tenantId));
  const { bound, stateRows } = await bindAll(deps, f.grant, tenants, f.actor, 'reconnect');
  for (const b of bound) await f.audit('ok', `reconnected ${b.tenantName}${strayNames.length ? `; not bound: ${strayNames.join(', ')}` : ''}`, { connectionId: b.id, tenantId: b.tenantId });
  for (const row of stateRows) await deps.store.connections.log(row);
  const now = deps.clock.now();
  // Organisations of the link still waiting keep the link working for them.
  const stillBroken = notTicked.filter((t) => t.state !== 'connected');
  if (linkFinished('reconnect', stillBroken.length, bound.length)) await deps.store.links.markUsed(f.link.id, now);
  const byTarget = new Map(bound.map((b) => [b.id, b]));
  const first = matched.find((m) => byTarget.has(m.id));
  await notify(deps, {
    purpose: 'reconnect',
    actor: f.actor,
    ...(f.link.incidentId ? { incidentId: f.link.incidentId } : {}),
    ...(first ? { reconnectedConnectionId: first.id } : {}),
    connections: bound,
    at: now,
    consentId: f.link.id,
  });
  const notBound: NotBound[] = [...notTicked.map((t) => ({ name: t.tenantName, why: 'not_ticked' as const })), ...strayNames.map((name) => ({ name, why: 'not_in_link' as const }))];
  return { kind: 'bound', purpose: 'reconnect', bound: bound.map((b) => b.tenantName), notBound, alertChannel: await anyAlertChannel(deps), ...f.at };
}

async function anyAlertChannel(deps: ConsentDeps): Promise<boolean> {
  return (await deps.store.targets.alertChannels()).length > 0;
}

/** The grant and every bound connection in one transaction: a crash binds all or nothing. */
async function bindAll(deps: ConsentDeps, grant: ConsentGrant, tenants: XeroTenant[], actor: ChatActor, purpose: LinkPurpose) {
  return deps.store.transaction(async (tx) => {
    const grantId = await storeGrant(tx, deps.clock.now(), grant);
    const bound: Bound[] = [];
    const stateRows: LogEntry[] = [];
    for (const tenant of tenants) bound.push(await bindTenant(tx, deps.clock.now(), grantId, grant, tenant, actor, purpose, stateRows));
    return { bound, stateRows };
  });
}

/** Tokens are per Xero user: a new consent by a known user refreshes that user's one grant. */
async function storeGrant(tx: Repos, now: Date, grant: ConsentGrant): Promise<string> {
  const identity = { email: grant.email, name: grant.name, authEventId: grant.authEventId };
  const existing = await tx.grantTokens.findLiveByXeroUser(grant.xeroUserId);
  if (existing) {
    await tx.grantTokens.replaceTokens(existing, grant.tokens, identity, now);
    return existing;
  }
  return tx.grantTokens.create(grant.xeroUserId, grant.tokens, identity, now);
}

async function bindTenant(tx: Repos, now: Date, grantId: string, grant: ConsentGrant, tenant: XeroTenant, actor: ChatActor, purpose: LinkPurpose, stateRows: LogEntry[]): Promise<Bound> {
  const tenantName = tenant.tenantName ?? tenant.tenantId;
  const binding = { grantId, xeroConnectionId: tenant.id, tenantName, tenantType: tenant.tenantType, connectedBy: actor, xeroUserId: grant.xeroUserId, now };
  const existing = await tx.xeroConnections.byTenant(tenant.tenantId);
  if (!existing) {
    const id = await tx.xeroConnections.createBound(tenant.tenantId, binding);
    await tx.events.emit({ type: 'connection.connected', connectionId: id, previousState: null, actor, at: now });
    return { id, tenantId: tenant.tenantId, tenantName, created: true };
  }
  // Restore: new tokens and Xero ids; the settings (alert channel, sync-from, schedule) stay.
  // A paused connection stays paused; everything else is connected again.
  const state = existing.state === 'paused' ? 'paused' : 'connected';
  await tx.xeroConnections.rebind(existing.id, binding, state !== existing.state ? state : undefined);
  if (state !== existing.state) {
    // With an incident open this consent is the repair: restored, with the point to re-sync from.
    const open = await tx.incidents.findOpen(existing.id);
    await tx.events.emit({ type: open ? 'connection.restored' : 'connection.connected', connectionId: existing.id, previousState: existing.state, actor, at: now });
    stateRows.push({ connectionId: existing.id, tenantId: tenant.tenantId, kind: 'state', operation: purpose, outcome: 'info', fromState: existing.state, toState: state, actor, at: now });
  }
  if (existing.grantId && existing.grantId !== grantId) await forgetOrphanGrant(tx, now, existing.grantId);
  return { id: existing.id, tenantId: tenant.tenantId, tenantName, created: false };
}

/** A grant no connection uses any more is erased locally. Not revoked: revocation would end
 * every connection of that Xero user, including ones now held by the new grant. */
async function forgetOrphanGrant(tx: Repos, now: Date, grantId: string): Promise<void> {
  if ((await tx.xeroConnections.countOnGrant(grantId)) > 0) return;
  await tx.grantTokens.erase(grantId, now, false);
}

function justAuthorised(connections: XeroTenant[], authEventId: string | undefined): XeroTenant[] {
  if (!authEventId) return connections;
  const matching = connections.filter((c) => c.authEventId === authEventId);
  // Connections without authEventId at all (older answers, the spec's own example): fall back to
  // the whole list rather than bind nothing.
  if (matching.length === 0 && connections.every((c) => !c.authEventId)) return connections;
  return matching;
}

async function notify(deps: ConsentDeps, event: ConsentBound): Promise<void> {
  try {
    await deps.followUps.bound(event);
  } catch (error) {
    // The connection is stored and the person sees success; the announcement failing is the
    // outbox's to retry, so it is logged here and not shown as a failed consent.
    deps.log.error({ err: error, purpose: event.purpose }, 'onConnected hook failed');
  }
}
