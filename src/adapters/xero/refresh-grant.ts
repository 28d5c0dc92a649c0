// Keeping a grant's tokens alive without ever losing one (DESIGN.md section 4). The race between
// refreshers, and a refresh answer lost on the way back, are what cause "random" invalid_grant in
// the field (xero-node #614, #370); every step below exists to rule one of them out.
import { randomUUID } from 'node:crypto';
import { decideRefresh, GRACE_WINDOW_MS, type RefreshReason } from '../../domain/refresh.ts';
import { err, ok, type Result } from '../../domain/result.ts';
import { LEASE_RENEW_EVERY_MS, LEASE_TERM_MS } from '../../domain/leases.ts';
import { startHeartbeat } from '../../handlers/heartbeat.ts';
import type { Clock } from '../../handlers/ports.ts';
import type { Logger } from '../observability/logger.ts';
import type { XeroFailure } from './failure.ts';
import type { XeroGateway } from './gateway.ts';
import type { GrantStore, StoredGrant } from './grant-store.ts';

/** `scopes`: what Xero granted, space-separated (empty: not known). */
export type FreshGrant = { grantId: string; accessToken: string; version: number; refreshed: boolean; reason: RefreshReason; scopes: string };

export type RefreshDeps = {
  grants: GrantStore;
  gateway: Pick<XeroGateway, 'refresh'>;
  clock: Clock;
  log: Logger;
  /** Identifies this process in lease columns. */
  owner: string;
  /** One Xero call's timeout: a caller waits for another process's refresh as long as all its attempts may take. */
  timeoutMs: number;
  /** Attempts with the same refresh token when the answer is lost (timeout, 5xx, garbled). */
  lostAnswerAttempts?: number;
  /** Pause between those attempts. */
  retryDelayMs?: number;
  /** How long a caller waits for another process's refresh before giving up for this cycle. */
  lockWaitMs?: number;
  pollMs?: number;
  /** Term of the grant's lease; renewed every `renewEveryMs` while the refresh runs. */
  leaseMs?: number;
  renewEveryMs?: number;
  onOutcome?: (outcome: 'refreshed' | 'fresh' | 'failed', reason: string) => void;
};

export type Refresher = {
  /** A usable access token for the grant, refreshing first when due (or when `force`). */
  ensureFresh(grantId: string, options?: { force?: boolean }): Promise<Result<FreshGrant, XeroFailure>>;
};

export function createRefresher(deps: RefreshDeps): Refresher {
  // 1. In this process, concurrent callers for one grant share one promise (single flight).
  const inFlight = new Map<string, Promise<Result<FreshGrant, XeroFailure>>>();
  return {
    ensureFresh(grantId, options = {}) {
      const key = `${grantId}:${options.force ? 'force' : 'due'}`;
      const running = inFlight.get(key);
      if (running) return running;
      const started = refreshIfDue(deps, grantId, options.force ?? false).finally(() => inFlight.delete(key));
      inFlight.set(key, started);
      return started;
    },
  };
}

async function refreshIfDue(deps: RefreshDeps, grantId: string, force: boolean): Promise<Result<FreshGrant, XeroFailure>> {
  const log = deps.log.child({ grantId });
  const before = await deps.grants.get(grantId);
  if (!before) return err(localFailure('grant not found'));
  const unusable = checkUsable(before);
  if (unusable) return err(unusable);
  // Most checks end here: the token is fresh and nobody needs the lock.
  const first = decideRefresh(timing(before), deps.clock.now(), { force });
  if (!first.refresh && before.accessToken) return ok(fresh(before, false, first.reason));

  // 2. Across processes: a lease on the grant row (compare-and-set on leaseUntil), short and renewed
  // while the refresh runs, so a refresher that died frees the grant within one term.
  const leaseMs = deps.leaseMs ?? LEASE_TERM_MS;
  const longestRefreshMs = deps.timeoutMs * ((deps.lostAnswerAttempts ?? 3) + 2) + 5_000;
  const waitUntil = Date.now() + (deps.lockWaitMs ?? longestRefreshMs);
  while (!(await deps.grants.tryLease(grantId, deps.owner, deps.clock.now(), leaseMs))) {
    // Someone else is refreshing: when they finish, their tokens are ours too.
    await sleep(deps.pollMs ?? 50);
    const now = await deps.grants.get(grantId);
    if (now && now.version !== before.version && now.accessToken && !decideRefresh(timing(now), deps.clock.now()).refresh) {
      deps.onOutcome?.('fresh', 'refreshed_elsewhere');
      return ok(fresh(now, false, 'fresh'));
    }
    if (Date.now() > waitUntil) return err(localFailure('another process holds the refresh lock'));
  }

  const heartbeat = startHeartbeat(() => deps.grants.tryLease(grantId, deps.owner, deps.clock.now(), leaseMs), log, deps.renewEveryMs ?? LEASE_RENEW_EVERY_MS);
  try {
    // 3. Re-read under the lease: another process may have refreshed between our read and the lock.
    const grant = await deps.grants.get(grantId);
    if (!grant) return err(localFailure('grant not found'));
    const stillUnusable = checkUsable(grant);
    if (stillUnusable) return err(stillUnusable);
    const decision = decideRefresh(timing(grant), deps.clock.now(), { force: force && grant.version === before.version });
    if (!decision.refresh && grant.accessToken) {
      deps.onOutcome?.('fresh', grant.version === before.version ? decision.reason : 'refreshed_elsewhere');
      return ok(fresh(grant, false, decision.reason));
    }

    // 4. Call Xero; a lost answer is retried with the same refresh token (Xero's grace window).
    const refreshToken = grant.refreshToken!;
    let result = await refreshWithRetries(deps, refreshToken);
    let used = refreshToken;
    if (!result.ok && result.error.cause === 'token_revoked' && grant.previousRefreshToken && withinGrace(grant, deps.clock.now())) {
      // The current token is refused but the one before it rotated less than 30 minutes ago:
      // Xero still honours that one, so a stored-but-unconfirmed rotation can still be recovered.
      const viaPrevious = await refreshWithRetries(deps, grant.previousRefreshToken);
      if (viaPrevious.ok) {
        result = viaPrevious;
        used = grant.previousRefreshToken;
        log.warn({ reason: decision.reason }, 'grant recovered with the previous refresh token');
      }
    }
    if (!result.ok) {
      // invalid_grant is final for this refresh token (the grace retry above already ran): it is
      // never offered to Xero again, and the grant waits for a reconnect. Anything else is retried.
      if (isRefusal(result.error)) await deps.grants.recordRefusal(grantId, grant.version, deps.clock.now());
      else await deps.grants.recordRefreshFailure(grantId);
      log.warn({ cause: result.error.cause, status: result.error.status, xeroError: result.error.xeroError, reason: decision.reason }, 'grant refresh failed');
      deps.onOutcome?.('failed', result.error.cause);
      return result;
    }

    // 5. Persist before use. The compare-and-set fails only if a new consent replaced the tokens
    // meanwhile; theirs are newer, so we use theirs and drop ours.
    const saved = await deps.grants.saveRefreshed(grantId, grant.version, result.value, used, deps.clock.now());
    if (!saved) {
      log.warn({ reason: decision.reason }, 'grant changed during refresh; using the stored tokens');
      const latest = await deps.grants.get(grantId);
      if (!latest?.accessToken) return err(localFailure('grant tokens vanished during refresh'));
      return ok(fresh(latest, false, decision.reason));
    }
    log.info({ reason: decision.reason }, 'grant refreshed');
    deps.onOutcome?.('refreshed', decision.reason);
    // A refresh answer without `scope` leaves the stored ones (saveRefreshed keeps them too).
    const scopes = result.value.scopes.length > 0 ? result.value.scopes.join(' ') : grant.scopes;
    return ok({ grantId, accessToken: result.value.accessToken, version: grant.version + 1, refreshed: true, reason: decision.reason, scopes });
  } finally {
    // A renewal landing after the release would take the free lease again: let it finish first.
    await heartbeat.stop();
    // 6. Release; a failed release only delays the next refresher until the lease expires.
    await deps.grants.releaseLease(grantId, deps.owner).catch((error: unknown) => {
      log.error({ err: error }, 'could not release the grant lease; it expires by itself');
    });
  }
}

