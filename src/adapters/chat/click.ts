// A click, read once for both platforms: the adapters hand the button's id (Slack action_id, Teams
// Action.Execute verb) and its payload here, and the handlers get the parsed click.
import { parseButtonClick, type ButtonClick, type UnreadableClick } from '../../domain/actions.ts';
import { textView } from '../../domain/views/text.ts';
import { ANSWERS } from '../../domain/views/wording.ts';
import type { CommandContext, HandlerCall, HandlerResult } from '../../handlers/types.ts';

/**
 * A click, read once for both platforms (parseButtonClick): the handler call with the parsed click,
 * or, for a button the pipeline cannot read, the same refusal on both platforms without a handler.
 */
export function readClick(
  actionId: string,
  rawValue: unknown,
  call: (click: ButtonClick, context: CommandContext) => Promise<HandlerResult>,
): { click: ButtonClick | undefined; invoke: HandlerCall } {
  const read = parseButtonClick(actionId, rawValue);
  if (read.ok) return { click: read.value, invoke: (context) => call(read.value, context) };
  return { click: undefined, invoke: async () => unreadableClick(read.error) };
}

/** An unknown button (an older card, a forged verb) or a malformed value: refused, nothing changed. */
export function unreadableClick(problem: UnreadableClick): HandlerResult {
  const text = problem.reason === 'unknown_action' ? ANSWERS.unknownButton : ANSWERS.badButton;
  return { ok: false, error: { code: 'bad_request', reason: problem.reason, reply: textView(text, 'warning') } };
}
