// The two request checks Bolt leaves to us: the timestamp window in both directions, and
// recognising a Slack retry of a request already handled.
import { describe, expect, it } from 'vitest';
import { decideTimestamp } from '../../../src/adapters/slack/request-guard.ts';
import { requestKey } from '../../../src/adapters/slack/request-key.ts';
import { createRecentKeys } from '../../../src/adapters/http/recent-keys.ts';

const NOW = 1_800_000_000_000;
const s = (offsetSeconds: number) => String(NOW / 1000 + offsetSeconds);

describe('Slack request timestamp window', () => {
  it.each([
    [s(0), { ok: true }],
    [s(-300), { ok: true }],
    [s(300), { ok: true }],
    [s(-301), { ok: false, reason: 'stale' }],
    [s(301), { ok: false, reason: 'future' }],
    [undefined, { ok: false, reason: 'missing' }],
    ['', { ok: false, reason: 'missing' }],
    ['12abc', { ok: false, reason: 'not_a_number' }],
    ['-5', { ok: false, reason: 'not_a_number' }],
  ])('timestamp %s → %o', (header, decision) => {
    expect(decideTimestamp(header, NOW)).toEqual(decision);
  });
});

describe('Slack retry recognition', () => {
  it('gives one key per request, the same on every retry of it', () => {
    const click = { type: 'block_actions', user: { id: 'U1' }, container: { message_ts: '1.2' }, actions: [{ action_id: 'xg_disconnect', action_ts: '17.1' }] };
    expect(requestKey(click)).toBe('action:U1:xg_disconnect:17.1:1.2');
    expect(requestKey({ ...click, actions: [{ action_id: 'xg_disconnect', action_ts: '17.2' }] })).not.toBe(requestKey(click));
    expect(requestKey({ type: 'event_callback', event_id: 'Ev1' })).toBe('event:Ev1');
    expect(requestKey({ command: '/xero', trigger_id: 't1' })).toBe('command:t1');
    expect(requestKey({ type: 'url_verification' })).toBeUndefined();
    expect(requestKey(null)).toBeUndefined();
  });

  it('remembers a key for its time to live, and forgets the oldest beyond its size', () => {
    let now = 0;
    const seen = createRecentKeys({ ttlMs: 1_000, max: 2, now: () => now });
    expect(seen.firstTime('a')).toBe(true);
    expect(seen.firstTime('a')).toBe(false);
    now = 999;
    expect(seen.firstTime('a')).toBe(false);
    now = 1_000;
    expect(seen.firstTime('a')).toBe(true);
    expect(seen.firstTime('b')).toBe(true);
    expect(seen.firstTime('c')).toBe(true);
    expect(seen.size()).toBeLessThanOrEqual(2);
    expect(seen.firstTime('c')).toBe(false);
  });
});
