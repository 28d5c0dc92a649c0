// Building outbox rows for the handlers: where an organisation's alerts go, how a person is reached
// by direct message, and the edits and thread replies that follow an alert wherever it was posted.
// Message keys: an incident's alert is `alert:<incidentId>`, a summary `summary:<firstIncidentId>`;
// each channel copy is `<alertKey>@<chatTargetId>`.
import type { ChatTargetRow, ConnectionRow, IncidentWithConnection, Repos, OutboxInput, OutboxMeta, PostedCopy } from './store.ts';
import type { ChatAddress } from './ports.ts';
import type { HandlerDeps } from './deps.ts';
import type { LinkSent, Person, View } from '../domain/views/model.ts';
import { causeOf, decodeLinksSent, encodeLinksSent, toAlertView } from '../domain/views/alert.ts';
import type { Phrase } from '../domain/views/phrase.ts';
import { toSummaryView } from '../domain/views/summary.ts';
import { textView } from '../domain/views/text.ts';

export const alertKeyOf = (incidentId: string) => `alert:${incidentId}`;
export const SUMMARY_PREFIX = 'summary:';
export const summaryKeyOf = (firstIncidentId: string) => `${SUMMARY_PREFIX}${firstIncidentId}`;
export const copyKey = (alertKey: string, targetId: string) => `${alertKey}@${targetId}`;

/** The connection's own alert channel when it has one, else every platform's alert channel. */
export async function alertTargets(tx: Repos, connection: Pick<ConnectionRow, 'alertTargetId'> | null): Promise<ChatTargetRow[]> {
  if (connection?.alertTargetId) {
    const own = await tx.targets.get(connection.alertTargetId);
    if (own) return [own];
  }
  return tx.targets.alertChannels();
}

export function channelAddress(target: ChatTargetRow): ChatAddress {
  return target.platform === 'teams' ? { platform: 'teams', targetId: target.id } : { platform: 'slack', channel: target.externalId };
}

/** A direct message: Slack opens it by user id; Teams needs a stored 1:1 reference or the tenant. */
export async function personAddress(tx: Repos, person: Person): Promise<ChatAddress> {
  if (person.platform === 'slack') return { platform: 'slack', user: person.userId };
  const stored = await tx.targets.find('teams', 'user', person.userId);
  if (stored?.conversationReference) return { platform: 'teams', targetId: stored.id };
  const channel = (await tx.targets.alertChannels()).find((t) => t.platform === 'teams');
  const reference = parseReference(channel?.conversationReference ?? null);
  return {
    platform: 'teams',
    user: person.userId,
    ...(reference.tenantId ? { tenantId: reference.tenantId } : {}),
    ...(reference.serviceUrl ? { serviceUrl: reference.serviceUrl } : {}),
  };
}

function parseReference(text: string | null): { tenantId?: string; serviceUrl?: string } {
  if (!text) return {};
  try {
    const ref = JSON.parse(text) as { serviceUrl?: unknown; conversation?: { tenantId?: unknown } };
    return {
      ...(typeof ref.serviceUrl === 'string' ? { serviceUrl: ref.serviceUrl } : {}),
      ...(typeof ref.conversation?.tenantId === 'string' ? { tenantId: ref.conversation.tenantId } : {}),
    };
  } catch {
    // Stored by the Teams adapter; without it the Teams sender falls back to its own defaults.
    return {};
  }
}

/** Posts of a new alert or summary to each alert channel. */
export function postsTo(targets: readonly ChatTargetRow[], alertKey: string, view: View, meta: OutboxMeta): OutboxInput[] {
  return targets.map((target) => ({
    dedupeKey: `post:${copyKey(alertKey, target.id)}`,
    platform: target.platform,
    kind: 'post',
    address: channelAddress(target),
    view,
    messageKey: copyKey(alertKey, target.id),
    targetId: target.id,
    meta,
  }));
}

export async function directMessage(
  tx: Repos,
  person: Person,
  dedupeKey: string,
  view: View,
  meta: OutboxMeta,
): Promise<OutboxInput> {
  return { dedupeKey, platform: person.platform, kind: 'dm', address: await personAddress(tx, person), view, meta };
}

/** The current view of the message an incident is shown in: its own alert, or its summary. */
export async function currentViewOf(tx: Repos, alertKey: string, groupWindowMs: number): Promise<View | undefined> {
  const members = await tx.incidents.byAlertKey(alertKey);
  if (members.length === 0) return undefined;
  if (alertKey.startsWith('alert:')) {
    const incident = members[0]!;
    return toAlertView(incident, incident.connection);
  }
  return toSummaryView(
    members.map((m) => ({ incidentId: m.id, connectionId: m.connectionId, tenantName: m.connection.tenantName, cause: m.cause, resolved: m.status === 'resolved', missingScopes: m.missingScopes })),
    groupWindowMs,
  );
}

