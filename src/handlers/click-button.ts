// The alert buttons: Disconnect, Reconnect, "I disconnected in Xero too", and "I'm on it", Snooze and
// "What fixed it?". The payload carries ids (and a snooze choice or a note); everything else is re-read.
import { ACTION_IDS, buttonActionOf, parseButtonValue, type ButtonAction, type ButtonValue } from '../domain/actions.ts';
import type { ChatActor } from '../domain/permissions.ts';
import { ANSWERS } from '../domain/views/wording.ts';
import type { HandlerDeps } from './deps.ts';
import type { CommandContext, HandlerResult } from './types.ts';
import { fail } from './common.ts';
import { subjectOfButton, type Subject } from './commands/target.ts';
import { disconnect } from './commands/disconnect.ts';
import { reconnect } from './commands/reconnect.ts';
import { confirmXero } from './commands/confirm-xero.ts';
import { own } from './lifecycle/own.ts';
import { snooze } from './lifecycle/snooze.ts';
import { addNote } from './lifecycle/note.ts';

/** What each repair button does to its subject; `/xero disconnect|reconnect <org>` use the same. */
export const ON_SUBJECT: Record<RepairAction, (deps: HandlerDeps, actor: ChatActor, subject: Subject) => Promise<HandlerResult>> = {
  disconnect,
  reconnect,
  confirmXero,
};

type RepairAction = 'disconnect' | 'reconnect' | 'confirmXero';
type Input = { value: ButtonValue; context: CommandContext };

/** Ownership, snooze and note buttons: they also read what the click carried. */
const ON_LIFECYCLE: Record<Exclude<ButtonAction, RepairAction>, (deps: HandlerDeps, actor: ChatActor, subject: Subject, input: Input) => Promise<HandlerResult>> = {
  own: (deps, actor, subject) => own(deps, actor, subject),
  snooze: (deps, actor, subject, { value, context }) => snooze(deps, actor, subject, value.snooze, context.timeZone),
  note: (deps, actor, subject, { value }) => addNote(deps, actor, subject, value.note),
};

/** Accepts the action's name ("disconnect") or its platform id ("xg_disconnect"). */
export function resolveAction(action: string): ButtonAction | undefined {
  if (action in ACTION_IDS) return action as ButtonAction;
  return buttonActionOf(action);
}

export async function clickButton(deps: HandlerDeps, actor: ChatActor, action: string, rawValue: unknown, context: CommandContext): Promise<HandlerResult> {
  const which = resolveAction(action);
  const value = parseButtonValue(rawValue);
  if (!which || !value.ok) return fail('bad_request', ANSWERS.badButton, which ? value.ok ? undefined : value.reason : 'unknown_action');
  const subject = await subjectOfButton(deps, value.value.incidentId, value.value.connectionId);
  if (!subject.ok) return subject;
  if (which === 'own' || which === 'snooze' || which === 'note') return ON_LIFECYCLE[which](deps, actor, subject.value, { value: value.value, context });
  return ON_SUBJECT[which](deps, actor, subject.value);
}
