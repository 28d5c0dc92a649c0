// The alert lifecycle (DESIGN.md section 3), as pure decisions over plain snapshots. The monitor
// handlers carry them out in one database transaction each.
import { isTransient, type Cause, type DefiniteCause } from './causes.ts';
import type { ConnectionState } from './states.ts';
import { nextSlot, phaseOf, rateLimitedDelayMs, transientBackoffMs } from './schedule.ts';

export type CheckResult =
  | { ok: true }
  | { ok: false; cause: Cause; retryAfterMs?: number };

export type CheckSubject = {
  id: string;
  grantId: string | null;
  state: ConnectionState;
  consecutiveFailures: number;
  degradedSince: Date | null;
};

export type AfterCheck =
  /** All good and nothing was open: keep (or go back to) connected. */
  | { kind: 'healthy'; toState: 'connected'; nextCheckAt: Date; reason: 'still_connected' | 'recovered_from_transient' }
  /** Success while an incident is open: resolve it. */
  | { kind: 'resolve'; toState: 'connected'; nextCheckAt: Date }
  /** A definite cause and no open incident: open one. */
  | { kind: 'open_incident'; cause: DefiniteCause; toState: ConnectionState; nextCheckAt: Date }
  /** A definite cause while its incident is open: only the log changes. */
  | { kind: 'redetected'; nextCheckAt: Date }
  /** Passing trouble: degraded, retried with backoff. */
  | { kind: 'degrade'; toState: ConnectionState; failures: number; nextCheckAt: Date }
  /** 429: not a failure of the organisation; just wait. */
  | { kind: 'wait'; nextCheckAt: Date };

export type LifecycleTiming = { checkIntervalMs: number };

export function decideAfterCheck(
  subject: CheckSubject,
  hasOpenIncident: boolean,
  result: CheckResult,
  now: Date,
  timing: LifecycleTiming,
  random: number,
): AfterCheck {
  const regular = nextSlot(now, timing.checkIntervalMs, phaseOf(subject.grantId ?? subject.id));
  if (result.ok) {
    if (hasOpenIncident) return { kind: 'resolve', toState: 'connected', nextCheckAt: regular };
    const reason = subject.state === 'degraded' ? 'recovered_from_transient' : 'still_connected';
    return { kind: 'healthy', toState: 'connected', nextCheckAt: regular, reason };
  }
  if (result.cause === 'rate_limited') {
    return { kind: 'wait', nextCheckAt: new Date(now.getTime() + rateLimitedDelayMs(result.retryAfterMs, random)) };
  }
  if (isTransient(result.cause)) {
    const failures = subject.consecutiveFailures + 1;
    const delay = transientBackoffMs(failures, timing.checkIntervalMs, random);
    // A broken or reconnecting connection stays so: Xero being slow says nothing about the break.
    const toState = subject.state === 'broken' || subject.state === 'reconnecting' ? subject.state : 'degraded';
    return { kind: 'degrade', toState, failures, nextCheckAt: new Date(now.getTime() + delay) };
  }
  if (hasOpenIncident) return { kind: 'redetected', nextCheckAt: regular };
  // A reconnect link is out: the old token keeps failing until it is used; the state says so.
  const toState = subject.state === 'reconnecting' ? 'reconnecting' : 'broken';
  return { kind: 'open_incident', cause: result.cause as DefiniteCause, toState, nextCheckAt: regular };
}

/**
 * Group window (Alertmanager's group_wait/group_interval, simplified): the first break after a
 * quiet window is announced at once; breaks arriving within GROUP_WINDOW of the last announcement
 * wait for the window to end and then go out together, as one summary when there are several.
 * A mass revocation of 1,000 connections spread over a check interval becomes one alert plus one
 * summary per window.
 */
export type AnnouncePlan =
  | { kind: 'nothing' }
  | { kind: 'wait'; until: Date }
  | { kind: 'single'; incidentId: string }
  | { kind: 'summary'; incidentIds: string[] };

export function planAnnouncement(
  pending: readonly { id: string; openedAt: Date }[],
  lastAnnouncedAt: Date | null,
  now: Date,
  groupWindowMs: number,
): AnnouncePlan {
  if (pending.length === 0) return { kind: 'nothing' };
  if (lastAnnouncedAt && now.getTime() < lastAnnouncedAt.getTime() + groupWindowMs) {
    return { kind: 'wait', until: new Date(lastAnnouncedAt.getTime() + groupWindowMs) };
  }
  const ordered = [...pending].sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime());
  if (ordered.length === 1) return { kind: 'single', incidentId: ordered[0]!.id };
  return { kind: 'summary', incidentIds: ordered.map((i) => i.id) };
}

/** Transient trouble old enough to tell people about (TRANSIENT_ALERT_AFTER). */
export function isTransientNoticeDue(degradedSince: Date | null, now: Date, transientAlertAfterMs: number): boolean {
  return degradedSince !== null && now.getTime() - degradedSince.getTime() >= transientAlertAfterMs;
}

export type NoticePlan =
  | { kind: 'nothing' }
  | { kind: 'open'; organisations: string[] }
  | { kind: 'grow'; organisations: string[] }
  | { kind: 'close' };

/**
 * One grouped notice for all transient trouble. Opens when any connection has been degraded past
 * the threshold, grows (edits the same message) when more organisations join, and closes when no
 * connection is degraded any more.
 */
export function planTransientNotice(
  open: { organisations: string[] } | null,
  overdue: readonly string[],
  stillDegraded: number,
): NoticePlan {
  if (!open) return overdue.length > 0 ? { kind: 'open', organisations: [...overdue].sort() } : { kind: 'nothing' };
  if (stillDegraded === 0) return { kind: 'close' };
  const known = new Set(open.organisations);
  const added = overdue.filter((name) => !known.has(name));
  if (added.length === 0) return { kind: 'nothing' };
  return { kind: 'grow', organisations: [...open.organisations, ...added].sort() };
}

export function isReminderDue(nextReminderAt: Date | null, announcedAt: Date | null, now: Date): boolean {
  return announcedAt !== null && nextReminderAt !== null && nextReminderAt.getTime() <= now.getTime();
}
