// `/xero check <org>`: check one connection at once, through the same path as the scheduler (and
// under the same lease, so it never runs alongside a scheduled check of the same connection). The
// lease is renewed while Xero answers, as the scheduler renews its own.
import type { ChatActor } from '../../domain/permissions.ts';
import { isWatched } from '../../domain/states.ts';
import { textView } from '../../domain/views/text.ts';
import { ANSWERS } from '../../domain/views/wording.ts';
import type { HandlerDeps } from '../deps.ts';
import type { HandlerResult } from '../types.ts';
import { answer, fail, organisationFor } from '../common.ts';
import { LEASE_TERM_MS } from '../../domain/leases.ts';
import { recordCheck, newOwner } from '../record-check.ts';
import { startHeartbeat } from '../heartbeat.ts';
import { runMonitorTick } from '../monitor-tick.ts';

export async function checkNow(deps: HandlerDeps, actor: ChatActor, org: string): Promise<HandlerResult> {
  const found = await organisationFor(deps, actor, 'check', org);
  if (!found.ok) return found;
  const connection = found.value;
  if (!isWatched(connection.state)) {
    return answer(textView(ANSWERS.checkNotWatched(connection.tenantName, connection.state), 'warning'));
  }
  const owner = newOwner('check-now');
  const now = deps.clock.now();
  if (!(await deps.store.connections.claim(connection.id, owner, now, LEASE_TERM_MS, false))) {
    return fail('bad_request', ANSWERS.checkBusy(connection.tenantName), 'busy');
  }
  await deps.store.connections.log({ connectionId: connection.id, tenantId: connection.tenantId, kind: 'action', operation: 'check_now', outcome: 'info', actor, at: now });
  const heartbeat = startHeartbeat(() => deps.store.connections.renew([connection.id], owner, deps.clock.now(), LEASE_TERM_MS), deps.log);
  let applied: Awaited<ReturnType<typeof recordCheck>>;
  try {
    applied = await recordCheck(deps, connection.id, deps.xero.newCycle(), owner);
  } finally {
    await heartbeat.stop();
  }
  if (!('outcome' in applied)) {
    // Paused or disconnected between our read and the claim: say what it is now.
    const now = await deps.store.connections.get(connection.id);
    return answer(textView(ANSWERS.checkNotWatched(connection.tenantName, now?.state ?? 'disconnected'), 'warning'));
  }
  const { outcome } = applied;
  if (outcome.ok) return answer(textView(ANSWERS.checkOk(connection.tenantName), 'good'));
  // A break found now is announced now (the group window still applies), not at the next tick; many
  // checks at once share a tick that begins after their outcomes were recorded.
  const tick = () => runMonitorTick(deps);
  await (deps.freshRead ? deps.freshRead('monitor-tick', tick) : tick());
  return answer(textView(ANSWERS.checkFailed(connection.tenantName, outcome.cause), 'danger'));
}
