// The browser side of connecting (DESIGN.md sections 1.1, 8). GET /xero/connect shows what the
// link will do and changes nothing; its "Continue to Xero" (a POST) starts one trip to Xero's
// consent page with its own state, nonce and PKCE verifier; /xero/callback checks all three and
// binds what the consent authorised. The link is used only when a consent bound everything it was
// for: a wrong organisation, a refusal or a cancel leave it working until it expires. Every result
// is stored with its trip, so reloading the result page shows the same result. Pages are worded in
// src/domain/views/pages.ts from the ConsentOutcome returned here.
import { randomBytes } from 'node:crypto';
import { hashSecret, LINK_LIFETIME_MS } from '../../../handlers/oauth/issue-link.ts';
import type { ChatActor } from '../../../domain/permissions.ts';
import { linkFinished, matchReconnect, tellAdmins, type ConsentOutcome, type ConsentRefusal, type LinkPurpose, type NotBound } from '../../../domain/consent.ts';
import type { Clock, ConnectionLogWriter, ConsentBound, ConsentBoundHandler, ConsentRefusedHandler, FreshLinkHandler, LogEntry } from '../../../handlers/ports.ts';
import type { Db } from '../../db/client.ts';
import { createEvents, NO_ENDPOINTS, type EventRouting } from '../../db/events.ts';
import type { EventsRepo } from '../../../handlers/store.ts';
import type { Logger } from '../../observability/logger.ts';
import type { XeroConnection, XeroGateway, IdentityClaims, Tokens } from '../gateway.ts';
import { openid } from '../transport.ts';
import { createGrantStore, type GrantStore } from '../grant-store.ts';
import type { TokenCipher } from '../token-cipher.ts';
import { stateOf, type LinkRow, type LinkStore } from '../link-store.ts';

/** Time allowed between leaving for Xero and coming back (sign-in, MFA, picking organisations). */
export const STATE_LIFETIME_MS = LINK_LIFETIME_MS;

type Bound = { id: string; tenantId: string; tenantName: string; created: boolean };

export type ConsentDeps = {
  db: Db;
  links: LinkStore;
  cipher: TokenCipher;
  gateway: Pick<XeroGateway, 'consentUrl' | 'exchangeCode' | 'connections' | 'deleteConnection'>;
  connectionLog: ConnectionLogWriter;
  clock: Clock;
  log: Logger;
  /** Side effects belong to the caller (resolve the incidents, tell the channel). */
  onConsentBound?: ConsentBoundHandler;
  /** Sends a fresh link by direct message (the chat side's outbox). */
  onFreshLink?: FreshLinkHandler;
  /** Tells the admins (and the person) in chat that Xero refused a consent. */
  onConsentRefused?: ConsentRefusedHandler;
  /** Webhook endpoints: the events of a bound consent commit with it. */
  events?: EventRouting;
};

/** A page's form carries the link token (`t`) or, on a result page, the trip's state (`s`). */
export type LinkKey = { t?: string; s?: string };

export type StartResult = { redirect: string } | { outcome: ConsentOutcome };

async function resolveLink(deps: ConsentDeps, key: LinkKey): Promise<LinkRow | undefined> {
  if (key.t) return deps.links.find(hashSecret(key.t));
  if (key.s) return deps.links.linkOfState(hashSecret(key.s));
  return undefined;
}

async function where(deps: ConsentDeps, link: LinkRow) {
  const back = await deps.links.alertChannel(link.platform);
  return { platform: link.platform, ...(back ? { back } : {}) };
}

/** GET /xero/connect: what the link will do. Reads only: a scanner, an unfurl or a HEAD uses nothing. */
export async function showLink(deps: ConsentDeps, t: string | undefined): Promise<ConsentOutcome> {
  if (!t) return { kind: 'link_invalid', state: 'missing' };
  const link = await deps.links.find(hashSecret(t));
  if (!link) return { kind: 'link_invalid', state: 'unknown' };
  return linkPage(deps, link);
}

async function linkPage(deps: ConsentDeps, link: LinkRow): Promise<ConsentOutcome> {
  const now = deps.clock.now();
  const state = stateOf(link, now);
  const at = await where(deps, link);
  if (state !== 'live') return { kind: 'link_closed', state, canRenew: !link.renewedAt, ...at };
  const targets = await deps.links.connectionsOf(link.connectionIds);
  const waiting = targets.filter((c) => c.state !== 'connected');
  const names = (waiting.length > 0 ? waiting : targets).map((c) => c.tenantName);
  return { kind: 'link_open', purpose: link.purpose, names, minutesLeft: Math.ceil((link.expiresAt.getTime() - now.getTime()) / 60_000), ...at };
}

