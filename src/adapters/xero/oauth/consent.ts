// The browser side of connecting (DESIGN.md sections 1.1, 1.6, 8): /xero/connect turns a
// single-use link into Xero's consent URL with a state of its own; /xero/callback turns Xero's
// answer into a grant and its connections. Anything wrong with the link, the state or the code
// ends in a clear page and changes nothing.
import { randomBytes } from 'node:crypto';
import { hashSecret, LINK_LIFETIME_MS } from '../../../handlers/oauth/issue-link.ts';
import type { ChatActor } from '../../../domain/permissions.ts';
import type { Clock, ConnectionLogWriter, ConsentBound, ConsentBoundHandler, LogEntry } from '../../../handlers/ports.ts';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../observability/logger.ts';
import type { XeroConnection, XeroGateway, IdentityClaims, Tokens } from '../gateway.ts';
import { createGrantStore, type GrantStore } from '../grant-store.ts';
import type { TokenCipher } from '../token-cipher.ts';
import type { LinkRow, LinkStore } from '../link-store.ts';
import { PAGES, type Page } from './pages.ts';

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
  /** Side effects belong to the caller (post "Connected: X", resolve the incident). */
  onConsentBound?: ConsentBoundHandler;
};

export type StartResult = { redirect: string } | { page: Page };

export async function startConsent(deps: ConsentDeps, t: string | undefined): Promise<StartResult> {
  if (!t) return { page: PAGES.missingLink() };
  const now = deps.clock.now();
  const state = randomBytes(32).toString('base64url');
  const link = await deps.links.claimLink(hashSecret(t), now, { hash: hashSecret(state), expiresAt: new Date(now.getTime() + STATE_LIFETIME_MS) });
  if (typeof link === 'string') {
    deps.log.info({ refusal: link }, 'consent link refused');
    return { page: PAGES.link(link) };
  }
  const url = await deps.gateway.consentUrl(state);
  if (!url.ok) {
    deps.log.warn({ status: url.error.status, xeroError: url.error.xeroError }, 'could not build the consent url');
    return { page: PAGES.xeroDown() };
  }
  deps.log.info({ linkId: link.id, purpose: link.purpose }, 'sent to xero consent');
  return { redirect: url.value };
}

