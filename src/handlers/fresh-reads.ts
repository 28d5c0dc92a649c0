// Request coalescing for reads: the same question asked many times at once is answered from one read.
/** Shares one read among the requests that want it at once; see freshReads. */
export type FreshRead = <T>(key: string, read: () => Promise<T>) => Promise<T>;

/**
 * Many people asking for the same thing at once (twenty `/xero status` right after an alert) share
 * one read instead of each paying for it, and no one gets an answer older than their question: a
 * request that arrives while a read is under way waits for the next read, which starts when that
 * one ends and serves everyone who arrived meanwhile. At most two reads per key are in flight.
 */
export function freshReads(): FreshRead {
  const slots = new Map<string, { current: Promise<unknown>; next?: Promise<unknown> }>();
  const settled = (p: Promise<unknown>) => p.then(
    () => undefined,
    () => undefined,
  );
  const forget = (key: string, slot: { current: Promise<unknown>; next?: Promise<unknown> }, read: Promise<unknown>) =>
    void settled(read).then(() => {
      if (slots.get(key) === slot && slot.current === read && !slot.next) slots.delete(key);
    });
  return function share<T>(key: string, read: () => Promise<T>): Promise<T> {
    const slot = slots.get(key);
    if (!slot) {
      const current = read();
      const fresh = { current: current as Promise<unknown> };
      slots.set(key, fresh);
      forget(key, fresh, current);
      return current;
    }
    if (slot.next) return slot.next as Promise<T>;
    const next = settled(slot.current).then(() => {
      slot.current = next;
      slot.next = undefined;
      forget(key, slot, next);
      return read();
    });
    slot.next = next;
    return next;
  };
}
