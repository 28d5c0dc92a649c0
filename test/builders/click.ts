// A click as the adapters hand it to the handlers: read once by parseButtonClick, as both chat
// adapters do, from the button's platform id and its payload.
import { ACTION_IDS, parseButtonClick, type ButtonAction, type ButtonClick } from '../../src/domain/actions.ts';

export function aClick(action: ButtonAction, rawValue: unknown): ButtonClick {
  const read = parseButtonClick(ACTION_IDS[action], rawValue);
  if (!read.ok) throw new Error(`test click is unreadable: ${read.error.reason}`);
  return read.value;
}
