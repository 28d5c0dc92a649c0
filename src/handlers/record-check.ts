// One check of one connection, start to end, and what it leaves behind: the Xero adapter probes
// (src/adapters/xero/probe-connection.ts, which writes the probe's log row), the domain decides
// (decideAfterCheck), and this records the decision in one transaction (state, incident, log). The
// caller holds the connection's check lease; this releases it with the next check time.
import { randomUUID } from 'node:crypto';
import { decideAfterCheck, type AfterCheck } from '../domain/alerts.ts';
import { isWatched, type ConnectionState } from '../domain/states.ts';
import { isTransient } from '../domain/causes.ts';
import { LIFECYCLE_THREAD, THREAD } from '../domain/views/wording.ts';
import type { EventType } from '../domain/events.ts';
import type { CheckCycle, CheckOutcome } from './ports.ts';
import type { HandlerDeps } from './deps.ts';
import { followUps } from './messages.ts';
import type { ConnectionPatch, ConnectionWithOpenIncident, IncidentRow, Repos } from './store.ts';

type Decision = AfterCheck['kind'] | 'lease_lost';

/** What a check found and did; `skipped` when the connection was gone or no longer watched, so Xero was not asked. */
export type CheckApplied = { outcome: CheckOutcome; decision: AfterCheck['kind'] | 'lease_lost' } | { decision: 'skipped' };

/** A reconnect followed by a new break within this time did not hold. */
export const RECONNECT_HOLD_MS = 24 * 3_600_000;

export async function recordCheck(deps: HandlerDeps, connectionId: string, cycle: CheckCycle, owner: string): Promise<CheckApplied> {
  // Read once, before Xero is asked: what changes while Xero answers is a state change by another
  // handler (a pause, a disconnect, a reconnect), and every write below is guarded by the state read
  // here (releaseIf), so that change wins. The rest of the row only changes under our lease.
  const connection = await deps.store.connections.getWithOpenIncident(connectionId);
  if (!connection) return { decision: 'skipped' };
  if (!isWatched(connection.state)) {
    // Paused or disconnected since it was claimed: the handler that did it owns the state now.
    await deps.store.connections.release(connectionId, owner, { lastCheckAt: deps.clock.now() });
    return { decision: 'skipped' };
  }
  let outcome: CheckOutcome;
  try {
    outcome = await deps.xero.probeConnection(connection, cycle);
  } catch (error) {
    // The adapter returns failures as values; a throw is a bug there. Treat it as passing trouble
    // so the connection is retried with backoff rather than left leased until the lease expires.
    deps.log.error({ err: error, connectionId }, 'check threw');
    outcome = { ok: false, connectionId, cause: 'xero_unavailable', operation: 'check', xeroError: 'internal error during check' };
  }
  const decision = await applyCheckOutcome(deps, connection, connection.state, outcome, owner);
  return { outcome, decision };
}

async function applyCheckOutcome(
  deps: HandlerDeps,
  connection: ConnectionWithOpenIncident,
  from: ConnectionState,
  outcome: CheckOutcome,
  owner: string,
): Promise<Decision> {
  const now = deps.clock.now();
  const random = (deps.random ?? Math.random)();
  const open = connection.incidents[0] ?? null;
  const decision = decideAfterCheck(
    { id: connection.id, grantId: connection.grantId, state: from, consecutiveFailures: connection.consecutiveFailures, degradedSince: connection.degradedSince, lastCause: connection.lastCause },
    open !== null,
    outcome.ok ? { ok: true } : { ok: false, cause: outcome.cause, ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}) },
    now,
    { checkIntervalMs: deps.settings.checkIntervalMs },
    random,
  );

  // Every write is guarded by our lease and the state we read (releaseIf), so a pause or a
  // disconnect that landed while Xero answered wins, and the incident writes are compare-and-sets
  // or unique keys: nothing needs the rows re-read inside the transaction.
  const checked: Checked = { deps, connection, open, from, outcome, owner, now };
  const apply = (tx: Repos) => applyDecision(tx, checked, decision);
  const result = await (isQuiet(decision, from) && !causeChanged(checked) ? apply(deps.store) : deps.store.transaction(apply));
  if (result === 'resolve') deps.wakeOutbox?.();
  deps.log.debug({ connectionId: connection.id, decision: result, ok: outcome.ok, cause: outcome.ok ? undefined : outcome.cause }, 'check applied');
  return result;
}

/** What one check read and found, as every step of applying it needs it. */
type Checked = {
  deps: HandlerDeps;
  connection: ConnectionWithOpenIncident;
  open: IncidentRow | null;
  from: ConnectionState;
  outcome: CheckOutcome;
  owner: string;
  now: Date;
};

