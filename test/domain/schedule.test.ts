import { describe, expect, it } from 'vitest';
import { checksPerTick, nextSlot, phaseOf } from '../../src/domain/schedule.ts';

describe('schedule', () => {
  it('phases spread evenly over the interval', () => {
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i += 1) buckets[Math.floor(phaseOf(`connection-${i}`) * 10)] += 1;
    for (const count of buckets) expect(count).toBeGreaterThan(850);
  });

  it('the next slot keeps the phase and is at least half an interval away', () => {
    const interval = 300_000;
    const phase = 0.25;
    const slot = nextSlot(new Date(75_000), interval, phase);
    expect(slot.getTime()).toBe(375_000);
    expect(nextSlot(new Date(375_000 + 200), interval, phase).getTime()).toBe(675_000);
    // A late check (a backlog) is not followed by another a few seconds later.
    expect(nextSlot(new Date(370_000), interval, phase).getTime()).toBe(675_000);
  });

  it('paces a backlog: at most twice the steady rate per tick', () => {
    expect(checksPerTick(10_000, 1_000, 300_000)).toBe(67);
    expect(checksPerTick(10, 1_000, 300_000)).toBe(5);
  });
});
