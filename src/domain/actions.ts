// Button ids and their payloads, defined once for Slack and Teams. Payloads carry ids only;
// handlers re-read everything else from the database.
import { z } from 'zod';

export const ACTION_IDS = {
  disconnect: 'xg_disconnect',
  reconnect: 'xg_reconnect',
  confirmXero: 'xg_confirm_xero',
} as const;
export type ButtonAction = keyof typeof ACTION_IDS;
export type ActionId = (typeof ACTION_IDS)[ButtonAction];

export function buttonActionOf(actionId: string): ButtonAction | undefined {
  return (Object.keys(ACTION_IDS) as ButtonAction[]).find((key) => ACTION_IDS[key] === actionId);
}

/** What a button carries: the incident and connection it acts on. */
export const buttonValueSchema = z.object({
  incidentId: z.string().min(1).max(64),
  connectionId: z.string().min(1).max(64),
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
