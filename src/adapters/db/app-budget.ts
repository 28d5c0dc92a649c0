// Xero's app-wide call budget shared by replicas on PostgreSQL: one counter row per whole second,
// written under a transaction-scoped advisory lock so two replicas never both take the last calls
// of a minute. A replica reserves a block of calls for the current second and spends it locally
// (src/adapters/xero/rate-budget.ts), so the database sees about one short transaction per second
// per replica, not one per call. SQLite runs one process, which keeps its count in memory.
import type { Db, Tx } from './client.ts';
import type { SharedAppWindow, WindowReservation } from '../xero/rate-budget.ts';

/** Any fixed number: the advisory lock every replica takes to change the window. */
const BUDGET_LOCK_KEY = 72_707_302;
/** Seconds in the window (as the in-memory one: a call leaves it only once a full minute has passed). */
const SPAN = 61;
/** Rows older than this are never read again. */
const KEEP_SECONDS = 120;

export function createSharedAppWindow(db: Db): SharedAppWindow {
  let lastPrune = 0;

  /** Calls taken in the window ending at `second`: at most SPAN rows, summed here. */
  async function used(client: Pick<Tx, 'xeroAppBudget'>, second: number): Promise<number> {
    const rows = await client.xeroAppBudget.findMany({ where: { second: { gt: BigInt(second - SPAN) } }, select: { calls: true } });
    return rows.reduce((sum, row) => sum + row.calls, 0);
  }

  return {
    async reserve(request: WindowReservation) {
      const { second, want, limit, giveBack } = request;
      if (want <= 0 && !giveBack) return { granted: 0, used: await used(db, second) };
      return db.$transaction(
        async (tx) => {
          await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${BUDGET_LOCK_KEY})`);
          // Calls reserved for an earlier second and never made: Xero never counted them either.
          if (giveBack && giveBack.calls > 0) {
            await tx.xeroAppBudget.updateMany({ where: { second: BigInt(giveBack.second), calls: { gte: giveBack.calls } }, data: { calls: { decrement: giveBack.calls } } });
          }
          const before = await used(tx, second);
          const granted = Math.max(0, Math.min(want, limit - before));
          if (granted > 0) {
            await tx.xeroAppBudget.upsert({ where: { second: BigInt(second) }, create: { second: BigInt(second), calls: granted }, update: { calls: { increment: granted } } });
          }
          if (second - lastPrune >= KEEP_SECONDS) {
            lastPrune = second;
            await tx.xeroAppBudget.deleteMany({ where: { second: { lt: BigInt(second - KEEP_SECONDS) } } });
          }
          return { granted, used: before + granted };
        },
        { timeout: 10_000, maxWait: 10_000 },
      );
    },

    async raise(second: number, target: number) {
      return db.$transaction(
        async (tx) => {
          await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${BUDGET_LOCK_KEY})`);
          const before = await used(tx, second);
          if (target <= before) return before;
          await tx.xeroAppBudget.upsert({ where: { second: BigInt(second) }, create: { second: BigInt(second), calls: target - before }, update: { calls: { increment: target - before } } });
          return target;
        },
        { timeout: 10_000, maxWait: 10_000 },
      );
    },
  };
}
