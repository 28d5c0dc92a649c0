// Activity ids already handled, so a redelivery of the same message by the Bot Framework (it
// retries when our answer is slow or lost) is acknowledged and dropped instead of run twice. In
// memory on purpose: it only has to outlive the channel's retry window (minutes), and the handlers
// are idempotent anyway for a redelivery that lands on another replica or after a restart.
export type RecentIds = { firstTime(id: string): boolean };

export function createRecentIds(options: { ttlMs?: number; max?: number; now?: () => number } = {}): RecentIds {
  const ttl = options.ttlMs ?? 15 * 60_000;
  const max = options.max ?? 20_000;
  const now = options.now ?? Date.now;
  const seen = new Map<string, number>();
  return {
    firstTime(id) {
      const t = now();
      // A Map iterates oldest first: drop what expired, and the oldest when full.
      for (const [key, at] of seen) {
        if (t - at < ttl && seen.size < max) break;
        seen.delete(key);
      }
      if (seen.has(id)) return false;
      seen.set(id, t);
      return true;
    },
  };
}
