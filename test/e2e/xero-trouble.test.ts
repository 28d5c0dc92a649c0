// Xero-wide trouble, end to end on Slack and Teams alike: 200 grants, each checked on schedule by the
// real scheduler and the real Xero adapter, all refused at once by Xero's token endpoint (nock fake).
// One "Xero may be having trouble" notice reaches each alert channel (the real Slack sender against
// the fake Slack Web API, the real Teams sender against the fake Bot Connector), no organisation is
// alerted, and after the re-check the notice names the ones that work again; what stays broken is
// then alerted, as one summary. The clock is the test's: no test waits on real time.
import { randomUUID } from 'node:crypto';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createScheduler } from '../../src/adapters/scheduler/scheduler.ts';
import { createSlackSurface, type SlackSurface } from '../../src/adapters/slack/surface.ts';
import { createTeamsSurface, type TeamsSurface } from '../../src/adapters/teams/surface.ts';
import { FakeXero, interceptXeroOnly, resetNock } from '../adapters/xero/fake-xero.ts';
import { buildAdapter, newKeys, seedGrant } from '../adapters/xero/harness.ts';
import { createMonitorHarness, SETTINGS, silentLog, type MonitorHarness } from '../builders/monitor.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { BOT, CHANNEL_CONVERSATION, startFakeBotConnector, TENANT_ID, type FakeBotConnector } from '../fakes/bot-connector.ts';

const INTERVAL = 60_000;
// XERO_TROUBLE_RECHECK_AFTER shortened to 3 minutes (default 10) to keep the test quick; the rule is the same.
const RECHECK = 3 * 60_000;
const SLACK_CHANNEL = 'C0ALERTS1';
const GRANTS = 200;
const REFUSED = { status: 400, body: { error: 'invalid_grant' } };

let fake: FakeXero;
let slack: FakeSlack;
let connector: FakeBotConnector;
let slackSurface: SlackSurface;
let teamsSurface: TeamsSurface;
let h: MonitorHarness;
let users: string[];

beforeEach(async () => {
  interceptXeroOnly();
  fake = await FakeXero.start();
  slack = await startFakeSlack();
  connector = await startFakeBotConnector();
  const keys = newKeys();
  // The worker needs the surfaces' senders and the surfaces need the handlers: forward once built.
  h = await createMonitorHarness('sqlite', {
    settings: { checkIntervalMs: INTERVAL, trouble: { ...SETTINGS.trouble, recheckAfterMs: RECHECK } },
    admins: { slack: ['U_ADMIN'], teams: [] },
    build: (database, clock) => {
      const { adapter } = buildAdapter(database.db, fake, keys, { clock, log: silentLog, settings: { timeoutMs: 5_000 } });
      return { xero: adapter, links: adapter.linkIssuer };
    },
    worker: {
      senders: {
        slack: { platform: 'slack', deliver: (d) => slackSurface.sender.deliver(d), findDelivered: (d) => slackSurface.sender.findDelivered(d) },
        teams: { platform: 'teams', deliver: (d) => teamsSurface.sender.deliver(d) },
      },
    },
  });
  fake.now = () => h.clock.now().getTime();
  slackSurface = createSlackSurface({
    config: { SLACK_BOT_TOKEN: 'xoxb-trouble', SLACK_SIGNING_SECRET: 'trouble-signing-secret', SLACK_APP_TOKEN: undefined, SLACK_API_URL: slack.apiUrl },
    handlers: h.handlers,
    logger: silentLog,
    app: express(),
  });
  await slackSurface.start();
  teamsSurface = createTeamsSurface({
    config: { MicrosoftAppId: undefined, MicrosoftAppPassword: undefined, MicrosoftAppTenantId: undefined, MicrosoftAppType: 'MultiTenant' },
    handlers: h.handlers,
    logger: silentLog,
    app: express(),
    db: h.database.db,
  });
  await h.store.targets.makeAlertChannel({ platform: 'slack', externalId: SLACK_CHANNEL, name: 'xero-alerts' });
  await h.store.targets.makeAlertChannel({
    platform: 'teams',
    externalId: CHANNEL_CONVERSATION,
    name: 'Xero alerts',
    conversationReference: JSON.stringify({ channelId: 'msteams', serviceUrl: connector.serviceUrl, bot: BOT, conversation: { id: CHANNEL_CONVERSATION, conversationType: 'channel', tenantId: TENANT_ID, isGroup: true } }),
  });
  users = [];
  for (let u = 0; u < GRANTS; u += 1) {
    const user = `user-${u}`;
    users.push(user);
    const seeded = await seedGrant(h.store.db, fake, keys, user, [{ tenantId: randomUUID(), tenantName: `Org ${String(u).padStart(3, '0')}` }], {
      // Due for a refresh at the first check, so each grant asks the token endpoint.
      accessExpiresAt: new Date(h.clock.now().getTime() + 2 * 60_000),
      refreshedAt: h.clock.now(),
    });
    await h.store.db.connection.updateMany({ where: { id: { in: seeded.connectionIds } }, data: { nextCheckAt: h.clock.now(), stateSince: h.clock.now() } });
  }
}, 120_000);

afterEach(async () => {
  resetNock();
  await slackSurface.stop();
  await teamsSurface.stop();
  await slack.close();
  await connector.close();
  await h.close();
});

const scheduler = () => createScheduler({ store: h.store, xero: h.deps.xero, handlers: h.handlers, clock: h.clock, log: silentLog, checkIntervalMs: INTERVAL, tickMs: 1_000, owner: 'trouble' });

