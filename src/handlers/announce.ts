// New alerts, once per monitor tick, and nothing waits (src/domain/alerts.ts planAnnouncement
// decides): the first break after a quiet window gets its own alert; breaks within GROUP_WINDOW of
// the last announcement are added at once to the window's open summary message (edited in place,
// the outbox coalescing the edits) or start a new one when there is none or it is full. Each
// message is queued in the outbox in the same transaction that records the announcement, so a
// crash neither loses nor repeats it.
import { planAnnouncement } from '../domain/alerts.ts';
import { causeOf, definiteCauseOf, toAlertView } from '../domain/views/alert.ts';
import { connectorOf } from '../domain/views/facts.ts';
import { MAX_SUMMARY_ROWS } from '../domain/views/summary.ts';
import { linkView, textView } from '../domain/views/text.ts';
import { DM } from '../domain/views/wording.ts';
import type { Person, View } from '../domain/views/model.ts';
import type { HandlerDeps } from './deps.ts';
import type { IncidentWithConnection, Repos, OutboxInput } from './store.ts';
import { alertKeyOf, alertTargets, currentViewOf, directMessage, linkSent, lockMessage, onEveryCopy, personAddress, postsTo, reconnectLinkFor, recordLinksSent, summaryKeyOf, SUMMARY_PREFIX } from './messages.ts';

/** `waits`: incidents to leave for a later tick (a burst that may be Xero-wide trouble, src/handlers/xero-trouble.ts). */
export async function announcePending(deps: HandlerDeps, waits: (incident: IncidentWithConnection) => boolean = () => false): Promise<{ alerts: number; summaries: number }> {
  const now = deps.clock.now();
  const pending = (await deps.store.incidents.pendingAnnouncement()).filter((i) => !waits(i));
  if (pending.length === 0) return { alerts: 0, summaries: 0 };
  const windowMs = deps.settings.groupWindowMs;
  const last = await deps.store.incidents.lastAnnouncedAt();
  const inWindow = last !== null && now.getTime() < last.getTime() + windowMs;
  const recent = inWindow ? await deps.store.incidents.recentGroups(SUMMARY_PREFIX, new Date(now.getTime() - windowMs)) : [];
  const plan = planAnnouncement(
    pending.map((i) => ({ id: i.id, openedAt: i.openedAt, target: i.connection.alertTargetId ?? '' })),
    last,
    recent.map((g) => ({ alertKey: g.alertKey, members: g.members, target: g.alertTargetId ?? '', lastAddedAt: g.lastAnnouncedAt })),
    now,
    { windowMs, capacity: MAX_SUMMARY_ROWS },
  );
  const byId = new Map(pending.map((i) => [i.id, i]));
  let alerts = 0;
  let summaries = 0;
  for (const step of plan.steps) {
    if (step.kind === 'single') {
      alerts += (await announceSingle(deps, byId.get(step.incidentId)!)) ? 1 : 0;
      continue;
    }
    const incidents = step.incidentIds.map((id) => byId.get(id)!);
    const alertKey = step.kind === 'add' ? step.alertKey : summaryKeyOf(incidents[0]!.id);
    summaries += (await announceInSummary(deps, alertKey, incidents, step.kind === 'add')) ? 1 : 0;
  }
  return { alerts, summaries };
}

