// The monitor's repositories over one Prisma client, and `transaction`, which runs a unit of work
// against the same repositories bound to one database transaction (state change, log row and
// outbox rows commit together or not at all).
import type { Db, Dialect } from './client.ts';
import { createConnections, type Client } from './connections.ts';
import { createIncidents, createNotices } from './incidents.ts';
import { createOutbox } from './outbox.ts';
import { createChatMessages } from './chat-messages.ts';
import { createChatTargets } from './chat-targets.ts';
import { createLeases } from './leases.ts';

export type MonitorRepos = {
  connections: ReturnType<typeof createConnections>;
  incidents: ReturnType<typeof createIncidents>;
  notices: ReturnType<typeof createNotices>;
  outbox: ReturnType<typeof createOutbox>;
  messages: ReturnType<typeof createChatMessages>;
  targets: ReturnType<typeof createChatTargets>;
  leases: ReturnType<typeof createLeases>;
};

export type MonitorStore = MonitorRepos & {
  db: Db;
  dialect: Dialect;
  transaction<T>(work: (tx: MonitorRepos) => Promise<T>): Promise<T>;
};

function reposOver(client: Client): MonitorRepos {
  return {
    connections: createConnections(client),
    incidents: createIncidents(client),
    notices: createNotices(client),
    outbox: createOutbox(client),
    messages: createChatMessages(client),
    targets: createChatTargets(client),
    leases: createLeases(client),
  };
}

export function createMonitorStore(db: Db, dialect: Dialect): MonitorStore {
  return {
    ...reposOver(db),
    db,
    dialect,
    async transaction(work) {
      // Two replicas racing on the same unique key (dedupe key, open incident): the loser's
      // transaction fails with P2002 and is retried once, when it re-reads and finds the work done.
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await db.$transaction((tx) => work(reposOver(tx)), { timeout: 30_000, maxWait: 30_000 });
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (attempt >= 3 || (code !== 'P2002' && code !== 'P2034')) throw error;
        }
      }
    },
  };
}
