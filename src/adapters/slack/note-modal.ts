// "What fixed it?" on Slack: the button opens a modal (views.open with the click's trigger_id);
// its submission carries the note back. The words come from the views; this file lays them out.
import { NOTE_MAX_CHARS, type ButtonValue } from '../../domain/actions.ts';
import { LIFECYCLE, LIFECYCLE_ANSWERS } from '../../domain/views/wording.ts';
import { plain } from './blocks.ts';

export const NOTE_CALLBACK_ID = 'xg_note_modal';
export const NOTE_BLOCK_ID = 'xg_note_input';
export const NOTE_INPUT_ID = 'note';

/** What the modal remembers of the click: the button's ids and where to answer the person. */
export type NoteModalContext = ButtonValue & { channelId?: string };

export function noteModal(context: NoteModalContext) {
  return {
    type: 'modal' as const,
    callback_id: NOTE_CALLBACK_ID,
    private_metadata: JSON.stringify(context),
    title: plain(LIFECYCLE.noteTitle, 24),
    submit: plain(LIFECYCLE.noteSubmit, 24),
    close: plain(LIFECYCLE.noteCancel, 24),
    blocks: [
      {
        type: 'input',
        block_id: NOTE_BLOCK_ID,
        label: plain(LIFECYCLE.noteLabel, 2_000),
        element: {
          type: 'plain_text_input',
          action_id: NOTE_INPUT_ID,
          multiline: true,
          max_length: NOTE_MAX_CHARS,
          placeholder: plain(LIFECYCLE.notePlaceholder, 150),
        },
      },
    ],
  };
}

export function readNoteContext(raw: string | undefined): NoteModalContext | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<NoteModalContext>;
    if (typeof value.incidentId !== 'string' || typeof value.connectionId !== 'string') return undefined;
    return { incidentId: value.incidentId, connectionId: value.connectionId, ...(typeof value.channelId === 'string' ? { channelId: value.channelId } : {}) };
  } catch {
    // Written by noteModal; anything else is not ours.
    return undefined;
  }
}

/** The note typed into a submitted modal, trimmed. */
export function noteOf(view: { state?: { values?: Record<string, Record<string, { value?: string | null }>> } }): string {
  return view.state?.values?.[NOTE_BLOCK_ID]?.[NOTE_INPUT_ID]?.value?.trim() ?? '';
}

/** An empty or too long note is refused inside the modal: the ack carries the field's error. */
export function noteErrors(note: string): { response_action: 'errors'; errors: Record<string, string> } | undefined {
  if (note.length > 0 && note.length <= NOTE_MAX_CHARS) return undefined;
  return { response_action: 'errors', errors: { [NOTE_BLOCK_ID]: note.length === 0 ? LIFECYCLE_ANSWERS.noteEmpty : LIFECYCLE_ANSWERS.noteTooLong(NOTE_MAX_CHARS) } };
}

/**
 * The body a Slack request's ack carries, decided from the request alone before any listener runs
 * (so a thread that only acknowledges can answer it): the note modal's errors, or none.
 */
export function ackBodyOf(body: Record<string, any>): unknown {
  if (body.type !== 'view_submission' || body.view?.callback_id !== NOTE_CALLBACK_ID) return undefined;
  return noteErrors(noteOf(body.view));
}