async function applyDecision(tx: Repos, c: Checked, decision: AfterCheck): Promise<Decision> {
  const { now } = c;
  switch (decision.kind) {
    case 'wait':
    case 'redetected': {
      if (!(await release(tx, c, { lastCheckAt: now, nextCheckAt: decision.nextCheckAt }))) return 'lease_lost';
      if (decision.kind === 'redetected') {
        await tx.incidents.recordDetection(c.open!.id, now);
        if (causeChanged(c)) await onNewCause(tx, c);
      }
      return decision.kind;
    }
    case 'healthy': {
      if (!(await release(tx, c, { ...stateChange(c, 'connected'), ...HEALTHY, ...probedAt(c), lastCheckAt: now, lastGoodCheckAt: now, nextCheckAt: decision.nextCheckAt }))) return 'lease_lost';
      await logStateChange(tx, c, 'connected', decision.reason);
      if (c.from !== 'connected') await emit(tx, c, 'connection.connected');
      return decision.kind;
    }
    case 'degrade': {
      const data = {
        ...stateChange(c, decision.toState),
        lastCheckAt: now,
        nextCheckAt: decision.nextCheckAt,
        consecutiveFailures: decision.failures,
        degradedSince: c.connection.degradedSince ?? now,
        lastCause: decision.lastCause,
      };
      if (!(await release(tx, c, data))) return 'lease_lost';
      await logStateChange(tx, c, decision.toState);
      if (decision.toState === 'degraded' && c.from !== 'degraded') await emit(tx, c, 'connection.degraded');
      return decision.kind;
    }
    case 'open_incident':
      return openIncident(tx, c, decision);
    case 'resolve':
      return resolveIncident(tx, c, decision);
  }
}

/** A check that asked the tenant itself restarts the tenant probe's interval (src/domain/tenant-probe.ts). */
function probedAt(c: Checked): ConnectionPatch {
  return c.outcome.ok && c.outcome.probed ? { tenantProbedAt: c.now } : {};
}

/** Columns of a connection that works: no failure streak, no degradation, no cause. */
const HEALTHY = { consecutiveFailures: 0, degradedSince: null, lastCause: null } as const;

async function openIncident(tx: Repos, c: Checked, decision: Extract<AfterCheck, { kind: 'open_incident' }>): Promise<Decision> {
  const { connection, now } = c;
  const data = {
    ...stateChange(c, decision.toState),
    lastCheckAt: now,
    nextCheckAt: decision.nextCheckAt,
    consecutiveFailures: connection.consecutiveFailures + 1,
    degradedSince: null,
    lastCause: decision.cause,
  };
  if (!(await release(tx, c, data))) return 'lease_lost';
  const failed = c.outcome.ok ? undefined : c.outcome;
  const previous = await tx.incidents.latestResolved(connection.id);
  const opened = await tx.incidents.open({
    connectionId: connection.id,
    cause: decision.cause,
    now,
    // Broken since the last check that worked: the host app re-syncs from there.
    brokenSince: connection.lastGoodCheckAt ?? now,
    httpStatus: failed?.httpStatus,
    xeroError: failed?.xeroError,
    missingScopes: failed?.missingScopes,
    nextReminderAt: new Date(now.getTime() + c.deps.settings.repeatIntervalMs),
  });
  // A reconnect that did not hold (the same connection broke again soon after): one side may keep
  // a stale connection, so the alert advises the full reset instead of another reconnect.
  if (previous?.reconnectedAt && now.getTime() - previous.reconnectedAt.getTime() < RECONNECT_HOLD_MS) {
    await tx.incidents.updateIf(opened.id, { status: 'open' }, { resetAdvised: true });
  }
  await logStateChange(tx, c, decision.toState, 'incident opened');
  // Every new incident is a break for the host app, even while a reconnect link is out.
  await emit(tx, c, 'connection.broken');
  return decision.kind;
}

async function resolveIncident(tx: Repos, c: Checked, decision: Extract<AfterCheck, { kind: 'resolve' }>): Promise<Decision> {
  const { connection, now } = c;
  const incident = c.open!;
  const data = { ...stateChange(c, 'connected'), ...HEALTHY, ...probedAt(c), lastCheckAt: now, lastGoodCheckAt: now, nextCheckAt: decision.nextCheckAt, syncFrom: incident.brokenSince };
  if (!(await release(tx, c, data))) return 'lease_lost';
  const resolved = await tx.incidents.updateIf(incident.id, { status: 'open' }, { status: 'resolved', openKey: null, resolvedAt: now, nextReminderAt: null });
  if (!resolved) return 'lease_lost';
  await logStateChange(tx, c, 'connected', 'incident resolved');
  // Already connected: a consent restored it and said so; this check only closes the incident.
  if (c.from !== 'connected') await emit(tx, c, 'connection.restored', incident.id);
  const after = now.getTime() - incident.brokenSince.getTime();
  const rows = await followUps(tx, incident.alertKey, `resolved:${incident.id}`, c.deps.settings.groupWindowMs, {
    reply: { text: THREAD.recovered(connection.tenantName, after, incident.brokenSince.toISOString()), tone: 'good' },
    meta: { incidentId: incident.id, connectionId: connection.id },
  });
  await tx.outbox.enqueue(rows, now);
  return decision.kind;
}

