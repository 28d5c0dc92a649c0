// The three alert buttons: Disconnect, Reconnect, "I disconnected in Xero too". The payload carries
// ids only; everything else is re-read.
import { ACTION_IDS, buttonActionOf, parseButtonValue, type ButtonAction } from '../domain/actions.ts';
import type { ChatActor } from '../domain/permissions.ts';
import { ANSWERS } from '../domain/views/wording.ts';
import type { HandlerDeps } from './deps.ts';
import type { CommandContext, HandlerResult } from './types.ts';
import { fail } from './common.ts';
import { subjectOfButton, type Subject } from './commands/target.ts';
import { disconnect } from './commands/disconnect.ts';
import { reconnect } from './commands/reconnect.ts';
import { confirmXero } from './commands/confirm-xero.ts';

/** What each button does to its subject; `/xero disconnect|reconnect <org>` use the same. */
export const ON_SUBJECT: Record<ButtonAction, (deps: HandlerDeps, actor: ChatActor, subject: Subject) => Promise<HandlerResult>> = {
  disconnect,
  reconnect,
  confirmXero,
};

/** Accepts the action's name ("disconnect") or its platform id ("xg_disconnect"). */
export function resolveAction(action: string): ButtonAction | undefined {
  if (action in ACTION_IDS) return action as ButtonAction;
  return buttonActionOf(action);
}

export async function clickButton(deps: HandlerDeps, actor: ChatActor, action: string, rawValue: unknown, _context: CommandContext): Promise<HandlerResult> {
  const which = resolveAction(action);
  const value = parseButtonValue(rawValue);
  if (!which || !value.ok) return fail('bad_request', ANSWERS.badButton, which ? value.ok ? undefined : value.reason : 'unknown_action');
  const subject = await subjectOfButton(deps, value.value.incidentId, value.value.connectionId);
  if (!subject.ok) return subject;
  return ON_SUBJECT[which](deps, actor, subject.value);
}
