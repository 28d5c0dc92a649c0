// Probes one connection at Xero (DESIGN.md section 1.2) with the fewest and smallest calls (Xero
// bills API egress): a fresh token for its grant, GET /connections (shared by every tenant of the
// grant within one check cycle; it costs no tenant quota), the grant's scopes against what Xero
// Guard needs, and only when src/domain/tenant-probe.ts says so the tenant probe,
// GET /api.xro/2.0/Organisation. Never a data endpoint. Every outcome becomes a connection log row.
// What the outcome means for the connection is decided and recorded by the handlers
// (src/handlers/record-check.ts).
import { classifyXeroSignal } from '../../domain/causes.ts';
import { isTenantProbeDue } from '../../domain/tenant-probe.ts';
import { missingScopes } from '../../domain/xero-scopes.ts';
import { ok, type Result } from '../../domain/result.ts';
import type { CheckCycle, CheckOutcome, CheckTarget, Clock, ConnectionLogWriter } from '../../handlers/ports.ts';
import type { XeroConnectionsRepo } from '../../handlers/xero-repos.ts';
import type { Logger } from '../observability/logger.ts';
import type { XeroFailure } from './failure.ts';
import type { XeroConnection, XeroGateway } from './gateway.ts';
import type { FreshGrant, Refresher } from './refresh-grant.ts';

export type ProbeDeps = {
  connections: XeroConnectionsRepo;
  gateway: Pick<XeroGateway, 'connections' | 'organisation'>;
  refresher: Refresher;
  connectionLog: ConnectionLogWriter;
  clock: Clock;
  log: Logger;
  onOutcome?: (outcome: CheckOutcome) => void;
  /** TENANT_PROBE_INTERVAL; without it the tenant is asked at every check. */
  tenantProbeIntervalMs?: number;
  /**
   * True while Xero's app-wide budget has room to ask every healthy tenant at every check (so lost
   * access is found within one check interval); without it, the interval always applies.
   */
  probeBudgetRoomy?: () => boolean;
};

type CycleMemo = {
  tokens: Map<string, Promise<Result<FreshGrant, XeroFailure>>>;
  listings: Map<string, Promise<Result<XeroConnection[], XeroFailure>>>;
};

