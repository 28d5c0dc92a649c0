// A direct message that cannot reach its person (Slack cannot_dm_bot / user_disabled, Teams 403):
// say so in the incident's thread and send the reconnect link to the admins instead, so the fix
// does not wait on someone who left.
import { PLATFORMS, type ChatActor } from '../domain/permissions.ts';
import { linkView } from '../domain/views/text.ts';
import { connectorOf } from '../domain/views/facts.ts';
import { DM, THREAD, who } from '../domain/views/wording.ts';
import type { OutboxInput, OutboxMeta } from './store.ts';
import type { HandlerDeps } from './deps.ts';
import { directMessage, followUps, linkSent, recordLinksSent } from './messages.ts';

export type Unreachable = { outboxId: string; platform: string; meta: OutboxMeta | undefined; error: string };

export async function onUnreachable(deps: HandlerDeps, event: Unreachable): Promise<void> {
  const meta = event.meta;
  // Only links for a connector have a fallback; an admin or an asker who cannot be reached is logged.
  if (!meta || meta.recipient !== 'connector' || !meta.connectionId) {
    deps.log.warn({ outboxId: event.outboxId, platform: event.platform, error: event.error }, 'direct message recipient unreachable');
    return;
  }
  const connection = await deps.store.connections.get(meta.connectionId);
  if (!connection) return;
  const incident = meta.incidentId ? await deps.store.incidents.get(meta.incidentId) : null;
  const connectorPerson = connectorOf(connection);
  const connector = who(connectorPerson);
  const admins: ChatActor[] = PLATFORMS.flatMap((platform) => deps.admins[platform].map((userId) => ({ platform, userId })));
  const links: { admin: ChatActor; url: string; expiresAt: Date | string }[] = [];
  for (const admin of admins) {
    try {
      const link = await deps.links.issue({ purpose: 'reconnect', actor: admin, connectionId: connection.id, ...(incident ? { incidentId: incident.id } : {}) });
      links.push({ admin, ...link });
    } catch (error) {
      deps.log.error({ err: error, connectionId: connection.id }, 'could not issue reconnect link for an admin');
    }
  }
  const now = deps.clock.now();
  await deps.store.transaction(async (tx) => {
    const rows: OutboxInput[] = [];
    for (const link of links) {
      const view = linkView('reconnect', DM.reconnectForAdmin(connection.tenantName, connectorPerson), link.url, link.expiresAt);
      rows.push(
        await directMessage(tx, link.admin, `dm:fallback:${event.outboxId}:${link.admin.platform}:${link.admin.userId}`, view, {
          connectionId: connection.id,
          ...(incident ? { incidentId: incident.id } : {}),
          recipient: 'admin',
          purpose: 'reconnect',
        }),
      );
    }
    if (incident) {
      await recordLinksSent(tx, incident.id, links.map((l) => linkSent(l.admin, now, l.expiresAt)));
      const text = links.length > 0 ? THREAD.unreachable(connectorPerson) : THREAD.unreachableNoAdmins(connectorPerson);
      rows.push(...(await followUps(tx, incident.alertKey, `unreachable:${event.outboxId}`, deps.settings.groupWindowMs, { edit: links.length > 0, reply: { text, tone: 'warning' }, meta: { incidentId: incident.id } })));
    }
    await tx.outbox.enqueue(rows, now);
    await tx.connections.log({
      connectionId: connection.id,
      tenantId: connection.tenantId,
      kind: 'notice',
      operation: 'dm_unreachable',
      outcome: 'failure',
      detail: `${connector} unreachable on ${event.platform} (${event.error}); link sent to ${links.length} admin(s)`,
      at: now,
    });
  });
  deps.wakeOutbox?.();
}
