// The Xero side's repositories (src/handlers/xero-repos.ts) over Prisma.
import type { Client } from './connections.ts';
import { stateOf } from './rows.ts';
import type { CheckTarget } from '../../handlers/ports.ts';
import type { XeroConnectionsRepo } from '../../handlers/xero-repos.ts';

const TARGET = { id: true, tenantId: true, tenantName: true, grantId: true, xeroConnectionId: true, state: true, tenantProbedAt: true } as const;

export function createXeroConnections(db: Client): XeroConnectionsRepo {
  return {
    target(id: string): Promise<CheckTarget | null> {
      return db.connection.findUnique({ where: { id }, select: TARGET }).then((row) => (row ? { ...row, state: stateOf(row.state) } : null));
    },
    async recordXeroIdentity(id, identity) {
      await db.connection.update({
        where: { id },
        data: { xeroConnectionId: identity.xeroConnectionId, ...(identity.tenantName ? { tenantName: identity.tenantName } : {}) },
      });
    },
  };
}
