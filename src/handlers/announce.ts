// What the monitor says on its own, once per tick: new alerts (alone, or grouped into a summary
// within GROUP_WINDOW), repeat reminders every REPEAT_INTERVAL, and the one grouped notice for
// transient trouble. Each decision comes from src/domain/alerts.ts; each message is queued in the
// outbox in the same transaction that records it was said, so a crash neither loses nor repeats it.
import { isTransientNoticeDue, isReminderDue, planAnnouncement, planTransientNotice } from '../domain/alerts.ts';
import { toAlertView, causeOf } from '../domain/views/alert.ts';
import { connectorOf } from '../domain/views/facts.ts';
import { toRecoveredNotice, toUnreachableNotice } from '../domain/views/notice.ts';
import { linkView, textView } from '../domain/views/text.ts';
import { DM, THREAD } from '../domain/views/wording.ts';
import type { IncidentWithConnection, OutboxInput } from './store.ts';
import type { Person } from '../domain/views/model.ts';
import type { HandlerDeps } from './deps.ts';
import { alertKeyOf, alertTargets, currentViewOf, directMessage, followUps, postsTo, summaryKeyOf } from './messages.ts';

export type TickReport = { alerts: number; summaries: number; reminders: number; notice: string };

export async function runMonitorTick(deps: HandlerDeps): Promise<TickReport> {
  const announced = await announcePending(deps);
  const reminders = await sendReminders(deps);
  const notice = await updateTransientNotice(deps);
  if (announced.alerts + announced.summaries + reminders > 0 || notice !== 'nothing') deps.wakeOutbox?.();
  return { ...announced, reminders, notice };
}

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

async function reconnectLink(deps: HandlerDeps, incident: IncidentWithConnection, person: Person) {
  if (causeOf(incident.cause) === 'app_credentials_invalid') return undefined;
  try {
    return await deps.links.issue({ purpose: 'reconnect', actor: person, connectionId: incident.connectionId, incidentId: incident.id });
  } catch (error) {
    // The alert still goes out; its Reconnect button issues a fresh link on demand.
    deps.log.error({ err: error, incidentId: incident.id }, 'could not issue reconnect link');
    return undefined;
  }
}

async function announceSingle(deps: HandlerDeps, incident: IncidentWithConnection): Promise<boolean> {
  const now = deps.clock.now();
  const connector = connectorOf(incident.connection);
  // Issued before the transaction (it writes through the Xero side's own repository); if we crash
  // before committing, the unused link simply expires.
  const link = await reconnectLink(deps, incident, connector);
  const done = await deps.store.transaction(async (tx) => {
    const alertKey = alertKeyOf(incident.id);
    if (!(await tx.incidents.updateIf(incident.id, { status: 'open', announcedAt: null }, { announcedAt: now, alertKey }))) return false;
    const fresh = (await tx.incidents.get(incident.id))!;
    const view = toAlertView(fresh, fresh.connection);
    const targets = await alertTargets(tx, fresh.connection);
    const meta = { incidentId: incident.id, connectionId: incident.connectionId };
    const rows: OutboxInput[] = postsTo(targets, alertKey, view, { ...meta, purpose: 'alert' });
    if (link) {
      const dm = linkView('reconnect', DM.reconnect(fresh.connection.tenantName, causeOf(fresh.cause)), link.url, link.expiresAt);
      rows.push(await directMessage(tx, connector, `dm:alert:${incident.id}`, dm, { ...meta, recipient: 'connector', purpose: 'reconnect' }));
    }
    await tx.outbox.enqueue(rows, now);
    await tx.connections.log({
      connectionId: incident.connectionId,
      tenantId: fresh.connection.tenantId,
      kind: 'notice',
      operation: 'alert',
      outcome: 'info',
      cause: causeOf(fresh.cause),
      detail: targets.length === 0 ? 'no alert channel set (/xero here); only the connector was told' : `alert queued to ${targets.length} channel(s)`,
      at: now,
    });
    if (targets.length === 0) deps.log.warn({ incidentId: incident.id }, 'no alert channel configured; run /xero here');
    return true;
  });
  return done;
}

async function announceSummary(deps: HandlerDeps, incidents: IncidentWithConnection[]): Promise<boolean> {
  const now = deps.clock.now();
  const alertKey = summaryKeyOf(incidents[0]!.id);
  return deps.store.transaction(async (tx) => {
    const claimed: IncidentWithConnection[] = [];
    for (const incident of incidents) {
      if (await tx.incidents.updateIf(incident.id, { status: 'open', announcedAt: null }, { announcedAt: now, alertKey })) claimed.push(incident);
    }
    if (claimed.length === 0) return false;
    const view = (await currentViewOf(tx, alertKey, deps.settings.groupWindowMs))!;
    const targets = await alertTargets(tx, claimed[0]!.connection);
    const rows: OutboxInput[] = postsTo(targets, alertKey, view, { purpose: 'alert' });
    // One direct message per person who connected any of them, listing their organisations: a
    // mass revocation must not become a thousand DMs either.
    const byConnector = new Map<string, { person: Person; names: string[] }>();
    for (const incident of claimed) {
      const person = connectorOf(incident.connection);
      const key = `${person.platform}:${person.userId}`;
      const entry = byConnector.get(key) ?? { person, names: [] };
      entry.names.push(incident.connection.tenantName);
      byConnector.set(key, entry);
    }
    for (const [key, { person, names }] of byConnector) {
      const dm = textView(DM.summary(names.length), 'danger', names.sort().slice(0, 100));
      rows.push(await directMessage(tx, person, `dm:${alertKey}:${key}`, dm, { recipient: 'connector', purpose: 'alert' }));
    }
    await tx.outbox.enqueue(rows, now);
    for (const incident of claimed) {
      await tx.connections.log({
        connectionId: incident.connectionId,
        tenantId: incident.connection.tenantId,
        kind: 'notice',
        operation: 'alert',
        outcome: 'info',
        cause: causeOf(incident.cause),
        detail: `in a summary of ${claimed.length}`,
        at: now,
      });
    }
    return true;
  });
}

