// Button ids and their payloads, defined once for Slack and Teams. Payloads carry ids only;
// handlers re-read everything else from the database.
import { z } from 'zod';

export const ACTION_IDS = {
  disconnect: 'xg_disconnect',
  reconnect: 'xg_reconnect',
  confirmXero: 'xg_confirm_xero',
  own: 'xg_own',
  snooze: 'xg_snooze',
  note: 'xg_note',
  /** "Send link to…": a person picker; the chosen person gets the reconnect link. */
  sendLink: 'xg_send_link',
} as const;
export type ButtonAction = keyof typeof ACTION_IDS;
export type ActionId = (typeof ACTION_IDS)[ButtonAction];

export function buttonActionOf(actionId: string): ButtonAction | undefined {
  return (Object.keys(ACTION_IDS) as ButtonAction[]).find((key) => ACTION_IDS[key] === actionId);
}

export const SNOOZE_CHOICES = ['1h', '4h', 'tomorrow', '1d'] as const;
export type SnoozeChoice = (typeof SNOOZE_CHOICES)[number];
/** The longest resolution note kept; longer ones are refused, not cut, so nothing is lost silently. */
export const NOTE_MAX_CHARS = 1_000;

/**
 * What a button carries: the incident and connection it acts on; a snooze choice names its length,
 * and the "What fixed it?" form adds the note the person typed.
 */
export const buttonValueSchema = z.object({
  incidentId: z.string().min(1).max(64),
  connectionId: z.string().min(1).max(64),
  snooze: z.enum(SNOOZE_CHOICES).optional(),
  note: z.string().max(10_000).optional(),
});
export type ButtonValue = z.infer<typeof buttonValueSchema>;

export function encodeButtonValue(value: ButtonValue): string {
  return JSON.stringify(buttonValueSchema.parse(value));
}

export function parseButtonValue(raw: unknown): { ok: true; value: ButtonValue } | { ok: false; reason: string } {
  let candidate = raw;
  if (typeof raw === 'string') {
    try {
      candidate = JSON.parse(raw);
    } catch {
      return { ok: false, reason: 'button value is not JSON' };
    }
  }
  const parsed = buttonValueSchema.safeParse(candidate);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, reason: 'button value is malformed' };
}

/** A click as the handlers take it: which button, and the ids (and choice or note) it carried. */
export type ButtonClick = { action: ButtonAction; value: ButtonValue };
export type UnreadableClick = { reason: 'unknown_action' | 'malformed_value'; detail: string };

/**
 * Reads a click once, for both platforms: the button's id (Slack action_id, Teams Action.Execute
 * verb) and its payload (Slack button value, Teams action data). The adapters call this and nothing
 * else; the handlers receive the parsed click and never read raw payloads.
 */
export function parseButtonClick(actionId: string, rawValue: unknown): { ok: true; value: ButtonClick } | { ok: false; error: UnreadableClick } {
  const action = buttonActionOf(actionId);
  if (!action) return { ok: false, error: { reason: 'unknown_action', detail: actionId.slice(0, 40) } };
  const value = parseButtonValue(rawValue);
  if (!value.ok) return { ok: false, error: { reason: 'malformed_value', detail: value.reason } };
  return { ok: true, value: { action, value: value.value } };
}

/** The offer's button ("Use this channel for alerts"): it runs the `here` command where it was clicked. */
export const USE_CHANNEL_ACTION = 'xg_use_channel';

/** Teams: the id of the person picker input whose value comes back in the Action.Execute data. */
export const SEND_LINK_INPUT = 'xg_person';

/** Slack: the block holding the person picker carries the ids, as a users_select has no value. */
export function sendLinkBlockId(value: ButtonValue, iteration: string): string {
  return `xg_send|${value.incidentId}|${value.connectionId}|${iteration}`;
}

export function parseSendLinkBlockId(blockId: string): ButtonValue | undefined {
  const [tag, incidentId, connectionId] = blockId.split('|');
  const parsed = buttonValueSchema.safeParse({ incidentId, connectionId });
  return tag === 'xg_send' && parsed.success ? parsed.data : undefined;
}
