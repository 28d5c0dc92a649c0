// After /xero/callback bound a consent (the Xero side's transaction created or restored the
// connections): resolve the open incident of each reconnected connection (the alert is edited
// green, with time to recover, and one thread reply says who reconnected; broken-since becomes
// syncFrom; nothing else is posted), move the connection back to connected and checked soon, and
// post "Connected: <org>" to the alert channel for a new connect (no alert was open). With
// no alert channel chosen yet, the person who connected is told so by direct message, and so is
// the first admin. Safe to call twice with the same result: every step is a compare-and-set or a
// dedupe key.
import { encodePerson } from '../domain/views/facts.ts';
import { textView } from '../domain/views/text.ts';
import type { Phrase } from '../domain/views/phrase.ts';
import { CONNECTED, THREAD } from '../domain/views/wording.ts';
import type { ChatActor } from '../domain/permissions.ts';
import type { ConsentBound } from './ports.ts';
import type { HandlerDeps } from './deps.ts';
import { alertTargets, directMessage, followUps, postsTo } from './messages.ts';

export async function onConsentBound(deps: HandlerDeps, result: ConsentBound): Promise<void> {
  const now = result.at ?? deps.clock.now();
  const unheard: string[] = [];
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
      if (from !== 'connected') {
        await tx.connections.transition(connection.id, from, 'connected', now, fresh);
        // A state the consent itself did not change (paused): the host app hears it here.
        await tx.events.emit({
          type: resolvedNow ? 'connection.restored' : 'connection.connected',
          connectionId: connection.id,
          previousState: from,
          ...(resolvedNow && open ? { incidentId: open.id } : {}),
          actor: result.actor,
          at: now,
        });
      } else await tx.connections.update(connection.id, fresh);
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
      if (targets.length === 0) unheard.push(connection.tenantName);
      // A reconnect says it all on its alert (edited green, one thread reply): no third message.
      if (!open && result.purpose === 'connect') {
        const view = textView(CONNECTED.text(result.actor), 'good', [], CONNECTED.title(connection.tenantName));
        // One "Connected" per consent: a repeated call for the same consent queues nothing new.
        const key = `connected:${connection.id}:${result.consentId ?? now.getTime()}`;
        rows.push(...postsTo(targets, key, view, { connectionId: connection.id, purpose: 'connected' }));
      }
      await tx.outbox.enqueue(rows, now);
    });
  }
  if (unheard.length > 0) await tellNoChannel(deps, result, unheard.sort(), now);
  deps.wakeOutbox?.();
}

/** Nobody would hear about a break: the person (and the first admin) learn how to choose a channel. */
async function tellNoChannel(deps: HandlerDeps, result: ConsentBound, names: string[], now: Date): Promise<void> {
  const { actor } = result;
  const people: { person: ChatActor; recipient: 'asker' | 'admin'; text: string | Phrase }[] = [{ person: actor, recipient: 'asker', text: CONNECTED.noChannel(names, actor.platform) }];
  const firstAdmin = deps.admins[actor.platform][0];
  if (firstAdmin && firstAdmin !== actor.userId && !(actor.altIds ?? []).includes(firstAdmin)) {
    people.push({ person: { platform: actor.platform, userId: firstAdmin }, recipient: 'admin', text: CONNECTED.noChannelForAdmin(actor, names, actor.platform) });
  }
  const consent = result.consentId ?? String(now.getTime());
  await deps.store.transaction(async (tx) => {
    const rows = [];
    for (const { person, recipient, text } of people) {
      const view = textView(text, 'warning', [], CONNECTED.title(names.join(', ')));
      rows.push(await directMessage(tx, person, `dm:no-channel:${consent}:${person.platform}:${person.userId}`, view, { recipient, purpose: 'connected' }));
    }
    await tx.outbox.enqueue(rows, now);
  });
}
