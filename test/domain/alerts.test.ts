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

  it('an outage never relabels a definite break: a revoked connection stays revoked while Xero is down', () => {
    const revoked = decideAfterCheck(subject({ state: 'broken', lastCause: 'token_revoked' }), true, { ok: false, cause: 'xero_unavailable' }, now, timing, 0.5);
    expect(revoked).toMatchObject({ kind: 'degrade', toState: 'broken', lastCause: 'token_revoked' });
    const reconnecting = decideAfterCheck(subject({ state: 'reconnecting', lastCause: 'app_disconnected_in_xero' }), true, { ok: false, cause: 'xero_unavailable' }, now, timing, 0.5);
    expect(reconnecting).toMatchObject({ kind: 'degrade', toState: 'reconnecting', lastCause: 'app_disconnected_in_xero' });
    const healthy = decideAfterCheck(subject({ state: 'connected', lastCause: null }), false, { ok: false, cause: 'xero_unavailable' }, now, timing, 0.5);
    expect(healthy).toMatchObject({ kind: 'degrade', toState: 'degraded', lastCause: 'xero_unavailable' });
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
  const grouping = { windowMs: 30_000, capacity: 3 };
  const p = (id: string, s: number, target = '') => ({ id, openedAt: at(s), target });
  const open = (alertKey: string, members: number, lastAdded: number, target = '') => ({ alertKey, members, target, lastAddedAt: at(lastAdded) });
  it.each([
    ['nothing pending', [], null, [], []],
    ['first break after a quiet time: its own alert at once', [p('a', 0)], at(-60), [], [{ kind: 'single', incidentId: 'a' }]],
    ['first break ever: its own alert at once', [p('a', 0)], null, [], [{ kind: 'single', incidentId: 'a' }]],
    ['several found together after a quiet time: one summary, oldest first', [p('c', -1), p('b', -2)], at(-60), [], [{ kind: 'summary', incidentIds: ['b', 'c'] }]],
    ['within the window, no summary yet: a new summary at once, even of one', [p('b', 0)], at(-10), [], [{ kind: 'summary', incidentIds: ['b'] }]],
    ['within the window: added at once to the open summary', [p('d', 0)], at(-5), [open('summary:b', 2, -5)], [{ kind: 'add', alertKey: 'summary:b', incidentIds: ['d'] }]],
    [
      'the open summary fills up; the rest start new summaries of at most `capacity`',
      [p('d', -4), p('e', -3), p('f', -2), p('g', -1), p('h', 0), p('i', 0)],
      at(-5),
      [open('summary:b', 2, -5)],
      [
        { kind: 'add', alertKey: 'summary:b', incidentIds: ['d'] },
        { kind: 'summary', incidentIds: ['e', 'f', 'g'] },
        { kind: 'summary', incidentIds: ['h', 'i'] },
      ],
    ],
    ['a full summary is left alone', [p('z', 0)], at(-1), [open('summary:b', 3, -1)], [{ kind: 'summary', incidentIds: ['z'] }]],
    ['a summary last added to before the window is closed', [p('z', 0)], at(-1), [open('summary:b', 1, -40)], [{ kind: 'summary', incidentIds: ['z'] }]],
    ['of two open summaries, the newest is used', [p('z', 0)], at(-1), [open('summary:a', 1, -20), open('summary:b', 1, -2)], [{ kind: 'add', alertKey: 'summary:b', incidentIds: ['z'] }]],
    [
      'connections with their own channel are grouped there',
      [p('x', -1, 'T1'), p('y', 0)],
      at(-1),
      [open('summary:b', 1, -1, 'T1')],
      [
        { kind: 'add', alertKey: 'summary:b', incidentIds: ['x'] },
        { kind: 'summary', incidentIds: ['y'] },
      ],
    ],
    ['after a quiet time, one per channel goes alone', [p('x', -1, 'T1'), p('y', 0)], at(-60), [open('summary:b', 1, -60, 'T1')], [{ kind: 'single', incidentId: 'x' }, { kind: 'single', incidentId: 'y' }]],
  ])('%s', (_name, pending, last, summaries, steps) => {
    expect(planAnnouncement(pending, last, summaries, now, grouping).steps).toEqual(steps);
  });

  it('1,000 breaks over a window make ten summaries of 100, every break in exactly one step', () => {
    const pending = Array.from({ length: 1_000 }, (_, i) => p(`i${String(i).padStart(4, '0')}`, -i / 100));
    const plan = planAnnouncement(pending, at(-1), [open('summary:s', 40, -1)], now, { windowMs: 30_000, capacity: 100 });
    const ids = plan.steps.flatMap((s) => (s.kind === 'single' ? [s.incidentId] : s.incidentIds));
    expect(new Set(ids).size).toBe(1_000);
    expect(plan.steps.map((s) => s.kind)).toEqual(['add', ...Array(10).fill('summary')]);
    expect(plan.steps.map((s) => (s.kind === 'single' ? 1 : s.incidentIds.length))).toEqual([60, ...Array(9).fill(100), 40]);
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