/**
 * The open incident's break is found again, for another definite reason than it was opened for.
 * Only while it is plainly broken: once someone disconnected it or a reconnect link is out, the
 * old token failing in a new way is the repair under way, not news.
 */
function causeChanged(c: Checked): boolean {
  if (c.open === null || c.outcome.ok || isTransient(c.outcome.cause) || c.outcome.cause === c.open.cause) return false;
  return c.from === 'broken' && c.open.disconnectedAt === null;
}

/**
 * A new cause: the alert says the new one, and a snooze ends at once (the next reminder goes out
 * on the next tick), because whoever snoozed it decided on the old cause.
 */
async function onNewCause(tx: Repos, c: Checked): Promise<void> {
  const incident = c.open!;
  if (c.outcome.ok) return;
  const cause = c.outcome.cause;
  const snoozed = incident.snoozedUntil !== null && incident.snoozedUntil > c.now;
  const changed = await tx.incidents.updateIf(
    incident.id,
    { status: 'open', cause: incident.cause },
    {
      cause,
      httpStatus: c.outcome.httpStatus ?? null,
      xeroError: c.outcome.xeroError ?? null,
      missingScopes: c.outcome.missingScopes && c.outcome.missingScopes.length > 0 ? c.outcome.missingScopes.join(' ') : null,
      ...(incident.snoozedUntil !== null ? { snoozedUntil: null, snoozedBy: null } : {}),
      ...(snoozed ? { nextReminderAt: c.now } : {}),
    },
  );
  if (!changed) return;
  await tx.connections.log({
    connectionId: c.connection.id,
    tenantId: c.connection.tenantId,
    kind: 'state',
    operation: 'check',
    outcome: 'failure',
    cause,
    detail: `cause changed from ${incident.cause}${snoozed ? '; snooze ended' : ''}`,
    at: c.now,
  });
  const rows = await followUps(tx, incident.alertKey, `cause:${incident.id}:${cause}:${c.now.getTime()}`, c.deps.settings.groupWindowMs, {
    reply: { text: snoozed ? LIFECYCLE_THREAD.snoozeEnded(c.connection.tenantName, cause) : LIFECYCLE_THREAD.causeChanged(c.connection.tenantName, cause), tone: 'warning' },
    meta: { incidentId: incident.id, connectionId: c.connection.id },
  });
  await tx.outbox.enqueue(rows, c.now);
}

/** Ends the check's lease with `data`, only while the state is the one the check read. */
async function release(tx: Repos, c: Checked, data: ConnectionPatch): Promise<boolean> {
  if (await tx.connections.releaseIf(c.connection.id, c.owner, c.from, data)) return true;
  // The state moved under us: give the lease back untouched so the next slot checks it afresh.
  await tx.connections.release(c.connection.id, c.owner, { lastCheckAt: c.now });
  return false;
}

function stateChange(c: Checked, to: ConnectionState): ConnectionPatch {
  return to !== c.from ? { state: to, stateSince: c.now } : {};
}

async function logStateChange(tx: Repos, c: Checked, to: ConnectionState, detail?: string): Promise<void> {
  if (to === c.from) return;
  await tx.connections.log({
    connectionId: c.connection.id,
    tenantId: c.connection.tenantId,
    kind: 'state',
    operation: 'check',
    outcome: c.outcome.ok ? 'ok' : 'failure',
    cause: c.outcome.ok ? null : c.outcome.cause,
    fromState: c.from,
    toState: to,
    ...(detail ? { detail } : {}),
    at: c.now,
  });
}

function emit(tx: Repos, c: Checked, type: EventType, incidentId?: string): Promise<void> {
  return tx.events.emit({ type, connectionId: c.connection.id, previousState: c.from, ...(incidentId ? { incidentId } : {}), at: c.now });
}

/** Outcomes that change no state and queue nothing: one guarded UPDATE, no transaction needed. */
function isQuiet(decision: AfterCheck, from: string): boolean {
  if (decision.kind === 'wait' || decision.kind === 'redetected') return true;
  return decision.kind === 'healthy' && from === 'connected';
}

export function newOwner(prefix: string): string {
  return `${prefix}:${randomUUID()}`;
}
