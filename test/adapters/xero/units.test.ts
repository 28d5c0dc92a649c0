// Pure parts of the Xero adapter: the rate budget, the token cipher, the refresh decision.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RateBudget } from '../../../src/adapters/xero/rate-budget.ts';
import { createTokenCipher, keyIdOf } from '../../../src/adapters/xero/token-cipher.ts';
import { decideRefresh } from '../../../src/domain/refresh.ts';
import { legacyEnvelope } from './harness.ts';

describe('RateBudget', () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('allows 60 calls a minute per tenant and refuses the 61st with the wait until the window frees', async () => {
    const c = clock();
    const budget = new RateBudget({ now: c.now });
    for (let i = 0; i < 60; i++) {
      const slot = await budget.acquire('t1', 0);
      expect(slot.ok).toBe(true);
      if (slot.ok) slot.value();
      c.advance(500);
    }
    const refused = await budget.acquire('t1', 0);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.error.limit).toBe('tenant_minute');
    expect(!refused.ok && refused.error.retryAfterMs).toBeGreaterThan(0);
    // The first call's second (30 s ago) leaves the 61-second window in 31 s.
    expect(!refused.ok && refused.error.retryAfterMs).toBe(31_000);
    // Another tenant has its own budget.
    expect((await budget.acquire('t2', 0)).ok).toBe(true);
    c.advance(31_000);
    expect((await budget.acquire('t1', 0)).ok).toBe(true);
  });

  it('counts a tenant\'s minute afresh once its calls are older than the window, many times over', async () => {
    const c = clock();
    const budget = new RateBudget({ now: c.now });
    for (let minute = 0; minute < 5; minute++) {
      for (let i = 0; i < 60; i++) {
        const slot = await budget.acquire('t1', 0);
        expect(slot.ok).toBe(true);
        if (slot.ok) slot.value();
        c.advance(100);
      }
      expect((await budget.acquire('t1', 0)).ok).toBe(false);
      expect(budget.snapshot('t1').minute).toBe(60);
      c.advance(61_000);
      expect(budget.snapshot('t1').minute).toBe(0);
    }
  });

  it('holds a sixth concurrent call for a tenant until one of the five finishes', async () => {
    const budget = new RateBudget();
    const slots = [];
    for (let i = 0; i < 5; i++) {
      const s = await budget.acquire('t1', 0);
      if (s.ok) slots.push(s.value);
    }
    expect(slots).toHaveLength(5);
    expect((await budget.acquire('t1', 0)).ok).toBe(false);
    const waiting = budget.acquire('t1', 5_000);
    slots[0]!();
    const sixth = await waiting;
    expect(sixth.ok).toBe(true);
    expect(budget.snapshot('t1').inFlight).toBe(5);
  });

  it('takes Xero\'s remaining counts from the headers when they are lower than ours', async () => {
    const c = clock();
    const budget = new RateBudget({ now: c.now });
    budget.observe('t1', { 'x-minlimit-remaining': '2', 'x-daylimit-remaining': '10', 'x-appminlimit-remaining': '9000' });
    expect(budget.snapshot('t1')).toMatchObject({ minute: 58, day: 4_990 });
    expect(budget.appCount()).toBe(900); // 1,000 of Xero's 10,000, scaled to our 9,000
    expect((await budget.acquire('t1', 0)).ok).toBe(true);
    expect((await budget.acquire('t1', 0)).ok).toBe(true);
    expect((await budget.acquire('t1', 0)).ok).toBe(false);
  });

  it('never lets more than the app limit into any 60-second span, wherever the span starts', async () => {
    const c = clock();
    c.advance(999); // start just before a second ends: the worst case for whole-second buckets
    const budget = new RateBudget({ now: c.now, limits: { appPerMinute: 100, tenantPerMinute: 1_000_000, tenantPerDay: 1_000_000 } });
    const times: number[] = [];
    // Three minutes of callers who take a slot the moment one is free, polling every 137 ms.
    while (times.length === 0 || c.now() - times[0]! < 180_000) {
      const slot = await budget.acquire(null, 0);
      if (slot.ok) {
        slot.value();
        times.push(c.now());
      } else c.advance(137);
    }
    let busiest = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 60_000) j++;
      busiest = Math.max(busiest, i - j + 1);
    }
    expect(busiest).toBe(100);
    expect(times.length).toBeGreaterThanOrEqual(280); // and the budget is still used, not starved
  });

  it('stops the app-wide budget at its limit for tenantless calls too', async () => {
    const budget = new RateBudget({ limits: { appPerMinute: 3 } });
    for (let i = 0; i < 3; i++) {
      expect(budget.appSpare()).toBe(3 - i);
      expect((await budget.acquire(null, 0)).ok).toBe(true);
    }
    expect(budget.appSpare()).toBe(0);
    const refused = await budget.acquire(null, 0);
    expect(!refused.ok && refused.error.limit).toBe('app_minute');
  });

  it('forgets the tenants idle for a day once it tracks many, so memory follows the tenants in use', async () => {
    const c = clock();
    const budget = new RateBudget({ now: c.now, limits: { appPerMinute: 1_000_000 } });
    for (let i = 0; i < 20_000; i++) {
      const slot = await budget.acquire(`t${i}`, 0);
      if (slot.ok) slot.value();
    }
    expect(budget.trackedTenants()).toBe(20_000);
    c.advance(24 * 3_600_000 + 1_000);
    const slot = await budget.acquire('in use', 0);
    expect(slot.ok).toBe(true);
    if (slot.ok) slot.value();
    expect(budget.trackedTenants()).toBe(1);
  });

  it('pauses a tenant for Retry-After on a 429, and the whole app for an app-wide problem', async () => {
    const c = clock();
    const budget = new RateBudget({ now: c.now });
    expect(budget.block('t1', 'minute', 20_000)).toBe(20_000);
    const refused = await budget.acquire('t1', 0);
    expect(!refused.ok && refused.error).toEqual({ limit: 'blocked', retryAfterMs: 20_000 });
    expect((await budget.acquire('t2', 0)).ok).toBe(true);
    budget.block('t2', 'appminute', undefined);
    expect((await budget.acquire('t3', 0)).ok).toBe(false);
    c.advance(20_001);
    expect((await budget.acquire('t1', 0)).ok).toBe(true);
  });
});

