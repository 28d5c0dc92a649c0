// After /xero/callback bound a consent (the Xero side's transaction created or restored the
// connections): resolve the open incident of each reconnected connection (the alert turns green,
// with time to recover; a thread reply says who reconnected; broken-since becomes syncFrom), move
// the connection back to connected and checked soon, and post "Connected: <org>" to the alert
// channel. Safe to call twice with the same result: every step is a compare-and-set or a dedupe key.
import { encodePerson } from '../domain/views/facts.ts';
import { textView } from '../domain/views/text.ts';
import { CONNECTED, THREAD } from '../domain/views/wording.ts';
import type { ConsentBound } from './ports.ts';
import type { HandlerDeps } from './deps.ts';
import { alertTargets, followUps, postsTo } from './messages.ts';

export async function onConsentBound(deps: HandlerDeps, result: ConsentBound): Promise<void> {
  const now = result.at ?? deps.clock.now();
  for (const bound of result.connections) {
    await deps.store.transaction(async (tx) => {
      const connection = await tx.connections.get(bound.id);
      if (!connection) {
        deps.log.warn({ connectionId: bound.id }, 'consent bound to an unknown connection');
        return;
      }
      const open = await tx.incidents.findOpen(connection.id);
      let resolvedNow = false;
      if (open) {
        resolvedNow = await tx.incidents.updateIf(open.id, { status: 'open' }, {
          status: 'resolved',
          openKey: null,
          resolvedAt: now,
          reconnectedAt: now,
          reconnectedBy: encodePerson(result.actor),
          nextReminderAt: null,
        });
      }
      const from = connection.state;
      const fresh = {
        consecutiveFailures: 0,
        degradedSince: null,
        lastCause: null,
        stateBeforePause: null,
        lastGoodCheckAt: now,
        // Checked again within a tick: the first check proves the new token end to end.
        nextCheckAt: now,
        ...(open ? { syncFrom: open.brokenSince } : {}),
      };
      if (from !== 'connected') await tx.connections.transition(connection.id, from, 'connected', now, fresh);
      else await tx.connections.update(connection.id, fresh);
      await tx.connections.log({
        connectionId: connection.id,
        tenantId: connection.tenantId,
        kind: 'oauth',
        operation: result.purpose,
        outcome: 'ok',
        fromState: from,
        toState: 'connected',
        actor: result.actor,
        detail: open ? `incident resolved; re-sync from ${open.brokenSince.toISOString()}` : bound.created ? 'new connection' : 'connection restored',
        at: now,
      });
      const rows = [];
      if (open && resolvedNow) {
        const after = now.getTime() - open.brokenSince.getTime();
        rows.push(
          ...(await followUps(tx, open.alertKey, `reconnected:${open.id}`, deps.settings.groupWindowMs, {
            reply: { text: THREAD.reconnected(result.actor, connection.tenantName, after, open.brokenSince.toISOString()), tone: 'good' },
            meta: { incidentId: open.id, connectionId: connection.id },
          })),
        );
      }
      const targets = await alertTargets(tx, connection);
      const view = textView(CONNECTED.text(result.actor), 'good', [], CONNECTED.title(connection.tenantName));
      // One "Connected" per consent: a repeated call for the same consent queues nothing new.
      const key = `connected:${connection.id}:${result.consentId ?? now.getTime()}`;
      rows.push(...postsTo(targets, key, view, { connectionId: connection.id, purpose: 'connected' }));
      await tx.outbox.enqueue(rows, now);
    });
  }
  deps.wakeOutbox?.();
}
