// "What fixed it?": after an incident resolved, a short note from the team. It is kept on the
// incident (the alert shows it), in the connection log (so /xero errors lists it beside the errors
// it answers) and told in the alert's thread.
import { NOTE_MAX_CHARS } from '../../domain/actions.ts';
import type { ChatActor } from '../../domain/permissions.ts';
import { textView } from '../../domain/views/text.ts';
import { encodePerson } from '../../domain/views/facts.ts';
import { ANSWERS, LIFECYCLE_ANSWERS, LIFECYCLE_THREAD } from '../../domain/views/wording.ts';
import type { HandlerDeps } from '../deps.ts';
import type { HandlerResult } from '../types.ts';
import { answerWithAlert, fail, refusal } from '../common.ts';
import { followUps } from '../messages.ts';
import type { Subject } from '../commands/target.ts';

export const NOTE_OPERATION = 'resolution_note';

export async function addNote(deps: HandlerDeps, actor: ChatActor, subject: Subject, raw: string | undefined): Promise<HandlerResult> {
  const refused = refusal(deps, actor, 'note', subject.connection);
  if (refused) return refused;
  const { connection, incident } = subject;
  if (!incident) return fail('not_found', ANSWERS.incidentGone, 'incident_not_found');
  if (incident.status !== 'resolved') return fail('bad_request', LIFECYCLE_ANSWERS.noteNotResolved, 'incident_not_resolved');
  const note = (raw ?? '').replace(/\s+/g, ' ').trim();
  if (note.length === 0) return fail('bad_request', LIFECYCLE_ANSWERS.noteEmpty, 'note_empty');
  if (note.length > NOTE_MAX_CHARS) return fail('bad_request', LIFECYCLE_ANSWERS.noteTooLong(NOTE_MAX_CHARS), 'note_too_long');
  const now = deps.clock.now();
  await deps.store.transaction(async (tx) => {
    await tx.incidents.updateIf(incident.id, { status: 'resolved' }, { resolutionNote: note, resolutionNoteBy: encodePerson(actor), resolutionNoteAt: now });
    await tx.connections.log({ connectionId: connection.id, tenantId: connection.tenantId, kind: 'action', operation: NOTE_OPERATION, outcome: 'note', actor, detail: note, at: now });
    const rows = await followUps(tx, incident.alertKey, `note:${incident.id}:${now.getTime()}`, deps.settings.groupWindowMs, {
      reply: { text: LIFECYCLE_THREAD.note(actor, note), tone: 'good' },
      meta: { incidentId: incident.id, connectionId: connection.id },
    });
    await tx.outbox.enqueue(rows, now);
  });
  deps.wakeOutbox?.();
  return answerWithAlert(deps, incident.alertKey, textView(LIFECYCLE_ANSWERS.noteSaved(connection.tenantName), 'good'), true);
}
