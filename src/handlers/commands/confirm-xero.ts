// "I disconnected in Xero too": records that the Xero side is clean (who, when); step 2 done.
import type { ChatActor } from '../../domain/permissions.ts';
import { textView } from '../../domain/views/text.ts';
import { decodePerson, encodePerson } from '../../domain/views/facts.ts';
import { ANSWERS, THREAD } from '../../domain/views/wording.ts';
import type { HandlerDeps } from '../deps.ts';
import type { HandlerResult } from '../types.ts';
import { answerWithAlert, fail, refusal } from '../common.ts';
import { followUps } from '../messages.ts';
import type { Subject } from './target.ts';

export async function confirmXero(deps: HandlerDeps, actor: ChatActor, subject: Subject): Promise<HandlerResult> {
  const refused = refusal(deps, actor, 'confirm_xero', subject.connection);
  if (refused) return refused;
  const { connection, incident } = subject;
  if (!incident || incident.status !== 'open') return fail('not_found', ANSWERS.incidentGone, 'incident_not_open');
  const alreadyDone = (row: { confirmedXeroAt: Date | null; confirmedXeroBy: string | null; alertKey: string | null } | null) => {
    const by = decodePerson(row?.confirmedXeroBy ?? null);
    const text = by && row?.confirmedXeroAt ? ANSWERS.alreadyDone('confirmed in Xero', by, row.confirmedXeroAt.toISOString()) : ANSWERS.incidentGone;
    return answerWithAlert(deps, row?.alertKey, textView(text));
  };
  // A repeated click finds the step done in the row it just read: nothing to write.
  if (incident.confirmedXeroAt) return alreadyDone(incident);
  const now = deps.clock.now();
  const marked = await deps.store.transaction(async (tx) => {
    if (!(await tx.incidents.updateIf(incident.id, { confirmedXeroAt: null, status: 'open' }, { confirmedXeroAt: now, confirmedXeroBy: encodePerson(actor) }))) return false;
    await tx.connections.log({ connectionId: connection.id, tenantId: connection.tenantId, kind: 'action', operation: 'confirm_xero', outcome: 'info', actor, at: now });
    const rows = await followUps(tx, incident.alertKey, `confirmed:${incident.id}`, deps.settings.groupWindowMs, {
      reply: { text: THREAD.confirmed(actor) },
      meta: { incidentId: incident.id, connectionId: connection.id },
    });
    await tx.outbox.enqueue(rows, now);
    return true;
  });
  // Someone else's click won the compare-and-set a moment earlier: show what they did.
  if (!marked) return alreadyDone(await deps.store.incidents.get(incident.id));
  deps.wakeOutbox?.();
  return answerWithAlert(deps, incident.alertKey, textView(ANSWERS.confirmed(connection.tenantName), 'good'), true);
}