async function announceSingle(deps: HandlerDeps, incident: IncidentWithConnection): Promise<boolean> {
  const now = deps.clock.now();
  const connector = connectorOf(incident.connection);
  // Issued before the transaction (it writes through the Xero side's own repository); if we crash
  // before committing, the unused link simply expires.
  const link = await reconnectLinkFor(deps, incident, connector);
  return deps.store.transaction(async (tx) => {
    const alertKey = alertKeyOf(incident.id);
    if (!(await claimAnnouncement(tx, incident.id, alertKey, now))) return false;
    // The alert says from its first post that the connector already holds a link.
    if (link) await recordLinksSent(tx, incident.id, [linkSent(connector, now, link.expiresAt)]);
    const fresh = (await tx.incidents.get(incident.id))!;
    const targets = await alertTargets(tx, fresh.connection);
    const meta = { incidentId: incident.id, connectionId: incident.connectionId };
    const rows: OutboxInput[] = postsTo(targets, alertKey, toAlertView(fresh, fresh.connection), { ...meta, purpose: 'alert' });
    if (link) {
      const dm = linkView('reconnect', DM.reconnect(fresh.connection.tenantName, definiteCauseOf(fresh.cause)), link.url, link.expiresAt);
      rows.push(await directMessage(tx, connector, `dm:alert:${incident.id}`, dm, { ...meta, recipient: 'connector', purpose: 'reconnect' }));
    }
    await tx.outbox.enqueue(rows, now);
    const detail = targets.length === 0 ? 'no alert channel set (/xero here); only the connector was told' : `alert queued to ${targets.length} channel(s)`;
    await logAnnounced(tx, fresh, 'alert', detail, now);
    if (targets.length === 0) deps.log.warn({ incidentId: incident.id }, 'no alert channel configured; run /xero here');
    return true;
  });
}

/**
 * Puts `incidents` in the summary `alertKey`: posts it when it is new, else edits every posted
 * copy to the summary as it now reads (the outbox skips an edit when a newer one of the same
 * message is queued, so a growing summary costs a few chat.update calls, not one per row).
 */
async function announceInSummary(deps: HandlerDeps, alertKey: string, incidents: IncidentWithConnection[], existing: boolean): Promise<boolean> {
  const now = deps.clock.now();
  // The alert that opened this window (its own message, its own DM) belongs in the same repair:
  // the summary's link covers it too, so one consent fixes every organisation of the person.
  const opener: IncidentWithConnection[] = [];
  for (const group of await deps.store.incidents.recentGroups('alert:', new Date(now.getTime() - deps.settings.groupWindowMs))) {
    opener.push(...(await deps.store.incidents.byAlertKey(group.alertKey)).filter((i) => i.status === 'open'));
  }
  const members = existing ? await deps.store.incidents.byAlertKey(alertKey) : [];
  const links = await summaryLinks(deps, [...opener, ...members, ...incidents]);
  return deps.store.transaction(async (tx) => {
    const claimed: IncidentWithConnection[] = [];
    for (const incident of incidents) {
      if (await claimAnnouncement(tx, incident.id, alertKey, now)) claimed.push(incident);
    }
    if (claimed.length === 0) return false;
    if (existing) await lockMessage(tx, alertKey);
    const view = (await currentViewOf(tx, alertKey, deps.settings.groupWindowMs))!;
    const event = `add:${claimed[0]!.id}`;
    const rows: OutboxInput[] = existing
      ? onEveryCopy(await tx.outbox.postedCopies(`${alertKey}@`), event, { view }, { purpose: 'alert' })
      : postsTo(await alertTargets(tx, claimed[0]!.connection), alertKey, view, { purpose: 'alert' });
    rows.push(...(await summaryDirectMessages(tx, alertKey, claimed, event, links, opener)));
    await tx.outbox.enqueue(rows, now);
    const detail = existing ? `added to a summary (${claimed.length} this time)` : `in a new summary of ${claimed.length}`;
    for (const incident of claimed) await logAnnounced(tx, incident, 'alert', detail, now);
    return true;
  });
}

/**
 * One direct message per person who connected any of the summary's organisations, listing theirs:
 * a mass revocation must not become a thousand DMs either. When the summary grows, a person who
 * already has its DM gets that DM edited to the longer list; a person new to it gets one.
 */
