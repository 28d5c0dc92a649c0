// When a grant's tokens must be refreshed (DESIGN.md section 4). Pure: the caller passes `now`.
/** Refresh when the access token has less than this left. */
export const REFRESH_MARGIN_MS = 5 * 60_000;
/** Refresh idle grants at least this often: refresh tokens die after 60 days unused. */
export const IDLE_REFRESH_MS = 24 * 60 * 60_000;
/** Xero accepts the previous refresh token again for this long after it rotated it. */
export const GRACE_WINDOW_MS = 30 * 60_000;

export type GrantTiming = {
  accessTokenExpiresAt: Date | null;
  refreshedAt: Date | null;
  createdAt: Date;
  /** Failed refresh attempts since the last success (a lost response leaves one behind). */
  refreshFailures: number;
  hasRefreshToken: boolean;
};

export type RefreshReason = 'expiring' | 'no_access_token' | 'idle_daily' | 'retry_after_failure' | 'forced' | 'fresh' | 'no_refresh_token';
export type RefreshDecision = { refresh: boolean; reason: RefreshReason };

export function decideRefresh(grant: GrantTiming, now: Date, options: { force?: boolean } = {}): RefreshDecision {
  if (!grant.hasRefreshToken) return { refresh: false, reason: 'no_refresh_token' };
  if (options.force) return { refresh: true, reason: 'forced' };
  if (!grant.accessTokenExpiresAt) return { refresh: true, reason: 'no_access_token' };
  if (grant.accessTokenExpiresAt.getTime() - now.getTime() < REFRESH_MARGIN_MS) return { refresh: true, reason: 'expiring' };
  // A refresh whose answer was lost may have rotated the token at Xero: retry soon, while the old
  // refresh token is still inside the grace window, rather than wait for the access token to expire.
  if (grant.refreshFailures > 0) return { refresh: true, reason: 'retry_after_failure' };
  const last = grant.refreshedAt ?? grant.createdAt;
  if (now.getTime() - last.getTime() >= IDLE_REFRESH_MS) return { refresh: true, reason: 'idle_daily' };
  return { refresh: false, reason: 'fresh' };
}
