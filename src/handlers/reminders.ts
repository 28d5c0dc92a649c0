// Repeat reminders (DESIGN.md section 3): an unresolved incident is re-announced in its thread, and
// the connector (and the owner, when someone said "I'm on it") re-sent a fresh reconnect link,
// every REPEAT_INTERVAL; a snooze moves the next one to the snooze's end. Paused connections are not
// reminded; resuming one restarts its reminder clock (commands/pause-resume.ts).
import { isReminderDue } from '../domain/alerts.ts';
import { connectorOf, decodePerson } from '../domain/views/facts.ts';
import { linkView, textView } from '../domain/views/text.ts';
import { DM, LIFECYCLE_THREAD, THREAD } from '../domain/views/wording.ts';
import type { HandlerDeps } from './deps.ts';
import type { IncidentWithConnection } from './store.ts';
import { directMessage, followUps, linkSent, reconnectLinkFor, recordLinksSent } from './messages.ts';
import { logAnnounced } from './announce.ts';

export async function sendReminders(deps: HandlerDeps): Promise<number> {
  const now = deps.clock.now();
  let sent = 0;
  for (const incident of await deps.store.incidents.dueReminders(now)) {
    if (!isReminderDue(incident.nextReminderAt, incident.announcedAt, now)) continue;
    // Snoozed: the snooze moved the reminder to its end; this guards a reminder queued before it.
    if (incident.snoozedUntil && incident.snoozedUntil > now) continue;
    if (await sendReminder(deps, incident, now)) sent += 1;
  }
  return sent;
}

async function sendReminder(deps: HandlerDeps, incident: IncidentWithConnection, now: Date): Promise<boolean> {
  const count = incident.remindersSent + 1;
  const { tenantName } = incident.connection;
  const since = incident.brokenSince.toISOString();
  const connector = connectorOf(incident.connection);
  const link = await reconnectLinkFor(deps, incident, connector);
  // The owner ("I'm on it") is reminded too, with a link of their own, unless they connected it.
  const owner = decodePerson(incident.ownedBy);
  const ownerToo = owner && !(owner.platform === connector.platform && owner.userId === connector.userId) ? owner : undefined;
  const ownerLink = ownerToo ? await reconnectLinkFor(deps, incident, ownerToo) : undefined;
  // A snooze that ran out ends with this reminder: the alert loses its snooze line.
  const snoozeEnded = incident.snoozedUntil !== null;
  return deps.store.transaction(async (tx) => {
    // Compare-and-set on the count: of two replicas, one reminds.
    const claimed = await tx.incidents.updateIf(
      incident.id,
      { status: 'open', remindersSent: incident.remindersSent },
      { remindersSent: count, nextReminderAt: new Date(now.getTime() + deps.settings.repeatIntervalMs), ...(snoozeEnded ? { snoozedUntil: null, snoozedBy: null } : {}) },
    );
    if (!claimed) return false;
    const meta = { incidentId: incident.id, connectionId: incident.connectionId };
    if (link) await recordLinksSent(tx, incident.id, [linkSent(connector, now, link.expiresAt)]);
    const rows = await followUps(tx, incident.alertKey, `reminder:${incident.id}:${count}`, deps.settings.groupWindowMs, {
      edit: snoozeEnded || Boolean(link),
      reply: { text: THREAD.reminder(tenantName, since, count), tone: 'warning' },
      meta,
    });
    if (link) {
      const dm = linkView('reconnect', DM.reconnectReminder(tenantName, since), link.url, link.expiresAt);
      rows.push(await directMessage(tx, connector, `dm:reminder:${incident.id}:${count}`, dm, { ...meta, recipient: 'connector', purpose: 'reminder' }));
    }
    if (ownerToo && ownerLink) {
      const dm = linkView('reconnect', LIFECYCLE_THREAD.ownerReminder(tenantName, since), ownerLink.url, ownerLink.expiresAt);
      rows.push(await directMessage(tx, ownerToo, `dm:reminder-owner:${incident.id}:${count}`, dm, { ...meta, recipient: 'owner', purpose: 'reminder' }));
    } else if (ownerToo) {
      rows.push(await directMessage(tx, ownerToo, `dm:reminder-owner:${incident.id}:${count}`, textView(THREAD.reminder(tenantName, since, count), 'warning'), { ...meta, recipient: 'owner', purpose: 'reminder' }));
    }
    await tx.outbox.enqueue(rows, now);
    await logAnnounced(tx, incident, 'reminder', `reminder ${count}`, now);
    return true;
  });
}
