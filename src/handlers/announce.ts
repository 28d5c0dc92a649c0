// New alerts, once per monitor tick: alone, or grouped into one summary when several breaks arrive
// within GROUP_WINDOW (src/domain/alerts.ts planAnnouncement decides). Each message is queued in
// the outbox in the same transaction that records the announcement, so a crash neither loses nor
// repeats it.
import { planAnnouncement } from '../domain/alerts.ts';
import { toAlertView, causeOf } from '../domain/views/alert.ts';
import { connectorOf } from '../domain/views/facts.ts';
import { linkView, textView } from '../domain/views/text.ts';
import { DM } from '../domain/views/wording.ts';
import type { Person } from '../domain/views/model.ts';
import type { HandlerDeps } from './deps.ts';
import type { IncidentWithConnection, MonitorRepos, OutboxInput } from './store.ts';
import { alertKeyOf, alertTargets, currentViewOf, directMessage, postsTo, reconnectLinkFor, summaryKeyOf } from './messages.ts';

export async function announcePending(deps: HandlerDeps): Promise<{ alerts: number; summaries: number }> {
  const now = deps.clock.now();
  const pending = await deps.store.incidents.pendingAnnouncement();
  if (pending.length === 0) return { alerts: 0, summaries: 0 };
  const last = await deps.store.incidents.lastAnnouncedAt();
  const plan = planAnnouncement(pending, last, now, deps.settings.groupWindowMs);
  if (plan.kind === 'nothing' || plan.kind === 'wait') return { alerts: 0, summaries: 0 };
  if (plan.kind === 'single') {
    const incident = pending.find((i) => i.id === plan.incidentId)!;
    return { alerts: (await announceSingle(deps, incident)) ? 1 : 0, summaries: 0 };
  }
  // Connections with their own alert channel get their own summary there.
  const byTarget = new Map<string, IncidentWithConnection[]>();
  for (const incident of pending) {
    const key = incident.connection.alertTargetId ?? '';
    byTarget.set(key, [...(byTarget.get(key) ?? []), incident]);
  }
  let alerts = 0;
  let summaries = 0;
  for (const group of byTarget.values()) {
    if (group.length === 1) alerts += (await announceSingle(deps, group[0]!)) ? 1 : 0;
    else summaries += (await announceSummary(deps, group)) ? 1 : 0;
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
    const fresh = (await tx.incidents.get(incident.id))!;
    const targets = await alertTargets(tx, fresh.connection);
    const meta = { incidentId: incident.id, connectionId: incident.connectionId };
    const rows: OutboxInput[] = postsTo(targets, alertKey, toAlertView(fresh, fresh.connection), { ...meta, purpose: 'alert' });
    if (link) {
      const dm = linkView('reconnect', DM.reconnect(fresh.connection.tenantName, causeOf(fresh.cause)), link.url, link.expiresAt);
      rows.push(await directMessage(tx, connector, `dm:alert:${incident.id}`, dm, { ...meta, recipient: 'connector', purpose: 'reconnect' }));
    }
    await tx.outbox.enqueue(rows, now);
    const detail = targets.length === 0 ? 'no alert channel set (/xero here); only the connector was told' : `alert queued to ${targets.length} channel(s)`;
    await logAnnounced(tx, fresh, 'alert', detail, now);
    if (targets.length === 0) deps.log.warn({ incidentId: incident.id }, 'no alert channel configured; run /xero here');
    return true;
  });
}

async function announceSummary(deps: HandlerDeps, incidents: IncidentWithConnection[]): Promise<boolean> {
  const now = deps.clock.now();
  const alertKey = summaryKeyOf(incidents[0]!.id);
  return deps.store.transaction(async (tx) => {
    const claimed: IncidentWithConnection[] = [];
    for (const incident of incidents) {
      if (await claimAnnouncement(tx, incident.id, alertKey, now)) claimed.push(incident);
    }
    if (claimed.length === 0) return false;
    const view = (await currentViewOf(tx, alertKey, deps.settings.groupWindowMs))!;
    const targets = await alertTargets(tx, claimed[0]!.connection);
    const rows: OutboxInput[] = postsTo(targets, alertKey, view, { purpose: 'alert' });
    rows.push(...(await summaryDirectMessages(tx, alertKey, claimed)));
    await tx.outbox.enqueue(rows, now);
    for (const incident of claimed) await logAnnounced(tx, incident, 'alert', `in a summary of ${claimed.length}`, now);
    return true;
  });
}

/**
 * One direct message per person who connected any of the summarised organisations, listing theirs:
 * a mass revocation must not become a thousand DMs either.
 */
async function summaryDirectMessages(tx: MonitorRepos, alertKey: string, incidents: IncidentWithConnection[]): Promise<OutboxInput[]> {
  const byConnector = new Map<string, { person: Person; names: string[] }>();
  for (const incident of incidents) {
    const person = connectorOf(incident.connection);
    const key = `${person.platform}:${person.userId}`;
    const entry = byConnector.get(key) ?? { person, names: [] };
    entry.names.push(incident.connection.tenantName);
    byConnector.set(key, entry);
  }
  const rows: OutboxInput[] = [];
  for (const [key, { person, names }] of byConnector) {
    const dm = textView(DM.summary(names.length), 'danger', names.sort().slice(0, 100));
    rows.push(await directMessage(tx, person, `dm:${alertKey}:${key}`, dm, { recipient: 'connector', purpose: 'alert' }));
  }
  return rows;
}

/** Compare-and-set: of two replicas announcing the same incident, one does. */
function claimAnnouncement(tx: MonitorRepos, incidentId: string, alertKey: string, now: Date): Promise<boolean> {
  return tx.incidents.updateIf(incidentId, { status: 'open', announcedAt: null }, { announcedAt: now, alertKey });
}

/** The connection log row for something the monitor said about an incident (alert, reminder). */
export function logAnnounced(tx: MonitorRepos, incident: IncidentWithConnection, operation: 'alert' | 'reminder', detail: string, at: Date): Promise<void> {
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
