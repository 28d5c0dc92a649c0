// Grants that nothing checks: every connection paused (or paused and disconnected). Checks refresh a
// grant's tokens as a side effect, so these are the ones whose refresh token would otherwise die
// after 60 days unused. The Xero adapter's refresher writes the tokens; the one write here lifts a
// refusal while Xero-wide trouble is being checked (src/handlers/xero-trouble.ts).
import type { Client } from './connections.ts';
import type { GrantsRepo, PausedGrant } from '../../handlers/store.ts';
import { isWatched, STATES } from '../../domain/states.ts';

const WATCHED_STATES = STATES.filter(isWatched);

export function createGrants(db: Client): GrantsRepo {
  return {
    pausedIdle(idleSince: Date, limit: number): Promise<PausedGrant[]> {
      return db.grant.findMany({
        where: {
          refreshTokenEnc: { not: null },
          revokedAt: null,
          // Refused by Xero (invalid_grant): nothing to keep alive until a reconnect.
          refusedAt: null,
          OR: [{ refreshedAt: { lte: idleSince } }, { refreshedAt: null, createdAt: { lte: idleSince } }],
          AND: [{ connections: { some: { state: 'paused' } } }, { connections: { none: { state: { in: WATCHED_STATES } } } }],
        },
        // Grants that keep failing (revoked for good, most likely) go last, so a batch full of them
        // never starves a healthy grant of its daily refresh.
        orderBy: [{ refreshFailures: 'asc' }, { refreshedAt: 'asc' }, { createdAt: 'asc' }],
        take: limit,
        select: { id: true, refreshFailures: true, connections: { where: { state: 'paused' }, select: { id: true, tenantId: true } } },
      });
    },
    async retryRefusedHeldBy(noticeId: string): Promise<number> {
      const { count } = await db.grant.updateMany({
        where: { refusedAt: { not: null }, connections: { some: { incidents: { some: { heldBy: noticeId, held: true, status: 'open' } } } } },
        data: { refusedAt: null },
      });
      return count;
    },
  };
}
