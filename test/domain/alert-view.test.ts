// The alert view: steps with who and when, the next step, the buttons still worth showing.
import { describe, expect, it } from 'vitest';
import { toAlertView } from '../../src/domain/views/alert.ts';
import { encodePerson, type ConnectionFacts, type IncidentFacts } from '../../src/domain/views/facts.ts';
import { alertViewSchema } from '../../src/domain/views/model.ts';
import { plainText } from '../../src/domain/views/phrase.ts';

const at = (m: number) => new Date(Date.UTC(2026, 10, 23, 8, m));
const connection: ConnectionFacts = {
  id: 'c1', tenantName: 'Demo Company (NZ)', state: 'broken', stateSince: at(0), connectedByPlatform: 'slack',
  connectedByUserId: 'UCONN', connectedByName: 'Connie', lastGoodCheckAt: at(0), lastCause: 'token_revoked',
};
const incident = (over: Partial<IncidentFacts> = {}): IncidentFacts => ({
  id: 'i1', connectionId: 'c1', cause: 'token_revoked', status: 'open', openedAt: at(5), brokenSince: at(0), httpStatus: 400, xeroError: 'invalid_grant',
  disconnectedAt: null, disconnectedBy: null, confirmedXeroAt: null, confirmedXeroBy: null, reconnectRequestedAt: null, reconnectRequestedBy: null,
  reconnectedAt: null, reconnectedBy: null, resolvedAt: null, ...over,
});
const ada = encodePerson({ platform: 'slack', userId: 'UADMIN', name: 'Ada' });

describe('toAlertView: the next step follows the cause and what was done (DESIGN 2.1)', () => {
  it.each([
    ['revoked: one reconnect', incident(), 'reconnect', ['reconnect', 'sendLink'], 'reconnects with the link in their direct messages'],
    ['app removed in Xero: the link alone fixes it', incident({ cause: 'app_disconnected_in_xero' }), 'reconnect', ['reconnect', 'sendLink'], 'that link alone fixes it'],
    ['access lost: reconnect as Standard or Adviser, or hand it over', incident({ cause: 'access_lost' }), 'reconnect', ['reconnect', 'sendLink'], 'Standard or Adviser'],
    ['permission missing: approve every permission', incident({ cause: 'permission_missing' }), 'reconnect', ['reconnect', 'sendLink'], 'approves every permission'],
    ['unclear cause: the full reset', incident({ cause: 'xero_unavailable' }), 'full_reset', ['disconnect', 'reconnect', 'confirmXero', 'sendLink'], 'Click Disconnect'],
    ['after a reconnect that did not hold: the full reset', incident({ resetAdvised: true }), 'full_reset', ['disconnect', 'reconnect', 'confirmXero', 'sendLink'], 'did not hold'],
    ['reset begun: disconnected here', incident({ disconnectedAt: at(6), disconnectedBy: ada }), 'full_reset', ['reconnect', 'confirmXero', 'sendLink'], 'remove the app in Xero too'],
    ['reset begun: confirmed in Xero', incident({ disconnectedAt: at(6), disconnectedBy: ada, confirmedXeroAt: at(7), confirmedXeroBy: ada }), 'full_reset', ['reconnect', 'sendLink'], 'Next: click Reconnect'],
    ['operator problem', incident({ cause: 'app_credentials_invalid' }), 'operator', [], 'XERO_CLIENT_ID'],
    ['encryption key changed', incident({ cause: 'encryption_key_changed', httpStatus: null, xeroError: null }), 'reconnect', ['reconnect', 'sendLink'], 'add the previous key back'],
    ['resolved', incident({ status: 'resolved', resolvedAt: at(65), reconnectedAt: at(65), reconnectedBy: ada }), 'resolved', [], 're-sync from 2026-11-23 08:00 UTC'],
  ] as const)('%s', (_name, facts, path, buttons, nextStep) => {
    const view = toAlertView(facts, connection);
    expect(alertViewSchema.safeParse(view).success).toBe(true);
    expect(view.path).toBe(path);
    expect(view.buttons).toEqual(buttons);
    expect(view.nextStep).toContain(nextStep);
  });

  it('says stored tokens no key opens are an encryption key problem, not Xero credentials, with what to do', () => {
    const view = toAlertView(incident({ cause: 'encryption_key_changed', httpStatus: null, xeroError: null }), connection);
    const words = [view.headline, view.explanation, view.nextStep].join(' ');
    expect(words).toMatch(/encryption key changed/i);
    expect(words).toContain('new:<new key>,old:<previous key>');
    expect(words).toContain('click Reconnect: Connie gets a single-use link');
    expect(words).not.toMatch(/client id|secret|XERO_CLIENT/i);
    expect(view).not.toHaveProperty('xeroError');
    expect(view).not.toHaveProperty('httpStatus');
  });

  it('never offers "I disconnected in Xero too" where the app is already gone or access was lost', () => {
    for (const cause of ['app_disconnected_in_xero', 'access_lost', 'token_revoked', 'permission_missing'] as const) {
      expect(toAlertView(incident({ cause }), connection).buttons).not.toContain('confirmXero');
    }
  });

  it('names the connector as a person (a mention when rendered), not as a string', () => {
    const view = toAlertView(incident({ cause: 'app_disconnected_in_xero' }), connection);
    expect(view.next?.[0]).toEqual({ person: { platform: 'slack', userId: 'UCONN', name: 'Connie' } });
  });

  it('says what is in motion: who holds a reconnect link, since when, until when (newest per person)', () => {
    const linksSent = JSON.stringify([
      { to: { platform: 'slack', userId: 'UCONN', name: 'Connie' }, at: at(5).toISOString(), expiresAt: at(35).toISOString() },
      { to: { platform: 'slack', userId: 'UCONN', name: 'Connie' }, at: at(20).toISOString(), expiresAt: at(50).toISOString() },
      { to: { platform: 'slack', userId: 'UADMIN', name: 'Ada' }, at: at(21).toISOString(), expiresAt: at(51).toISOString() },
    ]);
    const view = toAlertView(incident({ linksSent }), connection);
    expect(view.linksSent.map((l) => [l.to.userId, l.at])).toEqual([
      ['UCONN', at(20).toISOString()],
      ['UADMIN', at(21).toISOString()],
    ]);
    expect(view.inMotion).toHaveLength(2);
    expect(plainText(view.inMotion[0]!)).toBe('Connie has a reconnect link by direct message (sent 2026-11-23 08:20 UTC; it works once, until 2026-11-23 08:50 UTC).');
    expect(toAlertView(incident({ linksSent, status: 'resolved', resolvedAt: at(60) }), connection).inMotion).toEqual([]);
  });

  it('shows each step done with who and when, and the time to recover once resolved', () => {
    const view = toAlertView(incident({ disconnectedAt: at(6), disconnectedBy: ada, status: 'resolved', resolvedAt: at(60), reconnectedAt: at(60), reconnectedBy: ada }), connection);
    expect(view.steps.disconnectedHere).toEqual({ by: { platform: 'slack', userId: 'UADMIN', name: 'Ada' }, at: at(6).toISOString() });
    expect(view.resolved).toEqual({ at: at(60).toISOString(), recoveredAfterMs: 60 * 60_000, by: { platform: 'slack', userId: 'UADMIN', name: 'Ada' } });
  });
});