export function createProber(deps: ProbeDeps) {
  const memos = new WeakMap<CheckCycle, CycleMemo>();
  const memo = (cycle: CheckCycle): CycleMemo => {
    let m = memos.get(cycle);
    if (!m) memos.set(cycle, (m = { tokens: new Map(), listings: new Map() }));
    return m;
  };

  /** A token (and the scopes it carries) for the grant, refreshed at most once per cycle however many tenants share it. */
  function grant(cycle: CheckCycle, grantId: string): Promise<Result<FreshGrant, XeroFailure>> {
    const m = memo(cycle);
    let t = m.tokens.get(grantId);
    if (!t) {
      t = deps.refresher.ensureFresh(grantId);
      m.tokens.set(grantId, t);
    }
    return t;
  }

  async function token(cycle: CheckCycle, grantId: string): Promise<Result<string, XeroFailure>> {
    const g = await grant(cycle, grantId);
    return g.ok ? ok(g.value.accessToken) : g;
  }

  /** After a 401 (TokenExpired): one forced refresh, shared by the cycle. */
  async function forceToken(cycle: CheckCycle, grantId: string): Promise<Result<string, XeroFailure>> {
    const t = deps.refresher.ensureFresh(grantId, { force: true });
    memo(cycle).tokens.set(grantId, t);
    const g = await t;
    return g.ok ? ok(g.value.accessToken) : g;
  }

  function listing(cycle: CheckCycle, grantId: string): Promise<Result<XeroConnection[], XeroFailure>> {
    const m = memo(cycle);
    let l = m.listings.get(grantId);
    if (!l) {
      l = (async () => {
        const t = await token(cycle, grantId);
        if (!t.ok) return t;
        const first = await deps.gateway.connections(t.value);
        if (first.ok || !first.error.refreshAndRetry) return first;
        const again = await forceToken(cycle, grantId);
        return again.ok ? deps.gateway.connections(again.value) : again;
      })();
      m.listings.set(grantId, l);
    }
    return l;
  }

  /** Probes `target` as the caller read it (the scheduler has), or reads it first when given an id. */
  async function probeConnection(target: CheckTarget | string, cycle: CheckCycle): Promise<CheckOutcome> {
    const connection = typeof target === 'string' ? await deps.connections.target(target) : target;
    // The scheduler only claims existing rows: a missing one is a bug upstream.
    if (!connection) throw new Error(`probeConnection: no connection ${String(target)}`);
    const connectionId = connection.id;
    const log = deps.log.child({ connectionId, tenantId: connection.tenantId, checkId: cycle.id });
    // Which limit a 429 hit goes into the log row's detail (CheckOutcome has no field for it).
    let limitHit: string | undefined;
    const fail = (failure: XeroFailure): CheckOutcome => {
      limitHit = failure.rateLimitProblem;
      return failOutcome(failure);
    };
    const failOutcome = (failure: XeroFailure): CheckOutcome => ({
      ok: false,
      connectionId,
      cause: failure.cause,
      operation: failure.operation,
      httpStatus: failure.status,
      xeroError: failure.xeroError,
      retryAfterMs: failure.retryAfterMs,
    });

    let outcome: CheckOutcome;
    if (!connection.grantId) {
      outcome = { ok: false, connectionId, cause: 'token_revoked', operation: 'refresh', xeroError: 'no tokens stored (disconnected)' };
    } else {
      outcome = await probe(cycle, connection.grantId, connection, fail);
    }

    await deps.connectionLog.append({
      connectionId,
      tenantId: connection.tenantId,
      kind: 'check',
      operation: outcome.ok ? 'check' : outcome.operation,
      outcome: outcome.ok ? 'ok' : 'failure',
      httpStatus: outcome.ok ? null : outcome.httpStatus,
      xeroError: outcome.ok ? null : outcome.xeroError,
      cause: outcome.ok ? null : outcome.cause,
      detail: outcome.ok || outcome.retryAfterMs === undefined ? null : `retry after ${outcome.retryAfterMs} ms${limitHit ? ` (limit: ${limitHit})` : ''}`,
      at: deps.clock.now(),
    });
    if (outcome.ok) log.debug('connection ok');
    else log.warn({ cause: outcome.cause, operation: outcome.operation, status: outcome.httpStatus, xeroError: outcome.xeroError }, 'connection check failed');
    deps.onOutcome?.(outcome);
    return outcome;
  }

  async function probe(
    cycle: CheckCycle,
    grantId: string,
    connection: CheckTarget,
    fail: (f: XeroFailure) => CheckOutcome,
  ): Promise<CheckOutcome> {
    const listed = await listing(cycle, grantId);
    if (!listed.ok) return fail(listed.error);
    const entry = listed.value.find((c) => c.tenantId === connection.tenantId);
    if (!entry) {
      const verdict = classifyXeroSignal({ kind: 'tenant_not_listed' });
      return { ok: false, connectionId: connection.id, cause: verdict.outcome === 'cause' ? verdict.cause : 'app_disconnected_in_xero', operation: 'connections', httpStatus: 200, xeroError: verdict.xeroError };
    }
    // Xero is the source of truth for its own ids and the organisation's name.
    const changed = entry.id !== connection.xeroConnectionId || Boolean(entry.tenantName && entry.tenantName !== connection.tenantName);
    if (changed) {
      await deps.connections.recordXeroIdentity(connection.id, { xeroConnectionId: entry.id, ...(entry.tenantName ? { tenantName: entry.tenantName } : {}) });
    }

    const g = await grant(cycle, grantId);
    if (!g.ok) return fail(g.error);
    // The grant's own scopes tell a missing permission without a call (an empty list: not known).
    const missing = missingScopes(g.value.scopes, { holdsRefreshToken: true });
    if (missing.length > 0) return { ok: false, connectionId: connection.id, cause: 'permission_missing', operation: 'scopes', missingScopes: missing };
    const listedName = entry.tenantName ?? connection.tenantName;
    const interval = deps.probeBudgetRoomy?.() ? 0 : deps.tenantProbeIntervalMs;
    if (interval !== undefined && !isTenantProbeDue(connection, changed, deps.clock.now(), interval)) {
      return { ok: true, connectionId: connection.id, tenantName: listedName, probed: false };
    }

    let org = await deps.gateway.organisation(g.value.accessToken, connection.tenantId);
    if (!org.ok && org.error.refreshAndRetry) {
      const again = await forceToken(cycle, grantId);
      if (!again.ok) return fail(again.error);
      org = await deps.gateway.organisation(again.value, connection.tenantId);
    }
    if (!org.ok) return fail(org.error);
    if (org.value.status && org.value.status.toUpperCase() !== 'ACTIVE') {
      const verdict = classifyXeroSignal({ kind: 'organisation_inactive', organisationStatus: org.value.status });
      return { ok: false, connectionId: connection.id, cause: verdict.outcome === 'cause' ? verdict.cause : 'access_lost', operation: 'organisation', httpStatus: 200, xeroError: verdict.xeroError };
    }
    return { ok: true, connectionId: connection.id, tenantName: org.value.name ?? listedName, probed: true };
  }

  return { probeConnection };
}
