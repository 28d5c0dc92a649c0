// What the Xero side keeps in the database, as the handlers define it: the connections as Xero
// knows them. The database adapter implements these (src/adapters/db/xero-repos.ts); the Xero
// adapter and the consent handler see nothing of Prisma.
import type { CheckTarget } from './ports.ts';

/** Connections, as probing and disconnecting at Xero read and write them. */
export interface XeroConnectionsRepo {
  /** The connection as a probe needs it; null when there is none. */
  target(id: string): Promise<CheckTarget | null>;
  /** Xero is the source of truth for its own connection id and the organisation's name. */
  recordXeroIdentity(id: string, identity: { xeroConnectionId: string; tenantName?: string }): Promise<void>;
}