/** Runs the scheduler (checks and monitor ticks) and the outbox for `seconds` of the test's clock. */
async function run(s: ReturnType<typeof scheduler>, seconds: number, stepMs = 1_000) {
  for (let t = 0; t < seconds * 1_000; t += stepMs) {
    const tick = await s.tick();
    await tick.done;
    await h.worker.drain();
    h.clock.advance(stepMs);
  }
}

/** What each alert channel shows: its top-level messages (as they read now) and the thread replies under the first. */
function slackChannel() {
  const all = slack.messages(SLACK_CHANNEL);
  const top = all.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
  const text = (m: (typeof all)[number]) => `${m.text ?? ''} ${JSON.stringify(m.blocks ?? [])}`;
  return { top: top.map(text), replies: top[0] ? slack.replies(SLACK_CHANNEL, top[0].ts).filter((r) => r.ts !== top[0]!.ts).map(text) : [] };
}

function teamsChannel() {
  // A channel thread is its own conversation in Teams: "<channel>;messageid=<the thread's first message>".
  const inChannel = [...connector.activities.values()].filter((a) => a.conversationId.startsWith(CHANNEL_CONVERSATION));
  const top = inChannel.filter((a) => a.conversationId === CHANNEL_CONVERSATION && !a.replyToId);
  const inThread = (a: (typeof inChannel)[number], parent: string) => a.replyToId === parent || a.conversationId === `${CHANNEL_CONVERSATION};messageid=${parent}`;
  const text = (a: (typeof inChannel)[number]) => JSON.stringify(a.body?.attachments?.[0]?.content ?? a.body?.text ?? '');
  return { top: top.map(text), replies: top[0] ? inChannel.filter((a) => a !== top[0] && inThread(a, top[0]!.id)).map(text) : [] };
}

/** Direct messages sent on Slack (a post to a user's DM, opened with conversations.open). */
const slackDms = () => slack.calls('conversations.open').length;

describe('Xero-wide trouble (real Xero adapter via nock; Slack and Teams through their fakes)', () => {
  it('200 grants refused at once, then recovering before the re-check: one notice per channel, no organisation alerted, the notice names them as recovered', async () => {
    const s = scheduler();
    fake.failSometimes('token', 1, REFUSED);
    await run(s, 70);
    expect(await h.store.db.incident.count({ where: { cause: 'token_revoked' } })).toBe(GRANTS);
    expect(await h.store.db.incident.count({ where: { announcedAt: { not: null } } })).toBe(0);
    for (const channel of [slackChannel(), teamsChannel()]) {
      expect(channel.top).toHaveLength(1);
      expect(channel.top[0]).toContain('Xero may be having trouble');
      expect(channel.top[0]).toContain('200 organisations failed within minutes');
    }

    // Xero answers again; the held grants are asked again at their next checks.
    fake.failSometimes('token', 0, REFUSED);
    await run(s, RECHECK / 1_000 + 2 * INTERVAL / 1_000, 5_000);

    expect(await h.store.db.incident.count({ where: { status: 'resolved' } })).toBe(GRANTS);
    expect(await h.store.db.incident.count({ where: { announcedAt: { not: null } } })).toBe(0);
    expect(await h.store.db.notice.count({ where: { kind: 'xero_trouble' } })).toBe(1);
    for (const channel of [slackChannel(), teamsChannel()]) {
      expect(channel.top).toHaveLength(1);
      expect(channel.top[0]).toContain('Xero trouble checked again');
      expect(channel.top[0]).toContain('200 organisations work again');
      expect(channel.top[0]).toContain('No one needs to reconnect');
      expect(channel.replies).toHaveLength(1);
      expect(channel.replies[0]).toContain('200 organisations work again');
    }
    expect(slackDms()).toBe(0);
    expect(connector.callsOf('createConversation')).toHaveLength(0);
  }, 240_000);

  it('200 refused, 190 recover and 10 stay revoked: after the re-check the 10 are alerted in one summary and the notice says 190 recovered', async () => {
    const s = scheduler();
    fake.failSometimes('token', 1, REFUSED);
    await run(s, 70);
    for (const channel of [slackChannel(), teamsChannel()]) expect(channel.top).toHaveLength(1);
    fake.failSometimes('token', 0, REFUSED);
    const revoked = users.slice(0, 10);
    for (const user of revoked) fake.revokeAllTokens(user);
    await run(s, RECHECK / 1_000 + 2 * INTERVAL / 1_000, 5_000);

    expect(await h.store.db.incident.count({ where: { status: 'resolved' } })).toBe(190);
    const stillBroken = await h.store.db.incident.findMany({ where: { status: 'open' }, include: { connection: true } });
    expect(stillBroken.map((i) => i.connection.tenantName).sort()).toEqual(revoked.map((u) => `Org ${u.slice(5).padStart(3, '0')}`));
    expect(stillBroken.every((i) => i.announcedAt !== null && i.alertKey?.startsWith('summary:'))).toBe(true);
    for (const channel of [slackChannel(), teamsChannel()]) {
      expect(channel.top).toHaveLength(2);
      expect(channel.top[0]).toContain('190 organisations work again');
      expect(channel.top[0]).toContain('The other 10 are still broken and are alerted now');
      expect(channel.replies).toHaveLength(1);
      expect(channel.top[1]).toContain('10 Xero connections broke');
      for (const user of revoked) expect(channel.top[1]).toContain(`Org ${user.slice(5).padStart(3, '0')}`);
    }
    // The person who connected them gets one direct message with one link for the ten.
    expect(slackDms()).toBe(1);
  }, 240_000);
});
