// The alert buttons: Disconnect, Reconnect, "I disconnected in Xero too", "Send link to…" (a person
// picker), and "I'm on it", Snooze and "What fixed it?". The payload carries ids (and a snooze choice or a note); everything else is re-read.
import type { ButtonAction, ButtonClick, ButtonValue } from '../domain/actions.ts';
import type { ChatActor } from '../domain/permissions.ts';
import type { HandlerDeps } from './deps.ts';
import type { ChosenPerson, CommandContext, HandlerResult } from './types.ts';
import { subjectOfButton, type Subject } from './commands/target.ts';
import { disconnect } from './commands/disconnect.ts';
import { reconnect, sendLink } from './commands/reconnect.ts';
import type { Person } from '../domain/views/model.ts';
import { confirmXero } from './commands/confirm-xero.ts';
import { own } from './lifecycle/own.ts';
import { snooze } from './lifecycle/snooze.ts';
import { addNote } from './lifecycle/note.ts';

/** What each repair button does to its subject; `/xero disconnect|reconnect <org>` use the same. */
export const ON_SUBJECT: Record<RepairAction, (deps: HandlerDeps, actor: ChatActor, subject: Subject, chosen?: Person) => Promise<HandlerResult>> = {
  disconnect,
  reconnect,
  confirmXero,
  sendLink: (deps, actor, subject, chosen) => sendLink(deps, actor, subject, chosen),
};

type RepairAction = 'disconnect' | 'reconnect' | 'confirmXero' | 'sendLink';
type Input = { value: ButtonValue; context: CommandContext };

/** Ownership, snooze and note buttons: they also read what the click carried. */
const ON_LIFECYCLE: Record<Exclude<ButtonAction, RepairAction>, (deps: HandlerDeps, actor: ChatActor, subject: Subject, input: Input) => Promise<HandlerResult>> = {
  own: (deps, actor, subject) => own(deps, actor, subject),
  snooze: (deps, actor, subject, { value, context }) => snooze(deps, actor, subject, value.snooze, context.timeZone),
  note: (deps, actor, subject, { value }) => addNote(deps, actor, subject, value.note),
};
export type { ChosenPerson } from './types.ts';

/** The click arrives read (parseButtonClick, src/domain/actions.ts): ids only; everything else is re-read. */
export async function clickButton(deps: HandlerDeps, actor: ChatActor, click: ButtonClick, context: CommandContext, chosen?: ChosenPerson): Promise<HandlerResult> {
  const { action: which, value } = click;
  const subject = await subjectOfButton(deps, value.incidentId, value.connectionId);
  if (!subject.ok) return subject;
  if (which === 'own' || which === 'snooze' || which === 'note') return ON_LIFECYCLE[which](deps, actor, subject.value, { value, context });
  const person = chosen?.userId ? { platform: actor.platform, userId: chosen.userId.slice(0, 128), ...(chosen.name ? { name: chosen.name.slice(0, 200) } : {}) } : undefined;
  return ON_SUBJECT[which](deps, actor, subject.value, person);
}