async function summaryDirectMessages(
  tx: Repos,
  alertKey: string,
  claimed: IncidentWithConnection[],
  event: string,
  links: Map<string, SummaryLink>,
  opener: IncidentWithConnection[],
): Promise<OutboxInput[]> {
  const members = await tx.incidents.byAlertKey(alertKey);
  const alsoOpen = new Map<string, string[]>();
  for (const incident of opener) {
    const person = connectorOf(incident.connection);
    const key = `${person.platform}:${person.userId}`;
    alsoOpen.set(key, [...(alsoOpen.get(key) ?? []), incident.connection.tenantName]);
  }
  const added = new Set(claimed.map((i) => i.id));
  const byConnector = new Map<string, { person: Person; names: string[]; earlier: boolean; touched: boolean }>();
  for (const incident of members) {
    const person = connectorOf(incident.connection);
    const key = `${person.platform}:${person.userId}`;
    const entry = byConnector.get(key) ?? { person, names: [], earlier: false, touched: false };
    entry.names.push(incident.connection.tenantName);
    if (added.has(incident.id)) entry.touched = true;
    else entry.earlier = true;
    byConnector.set(key, entry);
  }
  const rows: OutboxInput[] = [];
  for (const [key, { person, names, earlier, touched }] of byConnector) {
    if (!touched) continue;
    const dmKey = `dm:${alertKey}:${key}`;
    const link = links.get(key);
    names.sort();
    const all = [...new Set([...(alsoOpen.get(key) ?? []), ...names])];
    const dm: View = link ? linkView('reconnect', DM.summaryWithLink(all), link.url, link.expiresAt) : textView(DM.summary(names.length), 'danger', names.slice(0, MAX_SUMMARY_ROWS));
    const meta = { recipient: 'connector' as const, purpose: 'alert' as const };
    if (!earlier) {
      rows.push({ ...(await directMessage(tx, person, dmKey, dm, meta)), messageKey: dmKey });
      continue;
    }
    rows.push({ dedupeKey: `update:${dmKey}:${event}`, platform: person.platform, kind: 'update', address: await personAddress(tx, person), view: dm, messageKey: dmKey, meta });
  }
  return rows;
}

type SummaryLink = { url: string; expiresAt: Date | string };

/**
 * One reconnect link per person for every organisation of theirs in the summary: one consent,
 * where they tick them all, repairs them all. Issued before the transaction (the Xero side stores
 * links); if we crash before committing, the unused links simply expire.
 */
async function summaryLinks(deps: HandlerDeps, incidents: IncidentWithConnection[]): Promise<Map<string, SummaryLink>> {
  const byConnector = new Map<string, { person: Person; connectionIds: string[] }>();
  for (const incident of incidents) {
    if (incident.status !== 'open' || causeOf(incident.cause) === 'app_credentials_invalid') continue;
    const person = connectorOf(incident.connection);
    const key = `${person.platform}:${person.userId}`;
    const entry = byConnector.get(key) ?? { person, connectionIds: [] };
    if (!entry.connectionIds.includes(incident.connectionId)) entry.connectionIds.push(incident.connectionId);
    byConnector.set(key, entry);
  }
  const links = new Map<string, SummaryLink>();
  for (const [key, { person, connectionIds }] of byConnector) {
    const [first, ...rest] = connectionIds;
    try {
      links.set(key, await deps.links.issue({ purpose: 'reconnect', actor: person, connectionId: first!, connectionIds: rest }));
    } catch (error) {
      // The DM still goes out, without a link; /xero reconnect issues one on demand.
      deps.log.error({ err: error, connector: key }, 'could not issue a summary reconnect link');
    }
  }
  return links;
}

/** Compare-and-set: of two replicas announcing the same incident, one does. */
function claimAnnouncement(tx: Repos, incidentId: string, alertKey: string, now: Date): Promise<boolean> {
  return tx.incidents.updateIf(incidentId, { status: 'open', announcedAt: null }, { announcedAt: now, alertKey });
}

/** The connection log row for something the monitor tick said about an incident (alert, reminder). */
export function logAnnounced(tx: Repos, incident: IncidentWithConnection, operation: 'alert' | 'reminder', detail: string, at: Date): Promise<void> {
  return tx.connections.log({
    connectionId: incident.connectionId,
    tenantId: incident.connection.tenantId,
    kind: 'notice',
    operation,
    outcome: 'info',
    cause: causeOf(incident.cause),
    detail,
    at,
  });
}
