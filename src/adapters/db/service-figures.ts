// The figures behind the service's own Prometheus gauges, read at scrape time. Each query is a
// count over an index (incident status, outbox status, the connection schedule), except
// connections by state: Connection has no index on its state, on purpose (SQLite, without table
// statistics, would then prefer it over the schedule and grant indexes in the scheduler's own
// queries), so that one is a single GROUP BY over the table, a few milliseconds at 10,000 rows.
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
    db.connection.groupBy({ by: ['state'], _count: { _all: true } }),
    db.incident.count({ where: { status: 'open' } }),
    db.outbox.aggregate({ where: { status: { in: UNDELIVERED } }, _count: { _all: true }, _min: { createdAt: true } }),
    db.connection.count({ where: { nextCheckAt: { lt: new Date(now.getTime() - overdueAfterMs) }, state: { in: WATCHED_STATES } } }),
  ]);
  const connectionsByState = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<ConnectionState, number>;
  for (const row of byState) {
    if ((STATES as readonly string[]).includes(row.state)) connectionsByState[row.state as ConnectionState] = row._count._all;
  }
  return { connectionsByState, openIncidents, outboxPending: outbox._count._all, oldestPendingAt: outbox._min.createdAt, checksOverdue };
}
