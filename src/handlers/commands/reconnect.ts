// Reconnect (button, or `/xero reconnect <org>`): a single-use link by direct message to the person
// who connected the organisation, and to the clicker too when they are someone else (an admin).
// The alert shows who asked and when; the thread says so. A double click within a minute sends once.
import type { ChatActor } from '../../domain/permissions.ts';
import { isState } from '../../domain/states.ts';
import { linkView, textView } from '../../domain/views/text.ts';
import { connectorOf, decodePerson, encodePerson } from '../../domain/views/facts.ts';
import { causeOf } from '../../domain/views/alert.ts';
import { ANSWERS, DM, THREAD, who } from '../../domain/views/wording.ts';
import type { OutboxInput } from '../store.ts';
import type { HandlerDeps } from '../deps.ts';
import type { HandlerResult } from '../types.ts';
import { answer, fail, refusal } from '../common.ts';
import { currentViewOf, directMessage, followUps } from '../messages.ts';
import type { Subject } from './target.ts';

/** Clicks closer together than this are one request (double click, platform retry). */
export const RECONNECT_DEDUPE_MS = 60_000;

export async function reconnect(deps: HandlerDeps, actor: ChatActor, subject: Subject): Promise<HandlerResult> {
  const refused = refusal(deps, actor, 'reconnect', subject.connection);
  if (refused) return refused;
  const { connection } = subject;
  const incident = subject.incident && subject.incident.status === 'open' ? subject.incident : null;
  if (subject.incident && !incident) return fail('not_found', ANSWERS.incidentGone, 'incident_not_open');
  const now = deps.clock.now();
  if (incident?.reconnectRequestedAt && now.getTime() - incident.reconnectRequestedAt.getTime() < RECONNECT_DEDUPE_MS) {
    const by = decodePerson(incident.reconnectRequestedBy);
    const message = incident.alertKey ? await currentViewOf(deps.store, incident.alertKey, deps.settings.groupWindowMs) : undefined;
    return answer(textView(by ? ANSWERS.alreadyDone('reconnect link sent', by, incident.reconnectRequestedAt.toISOString()) : ANSWERS.reconnectSent(who(connectorOf(connection)), false)), message ? { message } : {});
  }
  const connector = connectorOf(connection);
  const actorIsConnector = actor.platform === connector.platform && actor.userId === connector.userId;
  const incidentId = incident?.id;
  let links;
  try {
    links = {
      connector: await deps.links.issue({ purpose: 'reconnect', actor: connector, connectionId: connection.id, ...(incidentId ? { incidentId } : {}) }),
      actor: actorIsConnector ? undefined : await deps.links.issue({ purpose: 'reconnect', actor, connectionId: connection.id, ...(incidentId ? { incidentId } : {}) }),
    };
  } catch (error) {
    deps.log.error({ err: error, connectionId: connection.id }, 'could not issue reconnect link');
    return fail('internal', ANSWERS.internal, 'link_failed');
  }
  const cause = causeOf(incident?.cause ?? connection.lastCause);
  const bucket = Math.floor(now.getTime() / RECONNECT_DEDUPE_MS);
  const requestKey = incidentId ? `${incidentId}:${now.getTime()}` : `${connection.id}:${bucket}`;
  const queued = await deps.store.transaction(async (tx) => {
    if (incident) {
      // Compare-and-set on the previous request time: of two simultaneous clicks, one records.
      const claimed = await tx.incidents.updateIf(
        incident.id,
        { status: 'open', reconnectRequestedAt: incident.reconnectRequestedAt },
        { reconnectRequestedAt: now, reconnectRequestedBy: encodePerson(actor) },
      );
      if (!claimed) return false;
    }
    const current = (await tx.connections.get(connection.id))!;
    if (isState(current.state) && (current.state === 'broken' || current.state === 'disconnected')) {
      await tx.connections.transition(current.id, current.state, 'reconnecting', now);
    }
    await tx.connections.log({
      connectionId: current.id,
      tenantId: current.tenantId,
      kind: 'action',
      operation: 'reconnect_link',
      outcome: 'info',
      fromState: current.state,
      toState: current.state === 'broken' || current.state === 'disconnected' ? 'reconnecting' : current.state,
      actor,
      at: now,
    });
    const meta = { connectionId: connection.id, ...(incidentId ? { incidentId } : {}) };
    const rows: OutboxInput[] = [
      await directMessage(tx, connector, `dm:reconnect:${requestKey}:connector`, linkView('reconnect', DM.reconnect(current.tenantName, cause), links.connector.url, links.connector.expiresAt), {
        ...meta,
        recipient: 'connector',
        purpose: 'reconnect',
      }),
    ];
    if (links.actor) {
      rows.push(
        await directMessage(tx, actor, `dm:reconnect:${requestKey}:asker`, linkView('reconnect', DM.reconnect(current.tenantName, cause), links.actor.url, links.actor.expiresAt), {
          ...meta,
          recipient: 'asker',
          purpose: 'reconnect',
        }),
      );
    }
    if (incident) {
      rows.push(
        ...(await followUps(tx, incident.alertKey, `reconnect:${requestKey}`, deps.settings.groupWindowMs, {
          reply: { text: THREAD.reconnectRequested(actor, who(connector)) },
          meta,
        })),
      );
    }
    await tx.outbox.enqueue(rows, now);
    return true;
  });
  if (!queued) return answer(textView(ANSWERS.reconnectSent(who(connector), false)));
  deps.wakeOutbox?.();
  const message = incident?.alertKey ? await currentViewOf(deps.store, incident.alertKey, deps.settings.groupWindowMs) : undefined;
  const text = actorIsConnector ? ANSWERS.reconnectSentToYou : ANSWERS.reconnectSent(who(connector), true);
  return answer(textView(text, 'good'), { ...(message ? { message } : {}), queued: true });
}
