// The consent pages' words (src/domain/views/pages.ts) for every outcome, the same-organisation
// rule per organisation, and the links back into chat.
import { describe, expect, it } from 'vitest';
import { CONSENT_REFUSALS, linkFinished, matchReconnect, type ConsentOutcome } from '../../src/domain/consent.ts';
import { channelUrl } from '../../src/domain/chat-links.ts';
import { pageView, REFUSAL_CHAT } from '../../src/domain/views/pages.ts';

const where = { platform: 'slack' as const, back: { platform: 'slack' as const, externalId: 'C123', name: 'xero-alerts', teamId: 'T9' } };
const OUTCOMES: ConsentOutcome[] = [
  { kind: 'link_open', purpose: 'reconnect', names: ['Demo'], minutesLeft: 12, ...where },
  { kind: 'link_open', purpose: 'connect', names: [], minutesLeft: 1, ...where },
  { kind: 'link_closed', state: 'used', canRenew: true, ...where },
  { kind: 'link_closed', state: 'expired', canRenew: false, ...where },
  { kind: 'link_invalid', state: 'missing' },
  { kind: 'link_invalid', state: 'unknown' },
  { kind: 'fresh_sent', already: false, ...where },
  { kind: 'fresh_failed', ...where },
  { kind: 'sign_in', state: 'unknown', retry: false },
  { kind: 'sign_in', state: 'expired', retry: true },
  { kind: 'sign_in', state: 'in_progress', retry: false },
  { kind: 'bound', purpose: 'reconnect', bound: ['A', 'B'], notBound: [{ name: 'C', why: 'not_ticked' }], alertChannel: true, ...where },
  { kind: 'bound', purpose: 'connect', bound: ['A'], notBound: [], alertChannel: false, platform: 'teams' },
  { kind: 'wrong_organisation', authorised: ['Acme'], expected: ['Demo'], retry: true, ...where },
  { kind: 'wrong_organisation', authorised: ['Acme'], expected: ['Demo'], retry: false, ...where },
  ...CONSENT_REFUSALS.map((reason) => ({ kind: 'refused' as const, reason, retry: true, ...where })),
];

describe('consent pages', () => {
  it.each(OUTCOMES.map((o) => [`${o.kind}${'state' in o ? `:${o.state}` : ''}${'reason' in o ? `:${o.reason}` : ''}`, o] as const))('%s has a title, what happened, and no internal words', (_name, outcome) => {
    const view = pageView(outcome);
    expect(view.title.length).toBeGreaterThan(5);
    expect(view.text.length).toBeGreaterThan(10);
    const all = [view.title, view.text, view.next ?? '', ...view.lines, view.action?.label ?? ''].join(' ');
    expect(all).not.toMatch(/\b[45]\d\d\b|_|undefined|null|HTTP|GET |POST /);
  });

  it('every page that is not a plain dead end names a next step', () => {
    for (const outcome of OUTCOMES) {
      const view = pageView(outcome);
      if (outcome.kind === 'bound' && outcome.alertChannel) continue;
      expect(view.next ?? view.action, outcome.kind).toBeTruthy();
    }
  });

  it('without an alert channel the success page says how to choose one, per platform', () => {
    expect(pageView({ kind: 'bound', purpose: 'connect', bound: ['A'], notBound: [], alertChannel: false, platform: 'slack' }).next).toContain('/xero here');
    expect(pageView({ kind: 'bound', purpose: 'connect', bound: ['A'], notBound: [], alertChannel: false, platform: 'teams' }).next).toContain('@Xero Guard here');
  });

  it('the tier cap is said in plain words, on the page and in chat', () => {
    const page = pageView({ kind: 'refused', reason: 'connection_cap', retry: true, platform: 'slack' });
    expect(page.text).toContain('pricing tier');
    expect(page.next).toContain('The admins were told in chat.');
    expect(REFUSAL_CHAT.text('Ada', 'reconnect', ['Demo'], 'connection_cap')).toMatch(/^Ada tried to reconnect Demo at Xero\. .*pricing tier.*disconnect an organisation/);
  });
});

describe('matchReconnect: the same-organisation rule, per organisation', () => {
  const targets = [
    { id: 'c1', tenantId: 't1', tenantName: 'One' },
    { id: 'c2', tenantId: 't2', tenantName: 'Two' },
    { id: 'c3', tenantId: 't3', tenantName: 'Three' },
  ];
  it.each([
    [['t1', 't2', 't3'], ['c1', 'c2', 'c3'], [], []],
    [['t1', 't3'], ['c1', 'c3'], ['c2'], []],
    [['t9'], [], ['c1', 'c2', 'c3'], ['t9']],
    [['t2', 't9'], ['c2'], ['c1', 'c3'], ['t9']],
  ])('authorised %j binds %j, leaves %j, reports strays %j', (ticked, matched, notTicked, strays) => {
    const r = matchReconnect(targets, ticked.map((tenantId) => ({ tenantId, tenantName: tenantId })));
    expect(r.matched.map((m) => m.id)).toEqual(matched);
    expect(r.notTicked.map((m) => m.id)).toEqual(notTicked);
    expect(r.strays.map((s) => s.tenantId)).toEqual(strays);
  });

  it('a reconnect link is finished when nothing it was for is left; a connect link when anything bound', () => {
    expect(linkFinished('reconnect', 0, 3)).toBe(true);
    expect(linkFinished('reconnect', 1, 2)).toBe(false);
    expect(linkFinished('connect', 0, 1)).toBe(true);
  });
});

describe('links back into chat', () => {
  it('Slack: app_redirect with the team and the channel', () => {
    expect(channelUrl({ platform: 'slack', externalId: 'C123', teamId: 'T9' })).toBe('https://slack.com/app_redirect?team=T9&channel=C123');
  });
  it('Teams: a channel deep link, or a chat link for other conversations', () => {
    expect(channelUrl({ platform: 'teams', externalId: '19:abc@thread.tacv2;messageid=1', name: 'Alerts', tenantId: 'ten' })).toBe(
      'https://teams.microsoft.com/l/channel/19%3Aabc%40thread.tacv2/Alerts?tenantId=ten',
    );
    expect(channelUrl({ platform: 'teams', externalId: '19:chat@thread.v2' })).toBe('https://teams.microsoft.com/l/chat/19%3Achat%40thread.v2/conversations');
  });
});