export async function completeConsent(deps: ConsentDeps, rawQuery: string): Promise<Page> {
  const query = new URLSearchParams(rawQuery);
  const state = query.get('state');
  if (!state) return PAGES.state('missing');
  const link = await deps.links.claimState(hashSecret(state), deps.clock.now());
  if (typeof link === 'string') {
    deps.log.info({ refusal: link }, 'oauth state refused');
    return PAGES.state(link);
  }
  const actor: ChatActor = { platform: link.platform, userId: link.chatUserId, ...(link.chatUserName ? { name: link.chatUserName } : {}) };
  const log = deps.log.child({ linkId: link.id, purpose: link.purpose, connectionId: link.connectionId ?? undefined });
  const audit = (outcome: 'ok' | 'failure', detail: string, extra: { httpStatus?: number; xeroError?: string; connectionId?: string | null; tenantId?: string } = {}) =>
    deps.connectionLog.append({
      connectionId: extra.connectionId ?? link.connectionId,
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

  if (query.get('error')) {
    await audit('failure', `consent not given: ${query.get('error')}`.slice(0, 200));
    return PAGES.cancelled();
  }
  if (!query.get('code')) return PAGES.missingCode();

  // 1. Code for tokens; openid-client checks the state and the id_token's signature and claims.
  const exchanged = await deps.gateway.exchangeCode(rawQuery, state);
  if (!exchanged.ok) {
    const f = exchanged.error;
    log.warn({ cause: f.cause, status: f.status, xeroError: f.xeroError }, 'code exchange failed');
    await audit('failure', 'code exchange failed', { httpStatus: f.status, xeroError: f.xeroError });
    if (f.clientCheck) return PAGES.unverified();
    if (f.cause === 'token_revoked') return PAGES.codeRefused();
    if (f.cause === 'app_credentials_invalid') return PAGES.operator();
    return PAGES.xeroDown();
  }
  const { tokens, claims } = exchanged.value;

  // 2. Which organisations this consent just authorised: the access token's
  // authentication_event_id matches Connection.authEventId (reference/xero-facts.md 1.6).
  const listed = await deps.gateway.connections(tokens.accessToken);
  if (!listed.ok) {
    await audit('failure', 'GET /connections failed after consent', { httpStatus: listed.error.status, xeroError: listed.error.xeroError });
    return PAGES.xeroDown();
  }
  const authorised = justAuthorised(listed.value, claims.authEventId);
  if (authorised.length === 0) {
    await audit('failure', 'consent authorised no organisation');
    return PAGES.nothingAuthorised();
  }

  return link.purpose === 'reconnect' ? reconnect(deps, link, actor, tokens, claims, authorised, audit) : connect(deps, link, actor, tokens, claims, authorised, audit);
}

type Audit = (outcome: 'ok' | 'failure', detail: string, extra?: { httpStatus?: number; xeroError?: string; connectionId?: string | null; tenantId?: string }) => Promise<void>;

async function connect(deps: ConsentDeps, link: LinkRow, actor: ChatActor, tokens: Tokens, claims: IdentityClaims, authorised: XeroConnection[], audit: Audit): Promise<Page> {
  const { bound, stateRows } = await bindAll(deps, tokens, claims, authorised, actor, 'connect');
  for (const b of bound) await audit('ok', `${b.created ? 'connected' : 'restored'} ${b.tenantName}`, { connectionId: b.id, tenantId: b.tenantId });
  for (const row of stateRows) await deps.connectionLog.append(row);
  await notify(deps, { purpose: 'connect', actor, connections: bound, at: deps.clock.now() });
  return PAGES.connected(bound.map((b) => b.tenantName), 'connect', []);
}

async function reconnect(deps: ConsentDeps, link: LinkRow, actor: ChatActor, tokens: Tokens, claims: IdentityClaims, authorised: XeroConnection[], audit: Audit): Promise<Page> {
  const connection = link.connectionId ? await deps.db.connection.findUnique({ where: { id: link.connectionId } }) : null;
  if (!connection) {
    await audit('failure', 'the connection to reconnect no longer exists');
    return PAGES.state('unknown');
  }
  const same = authorised.find((c) => c.tenantId === connection.tenantId);
  const others = authorised.filter((c) => c.tenantId !== connection.tenantId);
  // Organisations authorised by mistake and unknown to us would stay connected to the app at Xero
  // with tokens nobody holds: remove them there. Known ones keep their own grants untouched.
  const known = new Set((await deps.db.connection.findMany({ where: { tenantId: { in: others.map((o) => o.tenantId) } }, select: { tenantId: true } })).map((r) => r.tenantId));
  for (const stray of others.filter((o) => !known.has(o.tenantId))) {
    const removed = await deps.gateway.deleteConnection(tokens.accessToken, stray.id);
    if (!removed.ok) deps.log.warn({ tenantId: stray.tenantId, status: removed.error.status }, 'could not remove a wrongly authorised organisation');
  }
  const otherNames = others.map((o) => o.tenantName ?? o.tenantId);
  if (!same) {
    await audit('failure', `refused: authorised ${otherNames.join(', ')}, expected ${connection.tenantName}`, { tenantId: connection.tenantId });
    deps.log.warn({ tenantId: connection.tenantId, authorised: others.map((o) => o.tenantId) }, 'reconnect refused: different organisation');
    return PAGES.wrongOrganisation(otherNames, connection.tenantName);
  }
  const { bound, stateRows } = await bindAll(deps, tokens, claims, [same], actor, 'reconnect');
  const b = bound[0]!;
  await audit('ok', `reconnected ${b.tenantName}${otherNames.length ? `; not bound: ${otherNames.join(', ')}` : ''}`, { connectionId: b.id, tenantId: b.tenantId });
  for (const row of stateRows) await deps.connectionLog.append(row);
  await notify(deps, { purpose: 'reconnect', actor, incidentId: link.incidentId ?? undefined, reconnectedConnectionId: b.id, connections: [b], at: deps.clock.now() });
  return PAGES.connected([b.tenantName], 'reconnect', otherNames);
}

/** The grant and every bound connection in one transaction: a crash binds all or nothing. */
async function bindAll(deps: ConsentDeps, tokens: Tokens, claims: IdentityClaims, tenants: XeroConnection[], actor: ChatActor, purpose: 'connect' | 'reconnect') {
  return deps.db.$transaction(async (tx) => {
    const db = tx as unknown as Db;
    const grants = createGrantStore(db, deps.cipher);
    const grantId = await storeGrant(grants, deps.clock.now(), tokens, claims);
    const bound: Bound[] = [];
    const stateRows: LogEntry[] = [];
    for (const tenant of tenants) bound.push(await bindTenant(db, grants, deps.clock, grantId, tenant, actor, claims, purpose, stateRows));
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
  purpose: 'connect' | 'reconnect',
  stateRows: LogEntry[],
): Promise<Bound> {
  const now = clock.now();
  const tenantName = tenant.tenantName ?? tenant.tenantId;
  const who = { connectedByPlatform: actor.platform, connectedByUserId: actor.userId, connectedByName: actor.name ?? null, xeroUserId: claims.xeroUserId };
  const existing = await db.connection.findUnique({ where: { tenantId: tenant.tenantId } });
  if (!existing) {
    const created = await db.connection.create({
      data: { tenantId: tenant.tenantId, tenantName, tenantType: tenant.tenantType ?? 'ORGANISATION', xeroConnectionId: tenant.id, grantId, state: 'connected', stateSince: now, nextCheckAt: now, ...who },
    });
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
    },
  });
  if (state !== existing.state) {
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
