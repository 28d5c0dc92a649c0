// Slack request checks that Bolt does not do itself. Bolt verifies the signature and refuses
// timestamps more than 5 minutes old, but accepts timestamps in the future (reference/chat-facts.md
// 0.4), so a captured request could be replayed later; decideSlackRequest (intake.ts) refuses
// both directions before the signature is even checked.

export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

export type TimestampDecision = { ok: true } | { ok: false; reason: 'missing' | 'not_a_number' | 'stale' | 'future' };

export function decideTimestamp(header: string | undefined, nowMs: number): TimestampDecision {
  if (header === undefined || header === '') return { ok: false, reason: 'missing' };
  if (!/^\d{1,12}$/.test(header)) return { ok: false, reason: 'not_a_number' };
  const skew = Number(header) - Math.floor(nowMs / 1000);
  if (skew < -MAX_CLOCK_SKEW_SECONDS) return { ok: false, reason: 'stale' };
  if (skew > MAX_CLOCK_SKEW_SECONDS) return { ok: false, reason: 'future' };
  return { ok: true };
}