export async function sendReminders(deps: HandlerDeps): Promise<number> {
  const now = deps.clock.now();
  const due = await deps.store.incidents.dueReminders(now);
  let sent = 0;
  for (const incident of due) {
    if (!isReminderDue(incident.nextReminderAt, incident.announcedAt, now)) continue;
    const count = incident.remindersSent + 1;
    const connector = connectorOf(incident.connection);
    const link = await reconnectLink(deps, incident, connector);
    const done = await deps.store.transaction(async (tx) => {
      const claimed = await tx.incidents.updateIf(
        incident.id,
        { status: 'open', remindersSent: incident.remindersSent },
        { remindersSent: count, nextReminderAt: new Date(now.getTime() + deps.settings.repeatIntervalMs) },
      );
      if (!claimed) return false;
      const meta = { incidentId: incident.id, connectionId: incident.connectionId };
      const rows = await followUps(tx, incident.alertKey, `reminder:${incident.id}:${count}`, deps.settings.groupWindowMs, {
        edit: false,
        reply: { text: THREAD.reminder(incident.connection.tenantName, incident.brokenSince.toISOString(), count), tone: 'warning' },
        meta,
      });
      if (link) {
        const dm = linkView('reconnect', DM.reconnectReminder(incident.connection.tenantName, incident.brokenSince.toISOString()), link.url, link.expiresAt);
        rows.push(await directMessage(tx, connector, `dm:reminder:${incident.id}:${count}`, dm, { ...meta, recipient: 'connector', purpose: 'reminder' }));
      }
      await tx.outbox.enqueue(rows, now);
      await tx.connections.log({
        connectionId: incident.connectionId,
        tenantId: incident.connection.tenantId,
        kind: 'notice',
        operation: 'reminder',
        outcome: 'info',
        cause: causeOf(incident.cause),
        detail: `reminder ${count}`,
        at: now,
      });
      return true;
    });
    if (done) sent += 1;
  }
  return sent;
}

export const NOTICE_KIND = 'xero_unavailable';

export async function updateTransientNotice(deps: HandlerDeps): Promise<'nothing' | 'open' | 'grow' | 'close'> {
  const now = deps.clock.now();
  const degraded = await deps.store.connections.listDegraded();
  const overdue = degraded.filter((c) => isTransientNoticeDue(c.degradedSince, now, deps.settings.transientAlertAfterMs)).map((c) => c.tenantName);
  const open = await deps.store.notices.findOpen(NOTICE_KIND);
  const plan = planTransientNotice(open ? { organisations: open.organisations } : null, overdue, degraded.length);
  if (plan.kind === 'nothing') return 'nothing';
  const after = deps.settings.transientAlertAfterMs;
  await deps.store.transaction(async (tx) => {
    if (plan.kind === 'open') {
      const notice = await tx.notices.open(NOTICE_KIND, plan.organisations, now);
      const view = toUnreachableNotice(plan.organisations, now, now, after);
      const targets = await tx.targets.alertChannels();
      await tx.outbox.enqueue(postsTo(targets, `notice:${notice.id}`, view, { purpose: 'notice' }), now);
      await tx.connections.log({ kind: 'notice', operation: 'xero_unreachable', outcome: 'failure', cause: 'xero_unavailable', detail: `${plan.organisations.length} organisation(s)`, at: now });
      return;
    }
    const notice = open!;
    const posts = await tx.outbox.postedCopies(`notice:${notice.id}@`);
    const rows: OutboxInput[] = [];
    if (plan.kind === 'grow') {
      if (!(await tx.notices.grow(notice.id, notice.updates, plan.organisations))) return;
      const view = toUnreachableNotice(plan.organisations, notice.openedAt, now, after);
      for (const post of posts) {
        rows.push({ dedupeKey: `update:${post.messageKey}:${notice.updates + 1}`, platform: post.platform, kind: 'update', address: post.address, view, messageKey: post.messageKey, meta: { purpose: 'notice' } });
      }
    } else {
      if (!(await tx.notices.close(notice.id, now))) return;
      const names = notice.organisations;
      const view = toRecoveredNotice(names, notice.openedAt, now, after);
      for (const post of posts) {
        const { address, messageKey } = post;
        rows.push({ dedupeKey: `update:${messageKey}:closed`, platform: post.platform, kind: 'update', address, view, messageKey, meta: { purpose: 'notice' } });
        rows.push({ dedupeKey: `reply:${messageKey}:closed`, platform: post.platform, kind: 'reply', address, view: textView(view.text, 'good'), parentKey: messageKey, meta: { purpose: 'notice' } });
      }
      await tx.connections.log({ kind: 'notice', operation: 'xero_reachable', outcome: 'ok', detail: `after ${now.getTime() - notice.openedAt.getTime() + after} ms`, at: now });
    }
    await tx.outbox.enqueue(rows, now);
  });
  return plan.kind;
}

