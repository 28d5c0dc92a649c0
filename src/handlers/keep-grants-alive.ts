// Refreshes the tokens of grants nothing checks. Checks refresh a grant as a side effect, but paused
// connections are not checked: a grant whose connections are all paused would keep its refresh
// token unused until it died (60 days), and resuming would then find the organisation revoked.
// Once a day such a grant is refreshed here. Each attempt first takes a lease named after the grant
// (one replica tries it), and a failure makes the next attempt wait longer (src/domain/keep-alive.ts).
// Every outcome is a row in each paused connection's log, so `/xero errors` shows a failed one.
import { randomUUID } from 'node:crypto';
import { keepAliveDueBefore, keepAliveLeaseMs } from '../domain/keep-alive.ts';
import type { HandlerDeps } from './deps.ts';
import type { PausedGrant } from './store.ts';

export type KeepAliveReport = { due: number; refreshed: number; failed: number; skipped: number };

/** Grants looked at per run; the rest wait for the next run (the scheduler runs this every few minutes). */
export const KEEP_ALIVE_BATCH = 100;

export const keepAliveLeaseName = (grantId: string) => `keep-alive:${grantId}`;

export async function keepPausedGrantsAlive(deps: HandlerDeps): Promise<KeepAliveReport> {
  const report: KeepAliveReport = { due: 0, refreshed: 0, failed: 0, skipped: 0 };
  const keeper = deps.grants;
  if (!keeper) return report;
  const due = await deps.store.grants.pausedIdle(keepAliveDueBefore(deps.clock.now()), KEEP_ALIVE_BATCH);
  report.due = due.length;
  for (const grant of due) {
    const outcome = await keepAlive(deps, keeper, grant);
    report[outcome] += 1;
  }
  if (report.due > 0) deps.log.info(report, 'paused grants kept alive');
  return report;
}

async function keepAlive(deps: HandlerDeps, keeper: NonNullable<HandlerDeps['grants']>, grant: PausedGrant): Promise<'refreshed' | 'failed' | 'skipped'> {
  // A fresh owner per attempt, and the lease is never released: it frees itself when it expires.
  // Released on success, a replica holding an older list of due grants would refresh it again.
  const leased = await deps.store.leases.acquire(keepAliveLeaseName(grant.id), randomUUID(), deps.clock.now(), keepAliveLeaseMs(grant.refreshFailures));
  if (!leased) return 'skipped';
  const result = await keeper.ensureFresh(grant.id);
  const at = deps.clock.now();
  for (const connection of grant.connections) {
    await deps.store.connections.log({
      connectionId: connection.id,
      tenantId: connection.tenantId,
      kind: 'refresh',
      operation: 'keep_alive',
      ...(result.ok
        ? { outcome: 'ok' as const, detail: `paused; tokens ${result.refreshed ? 'refreshed' : 'already fresh'} (${result.reason})` }
        : { outcome: 'failure' as const, cause: result.cause, httpStatus: result.httpStatus ?? null, xeroError: result.xeroError ?? null, detail: 'paused; token refresh failed' }),
      at,
    });
  }
  if (!result.ok) {
    // The refresher logged Xero's answer; this says what it means for a paused grant.
    deps.log.warn({ grantId: grant.id, cause: result.cause, failures: grant.refreshFailures + 1 }, 'paused grant could not be kept alive');
    return 'failed';
  }
  return 'refreshed';
}
