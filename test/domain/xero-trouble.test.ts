import { describe, expect, it } from 'vitest';
import { assessTrouble, isReleaseDue, isTroubleCause, joinsHold, TROUBLE_GATHER_MS, type RecentCheck, type RecentFailure, type TroubleRules } from '../../src/domain/xero-trouble.ts';

const NOW = new Date('2026-11-23T08:10:00.000Z');
const RULES: TroubleRules = { share: 0.5, minGrants: 20, windowMs: 5 * 60_000, recheckAfterMs: 10 * 60_000 };
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const failures = (count: number, atMs: (i: number) => number, prefix = 'g'): RecentFailure[] => Array.from({ length: count }, (_, i) => ({ grant: `${prefix}${i}`, at: ago(atMs(i)) }));
const checks = (count: number, atMs: (i: number) => number, prefix = 'g'): RecentCheck[] => Array.from({ length: count }, (_, i) => ({ grant: `${prefix}${i}`, at: ago(atMs(i)) }));

describe('assessTrouble', () => {
  it('holds when every grant asked since the burst began failed and there are enough of them', () => {
    const f = failures(200, () => 1_000);
    expect(assessTrouble(f, checks(200, () => 1_000), ago(1_000), NOW, RULES)).toEqual({ kind: 'hold', failing: 200, asked: 200 });
  });

  it('holds a fault that has reached only part of the grants: the share counts the grants asked since it began', () => {
    // 1,000 grants checked over the last 5 minutes; the fault began 40 s ago and failed each grant asked since.
    const healthy = checks(1_000, (i) => 40_000 + i * 200, 'ok');
    const failing = failures(30, (i) => i * 1_000);
    expect(assessTrouble(failing, [...healthy, ...checks(30, (i) => i * 1_000)], ago(1_000), NOW, RULES)).toEqual({ kind: 'hold', failing: 20, asked: 20 });
  });

  it('is not fooled by an unrelated revocation minutes before the burst', () => {
    const lone: RecentFailure = { grant: 'lone', at: ago(4 * 60_000) };
    const healthy = checks(1_000, (i) => 30_000 + i * 200, 'ok');
    const burst = failures(25, (i) => i * 1_000);
    expect(assessTrouble([lone, ...burst], [...healthy, ...checks(25, (i) => i * 1_000)], ago(1_000), NOW, RULES).kind).toBe('hold');
  });

  it('two of three grants failing is not Xero-wide (XERO_TROUBLE_MIN_GRANTS), once the short gather is over', () => {
    const f = failures(2, () => TROUBLE_GATHER_MS + 1_000);
    expect(assessTrouble(f, checks(3, () => TROUBLE_GATHER_MS + 1_000), ago(TROUBLE_GATHER_MS + 1_000), NOW, RULES)).toEqual({ kind: 'none' });
  });

  it('a fast burst that looks Xero-wide but is still small waits a few seconds for the rest', () => {
    const f = failures(6, (i) => i * 300);
    expect(assessTrouble(f, checks(6, (i) => i * 300), ago(1_500), NOW, RULES)).toEqual({ kind: 'gather', until: new Date(ago(1_500).getTime() + TROUBLE_GATHER_MS) });
  });

  it('a burst too slow to reach the minimum within the gather is alerted as it comes', () => {
    // Six failures over six seconds: twenty would take twenty seconds, far beyond the gather.
    const f = failures(6, (i) => i * 1_000);
    expect(assessTrouble(f, checks(6, (i) => i * 1_000), ago(500), NOW, RULES)).toEqual({ kind: 'none' });
  });

  it('a few breaks in the same moment are alerted at once', () => {
    expect(assessTrouble(failures(3, () => 0), checks(3, () => 0), NOW, NOW, RULES)).toEqual({ kind: 'none' });
  });

  it('a single revocation is alerted at once, with no gather', () => {
    expect(assessTrouble(failures(1, () => 500), checks(1, () => 500), ago(500), NOW, RULES)).toEqual({ kind: 'none' });
  });

  it('many failures among many more healthy grants are ordinary breaks', () => {
    const healthy = checks(2_000, (i) => i * 100, 'ok');
    const f = failures(30, (i) => i * 9_000);
    expect(assessTrouble(f, [...healthy, ...checks(30, (i) => i * 9_000)], ago(1_000), NOW, RULES)).toEqual({ kind: 'none' });
  });

  it('failures older than the window do not count', () => {
    const f = failures(200, () => 6 * 60_000);
    expect(assessTrouble(f, checks(200, () => 6 * 60_000), null, NOW, RULES)).toEqual({ kind: 'none' });
  });

  it('counts grants, not organisations: one grant of 50 organisations failing is one failure', () => {
    const f = Array.from({ length: 50 }, () => ({ grant: 'g-big', at: ago(1_000) }));
    expect(assessTrouble(f, [{ grant: 'g-big', at: ago(1_000) }], ago(TROUBLE_GATHER_MS + 1), NOW, RULES)).toEqual({ kind: 'none' });
  });
});

describe('the hold', () => {
  const opened = ago(11 * 60_000);
  it('takes new failures until its re-check time', () => {
    expect(joinsHold(ago(5 * 60_000), NOW, RULES)).toBe(true);
    expect(joinsHold(opened, NOW, RULES)).toBe(false);
  });

  it('is released once every held connection was checked again after the re-check time, or recovered, or is no longer watched', () => {
    const recheck = new Date(opened.getTime() + RULES.recheckAfterMs);
    const after = new Date(recheck.getTime() + 1);
    expect(isReleaseDue(opened, [{ resolved: false, lastCheckAt: after, watched: true }, { resolved: true, lastCheckAt: null, watched: true }, { resolved: false, lastCheckAt: null, watched: false }], NOW, RULES, 5 * 60_000)).toBe(true);
    expect(isReleaseDue(opened, [{ resolved: false, lastCheckAt: new Date(recheck.getTime() - 1), watched: true }], NOW, RULES, 5 * 60_000)).toBe(false);
  });

  it('is never released before the re-check time, and at the latest two intervals after it', () => {
    expect(isReleaseDue(ago(9 * 60_000), [], NOW, RULES, 5 * 60_000)).toBe(false);
    expect(isReleaseDue(ago(20 * 60_000), [{ resolved: false, lastCheckAt: null, watched: true }], NOW, RULES, 5 * 60_000)).toBe(true);
  });

  it('holds only causes a fault at Xero can fake', () => {
    expect(['token_revoked', 'app_disconnected_in_xero', 'access_lost', 'permission_missing'].every(isTroubleCause)).toBe(true);
    expect(['app_credentials_invalid', 'encryption_key_changed', 'xero_unavailable', 'rate_limited'].some(isTroubleCause)).toBe(false);
  });
});
