import { describe, expect, it } from 'vitest';
import { ACTION_IDS, buttonActionOf, encodeButtonValue, parseButtonClick, parseButtonValue } from '../../src/domain/actions.ts';
import { formatDuration, parseDuration } from '../../src/domain/duration.ts';

describe('button values', () => {
  it('round-trips ids', () => {
    const raw = encodeButtonValue({ incidentId: 'i-1', connectionId: 'c-1' });
    expect(parseButtonValue(raw)).toEqual({ ok: true, value: { incidentId: 'i-1', connectionId: 'c-1' } });
  });

  it.each([['not json'], ['{"incidentId":""}'], ['{"incidentId":"i","connectionId":7}'], [42], [null]])('refuses %j', (raw) => {
    expect(parseButtonValue(raw).ok).toBe(false);
  });

  it('maps action ids back to actions', () => {
    expect(buttonActionOf(ACTION_IDS.confirmXero)).toBe('confirmXero');
    expect(buttonActionOf('xg_unknown')).toBeUndefined();
  });
});

describe('a click, read once', () => {
  it.each([
    ['a Slack button value (a JSON string)', ACTION_IDS.disconnect, encodeButtonValue({ incidentId: 'i-1', connectionId: 'c-1' }), { action: 'disconnect', value: { incidentId: 'i-1', connectionId: 'c-1' } }],
    ['Teams action data (an object, with the picker input beside the ids)', ACTION_IDS.sendLink, { incidentId: 'i-1', connectionId: 'c-1', xg_person: 'aad-1' }, { action: 'sendLink', value: { incidentId: 'i-1', connectionId: 'c-1' } }],
    ['a snooze choice', ACTION_IDS.snooze, { incidentId: 'i-1', connectionId: 'c-1', snooze: '4h' }, { action: 'snooze', value: { incidentId: 'i-1', connectionId: 'c-1', snooze: '4h' } }],
  ])('reads %s', (_name, actionId, raw, click) => {
    expect(parseButtonClick(actionId, raw)).toEqual({ ok: true, value: click });
  });

  it('names why a click cannot be read', () => {
    expect(parseButtonClick('xg_drop_tables', {})).toEqual({ ok: false, error: { reason: 'unknown_action', detail: 'xg_drop_tables' } });
    expect(parseButtonClick('disconnect', encodeButtonValue({ incidentId: 'i', connectionId: 'c' }))).toMatchObject({ ok: false, error: { reason: 'unknown_action' } });
    expect(parseButtonClick(ACTION_IDS.reconnect, '{not json')).toMatchObject({ ok: false, error: { reason: 'malformed_value' } });
    expect(parseButtonClick(ACTION_IDS.snooze, { incidentId: 'i', connectionId: 'c', snooze: 'forever' })).toMatchObject({ ok: false, error: { reason: 'malformed_value' } });
  });
});

describe('durations in settings', () => {
  it.each([['30s', 30_000], ['5m', 300_000], ['24h', 86_400_000], ['1d', 86_400_000], ['250ms', 250], ['1.5m', 90_000]])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms });
  });

  it.each(['5', 'five minutes', '5 weeks', '', '0s'])('refuses %j', (text) => {
    expect(parseDuration(text).ok).toBe(false);
  });

  it('formats durations for people', () => {
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(25 * 60_000)).toBe('25m');
    expect(formatDuration(3 * 3_600_000 + 5 * 60_000)).toBe('3h 5m');
    expect(formatDuration(50 * 3_600_000)).toBe('2d 2h');
  });
});
