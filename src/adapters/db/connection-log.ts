// The connection log: append-only rows for every check outcome, state change and action.
import type { Db } from './client.ts';
import type { ConnectionLogWriter, LogEntry } from '../../handlers/ports.ts';

export type LogRow = Awaited<ReturnType<Db['connectionLog']['findFirstOrThrow']>>;

export type ConnectionLogRepo = ConnectionLogWriter & {
  appendMany(entries: LogEntry[]): Promise<void>;
  /** Latest failures, newest first; for one connection when given. */
  recentFailures(options: { connectionId?: string; limit: number }): Promise<LogRow[]>;
  history(connectionId: string, limit: number): Promise<LogRow[]>;
};

export function createConnectionLog(db: Db): ConnectionLogRepo {
  return {
    async append(entry) {
      await db.connectionLog.create({ data: toRow(entry) });
    },
    async appendMany(entries) {
      if (entries.length > 0) await db.connectionLog.createMany({ data: entries.map(toRow) });
    },
    recentFailures({ connectionId, limit }) {
      return db.connectionLog.findMany({
        where: { outcome: 'failure', ...(connectionId ? { connectionId } : {}) },
        orderBy: [{ at: 'desc' }, { id: 'desc' }],
        take: limit,
      });
    },
    history(connectionId, limit) {
      return db.connectionLog.findMany({ where: { connectionId }, orderBy: [{ at: 'desc' }, { id: 'desc' }], take: limit });
    },
  };
}

/** The row for one entry (also written by the handlers' repositories, inside their transactions). */
export function toRow(entry: LogEntry) {
  return {
    connectionId: entry.connectionId ?? null,
    tenantId: entry.tenantId ?? null,
    kind: entry.kind,
    operation: entry.operation,
    outcome: entry.outcome,
    httpStatus: entry.httpStatus ?? null,
    xeroError: entry.xeroError ?? null,
    cause: entry.cause ?? null,
    fromState: entry.fromState ?? null,
    toState: entry.toState ?? null,
    actorPlatform: entry.actor?.platform ?? null,
    actorId: entry.actor?.userId ?? null,
    actorName: entry.actor?.name ?? null,
    detail: entry.detail ?? null,
    ...(entry.at ? { at: entry.at } : {}),
  };
}
