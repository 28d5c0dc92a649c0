// Reconnect (button, or `/xero reconnect <org>`): a single-use link by direct message to the person
// who connected the organisation, and to the clicker too when they are someone else (an admin).
// The alert shows who asked and when; the thread says so. A double click within a minute sends once.
import type { ChatActor } from '../../domain/permissions.ts';
import { linkView, textView } from '../../domain/views/text.ts';
import { connectorOf, decodePerson, encodePerson } from '../../domain/views/facts.ts';
import { causeOf } from '../../domain/views/alert.ts';
import { ANSWERS, DM, THREAD, who } from '../../domain/views/wording.ts';
import type { Person } from '../../domain/views/model.ts';
import type { HandlerDeps } from '../deps.ts';
import type { HandlerResult } from '../types.ts';
import type { IncidentRow, MonitorRepos, OutboxInput } from '../store.ts';
import { answer, answerWithAlert, fail, refusal } from '../common.ts';
import { directMessage, followUps } from '../messages.ts';
import type { Subject } from './target.ts';

/** Clicks closer together than this are one request (double click, platform retry). */
export const RECONNECT_DEDUPE_MS = 60_000;

type Links = { connector: { url: string; expiresAt: Date | string }; asker?: { url: string; expiresAt: Date | string } };

export async function reconnect(deps: HandlerDeps, actor: ChatActor, subject: Subject): Promise<HandlerResult> {
  const refused = refusal(deps, actor, 'reconnect', subject.connection);
  if (refused) return refused;
  const { connection } = subject;
  const incident = subject.incident && subject.incident.status === 'open' ? subject.incident : null;
  if (subject.incident && !incident) return fail('not_found', ANSWERS.incidentGone, 'incident_not_open');
  const now = deps.clock.now();
  const connector = connectorOf(connection);
  if (incident?.reconnectRequestedAt && now.getTime() - incident.reconnectRequestedAt.getTime() < RECONNECT_DEDUPE_MS && (await earlierLinkWorks(deps, connection.id, actor, incident.reconnectRequestedAt))) {
    const by = decodePerson(incident.reconnectRequestedBy);
    const text = by ? ANSWERS.alreadyDone('reconnect link sent', by, incident.reconnectRequestedAt.toISOString()) : ANSWERS.reconnectSent(who(connector), false);
    return answerWithAlert(deps, incident.alertKey, textView(text));
  }
  const actorIsConnector = actor.platform === connector.platform && actor.userId === connector.userId;
  let links: Links;
  try {
    // Issued before the transaction (the Xero side stores them); an unused link simply expires.
    const issue = (person: Person) => deps.links.issue({ purpose: 'reconnect', actor: person, connectionId: connection.id, ...(incident ? { incidentId: incident.id } : {}) });
    links = { connector: await issue(connector), ...(actorIsConnector ? {} : { asker: await issue(actor) }) };
  } catch (error) {
    deps.log.error({ err: error, connectionId: connection.id }, 'could not issue reconnect link');
    return fail('internal', ANSWERS.internal, 'link_failed');
  }
  const queued = await deps.store.transaction((tx) => recordRequest(tx, deps, { actor, connectionId: connection.id, incident, links, now }));
  if (!queued) return answer(textView(ANSWERS.reconnectSent(who(connector), false)));
  deps.wakeOutbox?.();
  const text = actorIsConnector ? ANSWERS.reconnectSentToYou : ANSWERS.reconnectSent(who(connector), true);
  return answerWithAlert(deps, incident?.alertKey, textView(text, 'good'), true);
}

/**
 * A double click is one request, but only while the link it sent still works: a person whose
 * earlier link is used (or expired) gets a new one at once. Without a way to look, the window holds.
 */
async function earlierLinkWorks(deps: HandlerDeps, connectionId: string, actor: ChatActor, since: Date): Promise<boolean> {
  if (!deps.links.hasLiveLink) return true;
  return deps.links.hasLiveLink(connectionId, actor, since);
}

/**
 * Records the request (on the incident, compare-and-set: of two simultaneous clicks one records),
 * moves a broken or disconnected connection to reconnecting, and queues the DMs and the thread reply.
 */
async function recordRequest(
  tx: MonitorRepos,
  deps: HandlerDeps,
  input: { actor: ChatActor; connectionId: string; incident: IncidentRow | null; links: Links; now: Date },
): Promise<boolean> {
  const { actor, incident, links, now } = input;
  if (incident) {
    const guard = { status: 'open', reconnectRequestedAt: incident.reconnectRequestedAt };
    if (!(await tx.incidents.updateIf(incident.id, guard, { reconnectRequestedAt: now, reconnectRequestedBy: encodePerson(actor) }))) return false;
  }
  const current = (await tx.connections.get(input.connectionId))!;
  const from = current.state;
  const moves = from === 'broken' || from === 'disconnected';
  if (moves) await tx.connections.transition(current.id, from, 'reconnecting', now);
  await tx.connections.log({
    connectionId: current.id,
    tenantId: current.tenantId,
    kind: 'action',
    operation: 'reconnect_link',
    outcome: 'info',
    fromState: from,
    toState: moves ? 'reconnecting' : from,
    actor,
    at: now,
  });

  // Each click's messages are its own (a request a minute later is a new one); without an incident,
  // requests within the same minute share their dedupe keys.
  const requestKey = incident ? `${incident.id}:${now.getTime()}` : `${current.id}:${Math.floor(now.getTime() / RECONNECT_DEDUPE_MS)}`;
  const meta = { connectionId: current.id, ...(incident ? { incidentId: incident.id } : {}) };
  const text = DM.reconnect(current.tenantName, causeOf(incident?.cause ?? current.lastCause));
  const connector = connectorOf(current);
  const rows: OutboxInput[] = [
    await directMessage(tx, connector, `dm:reconnect:${requestKey}:connector`, linkView('reconnect', text, links.connector.url, links.connector.expiresAt), {
      ...meta,
      recipient: 'connector',
      purpose: 'reconnect',
    }),
  ];
  if (links.asker) {
    const dm = linkView('reconnect', text, links.asker.url, links.asker.expiresAt);
    rows.push(await directMessage(tx, actor, `dm:reconnect:${requestKey}:asker`, dm, { ...meta, recipient: 'asker', purpose: 'reconnect' }));
  }
  if (incident) {
    const reply = { text: THREAD.reconnectRequested(actor, who(connector)) };
    rows.push(...(await followUps(tx, incident.alertKey, `reconnect:${requestKey}`, deps.settings.groupWindowMs, { reply, meta })));
  }
  await tx.outbox.enqueue(rows, now);
  return true;
}
