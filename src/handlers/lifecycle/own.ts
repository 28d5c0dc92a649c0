// "I'm on it": the clicker owns the open incident; reminders and their direct message go to the
// owner as well as the connector. Anyone allowed may take it over; the log records from whom.
import type { ChatActor } from '../../domain/permissions.ts';
import { textView } from '../../domain/views/text.ts';
import { decodePerson, encodePerson } from '../../domain/views/facts.ts';
import { ANSWERS, LIFECYCLE_ANSWERS, LIFECYCLE_THREAD } from '../../domain/views/wording.ts';
import type { HandlerDeps } from '../deps.ts';
import type { HandlerResult } from '../types.ts';
import { answerWithAlert, fail, refusal } from '../common.ts';
import { followUps } from '../messages.ts';
import type { Subject } from '../commands/target.ts';

export async function own(deps: HandlerDeps, actor: ChatActor, subject: Subject): Promise<HandlerResult> {
  const refused = refusal(deps, actor, 'own', subject.connection);
  if (refused) return refused;
  const { connection, incident } = subject;
  if (!incident || incident.status !== 'open') return fail('not_found', ANSWERS.incidentGone, 'incident_not_open');
  const previous = decodePerson(incident.ownedBy);
  if (previous && previous.platform === actor.platform && previous.userId === actor.userId) {
    return answerWithAlert(deps, incident.alertKey, textView(LIFECYCLE_ANSWERS.alreadyOwner(connection.tenantName)));
  }
  const now = deps.clock.now();
  const taken = await deps.store.transaction(async (tx) => {
    // Compare-and-set on the owner read above: of two people clicking at once, one wins and the
    // other is told who did.
    if (!(await tx.incidents.updateIf(incident.id, { status: 'open', ownedBy: incident.ownedBy }, { ownedBy: encodePerson(actor), ownedAt: now }))) return false;
    await tx.connections.log({
      connectionId: connection.id,
      tenantId: connection.tenantId,
      kind: 'action',
      operation: previous ? 'take_over' : 'own',
      outcome: 'info',
      actor,
      ...(previous ? { detail: `took over from ${previous.platform}:${previous.userId}${previous.name ? ` (${previous.name})` : ''}` } : {}),
      at: now,
    });
    const rows = await followUps(tx, incident.alertKey, `owned:${incident.id}:${actor.platform}:${actor.userId}:${now.getTime()}`, deps.settings.groupWindowMs, {
      reply: { text: previous ? LIFECYCLE_THREAD.tookOver(actor, previous) : LIFECYCLE_THREAD.owned(actor) },
      meta: { incidentId: incident.id, connectionId: connection.id },
    });
    await tx.outbox.enqueue(rows, now);
    return true;
  });
  if (!taken) return answerWithAlert(deps, incident.alertKey, textView(ANSWERS.incidentGone));
  deps.wakeOutbox?.();
  const text = previous ? LIFECYCLE_ANSWERS.tookOver(connection.tenantName, previous) : LIFECYCLE_ANSWERS.owned(connection.tenantName);
  return answerWithAlert(deps, incident.alertKey, textView(text, 'good'), true);
}
