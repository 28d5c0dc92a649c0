// A used or expired link's page asked for a fresh one: the same person gets a new link for the
// same purpose (and the organisations of the old one that still exist) by direct message, in one
// click. The page has already made sure one old link yields one fresh link.
import { linkView } from '../../domain/views/text.ts';
import { DM } from '../../domain/views/wording.ts';
import type { HandlerDeps } from '../deps.ts';
import type { FreshLinkRequest } from '../ports.ts';
import { directMessage } from '../messages.ts';

export async function sendFreshLink(deps: HandlerDeps, request: FreshLinkRequest): Promise<{ ok: boolean }> {
  const now = deps.clock.now();
  const connections = [];
  for (const id of request.connectionIds) {
    const connection = await deps.store.connections.get(id);
    if (connection) connections.push(connection);
  }
  if (request.purpose === 'reconnect' && connections.length === 0) return { ok: false };
  const [first, ...rest] = connections;
  // Issued before the transaction (the Xero side stores it); an unused link simply expires.
  const link = first
    ? await deps.links.issue({ purpose: 'reconnect', actor: request.actor, connectionId: first.id, connectionIds: rest.map((c) => c.id), ...(request.incidentId ? { incidentId: request.incidentId } : {}) })
    : await deps.links.issue({ purpose: 'connect', actor: request.actor });
  const text = first ? DM.fresh(connections.map((c) => c.tenantName)) : DM.connect;
  const view = linkView(request.purpose, text, link.url, link.expiresAt);
  await deps.store.transaction(async (tx) => {
    const meta = { recipient: 'asker' as const, purpose: 'reconnect' as const, ...(first ? { connectionId: first.id } : {}) };
    await tx.outbox.enqueue([await directMessage(tx, request.actor, `dm:fresh:${request.actor.platform}:${request.actor.userId}:${now.getTime()}`, view, meta)], now);
    await tx.connections.log({
      connectionId: first?.id ?? null,
      tenantId: first?.tenantId ?? null,
      kind: 'action',
      operation: 'fresh_link',
      outcome: 'info',
      actor: request.actor,
      detail: `fresh ${request.purpose} link sent from the page of a used or expired one`,
      at: now,
    });
  });
  deps.wakeOutbox?.();
  return { ok: true };
}
