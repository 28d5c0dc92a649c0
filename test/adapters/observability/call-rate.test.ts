// The daily call rate: scaled from the time covered while the process is younger than a day, and
// only the last 24 hours once it is older.
import { describe, expect, it } from 'vitest';
import { createCallRate } from '../../../src/adapters/observability/call-rate.ts';

describe('Xero call rate', () => {
  it('scales a young process up to a day, then counts only the last 24 hours', () => {
    let now = Date.UTC(2026, 11, 2, 10, 0, 30);
    const rate = createCallRate(() => now);
    expect(rate.perDay()).toBe(0);
    for (let i = 0; i < 3; i++) rate.record();
    // Three calls in the first minute: 3 a minute, 4,320 a day.
    expect(rate.perDay()).toBe(3 * 1_440);
    now += 59 * 60_000;
    // Three calls in an hour: 72 a day.
    expect(rate.perDay()).toBe(72);
    now += 23 * 3_600_000;
    rate.record();
    // A day later the first minute's three calls are still inside the window (exactly 24 h of minutes).
    expect(rate.perDay()).toBe(4);
    now += 2 * 60_000;
    // ...and then they fall out of it.
    expect(rate.perDay()).toBe(1);
  });
});
