// The event store for the host app's webhooks. `emit` runs inside the transaction of the state
// change it reports: the connection row is bumped first (its eventSeq), which on Postgres takes the
// row lock, so two changes of one connection get their numbers in commit order and a later event
// is never visible before an earlier one. The delivery worker (src/adapters/events/worker.ts)
// reads the rest of this file.
import { randomUUID } from 'node:crypto';
import type { Client } from './connections.ts';
import type { EventDeliveriesRepo, EventDeliveryRow, EventDraft, EventRouting, EventsRepo } from '../../handlers/store.ts';
import { deliveryStatus } from './rows.ts';
import { connectionEvent, endpointHealth, type EndpointHealth, type EventType } from '../../domain/events.ts';
import { PLATFORMS } from '../../domain/permissions.ts';

export type { EventRouting };

export const NO_ENDPOINTS: EventRouting = { endpoints: [] };


export function endpointsFor(routing: EventRouting, type: EventType): string[] {
  return routing.endpoints.filter((e) => e.events === 'all' || e.events.includes(type)).map((e) => e.name);
}

export function createEvents(db: Client, routing: EventRouting): EventsRepo {
  return {
    async emit(draft: EventDraft): Promise<void> {
      const endpoints = endpointsFor(routing, draft.type);
      if (endpoints.length === 0) return;
      const connection = await db.connection.update({ where: { id: draft.connectionId }, data: { eventSeq: { increment: 1 } } });
      const incident = draft.incidentId
        ? await db.incident.findUnique({ where: { id: draft.incidentId } })
        : await db.incident.findUnique({ where: { openKey: draft.connectionId } });
      const actor = draft.actor && (PLATFORMS as readonly string[]).includes(draft.actor.platform) ? { platform: draft.actor.platform, userId: draft.actor.userId, ...(draft.actor.name ? { name: draft.actor.name } : {}) } : null;
      const body = connectionEvent({ type: draft.type, connection, previousState: draft.previousState, incident, actor, sequence: connection.eventSeq, at: draft.at });
      const id = `evt_${randomUUID().replaceAll('-', '')}`;
      await db.event.create({ data: { id, type: draft.type, connectionId: connection.id, seq: connection.eventSeq, payload: JSON.stringify(body), createdAt: draft.at } });
      await db.eventDelivery.createMany({
        data: endpoints.map((endpoint) => ({ eventId: id, endpoint, connectionId: connection.id, seq: connection.eventSeq, nextAttemptAt: draft.at, createdAt: draft.at })),
      });
    },
    async readConnections(tenantId?: string) {
      const rows = await db.connection.findMany({
        where: tenantId === undefined ? {} : { tenantId },
        orderBy: [{ tenantName: 'asc' }, { tenantId: 'asc' }],
        include: { incidents: { where: { status: 'open' }, take: 1 } },
      });
      return rows.map(({ incidents, ...connection }) => ({ connection, openIncident: incidents[0] ?? null }));
    },
    async health(): Promise<EndpointHealth[]> {
      const result: EndpointHealth[] = [];
      for (const { name } of routing.endpoints) result.push(endpointHealth(await healthFacts(db, name)));
      return result;
    },
  };
}

async function healthFacts(db: Client, endpoint: string) {
  const waitingWhere = { endpoint, status: { in: ['pending', 'sending'] } };
  const [waiting, worst, oldest, lastSent] = await Promise.all([
    db.eventDelivery.count({ where: waitingWhere }),
    db.eventDelivery.findFirst({ where: waitingWhere, orderBy: { attempts: 'desc' }, select: { attempts: true, lastError: true } }),
    db.eventDelivery.findFirst({ where: { ...waitingWhere, attempts: { gt: 0 }, lastError: { not: null } }, orderBy: { createdAt: 'asc' }, select: { createdAt: true, lastError: true } }),
    db.eventDelivery.findFirst({ where: { endpoint, status: 'sent' }, orderBy: { deliveredAt: 'desc' }, select: { deliveredAt: true } }),
  ]);
  const lastDeliveredAt = lastSent?.deliveredAt ?? null;
  const givenUp = await db.eventDelivery.count({ where: { endpoint, status: 'dead', ...(lastDeliveredAt ? { lastAttemptAt: { gt: lastDeliveredAt } } : {}) } });
  return {
    endpoint,
    waiting,
    maxAttempts: worst?.attempts ?? 0,
    oldestWaitingAt: oldest?.createdAt ?? null,
    lastError: oldest?.lastError ?? worst?.lastError ?? null,
    lastDeliveredAt,
    givenUp,
  };
}

