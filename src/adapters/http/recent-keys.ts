// Remembers which platform deliveries were already handled (the chat pipeline asks it for every
// Slack and Teams request), so a retry of the same request (a Slack X-Slack-Retry-Num or Socket
// Mode retry, a Bot Framework redelivery) is acknowledged and dropped instead of run twice. In memory on purpose: it only has to outlive the platform's retry
// window (minutes), and the handlers are idempotent anyway for the rare retry that lands on
// another replica or after a restart.
export type RecentKeys = { firstTime(key: string): boolean; size(): number };

export function createRecentKeys(options: { ttlMs?: number; max?: number; now?: () => number } = {}): RecentKeys {
  const ttl = options.ttlMs ?? 15 * 60_000;
  const max = options.max ?? 20_000;
  const now = options.now ?? Date.now;
  const seen = new Map<string, number>();
  return {
    firstTime(key) {
      const t = now();
      // A Map iterates oldest first: drop what expired, and the oldest when full.
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
