// Repeat reminders (DESIGN.md section 3): an unresolved incident is re-announced in its thread, and
// the connector re-sent a fresh reconnect link, every REPEAT_INTERVAL. Paused connections are not
// reminded; resuming one restarts its reminder clock (commands/pause-resume.ts).
import { isReminderDue } from '../domain/alerts.ts';
import { connectorOf } from '../domain/views/facts.ts';
import { linkView } from '../domain/views/text.ts';
import { DM, THREAD } from '../domain/views/wording.ts';
import type { HandlerDeps } from './deps.ts';
import type { IncidentWithConnection } from './store.ts';
import { directMessage, followUps, reconnectLinkFor } from './messages.ts';
import { logAnnounced } from './announce.ts';

export async function sendReminders(deps: HandlerDeps): Promise<number> {
  const now = deps.clock.now();
  let sent = 0;
  for (const incident of await deps.store.incidents.dueReminders(now)) {
    if (!isReminderDue(incident.nextReminderAt, incident.announcedAt, now)) continue;
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
  return deps.store.transaction(async (tx) => {
    // Compare-and-set on the count: of two replicas, one reminds.
    const claimed = await tx.incidents.updateIf(
      incident.id,
      { status: 'open', remindersSent: incident.remindersSent },
      { remindersSent: count, nextReminderAt: new Date(now.getTime() + deps.settings.repeatIntervalMs) },
    );
    if (!claimed) return false;
    const meta = { incidentId: incident.id, connectionId: incident.connectionId };
    const rows = await followUps(tx, incident.alertKey, `reminder:${incident.id}:${count}`, deps.settings.groupWindowMs, {
      edit: false,
      reply: { text: THREAD.reminder(tenantName, since, count), tone: 'warning' },
      meta,
    });
    if (link) {
      const dm = linkView('reconnect', DM.reconnectReminder(tenantName, since), link.url, link.expiresAt);
      rows.push(await directMessage(tx, connector, `dm:reminder:${incident.id}:${count}`, dm, { ...meta, recipient: 'connector', purpose: 'reminder' }));
    }
    await tx.outbox.enqueue(rows, now);
    await logAnnounced(tx, incident, 'reminder', `reminder ${count}`, now);
    return true;
  });
}
