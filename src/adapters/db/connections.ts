// Connections as the handlers and the scheduler see them: schedule, check leases, state changes. Every state change
// writes its connection log row through the same client, so inside a transaction both land or
// neither does.
import type { Db, Tx } from './client.ts';
import { toRow as toLogRow } from './connection-log.ts';
import type { LogEntry } from '../../handlers/ports.ts';
import type { ConnectionPatch, ConnectionRow, ConnectionsRepo, ConnectionWithGrant, ConnectionWithOpenIncident, FailureLogRow } from '../../handlers/store.ts';
import { isWatched, STATES, type ConnectionState } from '../../domain/states.ts';
import { asConnection, maybe } from './rows.ts';

export type Client = Db | Tx;

const WATCHED_STATES = STATES.filter(isWatched);

/** What counts as one grant when failures are counted: the grant, or the connection when it has none. */
export const grantKeyOf = (grantId: string | null, connectionId: string) => grantId ?? `no-grant:${connectionId}`;

/** The handlers' repository, plus what the check scheduler needs to find and claim due work. */
export interface ConnectionsTable extends ConnectionsRepo {
  countWatched(): Promise<number>;
  /** Due, watched and not leased by a live worker: candidates for a claim, oldest due first. */
  findDue(now: Date, limit: number): Promise<Pick<ConnectionRow, 'id' | 'checkLeaseUntil' | 'checkLeaseOwner'>[]>;
  /** Claims several due connections at once; returns the ids this claim got. */
  claimBatch(ids: string[], owner: string, now: Date, leaseMs: number): Promise<string[]>;
}

