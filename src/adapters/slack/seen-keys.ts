// Remembers which Slack deliveries were already handled, so a Slack retry of the same request
// (X-Slack-Retry-Num, or a Socket Mode retry_attempt) is acknowledged and dropped instead of run
// twice. In memory on purpose: it only has to outlive Slack's retry window (minutes), and the
// handlers are idempotent anyway for the rare retry that lands on another replica or a restart.
export type SeenKeys = { firstTime(key: string): boolean; size(): number };

export function createSeenKeys(options: { ttlMs?: number; max?: number; now?: () => number } = {}): SeenKeys {
  const ttl = options.ttlMs ?? 15 * 60_000;
  const max = options.max ?? 20_000;
  const now = options.now ?? Date.now;
  const seen = new Map<string, number>();
  return {
    firstTime(key) {
      const t = now();
      // Map keeps insertion order, so the oldest entries are first: drop the expired ones.
      for (const [k, at] of seen) {
        if (t - at < ttl && seen.size < max) break;
        seen.delete(k);
      }
      if (seen.has(key)) return false;
      seen.set(key, t);
      return true;
    },
    size: () => seen.size,
  };
}

/** The identity of one Slack request, the same on every retry of it. */
export function requestKey(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, any>;
  if (typeof b.event_id === 'string') return `event:${b.event_id}`;
  if (b.type === 'block_actions' && Array.isArray(b.actions) && b.actions[0]) {
    const a = b.actions[0];
    return `action:${b.user?.id}:${a.action_id}:${a.action_ts}:${b.container?.message_ts ?? ''}`;
  }
  if (typeof b.command === 'string' && typeof b.trigger_id === 'string') return `command:${b.trigger_id}`;
  return undefined;
}
