// Xero-wide trouble, end to end on Slack and Teams alike: 200 grants, each checked on schedule by the
// real scheduler and the real Xero adapter, all refused at once by Xero's token endpoint (nock fake).
// One "Xero may be having trouble" notice reaches each alert channel (the real Slack sender against
// the fake Slack Web API, the real Teams sender against the fake Bot Connector), no organisation is
// alerted, and after the re-check the notice names the ones that work again; what stays broken is
// then alerted, as one summary. The clock is the test's: no test waits on real time.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SETTINGS } from '../builders/monitor.ts';
import { startEngineWithChat, type Engine } from '../support/engine-with-chat.ts';

const INTERVAL = 60_000;
// XERO_TROUBLE_RECHECK_AFTER shortened to 3 minutes (default 10) to keep the test quick; the rule is the same.
const RECHECK = 3 * 60_000;
const GRANTS = 200;
const REFUSED = { status: 400, body: { error: 'invalid_grant' } };
const orgName = (u: number) => `Org ${String(u).padStart(3, '0')}`;

let e: Engine;

beforeEach(async () => {
  e = await startEngineWithChat({ checkIntervalMs: INTERVAL, settings: { trouble: { ...SETTINGS.trouble, recheckAfterMs: RECHECK } } });
  for (let u = 0; u < GRANTS; u += 1) await e.seed(`user-${u}`, orgName(u));
}, 120_000);

afterEach(async () => {
  await e.close();
});

/** Direct messages sent on Slack (each opened with conversations.open). */
const slackDms = () => e.slack.calls('conversations.open').length;

describe('Xero-wide trouble (real Xero adapter via nock; Slack and Teams through their fakes)', () => {
  it('200 grants refused at once, then recovering before the re-check: one notice per channel, no organisation alerted, the notice names them as recovered', async () => {
    e.fake.failSometimes('token', 1, REFUSED);
    await e.run(70);
    expect(await e.h.store.db.incident.count({ where: { cause: 'token_revoked' } })).toBe(GRANTS);
    expect(await e.h.store.db.incident.count({ where: { announcedAt: { not: null } } })).toBe(0);
    for (const channel of [e.slackChannel(), e.teamsChannel()]) {
      expect(channel.top).toHaveLength(1);
      expect(channel.top[0]).toContain('Xero may be having trouble');
      expect(channel.top[0]).toContain('200 organisations failed within minutes');
    }

    // Xero answers again; the held grants are asked again at their next checks.
    e.fake.failSometimes('token', 0, REFUSED);
    await e.run(RECHECK / 1_000 + (2 * INTERVAL) / 1_000, 5_000);

    expect(await e.h.store.db.incident.count({ where: { status: 'resolved' } })).toBe(GRANTS);
    expect(await e.h.store.db.incident.count({ where: { announcedAt: { not: null } } })).toBe(0);
    expect(await e.h.store.db.notice.count({ where: { kind: 'xero_trouble' } })).toBe(1);
    for (const channel of [e.slackChannel(), e.teamsChannel()]) {
      expect(channel.top).toHaveLength(1);
      expect(channel.top[0]).toContain('Xero trouble checked again');
      expect(channel.top[0]).toContain('200 organisations work again');
      expect(channel.top[0]).toContain('No one needs to reconnect');
      expect(channel.replies).toHaveLength(1);
      expect(channel.replies[0]).toContain('200 organisations work again');
    }
    expect(slackDms()).toBe(0);
    expect(e.connector.callsOf('createConversation')).toHaveLength(0);
  }, 240_000);

  it('200 refused, 190 recover and 10 stay revoked: after the re-check the 10 are alerted in one summary and the notice says 190 recovered', async () => {
    e.fake.failSometimes('token', 1, REFUSED);
    await e.run(70);
    for (const channel of [e.slackChannel(), e.teamsChannel()]) expect(channel.top).toHaveLength(1);
    e.fake.failSometimes('token', 0, REFUSED);
    const revoked = Array.from({ length: 10 }, (_, u) => u);
    for (const u of revoked) e.fake.revokeAllTokens(`user-${u}`);
    await e.run(RECHECK / 1_000 + (2 * INTERVAL) / 1_000, 5_000);

    expect(await e.h.store.db.incident.count({ where: { status: 'resolved' } })).toBe(190);
    const stillBroken = await e.h.store.db.incident.findMany({ where: { status: 'open' }, include: { connection: true } });
    expect(stillBroken.map((i) => i.connection.tenantName).sort()).toEqual(revoked.map(orgName));
    expect(stillBroken.every((i) => i.announcedAt !== null && i.alertKey?.startsWith('summary:'))).toBe(true);
    for (const channel of [e.slackChannel(), e.teamsChannel()]) {
      expect(channel.top).toHaveLength(2);
      expect(channel.top[0]).toContain('190 organisations work again');
      expect(channel.top[0]).toContain('The other 10 are still broken and are alerted now');
      expect(channel.replies).toHaveLength(1);
      expect(channel.top[1]).toContain('10 Xero connections broke');
      for (const u of revoked) expect(channel.top[1]).toContain(orgName(u));
    }
    // The person who connected them gets one direct message with one link for the ten.
    expect(slackDms()).toBe(1);
  }, 240_000);
});