export function createConnections(db: Client): ConnectionsTable {
  return {
    get(id: string): Promise<ConnectionRow | null> {
      return db.connection.findUnique({ where: { id } }).then(maybe(asConnection));
    },
    listWithGrant(): Promise<ConnectionWithGrant[]> {
      return db.connection
        .findMany({
          orderBy: { tenantName: 'asc' },
          include: {
            grant: { select: { refreshedAt: true, createdAt: true } },
            incidents: { where: { status: 'open' }, select: { cause: true, ownedBy: true, ownedAt: true, snoozedUntil: true, missingScopes: true }, take: 1 },
          },
        })
        .then((rows) => rows.map(asConnection));
    },
    list(): Promise<ConnectionRow[]> {
      return db.connection.findMany({ orderBy: { tenantName: 'asc' } }).then((rows) => rows.map(asConnection));
    },
    names(): Promise<{ id: string; tenantName: string }[]> {
      return db.connection.findMany({ orderBy: { tenantName: 'asc' }, select: { id: true, tenantName: true } });
    },
    countWatched(): Promise<number> {
      return db.connection.count({ where: { state: { in: WATCHED_STATES } } });
    },
    listDegraded(): Promise<ConnectionRow[]> {
      return db.connection.findMany({ where: { state: 'degraded' }, orderBy: { tenantName: 'asc' } }).then((rows) => rows.map(asConnection));
    },
    async lastChecksSince(since: Date): Promise<{ grant: string; at: Date }[]> {
      // The latest check per grant, taken here rather than by a GROUP BY, whose result type each
      // dialect's generated client spells differently (this runs only while alerts wait to go out).
      const checked = await db.connection.findMany({ where: { lastCheckAt: { gte: since } }, select: { id: true, grantId: true, lastCheckAt: true } });
      const latest = new Map<string, Date>();
      for (const c of checked) {
        const grant = grantKeyOf(c.grantId, c.id);
        const at = c.lastCheckAt!;
        const seen = latest.get(grant);
        if (!seen || at > seen) latest.set(grant, at);
      }
      return [...latest].map(([grant, at]) => ({ grant, at }));
    },
    findDue(now: Date, limit: number): Promise<Pick<ConnectionRow, 'id' | 'checkLeaseUntil' | 'checkLeaseOwner'>[]> {
      return db.connection.findMany({
        where: { state: { in: WATCHED_STATES }, nextCheckAt: { lte: now }, OR: [{ checkLeaseUntil: null }, { checkLeaseUntil: { lt: now } }] },
        // Tenants of one grant share a slot; claimed together, one GET /connections serves them
        // all (a backlog of equal times would otherwise scatter them over many ticks).
        orderBy: [{ nextCheckAt: 'asc' }, { grantId: 'asc' }],
        take: limit,
        select: { id: true, checkLeaseUntil: true, checkLeaseOwner: true },
      });
    },
    /**
     * Compare-and-set claim: succeeds for exactly one worker across replicas, because the UPDATE
     * only matches while the lease is free (or expired, when its holder died).
     */
    async claim(id: string, owner: string, now: Date, leaseMs: number, requireDue: boolean): Promise<boolean> {
      const { count } = await db.connection.updateMany({
        where: {
          id,
          state: { in: WATCHED_STATES },
          ...(requireDue ? { nextCheckAt: { lte: now } } : {}),
          OR: [{ checkLeaseUntil: null }, { checkLeaseUntil: { lt: now } }],
        },
        data: { checkLeaseOwner: owner, checkLeaseUntil: new Date(now.getTime() + leaseMs) },
      });
      return count === 1;
    },
    /**
     * Claims several due connections in one UPDATE, then reads back which ones this claim got
     * (`owner` must be unique per claim). On Postgres a concurrent claim blocks on the row locks and
     * re-checks the lease condition after the first commits, so no row is claimed twice.
     */
    async claimBatch(ids: string[], owner: string, now: Date, leaseMs: number): Promise<string[]> {
      if (ids.length === 0) return [];
      await db.connection.updateMany({
        where: { id: { in: ids }, state: { in: WATCHED_STATES }, nextCheckAt: { lte: now }, OR: [{ checkLeaseUntil: null }, { checkLeaseUntil: { lt: now } }] },
        data: { checkLeaseOwner: owner, checkLeaseUntil: new Date(now.getTime() + leaseMs) },
      });
      const mine = await db.connection.findMany({ where: { id: { in: ids }, checkLeaseOwner: owner }, select: { id: true } });
      return mine.map((m) => m.id);
    },
    async renew(ids: readonly string[], owner: string, now: Date, leaseMs: number): Promise<number> {
      if (ids.length === 0) return 0;
      const { count } = await db.connection.updateMany({
        where: { id: { in: [...ids] }, checkLeaseOwner: owner },
        data: { checkLeaseUntil: new Date(now.getTime() + leaseMs) },
      });
      return count;
    },
    getWithOpenIncident(id: string): Promise<ConnectionWithOpenIncident | null> {
      return db.connection.findUnique({ where: { id }, include: { incidents: { where: { status: 'open' }, take: 1 } } }).then(maybe(asConnection));
    },
    async release(id: string, owner: string, data: ConnectionPatch): Promise<boolean> {
      const { count } = await db.connection.updateMany({
        where: { id, checkLeaseOwner: owner },
        data: { ...data, checkLeaseOwner: null, checkLeaseUntil: null },
      });
      return count === 1;
    },
    async releaseIf(id: string, owner: string, state: string, data: ConnectionPatch): Promise<boolean> {
      const { count } = await db.connection.updateMany({
        where: { id, checkLeaseOwner: owner, state },
        data: { ...data, checkLeaseOwner: null, checkLeaseUntil: null },
      });
      return count === 1;
    },
    async transition(id: string, from: ConnectionState, to: ConnectionState, now: Date, data: ConnectionPatch = {}): Promise<boolean> {
      const { count } = await db.connection.updateMany({
        where: { id, state: from },
        data: { ...data, state: to, ...(from !== to ? { stateSince: now } : {}) },
      });
      return count === 1;
    },
    async update(id: string, data: ConnectionPatch): Promise<void> {
      await db.connection.update({ where: { id }, data });
    },
    async setAlertTargetFrom(fromTargetIds: string[], toTargetId: string): Promise<number> {
      const { count } = await db.connection.updateMany({ where: { alertTargetId: { in: fromTargetIds } }, data: { alertTargetId: toTargetId } });
      return count;
    },
    async log(entry: LogEntry): Promise<void> {
      await db.connectionLog.create({ data: toLogRow(entry) });
    },
    recentFailures(options: { connectionId?: string; limit: number }): Promise<FailureLogRow[]> {
      return db.connectionLog.findMany({
        // Resolution notes ("What fixed it?") are listed among the errors they answer.
        where: { outcome: { in: ['failure', 'note'] }, ...(options.connectionId ? { connectionId: options.connectionId } : {}) },
        orderBy: [{ at: 'desc' }, { id: 'desc' }],
        take: options.limit,
        include: { connection: { select: { tenantName: true } } },
      });
    },
  };
}
