// `/xero pause|resume <org>`: stop and restart checks and alerts, keeping every setting.
import type { ChatActor } from '../../domain/permissions.ts';
import { decideTransition } from '../../domain/states.ts';
import { textView } from '../../domain/views/text.ts';
import { ANSWERS } from '../../domain/views/wording.ts';
import type { HandlerDeps } from '../deps.ts';
import type { HandlerResult } from '../types.ts';
import { answer, fail, organisationFor } from '../common.ts';

export async function pause(deps: HandlerDeps, actor: ChatActor, org: string): Promise<HandlerResult> {
  const found = await organisationFor(deps, actor, 'pause', org);
  if (!found.ok) return found;
  const now = deps.clock.now();
  return deps.store.transaction(async (tx) => {
    const connection = (await tx.connections.get(found.value.id))!;
    const from = connection.state;
    if (from === 'paused') return answer(textView(ANSWERS.alreadyPaused(connection.tenantName)));
    if (!decideTransition(from, 'paused').allowed) return fail('bad_request', ANSWERS.cannotPause(connection.tenantName, from), 'not_pausable');
    if (!(await tx.connections.transition(connection.id, from, 'paused', now, { stateBeforePause: from }))) {
      return fail('internal', ANSWERS.internal, 'state_moved');
    }
    await tx.connections.log({ connectionId: connection.id, tenantId: connection.tenantId, kind: 'action', operation: 'pause', outcome: 'info', fromState: from, toState: 'paused', actor, at: now });
    await tx.events.emit({ type: 'connection.paused', connectionId: connection.id, previousState: from, actor, at: now });
    return answer(textView(ANSWERS.paused(connection.tenantName), 'info'));
  });
}

export async function resume(deps: HandlerDeps, actor: ChatActor, org: string): Promise<HandlerResult> {
  const found = await organisationFor(deps, actor, 'resume', org);
  if (!found.ok) return found;
  const now = deps.clock.now();
  return deps.store.transaction(async (tx) => {
    const connection = (await tx.connections.get(found.value.id))!;
    if (connection.state !== 'paused') return answer(textView(ANSWERS.notPaused(connection.tenantName)));
    const back = connection.stateBeforePause && connection.stateBeforePause !== 'paused' ? connection.stateBeforePause : 'connected';
    // Checked again right away: a connection that broke while paused is found within a tick, and
    // one that healed is resolved by that check.
    if (!(await tx.connections.transition(connection.id, 'paused', back, now, { stateBeforePause: null, nextCheckAt: now }))) {
      return fail('internal', ANSWERS.internal, 'state_moved');
    }
    // Reminders were held while paused; the one that fell due meanwhile would go out the moment
    // the pause ends, before the check above has even run. Whoever resumed has just looked at it:
    // the reminder clock restarts from now.
    const open = await tx.incidents.findOpen(connection.id);
    if (open?.nextReminderAt) {
      await tx.incidents.updateIf(open.id, { status: 'open' }, { nextReminderAt: new Date(now.getTime() + deps.settings.repeatIntervalMs) });
    }
    await tx.connections.log({ connectionId: connection.id, tenantId: connection.tenantId, kind: 'action', operation: 'resume', outcome: 'info', fromState: 'paused', toState: back, actor, at: now });
    await tx.events.emit({ type: 'connection.resumed', connectionId: connection.id, previousState: 'paused', actor, at: now });
    return answer(textView(ANSWERS.resumed(connection.tenantName), 'good'));
  });
}
