// The alert view: steps with who and when, the next step, the buttons still worth showing.
import { describe, expect, it } from 'vitest';
import { toAlertView } from '../../src/domain/views/alert.ts';
import { encodePerson, type ConnectionFacts, type IncidentFacts } from '../../src/domain/views/facts.ts';
import { alertViewSchema } from '../../src/domain/views/model.ts';

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

describe('toAlertView', () => {
  it.each([
    ['fresh', incident(), ['disconnect', 'reconnect', 'confirmXero'], 'Click Disconnect'],
    ['disconnected here', incident({ disconnectedAt: at(6), disconnectedBy: ada }), ['reconnect', 'confirmXero'], 'remove the app in Xero too'],
    ['confirmed in Xero', incident({ disconnectedAt: at(6), disconnectedBy: ada, confirmedXeroAt: at(7), confirmedXeroBy: ada }), ['reconnect'], 'Next: click Reconnect'],
    ['reconnect requested', incident({ reconnectRequestedAt: at(8), reconnectRequestedBy: ada }), ['disconnect', 'reconnect', 'confirmXero'], 'Waiting for Connie'],
    ['access lost', incident({ cause: 'access_lost' }), ['disconnect', 'reconnect', 'confirmXero'], 'Click Reconnect'],
    ['operator problem', incident({ cause: 'app_credentials_invalid' }), [], 'XERO_CLIENT_ID'],
    ['encryption key changed', incident({ cause: 'encryption_key_changed', httpStatus: null, xeroError: null }), ['reconnect'], 'add the previous key back'],
    ['resolved', incident({ status: 'resolved', resolvedAt: at(65), reconnectedAt: at(65), reconnectedBy: ada }), [], 're-sync from 2026-11-23 08:00 UTC'],
  ])('%s', (_name, facts, buttons, nextStep) => {
    const view = toAlertView(facts, connection);
    expect(alertViewSchema.safeParse(view).success).toBe(true);
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

  it('shows each step done with who and when, and the time to recover once resolved', () => {
    const view = toAlertView(incident({ disconnectedAt: at(6), disconnectedBy: ada, status: 'resolved', resolvedAt: at(60), reconnectedAt: at(60), reconnectedBy: ada }), connection);
    expect(view.steps.disconnectedHere).toEqual({ by: { platform: 'slack', userId: 'UADMIN', name: 'Ada' }, at: at(6).toISOString() });
    expect(view.resolved).toEqual({ at: at(60).toISOString(), recoveredAfterMs: 60 * 60_000, by: { platform: 'slack', userId: 'UADMIN', name: 'Ada' } });
  });
});
