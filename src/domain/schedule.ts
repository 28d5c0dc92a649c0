// When a connection is checked next (DESIGN.md section 1.2). Pure: takes `now`
// and a random source. Every connection owns a fixed phase inside CHECK_INTERVAL, so checks are
// spread evenly over the interval, stay spread across restarts (the phase comes from an id, not
// from when the process started) and tenants of one grant fall in the same slot, which lets one
// GET /connections per grant serve them all in one cycle.

/** FNV-1a over the id, then murmur3's final mix (ids that differ in one character land far apart), mapped to [0, 1). */
export function phaseOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i += 1) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 0x1_0000_0000;
}

/**
 * The first slot of this phase at least half an interval after `now`. In the steady state that is
 * exactly one interval after the slot just checked; after a late or early check (a backlog at
 * first start, a retry) it falls back into phase without checking twice in quick succession.
 */
export function nextSlot(now: Date, intervalMs: number, phase: number): Date {
  const offset = Math.floor(phase * intervalMs);
  const earliest = now.getTime() + Math.floor(intervalMs / 2);
  const k = Math.floor((earliest - offset) / intervalMs) + 1;
  return new Date(k * intervalMs + offset);
}

export const BACKOFF_BASE_MS = 30_000;

/**
 * Retry delay after `failures` consecutive transient failures: doubling from 30 s, never beyond one
 * check interval, with "equal jitter" (half fixed, half random) so a Xero outage does not make
 * every connection retry in the same second.
 */
export function transientBackoffMs(failures: number, intervalMs: number, random: number): number {
  const exponent = Math.min(20, Math.max(0, failures - 1));
  const capped = Math.min(intervalMs, BACKOFF_BASE_MS * 2 ** exponent);
  return Math.round(capped / 2 + (random * capped) / 2);
}

/** After a 429: wait what Xero asked (default a minute), plus up to 10% so waiters do not align. */
export function rateLimitedDelayMs(retryAfterMs: number | undefined, random: number): number {
  const wait = retryAfterMs && retryAfterMs > 0 ? retryAfterMs : 60_000;
  return Math.round(wait + random * wait * 0.1);
}

/**
 * How many due checks one scheduler tick may start: the steady rate (watched / interval) with
 * headroom, so a backlog (first start, or after downtime) drains over about half an interval
 * instead of bursting.
 */
export function checksPerTick(watched: number, tickMs: number, intervalMs: number): number {
  return Math.max(5, Math.ceil(((watched * tickMs) / intervalMs) * 2));
}
