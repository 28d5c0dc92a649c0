// The figures behind the service's own Prometheus gauges, read at scrape time. Each query is a
// count over an index (incident status, outbox status, the connection schedule), except
// connections by state: Connection has no index on its state, on purpose (SQLite, without table
// statistics, would then prefer it over the schedule and grant indexes in the scheduler's own
// queries), so that one is a single GROUP BY over the table, a few milliseconds at 10,000 rows.
// It is plain SQL: Prisma's groupBy result type differs between the two dialects' clients, and
// this statement reads the same on both.
import type { Db } from './client.ts';
import { isWatched, STATES, type ConnectionState } from '../../domain/states.ts';

export type ServiceFigures = {
  connectionsByState: Record<ConnectionState, number>;
  openIncidents: number;
  /** Outgoing messages not yet delivered (waiting, or being sent now). */
  outboxPending: number;
  /** When the oldest of those was queued; null when there is none. */
  oldestPendingAt: Date | null;
  /** Watched connections whose check is later than `overdueAfterMs` past its time. */
  checksOverdue: number;
};

const WATCHED_STATES = STATES.filter(isWatched);
const UNDELIVERED = ['pending', 'sending'];

export async function readServiceFigures(db: Db, now: Date, overdueAfterMs: number): Promise<ServiceFigures> {
  const [byState, openIncidents, outbox, checksOverdue] = await Promise.all([
    db.$queryRawUnsafe<{ state: string; n: number | bigint }[]>('SELECT "state", COUNT(*) AS "n" FROM "Connection" GROUP BY "state"'),
    db.incident.count({ where: { status: 'open' } }),
    Promise.all([
      db.outbox.count({ where: { status: { in: UNDELIVERED } } }),
      db.outbox.findFirst({ where: { status: { in: UNDELIVERED } }, orderBy: { createdAt: 'asc' }, select: { createdAt: true } }),
    ]),
    db.connection.count({ where: { nextCheckAt: { lt: new Date(now.getTime() - overdueAfterMs) }, state: { in: WATCHED_STATES } } }),
  ]);
  const connectionsByState = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<ConnectionState, number>;
  for (const row of byState) {
    // COUNT(*) comes back as a bigint from PostgreSQL and a number from SQLite.
    if ((STATES as readonly string[]).includes(row.state)) connectionsByState[row.state as ConnectionState] = Number(row.n);
  }
  const [outboxPending, oldest] = outbox;
  return { connectionsByState, openIncidents, outboxPending, oldestPendingAt: oldest?.createdAt ?? null, checksOverdue };
}