/** POST /xero/connect ("Continue to Xero", or "Try again at Xero" on a result page). */
export async function startConsent(deps: ConsentDeps, key: LinkKey): Promise<StartResult> {
  const link = await resolveLink(deps, key);
  if (!link) return { outcome: { kind: 'link_invalid', state: key.t || key.s ? 'unknown' : 'missing' } };
  const now = deps.clock.now();
  if (stateOf(link, now) !== 'live') return { outcome: await linkPage(deps, link) };
  const checks = { state: randomBytes(32).toString('base64url'), nonce: randomBytes(24).toString('base64url'), codeVerifier: openid.generators.codeVerifier() };
  const url = await deps.gateway.consentUrl(checks);
  if (!url.ok) {
    deps.log.warn({ status: url.error.status, xeroError: url.error.xeroError }, 'could not build the consent url');
    return { outcome: { kind: 'refused', reason: 'xero_down', retry: true, ...(await where(deps, link)) } };
  }
  await deps.links.startAttempt(link.id, {
    stateHash: hashSecret(checks.state),
    nonce: checks.nonce,
    verifierEnc: deps.cipher.encrypt(checks.codeVerifier),
    expiresAt: new Date(now.getTime() + STATE_LIFETIME_MS),
  });
  deps.log.info({ linkId: link.id, purpose: link.purpose }, 'sent to xero consent');
  return { redirect: url.value };
}

/** POST /xero/link/fresh: a used or expired link's one-click way to a new one, by direct message. */
export async function sendFreshLink(deps: ConsentDeps, key: LinkKey): Promise<ConsentOutcome> {
  const link = await resolveLink(deps, key);
  if (!link) return { kind: 'link_invalid', state: key.t || key.s ? 'unknown' : 'missing' };
  const now = deps.clock.now();
  if (stateOf(link, now) === 'live') return linkPage(deps, link);
  const at = await where(deps, link);
  if (!(await deps.links.markRenewed(link.id, now))) return { kind: 'fresh_sent', already: true, ...at };
  const actor = actorOf(link);
  const sent = deps.onFreshLink
    ? await deps.onFreshLink({ purpose: link.purpose, actor, connectionIds: link.connectionIds, ...(link.incidentId ? { incidentId: link.incidentId } : {}) }).catch((error: unknown) => {
        deps.log.error({ err: error, linkId: link.id }, 'could not send a fresh link');
        return { ok: false };
      })
    : { ok: false };
  if (!sent.ok) {
    await deps.links.clearRenewed(link.id);
    return { kind: 'fresh_failed', ...at };
  }
  deps.log.info({ linkId: link.id, purpose: link.purpose }, 'fresh link sent');
  return { kind: 'fresh_sent', already: false, ...at };
}

function actorOf(link: LinkRow): ChatActor {
  return { platform: link.platform, userId: link.chatUserId, ...(link.chatUserName ? { name: link.chatUserName } : {}) };
}

/** GET /xero/callback. */
export async function completeConsent(deps: ConsentDeps, rawQuery: string): Promise<ConsentOutcome> {
  const query = new URLSearchParams(rawQuery);
  const state = query.get('state');
  if (!state) return { kind: 'sign_in', state: 'unknown', retry: false };
  const now = deps.clock.now();
  const claimed = await deps.links.claimAttempt(hashSecret(state), now);
  if (claimed === 'unknown') {
    deps.log.info({ refusal: claimed }, 'oauth state refused');
    return { kind: 'sign_in', state: 'unknown', retry: false };
  }
  if (claimed === 'expired') {
    const link = await deps.links.linkOfState(hashSecret(state));
    return { kind: 'sign_in', state: 'expired', retry: link !== undefined && stateOf(link, now) === 'live' };
  }
  const { attempt, link, fresh } = claimed;
  if (!fresh) {
    // A reload, or the browser asking twice: the result the first arrival stored.
    if (attempt.outcome) return JSON.parse(attempt.outcome) as ConsentOutcome;
    return { kind: 'sign_in', state: 'in_progress', retry: false };
  }
  const outcome = await finish(deps, link, attempt, state, rawQuery);
  await deps.links.saveOutcome(attempt.id, outcome);
  if (outcome.kind === 'refused' && tellAdmins(outcome.reason) && deps.onConsentRefused) {
    const names = (await deps.links.connectionsOf(link.connectionIds)).map((c) => c.tenantName);
    await deps.onConsentRefused({ purpose: link.purpose, actor: actorOf(link), reason: outcome.reason, tenantNames: names, attemptId: attempt.id, at: now }).catch((error: unknown) => {
      // The page already says what happened; the chat message is the outbox's to retry.
      deps.log.error({ err: error, attemptId: attempt.id }, 'could not tell the admins about a refused consent');
    });
  }
  return outcome;
}

