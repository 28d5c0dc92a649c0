// The alert lifecycle (DESIGN.md section 3), as pure decisions over plain snapshots. The
// handlers carry them out in one database transaction each.
import { causeAfterCheck, isCause, isTransient, type Cause, type DefiniteCause } from './causes.ts';
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
  /** The cause the connection shows now (null when healthy). */
  lastCause?: string | null;
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
  | { kind: 'degrade'; toState: ConnectionState; failures: number; nextCheckAt: Date; lastCause: Cause }
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
    const previous = subject.lastCause && isCause(subject.lastCause) ? subject.lastCause : null;
    // A broken connection keeps its definite cause through an outage (causeAfterCheck).
    const lastCause = toState === 'degraded' ? result.cause : causeAfterCheck(previous, result.cause).cause;
    return { kind: 'degrade', toState, failures, nextCheckAt: new Date(now.getTime() + delay), lastCause };
  }
  if (hasOpenIncident) return { kind: 'redetected', nextCheckAt: regular };
  // A reconnect link is out: the old token keeps failing until it is used; the state says so.
  const toState = subject.state === 'reconnecting' ? 'reconnecting' : 'broken';
  return { kind: 'open_incident', cause: result.cause as DefiniteCause, toState, nextCheckAt: regular };
}

/**
 * Group window (Alertmanager's group_wait/group_interval, reshaped so that nothing waits): the
 * first break after a quiet window is announced at once, alone (several found in the same tick
 * share a summary). Breaks arriving within GROUP_WINDOW of the last announcement are announced at
 * once too, as rows added to the window's open summary message (edited in place), or in a new
 * summary when there is none or it is full. Every organisation is named within a tick of its
 * detection, and a mass revocation of 1,000 posts about 1,000 / `capacity` messages plus edits.
 * Connections with their own alert channel (`target`) get their own summaries there.
 */
export type PendingBreak = { id: string; openedAt: Date; target: string };
/** A summary message announced lately: its key, how many rows it holds, its channel, its last addition. */
export type OpenSummary = { alertKey: string; members: number; target: string; lastAddedAt: Date };

export type AnnounceStep =
  | { kind: 'single'; incidentId: string }
  | { kind: 'summary'; incidentIds: string[] }
  | { kind: 'add'; alertKey: string; incidentIds: string[] };

export type AnnouncePlan = { steps: AnnounceStep[] };

export function planAnnouncement(
  pending: readonly PendingBreak[],
  lastAnnouncedAt: Date | null,
  summaries: readonly OpenSummary[],
  now: Date,
  grouping: { windowMs: number; capacity: number },
): AnnouncePlan {
  const steps: AnnounceStep[] = [];
  if (pending.length === 0) return { steps };
  const inWindow = lastAnnouncedAt !== null && now.getTime() < lastAnnouncedAt.getTime() + grouping.windowMs;
  const byTarget = new Map<string, PendingBreak[]>();
  for (const p of [...pending].sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime() || a.id.localeCompare(b.id))) {
    byTarget.set(p.target, [...(byTarget.get(p.target) ?? []), p]);
  }
  for (const [target, group] of byTarget) {
    const ids = group.map((p) => p.id);
    if (!inWindow && ids.length === 1) {
      steps.push({ kind: 'single', incidentId: ids[0]! });
      continue;
    }
    let rest = ids;
    if (inWindow) {
      const open = openSummaryFor(summaries, target, now, grouping);
      if (open) {
        const room = grouping.capacity - open.members;
        steps.push({ kind: 'add', alertKey: open.alertKey, incidentIds: rest.slice(0, room) });
        rest = rest.slice(room);
      }
    }
    for (let i = 0; i < rest.length; i += grouping.capacity) steps.push({ kind: 'summary', incidentIds: rest.slice(i, i + grouping.capacity) });
  }
  return { steps };
}

/** The newest summary of `target` that has room and was added to within the window. */
function openSummaryFor(summaries: readonly OpenSummary[], target: string, now: Date, grouping: { windowMs: number; capacity: number }): OpenSummary | undefined {
  return summaries
    .filter((s) => s.target === target && s.members < grouping.capacity && now.getTime() < s.lastAddedAt.getTime() + grouping.windowMs)
    .sort((a, b) => b.lastAddedAt.getTime() - a.lastAddedAt.getTime() || b.alertKey.localeCompare(a.alertKey))[0];
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
