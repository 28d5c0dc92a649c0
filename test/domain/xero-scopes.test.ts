import { describe, expect, it } from 'vitest';
import { consentScopes, missingScopes, purposeOf } from '../../src/domain/xero-scopes.ts';
import { causeWording } from '../../src/domain/views/alert.ts';
import { isTenantProbeDue } from '../../src/domain/tenant-probe.ts';

describe('scopes a grant lacks', () => {
  it('names a needed scope the grant was not given; its broad alternative counts', () => {
    expect(missingScopes('openid offline_access accounting.invoices.read', { holdsRefreshToken: true })).toEqual(['accounting.settings.read']);
    expect(missingScopes('openid offline_access accounting.settings', { holdsRefreshToken: true })).toEqual([]);
    expect(missingScopes(['accounting.settings.read', 'offline_access'], { holdsRefreshToken: true })).toEqual([]);
  });

  it('knows nothing from an empty list (grants stored before scopes were kept): flags nothing', () => {
    expect(missingScopes('', { holdsRefreshToken: true })).toEqual([]);
    expect(missingScopes('  ', { holdsRefreshToken: false })).toEqual([]);
  });

  it('takes a refresh token in hand as offline_access at work', () => {
    expect(missingScopes('accounting.settings.read', { holdsRefreshToken: true })).toEqual([]);
    expect(missingScopes('accounting.settings.read', { holdsRefreshToken: false })).toEqual(['offline_access']);
  });

  it('says what a scope is for in plain words, and the alert names it so', () => {
    expect(purposeOf('accounting.settings.read')).toMatch(/^reading the organisation's settings/);
    expect(purposeOf('accounting.settings')).toBe(purposeOf('accounting.settings.read'));
    expect(purposeOf('accounting.invoices')).toBeUndefined();
    const wording = causeWording('permission_missing', 'accounting.settings.read');
    expect(wording.headline).toMatch(/^A permission is missing: reading the organisation's settings/);
    expect(wording.explanation).not.toContain('accounting.');
    // Without scopes to go by (Xero refused with insufficient_scope), the general words.
    expect(causeWording('permission_missing', null).headline).toBe('A permission is missing');
    // Other causes never mention scopes.
    expect(causeWording('token_revoked', 'accounting.settings.read').headline).toBe('Xero authorisation expired or revoked');
  });

  it('a consent asks for every needed scope, whatever the configured list leaves out', () => {
    expect(consentScopes(['openid', 'offline_access', 'accounting.settings.read'])).toEqual(['openid', 'offline_access', 'accounting.settings.read']);
    expect(consentScopes(['openid', 'offline_access', 'accounting.settings'])).toEqual(['openid', 'offline_access', 'accounting.settings']);
    expect(consentScopes(['openid', 'accounting.invoices'])).toEqual(['openid', 'accounting.invoices', 'offline_access', 'accounting.settings.read']);
  });
});

describe('when the tenant itself is asked', () => {
  const now = new Date('2026-11-23T08:00:00.000Z');
  const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
  const DAY = 24 * 3_600_000;
  it('on the first check after a (re)connect, once a day, on a change, and while the connection is not healthy', () => {
    expect(isTenantProbeDue({ state: 'connected', tenantProbedAt: null }, false, now, DAY)).toBe(true);
    expect(isTenantProbeDue({ state: 'connected', tenantProbedAt: hoursAgo(23) }, false, now, DAY)).toBe(false);
    expect(isTenantProbeDue({ state: 'connected', tenantProbedAt: hoursAgo(24) }, false, now, DAY)).toBe(true);
    expect(isTenantProbeDue({ state: 'connected', tenantProbedAt: hoursAgo(1) }, true, now, DAY)).toBe(true);
    for (const state of ['broken', 'degraded', 'reconnecting'] as const) expect(isTenantProbeDue({ state, tenantProbedAt: hoursAgo(1) }, false, now, DAY)).toBe(true);
  });
});
