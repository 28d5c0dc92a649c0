// Xero-wide trouble is not a mass revocation (DESIGN.md sections 2.1 and 9). When definite failures
// hit many grants within minutes, that is far more likely trouble at Xero (Xero once refused good
// refresh tokens and later honoured them again: the "token amnesty") than hundreds of people
// revoking at once. The per-organisation alerts then wait behind one "Xero may be having trouble"
// notice, the connections are checked again after a delay, and only what stays broken is alerted.
// These are the pure rules: when to hold, when to wait a moment for more evidence, when to release.
import type { Cause } from './causes.ts';

export type TroubleRules = {
  /** XERO_TROUBLE_SHARE: the share of the grants asked since the failures began that failed. */
  share: number;
  /** XERO_TROUBLE_MIN_GRANTS: fewer failing grants than this are never "Xero-wide". */
  minGrants: number;
  /** XERO_TROUBLE_WINDOW: how far back failures count. */
  windowMs: number;
  /** XERO_TROUBLE_RECHECK_AFTER: how long the alerts wait before the connections are judged again. */
  recheckAfterMs: number;
};

/**
 * The causes a Xero-side fault can fake: a refused refresh token, a tenant missing from the list,
 * a refused tenant call. Our own problems (wrong app credentials, a changed encryption key) have
 * their own single notice and are never held; passing trouble never opens an incident at all.
 */
const TROUBLE_CAUSES: readonly Cause[] = ['token_revoked', 'app_disconnected_in_xero', 'access_lost', 'permission_missing'];

export function isTroubleCause(cause: string): boolean {
  return (TROUBLE_CAUSES as readonly string[]).includes(cause);
}

export const troubleCauses = (): string[] => [...TROUBLE_CAUSES];

/**
 * Checks are spread evenly over the interval, so a Xero-wide fault shows up a few grants at a
 * time. The first failures of a burst that already looks Xero-wide (a large share of the grants
 * asked since it began, arriving fast enough to reach XERO_TROUBLE_MIN_GRANTS within this time)
 * wait this long for the rest instead of being alerted one by one. DESIGN.md section 9 allows an
 * interval plus 10 s from a revocation to its alert; the announcement itself takes a tick or two,
 * so this stays under it. A burst too slow to reach the minimum in time is alerted as it comes:
 * waiting would only delay it.
 */
export const TROUBLE_GATHER_MS = 8_000;

/** A definite failure: which grant (or connection, when it has none) and when its incident opened. */
export type RecentFailure = { grant: string; at: Date };
/** The last check of one grant (the latest over its connections). */
export type RecentCheck = { grant: string; at: Date };

export type TroubleAssessment =
  /** Xero-wide: hold the pending alerts behind one notice. */
  | { kind: 'hold'; failing: number; asked: number }
  /** Looks Xero-wide but too few yet: keep the pending alerts back until `until`, then decide again. */
  | { kind: 'gather'; until: Date }
  /** Ordinary breaks: alert them. */
  | { kind: 'none' };

/**
 * Whether the definite failures of the last window look Xero-wide. The share is taken over the
 * grants asked since the failures began, not over every watched grant: checks are spread over the
 * interval, so a fault at Xero has reached only part of the grants when it must be recognised,
 * but it fails nearly every grant asked since. Every failure time in the window is tried as that
 * beginning, so an unrelated revocation minutes earlier does not dilute the share.
 *
 * `oldestPending`: when the oldest failure still waiting for its alert opened (for the gather).
 */
export function assessTrouble(failures: readonly RecentFailure[], checks: readonly RecentCheck[], oldestPending: Date | null, now: Date, rules: TroubleRules): TroubleAssessment {
  const since = now.getTime() - rules.windowMs;
  // Per grant, its latest failure in the window: a grant counts from any onset at or before it.
  const latest = new Map<string, number>();
  for (const f of failures) {
    const at = f.at.getTime();
    if (at < since) continue;
    if (at > (latest.get(f.grant) ?? -Infinity)) latest.set(f.grant, at);
  }
  const failedAt = [...latest.values()].sort((a, b) => b - a);
  const lastChecked = new Map<string, number>();
  for (const c of checks) lastChecked.set(c.grant, Math.max(lastChecked.get(c.grant) ?? -Infinity, c.at.getTime()));
  // A failing grant was asked when it failed, whatever the check rows say.
  for (const [grant, at] of latest) lastChecked.set(grant, Math.max(lastChecked.get(grant) ?? -Infinity, at));
  const checkedAt = [...lastChecked.values()].sort((a, b) => a - b);

  // Too few to call a burst at all: a pair of breaks in the same second is just that.
  const enoughToGather = Math.max(2, Math.ceil(rules.minGrants / 4));
  let plausible = false;
  for (let i = 0; i < failedAt.length; i += 1) {
    const onset = failedAt[i]!;
    // Failures at the same moment all count from it: judge the onset at the last of them.
    if (failedAt[i + 1] === onset) continue;
    const failing = i + 1;
    const asked = checkedAt.length - lowerBound(checkedAt, onset);
    if (failing < rules.share * asked) continue;
    if (failing >= rules.minGrants) return { kind: 'hold', failing, asked };
    const elapsed = Math.max(1_000, now.getTime() - onset);
    if (failing >= enoughToGather && failing * TROUBLE_GATHER_MS >= rules.minGrants * elapsed) plausible = true;
  }
  if (plausible && oldestPending) {
    const until = oldestPending.getTime() + TROUBLE_GATHER_MS;
    if (now.getTime() < until) return { kind: 'gather', until: new Date(until) };
  }
  return { kind: 'none' };
}

/** The first index whose value is at or after `value` (sorted ascending). */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A held alert as the release needs it. */
export type HeldBreak = {
  /** The incident resolved meanwhile (a check found it working, or someone reconnected it). */
  resolved: boolean;
  /** When its connection was last checked. */
  lastCheckAt: Date | null;
  /** Its connection is still watched (not paused or disconnected since). */
  watched: boolean;
};

/** When the held connections are checked again: the hold's start plus the re-check delay. */
export function recheckAt(openedAt: Date, rules: Pick<TroubleRules, 'recheckAfterMs'>): Date {
  return new Date(openedAt.getTime() + rules.recheckAfterMs);
}

/** New failures join an open hold until its re-check time; later ones are alerted as usual. */
export function joinsHold(openedAt: Date, now: Date, rules: Pick<TroubleRules, 'recheckAfterMs'>): boolean {
  return now.getTime() < recheckAt(openedAt, rules).getTime();
}

/**
 * The hold ends once every held connection was checked again at or after the re-check time (or
 * recovered, or is no longer watched). Checks are spread over the interval, so that takes up to an
 * interval after the re-check time; if some still were not checked two intervals later (a Xero
 * budget backlog), the hold ends anyway: an alert late is better than none.
 */
export function isReleaseDue(openedAt: Date, held: readonly HeldBreak[], now: Date, rules: Pick<TroubleRules, 'recheckAfterMs'>, checkIntervalMs: number): boolean {
  const due = recheckAt(openedAt, rules).getTime();
  if (now.getTime() < due) return false;
  if (now.getTime() >= due + 2 * checkIntervalMs) return true;
  return held.every((h) => h.resolved || !h.watched || (h.lastCheckAt !== null && h.lastCheckAt.getTime() >= due));
}