async function finish(deps: ConsentDeps, link: LinkRow, attempt: { nonce: string; verifierEnc: string }, state: string, rawQuery: string): Promise<ConsentOutcome> {
  const query = new URLSearchParams(rawQuery);
  const actor = actorOf(link);
  const log = deps.log.child({ linkId: link.id, purpose: link.purpose });
  const at = await where(deps, link);
  const audit: Audit = (outcome, detail, extra = {}) =>
    deps.connectionLog.append({
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
    return { kind: 'refused', reason, retry: reason !== 'operator' && stateOf(link, deps.clock.now()) === 'live', ...at };
  };

  const xeroError = query.get('error');
  if (xeroError) return refused(classifyCallbackError(xeroError, query.get('error_description')), `consent not given: ${xeroError}`.slice(0, 200), { xeroError: xeroError.slice(0, 100) });
  if (!query.get('code')) return refused('xero_refused', 'Xero sent no authorisation code');

  // 1. Code for tokens, with our PKCE verifier; the id_token must carry our nonce.
  const verifier = deps.cipher.decrypt(attempt.verifierEnc);
  if (!verifier.ok) return refused('unverified', 'the stored PKCE verifier could not be read');
  const exchanged = await deps.gateway.exchangeCode(rawQuery, { state, nonce: attempt.nonce, codeVerifier: verifier.value });
  if (!exchanged.ok) {
    const f = exchanged.error;
    log.warn({ cause: f.cause, status: f.status, xeroError: f.xeroError }, 'code exchange failed');
    const reason: ConsentRefusal = f.clientCheck ? 'unverified' : f.cause === 'token_revoked' ? 'code_refused' : f.cause === 'app_credentials_invalid' ? 'operator' : 'xero_down';
    return refused(reason, 'code exchange failed', { httpStatus: f.status, xeroError: f.xeroError });
  }
  const { tokens, claims } = exchanged.value;

  // 2. Which organisations this consent just authorised: the access token's
  // authentication_event_id matches Connection.authEventId (reference/xero-facts.md 1.6).
  const listed = await deps.gateway.connections(tokens.accessToken);
  if (!listed.ok) return refused('xero_down', 'listing connections failed after consent', { httpStatus: listed.error.status, xeroError: listed.error.xeroError });
  const authorised = justAuthorised(listed.value, claims.authEventId);
  if (authorised.length === 0) return refused('nothing_authorised', 'consent authorised no organisation');

  const input = { link, actor, tokens, claims, authorised, audit, at };
  return link.purpose === 'reconnect' ? reconnect(deps, input) : connect(deps, input);
}

/**
 * Xero's words at the callback: access_denied is the person's cancel (or Xero's refusal); a
 * description naming a limit is the app's connection cap for its pricing tier.
 */
export function classifyCallbackError(error: string, description: string | null): ConsentRefusal {
  const words = `${error} ${description ?? ''}`.toLowerCase();
  if (/limit|maximum|cap\b|tier|quota|too many/.test(words)) return 'connection_cap';
  if (error === 'access_denied') return 'declined';
  if (error === 'temporarily_unavailable' || error === 'server_error') return 'xero_down';
  return 'xero_refused';
}

type Audit = (outcome: 'ok' | 'failure', detail: string, extra?: { httpStatus?: number; xeroError?: string; connectionId?: string | null; tenantId?: string }) => Promise<void>;

type Finish = {
  link: LinkRow;
  actor: ChatActor;
  tokens: Tokens;
  claims: IdentityClaims;
  authorised: XeroConnection[];
  audit: Audit;
  at: { platform: LinkRow['platform']; back?: Extract<ConsentOutcome, { kind: 'bound' }>['back'] };
};

async function connect(deps: ConsentDeps, f: Finish): Promise<ConsentOutcome> {
  const { bound, stateRows } = await bindAll(deps, f.tokens, f.claims, f.authorised, f.actor, 'connect');
  for (const b of bound) await f.audit('ok', `${b.created ? 'connected' : 'restored'} ${b.tenantName}`, { connectionId: b.id, tenantId: b.tenantId });
  for (const row of stateRows) await deps.connectionLog.append(row);
  await deps.links.markUsed(f.link.id, deps.clock.now());
  await notify(deps, { purpose: 'connect', actor: f.actor, connections: bound, at: deps.clock.now(), consentId: f.link.id });
  return { kind: 'bound', purpose: 'connect', bound: bound.map((b) => b.tenantName), notBound: [], alertChannel: await anyAlertChannel(deps), ...f.at };
}

/** One consent repairs every organisation of the link it authorised (same tenant each). */
async function reconnect(deps: ConsentDeps, f: Finish): Promise<ConsentOutcome> {
  const targets = await deps.links.connectionsOf(f.link.connectionIds);
  if (targets.length === 0) {
    await f.audit('failure', 'the connections to reconnect no longer exist');
    return { kind: 'sign_in', state: 'unknown', retry: false };
  }
  const { matched, notTicked, strays } = matchReconnect(targets, f.authorised.map((a) => ({ tenantId: a.tenantId, tenantName: a.tenantName ?? a.tenantId })));
  // Organisations ticked by mistake and unknown to us would stay connected to the app at Xero
  // with tokens nobody holds: remove them there. Known ones keep their own grants untouched.
  const strayConnections = f.authorised.filter((a) => strays.some((s) => s.tenantId === a.tenantId));
  const known = new Set((await deps.db.connection.findMany({ where: { tenantId: { in: strays.map((o) => o.tenantId) } }, select: { tenantId: true } })).map((r) => r.tenantId));
  for (const stray of strayConnections.filter((o) => !known.has(o.tenantId))) {
    const removed = await deps.gateway.deleteConnection(f.tokens.accessToken, stray.id);
    if (!removed.ok) deps.log.warn({ tenantId: stray.tenantId, status: removed.error.status }, 'could not remove a wrongly authorised organisation');
  }
  const strayNames = strays.map((o) => o.tenantName);
  if (matched.length === 0) {
    const expected = targets.map((t) => t.tenantName);
    await f.audit('failure', `refused: authorised ${strayNames.join(', ')}, expected ${expected.join(', ')}`, { tenantId: targets[0]!.tenantId });
    deps.log.warn({ expected: targets.map((t) => t.tenantId), authorised: strays.map((o) => o.tenantId) }, 'reconnect refused: different organisation');
    // The link is not used: its page's button goes to Xero again until it expires.
    return { kind: 'wrong_organisation', authorised: strayNames, expected, retry: stateOf(f.link, deps.clock.now()) === 'live', ...f.at };
  }
  const tenants = f.authorised.filter((a) => matched.some((m) => m.tenantId === a.tenantId));
  const { bound, stateRows } = await bindAll(deps, f.tokens, f.claims, tenants, f.actor, 'reconnect');
  for (const b of bound) await f.audit('ok', `reconnected ${b.tenantName}${strayNames.length ? `; not bound: ${strayNames.join(', ')}` : ''}`, { connectionId: b.id, tenantId: b.tenantId });
  for (const row of stateRows) await deps.connectionLog.append(row);
  const now = deps.clock.now();
  // Organisations of the link still waiting keep the link working for them.
  const stillBroken = notTicked.filter((t) => t.state !== 'connected');
  if (linkFinished('reconnect', stillBroken.length, bound.length)) await deps.links.markUsed(f.link.id, now);
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
  return (await deps.db.chatTarget.count({ where: { isAlertChannel: true } })) > 0;
}

/** The grant and every bound connection in one transaction: a crash binds all or nothing. */
async function bindAll(deps: ConsentDeps, tokens: Tokens, claims: IdentityClaims, tenants: XeroConnection[], actor: ChatActor, purpose: LinkPurpose) {
  return deps.db.$transaction(async (tx) => {
    const db = tx as unknown as Db;
    const grants = createGrantStore(db, deps.cipher);
    const grantId = await storeGrant(grants, deps.clock.now(), tokens, claims);
    const bound: Bound[] = [];
    const stateRows: LogEntry[] = [];
    const events = createEvents(db, deps.events ?? NO_ENDPOINTS);
    for (const tenant of tenants) bound.push(await bindTenant(db, grants, deps.clock, grantId, tenant, actor, claims, purpose, stateRows, events));
    return { bound, stateRows };
  });
}

/** Tokens are per Xero user: a new consent by a known user refreshes that user's one grant. */
async function storeGrant(grants: GrantStore, now: Date, tokens: Tokens, claims: IdentityClaims): Promise<string> {
  const identity = { email: claims.email, name: claims.name, authEventId: claims.authEventId };
  const existing = await grants.findLiveByXeroUser(claims.xeroUserId);
  if (existing) {
    await grants.replaceTokens(existing, tokens, identity, now);
    return existing;
  }
  return grants.create(claims.xeroUserId, tokens, identity, now);
}

async function bindTenant(
  db: Db,
  grants: GrantStore,
  clock: Clock,
  grantId: string,
  tenant: XeroConnection,
  actor: ChatActor,
  claims: IdentityClaims,
  purpose: LinkPurpose,
  stateRows: LogEntry[],
  events: EventsRepo,
): Promise<Bound> {
  const now = clock.now();
  const tenantName = tenant.tenantName ?? tenant.tenantId;
  const who = { connectedByPlatform: actor.platform, connectedByUserId: actor.userId, connectedByName: actor.name ?? null, xeroUserId: claims.xeroUserId };
  const existing = await db.connection.findUnique({ where: { tenantId: tenant.tenantId } });
  if (!existing) {
    const created = await db.connection.create({
      data: { tenantId: tenant.tenantId, tenantName, tenantType: tenant.tenantType ?? 'ORGANISATION', xeroConnectionId: tenant.id, grantId, state: 'connected', stateSince: now, nextCheckAt: now, ...who },
    });
    await events.emit({ type: 'connection.connected', connectionId: created.id, previousState: null, actor, at: now });
    return { id: created.id, tenantId: tenant.tenantId, tenantName, created: true };
  }
  // Restore: new tokens and Xero ids; the settings (alert channel, sync-from, schedule) stay.
  // A paused connection stays paused; everything else is connected again.
  const state = existing.state === 'paused' ? 'paused' : 'connected';
  await db.connection.update({
    where: { id: existing.id },
    data: {
      grantId,
      xeroConnectionId: tenant.id,
      tenantName,
      ...(tenant.tenantType ? { tenantType: tenant.tenantType } : {}),
      ...who,
      ...(state !== existing.state ? { state, stateSince: now } : {}),
      consecutiveFailures: 0,
      nextCheckAt: now,
      // New tokens, maybe another user or role: the first check asks the tenant itself.
      tenantProbedAt: null,
    },
  });
  if (state !== existing.state) {
    // With an incident open this consent is the repair: restored, with the point to re-sync from.
    const open = await db.incident.findUnique({ where: { openKey: existing.id }, select: { id: true } });
    await events.emit({ type: open ? 'connection.restored' : 'connection.connected', connectionId: existing.id, previousState: existing.state, actor, at: now });
    stateRows.push({ connectionId: existing.id, tenantId: tenant.tenantId, kind: 'state', operation: purpose, outcome: 'info', fromState: existing.state, toState: state, actor, at: now });
  }
  if (existing.grantId && existing.grantId !== grantId) await forgetOrphanGrant(db, grants, now, existing.grantId);
  return { id: existing.id, tenantId: tenant.tenantId, tenantName, created: false };
}

/** A grant no connection uses any more is erased locally. Not revoked: revocation would end
 * every connection of that Xero user, including ones now held by the new grant. */
async function forgetOrphanGrant(db: Db, grants: GrantStore, now: Date, grantId: string): Promise<void> {
  if ((await db.connection.count({ where: { grantId } })) > 0) return;
  await grants.erase(grantId, now, false);
}

function justAuthorised(connections: XeroConnection[], authEventId: string | undefined): XeroConnection[] {
  if (!authEventId) return connections;
  const matching = connections.filter((c) => c.authEventId === authEventId);
  // Connections without authEventId at all (older answers, the spec's own example): fall back to
  // the whole list rather than bind nothing.
  if (matching.length === 0 && connections.every((c) => !c.authEventId)) return connections;
  return matching;
}

async function notify(deps: ConsentDeps, event: ConsentBound): Promise<void> {
  if (!deps.onConsentBound) return;
  try {
    await deps.onConsentBound(event);
  } catch (error) {
    // The connection is stored and the person sees success; the announcement failing is the
    // caller's to retry (its outbox), so it is logged here and not shown as a failed consent.
    deps.log.error({ err: error, purpose: event.purpose }, 'onConnected hook failed');
  }
}
