// One check of one connection, start to end: ask Xero (the adapter writes the check's log row),
// let the domain decide, then apply the decision in one transaction (state, incident, log). The
// caller holds the connection's check lease; this releases it with the next check time.
import { randomUUID } from 'node:crypto';
import { decideAfterCheck, type AfterCheck } from '../domain/alerts.ts';
import { isState, isWatched } from '../domain/states.ts';
import { THREAD } from '../domain/views/wording.ts';
import type { CheckCycle, CheckOutcome } from './ports.ts';
import type { HandlerDeps } from './deps.ts';
import { followUps } from './messages.ts';
import type { ConnectionPatch, MonitorRepos } from './store.ts';

export type CheckApplied = { outcome: CheckOutcome; decision: AfterCheck['kind'] | 'skipped' | 'lease_lost' };

/** Lease on a connection while it is checked: longer than any Xero call chain (timeouts apply). */
export const CHECK_LEASE_MS = 120_000;

export async function checkConnection(deps: HandlerDeps, connectionId: string, cycle: CheckCycle, owner: string): Promise<CheckApplied> {
  let outcome: CheckOutcome;
  try {
    outcome = await deps.xero.checkConnection(connectionId, cycle);
  } catch (error) {
    // The adapter returns failures as values; a throw is a bug there. Treat it as passing trouble
    // so the connection is retried with backoff rather than left leased until the lease expires.
    deps.log.error({ err: error, connectionId }, 'check threw');
    outcome = { ok: false, connectionId, cause: 'xero_unavailable', operation: 'check', xeroError: 'internal error during check' };
  }
  const decision = await applyCheckOutcome(deps, connectionId, outcome, owner);
  return { outcome, decision };
}

