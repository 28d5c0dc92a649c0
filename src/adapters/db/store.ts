// The handlers' repositories over one Prisma client, and `transaction`, which runs a unit of work
// against the same repositories bound to one database transaction (state change, log row and
// outbox rows commit together or not at all). Implements the handlers' Store
// (src/handlers/store.ts) and adds what the scheduler and the outbox worker need.
import type { Db, Dialect } from './client.ts';
import { createConnections, type Client, type ConnectionsTable } from './connections.ts';
import { createIncidents, createNotices } from './incidents.ts';
import { createOutbox, type OutboxTable } from './outbox.ts';
import { createChatMessages } from './chat-messages.ts';
import { createChatTargets } from './chat-targets.ts';
import { createLeases } from './leases.ts';
import { createGrants } from './paused-grants.ts';
import { createEventDeliveries, createEvents, NO_ENDPOINTS, type EventRouting } from './events.ts';
import { createGrantTokens, createXeroConnections } from './xero-repos.ts';
import { createLinks } from './links.ts';
import type { EventDeliveriesRepo, Repos } from '../../handlers/store.ts';

export type DbRepos = Repos & {
  connections: ConnectionsTable;
  outbox: OutboxTable;
  messages: ReturnType<typeof createChatMessages>;
  /** For the webhook delivery worker. */
  eventDeliveries: EventDeliveriesRepo;
};

export type DbStore = DbRepos & {
  db: Db;
  dialect: Dialect;
  transaction<T>(work: (tx: DbRepos) => Promise<T>): Promise<T>;
};

function reposOver(client: Client, routing: EventRouting): DbRepos {
  return {
    connections: createConnections(client),
    incidents: createIncidents(client),
    notices: createNotices(client),
    outbox: createOutbox(client),
    messages: createChatMessages(client),
    targets: createChatTargets(client),
    leases: createLeases(client),
    grants: createGrants(client),
    events: createEvents(client, routing),
    eventDeliveries: createEventDeliveries(client),
    grantTokens: createGrantTokens(client),
    xeroConnections: createXeroConnections(client),
    links: createLinks(client),
  };
}

/** Prisma's codes for a unique-key clash and a serialization conflict between transactions. */
const RETRYABLE = new Set(['P2002', 'P2034']);

/** `events`: which webhook endpoints take which events (none: events are not recorded). */
export function createStore(db: Db, dialect: Dialect, options: { events?: EventRouting } = {}): DbStore {
  const routing = options.events ?? NO_ENDPOINTS;
  return {
    ...reposOver(db, routing),
    db,
    dialect,
    async transaction(work) {
      // Two replicas racing on the same unique key (dedupe key, open incident): the loser's
      // transaction fails with P2002 and is retried, when it re-reads and finds the work done.
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await db.$transaction((tx) => work(reposOver(tx, routing)), { timeout: 30_000, maxWait: 30_000 });
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (attempt >= 3 || !code || !RETRYABLE.has(code)) throw error;
        }
      }
    },
  };
}
