import { describe, expect, it } from 'vitest';
import { keepAliveDueBefore, keepAliveLeaseMs } from '../../src/domain/keep-alive.ts';

const HOUR = 3_600_000;

describe('keep-alive of paused grants', () => {
  it('is due for grants last refreshed a day or more ago', () => {
    expect(keepAliveDueBefore(new Date('2026-11-24T08:00:00Z')).toISOString()).toBe('2026-11-23T08:00:00.000Z');
  });

  it.each([
    [0, 1 * HOUR],
    [1, 2 * HOUR],
    [2, 4 * HOUR],
    [4, 16 * HOUR],
    [5, 24 * HOUR],
    [50, 24 * HOUR],
    [-1, 1 * HOUR],
  ])('after %i failed refreshes the next attempt waits %i ms', (failures, ms) => {
    expect(keepAliveLeaseMs(failures)).toBe(ms);
  });
});
