import { describe, expect, it } from 'vitest';
import { isTimeZone, snoozeEnd } from '../../src/domain/snooze.ts';

const NOW = new Date('2026-12-02T09:30:00.000Z');

describe('snooze clock', () => {
  it('adds fixed lengths for 1 hour, 4 hours and a day', () => {
    expect(snoozeEnd('1h', NOW).toISOString()).toBe('2026-12-02T10:30:00.000Z');
    expect(snoozeEnd('4h', NOW).toISOString()).toBe('2026-12-02T13:30:00.000Z');
    expect(snoozeEnd('1d', NOW).toISOString()).toBe('2026-12-03T09:30:00.000Z');
  });

  it('ends "until tomorrow" at 9:00 on the clicker\'s next calendar day, in their zone', () => {
    // 22:30 on 2 Dec in Auckland (+13): 9:00 on 3 Dec there.
    expect(snoozeEnd('tomorrow', NOW, 'Pacific/Auckland').toISOString()).toBe('2026-12-02T20:00:00.000Z');
    // 04:30 on 2 Dec in New York (-5).
    expect(snoozeEnd('tomorrow', NOW, 'America/New_York').toISOString()).toBe('2026-12-03T14:00:00.000Z');
    expect(snoozeEnd('tomorrow', NOW, 'Asia/Kolkata').toISOString()).toBe('2026-12-03T03:30:00.000Z');
  });

  it('follows a daylight-saving change overnight', () => {
    // London moves to BST (+1) on 29 Mar 2026: 9:00 that morning is 08:00 UTC.
    expect(snoozeEnd('tomorrow', new Date('2026-03-28T12:00:00.000Z'), 'Europe/London').toISOString()).toBe('2026-03-29T08:00:00.000Z');
    // Auckland leaves NZDT (+13 → +12) early on 5 Apr 2026: 9:00 that morning is 21:00 UTC the day before.
    expect(snoozeEnd('tomorrow', new Date('2026-04-04T08:00:00.000Z'), 'Pacific/Auckland').toISOString()).toBe('2026-04-04T21:00:00.000Z');
  });

  it('reads an unknown or missing zone as UTC', () => {
    expect(isTimeZone('Bogus/Zone')).toBe(false);
    expect(isTimeZone(undefined)).toBe(false);
    expect(snoozeEnd('tomorrow', NOW, 'Bogus/Zone').toISOString()).toBe('2026-12-03T09:00:00.000Z');
    expect(snoozeEnd('tomorrow', NOW).toISOString()).toBe('2026-12-03T09:00:00.000Z');
  });
});
