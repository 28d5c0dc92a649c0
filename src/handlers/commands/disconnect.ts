// Disconnect (button, or `/xero disconnect <org>`): remove the connection on our side and in Xero as
// far as the token allows, keep its settings, record who did it, edit the alert (step 1 done) and
// say so in its thread. A double click or a platform retry disconnects once.
import type { ChatActor } from '../../domain/permissions.ts';
import { textView } from '../../domain/views/text.ts';
import { encodePerson, decodePerson } from '../../domain/views/facts.ts';
import { ANSWERS, DISCONNECT_DETAIL, THREAD } from '../../domain/views/wording.ts';
import type { HandlerDeps } from '../deps.ts';
import type { HandlerResult } from '../types.ts';
import { answerWithAlert, refusal } from '../common.ts';
import { followUps } from '../messages.ts';
import type { Subject } from './target.ts';

export async function disconnect(deps: HandlerDeps, actor: ChatActor, subject: Subject): Promise<HandlerResult> {
  const refused = refusal(deps, actor, 'disconnect', subject.connection);
  if (refused) return refused;
  const { connection } = subject;
  // A stale button on a resolved alert disconnects the connection itself, not the old incident.
  const incident = subject.incident?.status === 'open' ? subject.incident : null;
  const alreadyDone = () => {
    const by = decodePerson(incident?.disconnectedBy ?? null);
    const text = by && incident?.disconnectedAt ? ANSWERS.alreadyDone('disconnected here', by, incident.disconnectedAt.toISOString()) : ANSWERS.alreadyDisconnected(connection.tenantName);
    return answerWithAlert(deps, incident?.alertKey, textView(text));
  };
  if (incident?.disconnectedAt) return alreadyDone();
  if (!incident && connection.state === 'disconnected') return alreadyDone();

  const outcome = await deps.xero.disconnect(connection.id, actor);
  const detail = DISCONNECT_DETAIL[outcome.tenantRemoval];
  const now = deps.clock.now();
  const done = await deps.store.transaction(async (tx) => {
    const current = (await tx.connections.get(connection.id))!;
    const from = current.state;
    if (from !== 'disconnected') {
      await tx.connections.transition(current.id, from, 'disconnected', now, { stateBeforePause: null, consecutiveFailures: 0, degradedSince: null });
      await tx.events.emit({ type: 'connection.disconnected', connectionId: current.id, previousState: from, actor, at: now });
    }
    let marked = false;
    if (incident) {
      marked = await tx.incidents.updateIf(incident.id, { disconnectedAt: null }, { disconnectedAt: now, disconnectedBy: encodePerson(actor) });
    }
    if (incident && !marked) return false;
    await tx.connections.log({
      connectionId: current.id,
      tenantId: current.tenantId,
      kind: 'action',
      operation: 'disconnect',
      outcome: outcome.tenantRemoval === 'failed' ? 'failure' : 'ok',
      fromState: from,
      toState: 'disconnected',
      actor,
      detail: `tenant ${outcome.tenantRemoval}, grant ${outcome.grantRevocation}, tokens ${outcome.tokensErased ? 'erased' : 'kept'}${outcome.error ? `: ${outcome.error}` : ''}`,
      at: now,
    });
    if (incident) {
      const rows = await followUps(tx, incident.alertKey, `disconnected:${incident.id}`, deps.settings.groupWindowMs, {
        reply: { text: THREAD.disconnected(actor, current.tenantName, detail) },
        meta: { incidentId: incident.id, connectionId: current.id },
      });
      await tx.outbox.enqueue(rows, now);
    }
    return true;
  });
  if (!done) {
    // Someone else's click won the compare-and-set a moment earlier: show what they did.
    const fresh = incident ? await deps.store.incidents.get(incident.id) : null;
    return answerWithAlert(deps, fresh?.alertKey, textView(ANSWERS.alreadyDisconnected(connection.tenantName)));
  }
  deps.wakeOutbox?.();
  return answerWithAlert(deps, incident?.alertKey, textView(ANSWERS.disconnected(connection.tenantName, detail), 'good'), true);
}