/** What the delivery worker needs: claims in per-connection order, results, clean-up. */
export function createEventDeliveries(db: Client): EventDeliveriesRepo {
  const endLease = async (id: string, owner: string, data: Record<string, unknown>): Promise<boolean> => {
    const { count } = await db.eventDelivery.updateMany({ where: { id, status: 'sending', leaseOwner: owner }, data: { ...data, leaseOwner: null, leaseUntil: null } });
    return count === 1;
  };
  return {
    /**
     * Deliveries ready to go (or whose sender died mid-flight), each the first unfinished one of
     * its endpoint and connection: event N+1 waits while event N is pending, even in backoff.
     */
    async findReady(now: Date, limit: number, skipEndpoints: readonly string[] = []): Promise<EventDeliveryRow[]> {
      const rows = await db.eventDelivery.findMany({
        where: {
          endpoint: { notIn: [...skipEndpoints] },
          OR: [{ status: 'pending', nextAttemptAt: { lte: now } }, { status: 'sending', leaseUntil: { lt: now } }],
        },
        orderBy: [{ createdAt: 'asc' }, { seq: 'asc' }],
        take: limit,
        select: { id: true, eventId: true, endpoint: true, connectionId: true, seq: true, status: true, attempts: true, createdAt: true, leaseOwner: true },
      });
      const candidates: EventDeliveryRow[] = rows.map((row) => ({ ...row, status: deliveryStatus(row.status) }));
      const firstOfLane = new Map<string, EventDeliveryRow>();
      for (const row of candidates) {
        const lane = `${row.endpoint}\u0000${row.connectionId}`;
        const first = firstOfLane.get(lane);
        if (!first || row.seq < first.seq) firstOfLane.set(lane, row);
      }
      const ready: EventDeliveryRow[] = [];
      for (const row of firstOfLane.values()) {
        const earlier = await db.eventDelivery.count({
          where: { endpoint: row.endpoint, connectionId: row.connectionId, seq: { lt: row.seq }, status: { in: ['pending', 'sending'] } },
        });
        if (earlier === 0) ready.push(row);
      }
      return ready;
    },
    /** Compare-and-set on the row as read: exactly one worker wins. */
    async claim(row: EventDeliveryRow, owner: string, now: Date, leaseMs: number): Promise<boolean> {
      const { count } = await db.eventDelivery.updateMany({
        where: { id: row.id, status: row.status, attempts: row.attempts, leaseOwner: row.leaseOwner },
        data: { status: 'sending', leaseOwner: owner, leaseUntil: new Date(now.getTime() + leaseMs), attempts: row.attempts + 1, lastAttemptAt: now },
      });
      return count === 1;
    },
    /** Extends this worker's lease while the POST runs; false once the lease is no longer ours. */
    async renew(id: string, owner: string, now: Date, leaseMs: number): Promise<boolean> {
      const { count } = await db.eventDelivery.updateMany({ where: { id, status: 'sending', leaseOwner: owner }, data: { leaseUntil: new Date(now.getTime() + leaseMs) } });
      return count === 1;
    },
    async payloadOf(eventId: string): Promise<string | null> {
      const event = await db.event.findUnique({ where: { id: eventId }, select: { payload: true } });
      return event?.payload ?? null;
    },
    markSent(id: string, owner: string, at: Date): Promise<boolean> {
      return endLease(id, owner, { status: 'sent', deliveredAt: at, lastError: null });
    },
    reschedule(id: string, owner: string, nextAttemptAt: Date, error: string): Promise<boolean> {
      return endLease(id, owner, { status: 'pending', nextAttemptAt, lastError: error.slice(0, 500) });
    },
    giveUp(id: string, owner: string, error: string): Promise<boolean> {
      return endLease(id, owner, { status: 'dead', lastError: error.slice(0, 500) });
    },
    /** Deliveries to an endpoint no longer configured: kept for the record, never sent. */
    async abandon(endpoints: readonly string[], now: Date): Promise<number> {
      const { count } = await db.eventDelivery.updateMany({
        where: { endpoint: { notIn: [...endpoints] }, status: { in: ['pending', 'sending'] } },
        data: { status: 'dead', lastError: 'endpoint no longer configured', lastAttemptAt: now, leaseOwner: null, leaseUntil: null },
      });
      return count;
    },
    /** Finished deliveries older than `before`, and events left with none. */
    async prune(before: Date): Promise<number> {
      const { count } = await db.eventDelivery.deleteMany({ where: { status: { in: ['sent', 'dead'] }, createdAt: { lt: before } } });
      await db.event.deleteMany({ where: { createdAt: { lt: before }, deliveries: { none: {} } } });
      return count;
    },
  };
}
