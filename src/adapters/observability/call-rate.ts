// Xero bills API egress since 2026, so operators want to know what one connection costs: calls this
// replica made to Xero over the last day, in minute buckets. Before a day has passed the figure is
// scaled up from the time covered so far, so a fresh process reports a rate, not a partial count.
const MINUTE_MS = 60_000;
const DAY_MINUTES = 24 * 60;

export type CallRate = {
  record(): void;
  /** Calls per day at the rate seen over the last 24 hours (or since start, when younger). */
  perDay(): number;
};

export function createCallRate(now: () => number = Date.now): CallRate {
  const startedMinute = Math.floor(now() / MINUTE_MS);
  const buckets = new Map<number, number>();
  const prune = (minute: number) => {
    for (const key of buckets.keys()) if (key <= minute - DAY_MINUTES) buckets.delete(key);
  };
  return {
    record() {
      const minute = Math.floor(now() / MINUTE_MS);
      buckets.set(minute, (buckets.get(minute) ?? 0) + 1);
      if (buckets.size > DAY_MINUTES + 1) prune(minute);
    },
    perDay() {
      const minute = Math.floor(now() / MINUTE_MS);
      prune(minute);
      let calls = 0;
      for (const count of buckets.values()) calls += count;
      const covered = Math.min(DAY_MINUTES, minute - startedMinute + 1);
      return (calls * DAY_MINUTES) / covered;
    },
  };
}
