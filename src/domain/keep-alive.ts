// Keeping paused grants alive (DESIGN.md section 4: refresh tokens die after 60 days unused). A
// grant whose connections are all paused is never checked, so nothing refreshes it; the monitor
// tick refreshes it once a day instead. Pure: the caller passes `now`.
import { IDLE_REFRESH_MS } from './refresh.ts';

/** After a failed keep-alive the grant is tried again after this, doubling per failure. */
export const KEEP_ALIVE_RETRY_MS = 60 * 60_000;

/** Grants last refreshed before this are due: the same daily rule decideRefresh applies to idle grants. */
export function keepAliveDueBefore(now: Date): Date {
  return new Date(now.getTime() - IDLE_REFRESH_MS);
}

/**
 * How long one attempt holds the grant's keep-alive lease (so replicas try it once): an hour, then
 * twice as long after each failed refresh, at most a day. A revoked grant stays broken until someone
 * reconnects it; asking Xero every few seconds would change nothing.
 */
export function keepAliveLeaseMs(refreshFailures: number): number {
  return Math.min(IDLE_REFRESH_MS, KEEP_ALIVE_RETRY_MS * 2 ** Math.min(Math.max(0, refreshFailures), 10));
}
