// The read API's use cases: the host app asks what Xero Guard knows of its connections (state,
// cause, since, last good check, open incident, sync-from, paused). Never a token or a secret: the
// answer is built from the connection and incident facts only.
import { connectionResource, type ConnectionResource } from '../domain/events.ts';
import type { HandlerDeps } from './deps.ts';

export async function listConnections(deps: Pick<HandlerDeps, 'store'>): Promise<ConnectionResource[]> {
  const rows = await deps.store.events.readConnections();
  return rows.map((row) => connectionResource(row.connection, row.openIncident));
}

export async function getConnection(deps: Pick<HandlerDeps, 'store'>, tenantId: string): Promise<ConnectionResource | undefined> {
  const [row] = await deps.store.events.readConnections(tenantId);
  return row ? connectionResource(row.connection, row.openIncident) : undefined;
}
