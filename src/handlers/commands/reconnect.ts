// Reconnect (button, or `/xero reconnect <org>`): a single-use link by direct message to the person
// who connected the organisation, and to the clicker too when they are someone else (an admin).
// "Send link to…" hands the link to a person the clicker picks instead. The alert shows who holds
// a link and since when; the thread says so. A double click within a minute sends once.
import type { ChatActor } from '../../domain/permissions.ts';
import { linkView, textView } from '../../domain/views/text.ts';
import { connectorOf, decodePerson, encodePerson } from '../../domain/views/facts.ts';
import { definiteCauseOf } from '../../domain/views/alert.ts';
import { ANSWERS, DM, THREAD } from '../../domain/views/wording.ts';
import type { Person } from '../../domain/views/model.ts';
import type { Phrase } from '../../domain/views/phrase.ts';
import type { HandlerDeps } from '../deps.ts';
import type { HandlerResult } from '../types.ts';
import type { IncidentRow, Repos, OutboxInput } from '../store.ts';
import { answer, answerWithAlert, fail, refusal } from '../common.ts';
import { directMessage, followUps, linkSent, recordLinksSent } from '../messages.ts';
import type { Subject } from './target.ts';

/** Clicks closer together than this are one request (double click, platform retry). */
export const RECONNECT_DEDUPE_MS = 60_000;

type Issued = { url: string; expiresAt: Date | string };
type Recipient = { person: Person; role: 'connector' | 'asker' | 'chosen'; link: Issued };

export async function reconnect(deps: HandlerDeps, actor: ChatActor, subject: Subject): Promise<HandlerResult> {
  return requestReconnect(deps, actor, subject);
}

/** "Send link to…": the same rules as Reconnect; the chosen person gets the link instead of the connector. */
export async function sendLink(deps: HandlerDeps, actor: ChatActor, subject: Subject, chosen: Person | undefined): Promise<HandlerResult> {
  const refused = refusal(deps, actor, 'reconnect', subject.connection);
  if (refused) return refused;
  if (!chosen) return fail('bad_request', ANSWERS.sendLinkNoOne, 'no_person_chosen');
  return requestReconnect(deps, actor, subject, chosen);
}