describe('token cipher', () => {
  const k1 = { key: randomBytes(32) };
  const k2 = { key: randomBytes(32) };
  const id1 = keyIdOf(k1.key);
  const id2 = keyIdOf(k2.key);

  it('round-trips, never repeats a ciphertext, and carries the key id', () => {
    const cipher = createTokenCipher([k1]);
    const a = cipher.encrypt('refresh-token-value');
    const b = cipher.encrypt('refresh-token-value');
    expect(a).not.toBe(b);
    expect(a.startsWith(`v1.${id1}.`)).toBe(true);
    expect(a).not.toContain('refresh-token-value');
    expect(cipher.decrypt(a)).toEqual({ ok: true, value: 'refresh-token-value' });
  });

  it('names a key by its material: two bare keys differ, and neither place nor label changes an id', () => {
    expect(id1).toMatch(/^[0-9a-f]{12}$/);
    expect(id1).not.toBe(id2);
    expect(createTokenCipher([k1]).currentKeyId).toBe(id1);
    expect(createTokenCipher([{ ...k1, label: 'old' }, k2]).currentKeyId).toBe(id1);
    expect(createTokenCipher([k2, { ...k1, label: 'new' }]).currentKeyId).toBe(id2);
    expect(keyIdOf(Buffer.from(k1.key))).toBe(id1);
  });

  it('decrypts old envelopes after a key rotation and encrypts with the new key', () => {
    const old = createTokenCipher([k1]).encrypt('secret');
    const rotated = createTokenCipher([{ ...k2, label: 'new' }, { ...k1, label: 'old' }]);
    expect(rotated.decrypt(old)).toEqual({ ok: true, value: 'secret' });
    expect(rotated.isCurrent(old)).toBe(false);
    const moved = rotated.encrypt('secret');
    expect(moved.startsWith(`v1.${id2}.`)).toBe(true);
    expect(rotated.isCurrent(moved)).toBe(true);
    // Once every token moved, the new key alone reads them.
    expect(createTokenCipher([k2]).decrypt(moved)).toEqual({ ok: true, value: 'secret' });
  });

  it.each([
    ['the positional id of a bare key', 'k1'],
    ['an operator label', 'old'],
  ])('opens envelopes written before key ids were fingerprints (%s), whatever the key order', (_name, legacyId) => {
    const envelope = legacyEnvelope(k1.key, legacyId, 'legacy-secret');
    for (const keys of [[k1], [k2, k1], [{ ...k1, label: 'k2' }, k2]]) {
      const cipher = createTokenCipher(keys);
      expect(cipher.decrypt(envelope)).toEqual({ ok: true, value: 'legacy-secret' });
    }
    expect(createTokenCipher([k1]).isCurrent(envelope)).toBe(false);
    const unknown = createTokenCipher([k2]).decrypt(envelope);
    expect(!unknown.ok && unknown.error).toEqual({ code: 'unknown_key', keyId: legacyId });
  });

  it.each([
    ['a key that is no longer configured', () => createTokenCipher([{ key: randomBytes(32) }]).encrypt('secret'), 'unknown_key'],
    ['an edited ciphertext', (e: string) => e.slice(0, -2) + (e.endsWith('AA') ? 'BB' : 'AA'), 'tampered'],
    ['a key id swapped to another known key', (e: string) => e.replace(`v1.${id1}.`, `v1.${id2}.`), 'tampered'],
    ['garbage', () => 'not-an-envelope', 'malformed'],
  ])('refuses %s', (_name, mangle, code) => {
    const cipher = createTokenCipher([k1, k2]);
    const result = cipher.decrypt(mangle(cipher.encrypt('secret')));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe(code);
  });
});

describe('decideRefresh', () => {
  const now = new Date('2026-05-01T12:00:00Z');
  const at = (minutes: number) => new Date(now.getTime() + minutes * 60_000);
  const base = { accessTokenExpiresAt: at(20), refreshedAt: at(-10), createdAt: at(-1000), refreshFailures: 0, hasRefreshToken: true };

  it.each([
    ['a fresh token', {}, { refresh: false, reason: 'fresh' }],
    ['under 5 minutes left', { accessTokenExpiresAt: at(4) }, { refresh: true, reason: 'expiring' }],
    ['an expired token', { accessTokenExpiresAt: at(-1) }, { refresh: true, reason: 'expiring' }],
    ['no access token', { accessTokenExpiresAt: null }, { refresh: true, reason: 'no_access_token' }],
    ['a lost refresh answer earlier', { refreshFailures: 1 }, { refresh: true, reason: 'retry_after_failure' }],
    ['a grant idle for a day', { refreshedAt: at(-24 * 60) }, { refresh: true, reason: 'idle_daily' }],
    ['no refresh token', { hasRefreshToken: false, accessTokenExpiresAt: at(-1) }, { refresh: false, reason: 'no_refresh_token' }],
  ])('%s', (_name, change, expected) => {
    expect(decideRefresh({ ...base, ...change }, now)).toEqual(expected);
  });
});