/**
 * Serialises the edits of one alert or summary message: a guarded no-op write on its first
 * incident holds that row until the transaction ends. Two transactions editing the same summary
 * at once (a break added by the monitor tick, another row resolved by a check) would otherwise
 * each read it without the other's change, and the later-queued edit, the one the outbox keeps,
 * could lack a row. Call it after this transaction's own incident writes, before reading the view.
 */
export async function lockMessage(tx: Repos, alertKey: string): Promise<void> {
  await tx.incidents.updateIf(alertKey.slice(alertKey.indexOf(':') + 1), { alertKey }, { alertKey });
}

/**
 * Edits every posted copy of the message an incident is shown in, and optionally adds a thread
 * reply under each. `event` makes the dedupe keys: the same event (a double click, a retried
 * handler) queues nothing new.
 */
export async function followUps(
  tx: Repos,
  alertKey: string | null,
  event: string,
  groupWindowMs: number,
  options: { edit?: boolean; reply?: { text: string | Phrase; tone?: 'info' | 'warning' | 'danger' | 'good' }; meta?: OutboxMeta } = {},
): Promise<OutboxInput[]> {
  if (!alertKey) return [];
  const copies = await tx.outbox.postedCopies(`${alertKey}@`);
  if (copies.length === 0) return [];
  if (options.edit !== false) await lockMessage(tx, alertKey);
  const view = options.edit === false ? undefined : await currentViewOf(tx, alertKey, groupWindowMs);
  const reply = options.reply ? textView(options.reply.text, options.reply.tone ?? 'info') : undefined;
  return onEveryCopy(copies, event, { ...(view ? { view } : {}), ...(reply ? { reply } : {}) }, { ...options.meta, purpose: 'step' });
}

/** An edit to `view` and/or a thread reply under each copy; dedupe keys `update|reply:<copy>:<event>`. */
export function onEveryCopy(copies: readonly PostedCopy[], event: string, content: { view?: View; reply?: View }, meta: OutboxMeta): OutboxInput[] {
  const rows: OutboxInput[] = [];
  for (const { platform, messageKey, address } of copies) {
    if (content.view) rows.push({ dedupeKey: `update:${messageKey}:${event}`, platform, kind: 'update', address, view: content.view, messageKey, meta });
    if (content.reply) rows.push({ dedupeKey: `reply:${messageKey}:${event}`, platform, kind: 'reply', address, view: content.reply, parentKey: messageKey, meta });
  }
  return rows;
}

/**
 * Records reconnect links sent by direct message on the incident, so its alert says who holds one
 * and since when. A compare-and-set on the list: of two writers at once, the second re-reads.
 * Call it before `followUps`, so the edit it queues shows the link.
 */
export async function recordLinksSent(tx: Repos, incidentId: string, sent: readonly LinkSent[]): Promise<void> {
  if (sent.length === 0) return;
  for (let attempt = 0; attempt < 5; attempt++) {
    const incident = await tx.incidents.get(incidentId);
    if (!incident) return;
    const next = encodeLinksSent([...decodeLinksSent(incident.linksSent), ...sent]);
    if (await tx.incidents.updateIf(incidentId, { linksSent: incident.linksSent }, { linksSent: next })) return;
  }
}

export function linkSent(to: Person, at: Date, expiresAt: Date | string): LinkSent {
  return { to, at: at.toISOString(), expiresAt: typeof expiresAt === 'string' ? new Date(expiresAt).toISOString() : expiresAt.toISOString() };
}

/**
 * A single-use reconnect link for the person who connected the incident's organisation, or nothing
 * when reconnecting cannot help (our own app credentials are wrong) or the link could not be issued.
 */
export async function reconnectLinkFor(deps: HandlerDeps, incident: IncidentWithConnection, person: Person) {
  if (causeOf(incident.cause) === 'app_credentials_invalid') return undefined;
  try {
    return await deps.links.issue({ purpose: 'reconnect', actor: person, connectionId: incident.connectionId, incidentId: incident.id });
  } catch (error) {
    // The message still goes out; its Reconnect button issues a fresh link on demand.
    deps.log.error({ err: error, incidentId: incident.id }, 'could not issue reconnect link');
    return undefined;
  }
}