async function requestReconnect(deps: HandlerDeps, actor: ChatActor, subject: Subject, chosen?: Person): Promise<HandlerResult> {
  const refused = refusal(deps, actor, 'reconnect', subject.connection);
  if (refused) return refused;
  const { connection } = subject;
  const incident = subject.incident && subject.incident.status === 'open' ? subject.incident : null;
  if (subject.incident && !incident) return fail('not_found', ANSWERS.incidentGone, 'incident_not_open');
  const now = deps.clock.now();
  const connector = connectorOf(connection);
  if (!chosen && incident?.reconnectRequestedAt && now.getTime() - incident.reconnectRequestedAt.getTime() < RECONNECT_DEDUPE_MS && (await earlierLinkWorks(deps, connection.id, actor, incident.reconnectRequestedAt))) {
    const by = decodePerson(incident.reconnectRequestedBy);
    const text = by ? ANSWERS.alreadyDone('reconnect link sent', by, incident.reconnectRequestedAt.toISOString()) : ANSWERS.reconnectSent(connector, false);
    return answerWithAlert(deps, incident.alertKey, textView(text));
  }
  const same = (a: Person, b: Person) => a.platform === b.platform && a.userId === b.userId;
  const wanted: { person: Person; role: Recipient['role'] }[] = chosen
    ? [{ person: chosen, role: 'chosen' }]
    : [{ person: connector, role: 'connector' }, ...(same(actor, connector) ? [] : [{ person: actor as Person, role: 'asker' as const }])];
  let recipients: Recipient[];
  try {
    // Issued before the transaction (the Xero side stores them); an unused link simply expires.
    const issue = (person: Person) => deps.links.issue({ purpose: 'reconnect', actor: person, connectionId: connection.id, ...(incident ? { incidentId: incident.id } : {}) });
    recipients = [];
    for (const w of wanted) recipients.push({ ...w, link: await issue(w.person) });
  } catch (error) {
    deps.log.error({ err: error, connectionId: connection.id }, 'could not issue reconnect link');
    return fail('internal', ANSWERS.internal, 'link_failed');
  }
  const queued = await deps.store.transaction((tx) => recordRequest(tx, deps, { actor, connectionId: connection.id, incident, recipients, now }));
  if (!queued) return answer(textView(ANSWERS.reconnectSent(connector, false)));
  deps.wakeOutbox?.();
  const text: Phrase | string = chosen ? ANSWERS.linkHandedOver(chosen) : same(actor, connector) ? ANSWERS.reconnectSentToYou : ANSWERS.reconnectSent(connector, true);
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
  tx: Repos,
  deps: HandlerDeps,
  input: { actor: ChatActor; connectionId: string; incident: IncidentRow | null; recipients: Recipient[]; now: Date },
): Promise<boolean> {
  const { actor, incident, recipients, now } = input;
  if (incident) {
    const guard = { status: 'open', reconnectRequestedAt: incident.reconnectRequestedAt };
    if (!(await tx.incidents.updateIf(incident.id, guard, { reconnectRequestedAt: now, reconnectRequestedBy: encodePerson(actor) }))) return false;
    await recordLinksSent(tx, incident.id, recipients.map((r) => linkSent(r.person, now, r.link.expiresAt)));
  }
  const current = (await tx.connections.get(input.connectionId))!;
  const from = current.state;
  const moves = from === 'broken' || from === 'disconnected';
  if (moves) await tx.connections.transition(current.id, from, 'reconnecting', now);
  const chosen = recipients.find((r) => r.role === 'chosen');
  await tx.connections.log({
    connectionId: current.id,
    tenantId: current.tenantId,
    kind: 'action',
    operation: 'reconnect_link',
    outcome: 'info',
    fromState: from,
    toState: moves ? 'reconnecting' : from,
    actor,
    ...(chosen ? { detail: `link sent to ${chosen.person.platform} user ${chosen.person.userId}` } : {}),
    at: now,
  });

  // Each click's messages are its own (a request a minute later is a new one); without an incident,
  // requests within the same minute share their dedupe keys.
  const requestKey = incident ? `${incident.id}:${now.getTime()}` : `${current.id}:${Math.floor(now.getTime() / RECONNECT_DEDUPE_MS)}`;
  const meta = { connectionId: current.id, ...(incident ? { incidentId: incident.id } : {}) };
  // The real reason: the incident's cause, else the connection's last definite one; never a guess.
  const cause = definiteCauseOf(incident?.cause) ?? definiteCauseOf(current.lastCause);
  const connector = connectorOf(current);
  const rows: OutboxInput[] = [];
  for (const r of recipients) {
    const text = r.role === 'chosen' ? DM.reconnectHandedOver(current.tenantName, actor, cause) : DM.reconnect(current.tenantName, cause);
    const dm = linkView('reconnect', text, r.link.url, r.link.expiresAt);
    const key = r.role === 'chosen' ? `dm:reconnect:${requestKey}:chosen:${r.person.userId}` : `dm:reconnect:${requestKey}:${r.role}`;
    rows.push(await directMessage(tx, r.person, key, dm, { ...meta, recipient: r.role === 'connector' ? 'connector' : 'asker', purpose: 'reconnect' }));
  }
  if (incident) {
    const reply = { text: chosen ? THREAD.linkHandedOver(actor, chosen.person) : THREAD.reconnectRequested(actor, connector) };
    rows.push(...(await followUps(tx, incident.alertKey, `reconnect:${requestKey}`, deps.settings.groupWindowMs, { reply, meta })));
  }
  await tx.outbox.enqueue(rows, now);
  return true;
}