async function refreshWithRetries(deps: RefreshDeps, refreshToken: string) {
  const attempts = deps.lostAnswerAttempts ?? 3;
  let result = await deps.gateway.refresh(refreshToken);
  for (let attempt = 1; attempt < attempts && !result.ok && isLostAnswer(result.error); attempt++) {
    deps.log.warn({ attempt, status: result.error.status, timeout: result.error.timeout }, 'refresh answer lost; retrying with the same refresh token');
    await sleep((deps.retryDelayMs ?? 500) * attempt);
    result = await deps.gateway.refresh(refreshToken);
  }
  return result;
}

/** Xero answered that this refresh token is no good (400 invalid_grant), as opposed to our own checks failing. */
function isRefusal(failure: XeroFailure): boolean {
  return failure.cause === 'token_revoked' && failure.status === 400;
}

/** No usable answer: Xero may or may not have rotated the token, so the old one must be retried. */
function isLostAnswer(failure: XeroFailure): boolean {
  return failure.cause === 'xero_unavailable' || failure.cause === 'rate_limited';
}

function withinGrace(grant: StoredGrant, now: Date): boolean {
  return grant.refreshedAt !== null && now.getTime() - grant.refreshedAt.getTime() < GRACE_WINDOW_MS;
}

function checkUsable(grant: StoredGrant): XeroFailure | undefined {
  // No configured key opens the stored tokens: the encryption key changed (or the row was edited).
  // Nothing was asked of Xero, so nothing may read as Xero's words or Xero's fault.
  if (grant.undecryptable) {
    return { operation: 'refresh', cause: 'encryption_key_changed', refreshAndRetry: false, timeout: false, headers: {}, message: 'refresh skipped: stored tokens do not decrypt with any key in TOKEN_ENCRYPTION_KEY' };
  }
  if (!grant.refreshToken || grant.revokedAt) return { ...localFailure('no tokens stored (disconnected)', 'token_revoked') };
  // Asking again would only hear invalid_grant again (and spend the app's budget): wait for a reconnect.
  if (grant.refusedAt) return localFailure('refused by Xero earlier; waiting for a reconnect', 'token_revoked');
  return undefined;
}

function timing(grant: StoredGrant) {
  return {
    accessTokenExpiresAt: grant.accessToken ? grant.accessTokenExpiresAt : null,
    refreshedAt: grant.refreshedAt,
    createdAt: grant.createdAt,
    refreshFailures: grant.refreshFailures,
    hasRefreshToken: Boolean(grant.refreshToken),
  };
}

function fresh(grant: StoredGrant, refreshed: boolean, reason: RefreshReason): FreshGrant {
  return { grantId: grant.id, accessToken: grant.accessToken!, version: grant.version, refreshed, reason, scopes: grant.scopes };
}

function localFailure(message: string, cause: XeroFailure['cause'] = 'xero_unavailable'): XeroFailure {
  return { operation: 'refresh', cause, refreshAndRetry: false, timeout: false, xeroError: message, headers: {}, message: `refresh ${message}` };
}

export function newOwnerId(): string {
  return `xg-${process.pid}-${randomUUID().slice(0, 8)}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
