// Named leases shared by replicas (the announcer runs on one of them at a time; a paused grant's
// keep-alive is tried by one of them). A lease is taken by compare-and-set on its row; a holder
// that dies simply lets it expire.
import type { Client } from './connections.ts';
import type { LeasesRepo } from '../../handlers/store.ts';

export function createLeases(db: Client): LeasesRepo {
  return {
    async acquire(name: string, owner: string, now: Date, ttlMs: number): Promise<boolean> {
      const until = new Date(now.getTime() + ttlMs);
      const { count } = await db.lease.updateMany({
        where: { name, OR: [{ owner }, { until: { lt: now } }] },
        data: { owner, until },
      });
      if (count === 1) return true;
      try {
        await db.lease.create({ data: { name, owner, until } });
        return true;
      } catch (error) {
        // P2002: another replica created it first and holds it; any other error is real.
        if ((error as { code?: string }).code === 'P2002') return false;
        throw error;
      }
    },
    async release(name: string, owner: string): Promise<void> {
      await db.lease.deleteMany({ where: { name, owner } });
    },
  };
}