export async function applyCheckOutcome(deps: HandlerDeps, connectionId: string, outcome: CheckOutcome, owner: string): Promise<CheckApplied['decision']> {
  const now = deps.clock.now();
  const random = (deps.random ?? Math.random)();
  const connection = await deps.store.connections.getWithOpenIncident(connectionId);
  if (!connection) return 'skipped';
  if (!isState(connection.state) || !isWatched(connection.state)) {
    // Paused or disconnected while the check ran: the handler that did it owns the state now.
    await deps.store.connections.release(connectionId, owner, { lastCheckAt: now });
    return 'skipped';
  }
  const open = connection.incidents[0] ?? null;
  const from = connection.state;
  const decision = decideAfterCheck(
    { id: connection.id, grantId: connection.grantId, state: from, consecutiveFailures: connection.consecutiveFailures, degradedSince: connection.degradedSince },
    open !== null,
    outcome.ok ? { ok: true } : { ok: false, cause: outcome.cause, ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}) },
    now,
    { checkIntervalMs: deps.settings.checkIntervalMs },
    random,
  );

  // Every write below is guarded by our lease and the state we read (releaseIf), so a pause or a
  // disconnect that landed while Xero answered wins, and the incident writes are compare-and-sets
  // or unique keys: nothing here needs the rows re-read inside the transaction.
  const result = await (isQuiet(decision, from) ? apply(deps.store) : deps.store.transaction(apply));
  if (result === 'resolve') deps.wakeOutbox?.();
  deps.log.debug({ connectionId, decision: result, ok: outcome.ok, cause: outcome.ok ? undefined : outcome.cause }, 'check applied');
  return result;

  async function apply(tx: MonitorRepos): Promise<CheckApplied['decision']> {
    const stateChange = (to: string) => (to !== from ? { state: to, stateSince: now } : {});
    const logState = async (to: string, detail?: string) => {
      if (to === from) return;
      await tx.connections.log({
        connectionId,
        tenantId: connection!.tenantId,
        kind: 'state',
        operation: 'check',
        outcome: outcome.ok ? 'ok' : 'failure',
        cause: outcome.ok ? null : outcome.cause,
        fromState: from,
        toState: to,
        ...(detail ? { detail } : {}),
        at: now,
      });
    };
    const release = async (data: ConnectionPatch) => {
      if (await tx.connections.releaseIf(connectionId, owner, from, data)) return true;
      // The state moved under us: give the lease back untouched so the next slot checks it afresh.
      await tx.connections.release(connectionId, owner, { lastCheckAt: now });
      return false;
    };

    switch (decision.kind) {
      case 'healthy': {
        if (!(await release({ ...stateChange('connected'), lastCheckAt: now, lastGoodCheckAt: now, nextCheckAt: decision.nextCheckAt, consecutiveFailures: 0, degradedSince: null, lastCause: null }))) return 'lease_lost';
        await logState('connected', decision.reason);
        return decision.kind;
      }
      case 'wait': {
        if (!(await release({ lastCheckAt: now, nextCheckAt: decision.nextCheckAt }))) return 'lease_lost';
        return decision.kind;
      }
      case 'degrade': {
        const cause = outcome.ok ? 'xero_unavailable' : outcome.cause;
        const data = {
          ...stateChange(decision.toState),
          lastCheckAt: now,
          nextCheckAt: decision.nextCheckAt,
          consecutiveFailures: decision.failures,
          degradedSince: connection!.degradedSince ?? now,
          lastCause: cause,
        };
        if (!(await release(data))) return 'lease_lost';
        await logState(decision.toState);
        return decision.kind;
      }
      case 'redetected': {
        if (!(await release({ lastCheckAt: now, nextCheckAt: decision.nextCheckAt }))) return 'lease_lost';
        await tx.incidents.recordDetection(open!.id, now);
        return decision.kind;
      }
      case 'open_incident': {
        const failed = outcome.ok ? undefined : outcome;
        const data = {
          ...stateChange(decision.toState),
          lastCheckAt: now,
          nextCheckAt: decision.nextCheckAt,
          consecutiveFailures: connection!.consecutiveFailures + 1,
          degradedSince: null,
          lastCause: decision.cause,
        };
        if (!(await release(data))) return 'lease_lost';
        // Broken since the last check that worked: the host app re-syncs from there.
        const brokenSince = connection!.lastGoodCheckAt ?? now;
        await tx.incidents.open({
          connectionId,
          cause: decision.cause,
          now,
          brokenSince,
          httpStatus: failed?.httpStatus,
          xeroError: failed?.xeroError,
          nextReminderAt: new Date(now.getTime() + deps.settings.repeatIntervalMs),
        });
        await logState(decision.toState, 'incident opened');
        return decision.kind;
      }
      case 'resolve': {
        const incident = open!;
        const data = { ...stateChange('connected'), lastCheckAt: now, lastGoodCheckAt: now, nextCheckAt: decision.nextCheckAt, consecutiveFailures: 0, degradedSince: null, lastCause: null, syncFrom: incident.brokenSince };
        if (!(await release(data))) return 'lease_lost';
        const resolved = await tx.incidents.updateIf(incident.id, { status: 'open' }, { status: 'resolved', openKey: null, resolvedAt: now, nextReminderAt: null });
        if (!resolved) return 'lease_lost';
        await logState('connected', 'incident resolved');
        const after = now.getTime() - incident.brokenSince.getTime();
        const rows = await followUps(tx, incident.alertKey, `resolved:${incident.id}`, deps.settings.groupWindowMs, {
          reply: { text: THREAD.recovered(connection!.tenantName, after, incident.brokenSince.toISOString()), tone: 'good' },
          meta: { incidentId: incident.id, connectionId },
        });
        await tx.outbox.enqueue(rows, now);
        return decision.kind;
      }
    }
  }
}

/** Outcomes that change no state and queue nothing: one guarded UPDATE, no transaction needed. */
function isQuiet(decision: AfterCheck, from: string): boolean {
  if (decision.kind === 'wait' || decision.kind === 'redetected') return true;
  return decision.kind === 'healthy' && from === 'connected';
}

export function newOwner(prefix: string): string {
  return `${prefix}:${randomUUID()}`;
}
