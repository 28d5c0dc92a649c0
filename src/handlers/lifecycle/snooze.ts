// Snooze: reminders of an open incident wait until the chosen time (1 hour, 4 hours, until 9:00
// tomorrow in the clicker's own time zone, or a day). The next reminder is moved to the snooze's
// end, so it comes when the snooze runs out; a new cause ends it at once (record-check.ts).
import type { SnoozeChoice } from '../../domain/actions.ts';
import type { ChatActor } from '../../domain/permissions.ts';
import { snoozeEnd } from '../../domain/snooze.ts';
import { textView } from '../../domain/views/text.ts';
import { encodePerson } from '../../domain/views/facts.ts';
import { ANSWERS, LIFECYCLE_ANSWERS, LIFECYCLE_THREAD } from '../../domain/views/wording.ts';
import type { HandlerDeps } from '../deps.ts';
import type { HandlerResult } from '../types.ts';
import { answerWithAlert, fail, refusal } from '../common.ts';
import { followUps } from '../messages.ts';
import type { Subject } from '../commands/target.ts';

export async function snooze(deps: HandlerDeps, actor: ChatActor, subject: Subject, choice: SnoozeChoice | undefined, timeZone: string | undefined): Promise<HandlerResult> {
  const refused = refusal(deps, actor, 'snooze', subject.connection);
  if (refused) return refused;
  if (!choice) return fail('bad_request', LIFECYCLE_ANSWERS.snoozeWhich, 'snooze_choice_missing');
  const { connection, incident } = subject;
  if (!incident || incident.status !== 'open') return fail('not_found', ANSWERS.incidentGone, 'incident_not_open');
  const now = deps.clock.now();
  const until = snoozeEnd(choice, now, timeZone);
  const done = await deps.store.transaction(async (tx) => {
    if (!(await tx.incidents.updateIf(incident.id, { status: 'open' }, { snoozedUntil: until, snoozedBy: encodePerson(actor), nextReminderAt: until }))) return false;
    await tx.connections.log({
      connectionId: connection.id,
      tenantId: connection.tenantId,
      kind: 'action',
      operation: 'snooze',
      outcome: 'info',
      actor,
      detail: `reminders snoozed until ${until.toISOString()} (${choice}${timeZone ? `, ${timeZone}` : ''})`,
      at: now,
    });
    const rows = await followUps(tx, incident.alertKey, `snoozed:${incident.id}:${until.getTime()}`, deps.settings.groupWindowMs, {
      reply: { text: LIFECYCLE_THREAD.snoozed(actor, choice) },
      meta: { incidentId: incident.id, connectionId: connection.id },
    });
    await tx.outbox.enqueue(rows, now);
    return true;
  });
  if (!done) return answerWithAlert(deps, incident.alertKey, textView(ANSWERS.incidentGone));
  deps.wakeOutbox?.();
  return answerWithAlert(deps, incident.alertKey, textView(LIFECYCLE_ANSWERS.snoozed(connection.tenantName, choice, until), 'good'), true);
}
