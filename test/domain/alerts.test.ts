// The alert lifecycle decisions, as tables.
import { describe, expect, it } from 'vitest';
import { decideAfterCheck, planAnnouncement, planTransientNotice, type CheckSubject } from '../../src/domain/alerts.ts';

const now = new Date('2026-11-23T08:00:00.000Z');
const timing = { checkIntervalMs: 300_000 };
const subject = (over: Partial<CheckSubject> = {}): CheckSubject => ({ id: 'c1', grantId: 'g1', state: 'connected', consecutiveFailures: 0, degradedSince: null, ...over });

describe('decideAfterCheck', () => {
  it.each([
    ['connected, ok', subject(), false, { ok: true } as const, 'healthy', 'connected'],
    ['degraded, ok', subject({ state: 'degraded', consecutiveFailures: 3 }), false, { ok: true } as const, 'healthy', 'connected'],
    ['broken with incident, ok', subject({ state: 'broken' }), true, { ok: true } as const, 'resolve', 'connected'],
    ['connected, token revoked', subject(), false, { ok: false, cause: 'token_revoked' } as const, 'open_incident', 'broken'],
    ['reconnecting, access lost', subject({ state: 'reconnecting' }), false, { ok: false, cause: 'access_lost' } as const, 'open_incident', 'reconnecting'],
    ['broken, app removed again', subject({ state: 'broken' }), true, { ok: false, cause: 'app_disconnected_in_xero' } as const, 'redetected', undefined],
    ['connected, 503', subject(), false, { ok: false, cause: 'xero_unavailable' } as const, 'degrade', 'degraded'],
    ['broken, 503', subject({ state: 'broken' }), true, { ok: false, cause: 'xero_unavailable' } as const, 'degrade', 'broken'],
    ['connected, 429', subject(), false, { ok: false, cause: 'rate_limited', retryAfterMs: 20_000 } as const, 'wait', undefined],
  ])('%s → %s', (_name, s, open, result, kind, toState) => {
    const decision = decideAfterCheck(s, open, result, now, timing, 0.5);
    expect(decision.kind).toBe(kind);
    if (toState) expect('toState' in decision && decision.toState).toBe(toState);
  });

  it('a 429 never counts as a failure and waits what Xero asked', () => {
    const d = decideAfterCheck(subject({ consecutiveFailures: 2 }), false, { ok: false, cause: 'rate_limited', retryAfterMs: 20_000 }, now, timing, 0);
    expect(d).toEqual({ kind: 'wait', nextCheckAt: new Date(now.getTime() + 20_000) });
  });

  it('transient failures back off, doubling with jitter, never beyond one interval', () => {
    const delays = [1, 2, 3, 4, 5, 10].map((n) => {
      const d = decideAfterCheck(subject({ consecutiveFailures: n - 1 }), false, { ok: false, cause: 'xero_unavailable' }, now, timing, 1);
      return d.nextCheckAt.getTime() - now.getTime();
    });
    expect(delays).toEqual([30_000, 60_000, 120_000, 240_000, 300_000, 300_000]);
    const low = decideAfterCheck(subject(), false, { ok: false, cause: 'xero_unavailable' }, now, timing, 0);
    expect(low.nextCheckAt.getTime() - now.getTime()).toBe(15_000);
  });
});

describe('planAnnouncement', () => {
  const at = (s: number) => new Date(now.getTime() + s * 1000);
  it.each([
    ['nothing pending', [], null, 'nothing'],
    ['first break after a quiet time goes out at once', [{ id: 'a', openedAt: at(0) }], at(-60), 'single'],
    ['a break within the window of the last alert waits', [{ id: 'b', openedAt: at(0) }], at(-10), 'wait'],
    ['several pending after the window: one summary', [{ id: 'b', openedAt: at(-20) }, { id: 'c', openedAt: at(-5) }], at(-30), 'summary'],
  ])('%s', (_name, pending, last, kind) => {
    expect(planAnnouncement(pending, last, now, 30_000).kind).toBe(kind);
  });
});

describe('planTransientNotice', () => {
  it.each([
    ['nothing overdue, nothing open', null, [], 0, { kind: 'nothing' }],
    ['overdue, none open: open', null, ['B', 'A'], 2, { kind: 'open', organisations: ['A', 'B'] }],
    ['open, more overdue: grow', { organisations: ['A'] }, ['A', 'C'], 2, { kind: 'grow', organisations: ['A', 'C'] }],
    ['open, same set: nothing', { organisations: ['A'] }, ['A'], 3, { kind: 'nothing' }],
    ['open, none degraded: close', { organisations: ['A'] }, [], 0, { kind: 'close' }],
  ])('%s', (_name, open, overdue, degraded, plan) => {
    expect(planTransientNotice(open, overdue, degraded)).toEqual(plan);
  });
});
