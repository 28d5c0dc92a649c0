// The monitor engine (scheduler, handlers, outbox worker, the real Xero adapter against the nock
// fake) on the test's clock, delivering through the real Slack sender to the fake Slack Web API and
// the real Teams sender to the fake Bot Connector, with an alert channel on each. For stories that
// must be seen on both platforms while time is the test's to move (no test waits on real time).
import { randomUUID } from 'node:crypto';
import express from 'express';
import { createScheduler } from '../../src/adapters/scheduler/scheduler.ts';
import { createSlackSurface, type SlackSurface } from '../../src/adapters/slack/surface.ts';
import { createTeamsSurface, type TeamsSurface } from '../../src/adapters/teams/surface.ts';
import type { HandlerSettings } from '../../src/handlers/deps.ts';
import type { XeroSettings } from '../../src/adapters/xero/gateway.ts';
import { FakeXero, interceptXeroOnly, resetNock } from '../adapters/xero/fake-xero.ts';
import { buildAdapter, newKeys, seedGrant } from '../adapters/xero/harness.ts';
import { createMonitorHarness, silentLog, type MonitorHarness } from '../builders/monitor.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { BOT, CHANNEL_CONVERSATION, startFakeBotConnector, TENANT_ID, type FakeBotConnector } from '../fakes/bot-connector.ts';

export const SLACK_CHANNEL = 'C0ALERTS1';
/** Who the seeded grants were connected by (test/adapters/xero/harness.ts seedGrant). */
export const SEEDED_CONNECTOR = 'U_ADA';

export type Engine = {
  h: MonitorHarness;
  fake: FakeXero;
  slack: FakeSlack;
  connector: FakeBotConnector;
  /**
   * A grant of `user` holding `orgs` (one organisation when given a string), as an earlier consent
   * left it (its scopes not stored), due for a refresh at its first check unless `fresh`.
   */
  seed(user: string, orgs: string | string[], options?: { fresh?: boolean }): Promise<{ grantId: string; connectionIds: string[] }>;
  /** Runs the scheduler (checks and monitor ticks) and the outbox for `seconds` of the test's clock. */
  run(seconds: number, stepMs?: number): Promise<void>;
  /** The Slack alert channel: its top-level messages (text and blocks, as they read now) and the replies under the first. */
  slackChannel(): { top: string[]; replies: string[] };
  /** The Teams alert channel: its top-level cards (as they read now) and the replies in the first one's thread. */
  teamsChannel(): { top: string[]; replies: string[] };
  close(): Promise<void>;
};

export async function startEngineWithChat(options: { checkIntervalMs: number; settings?: Partial<HandlerSettings>; xero?: Partial<XeroSettings> }): Promise<Engine> {
  interceptXeroOnly();
  const fake = await FakeXero.start();
  const slack = await startFakeSlack();
  const connector = await startFakeBotConnector();
  const keys = newKeys();
  let slackSurface: SlackSurface | undefined;
  let teamsSurface: TeamsSurface | undefined;
  // The worker needs the surfaces' senders and the surfaces need the handlers: forward once built.
  const h = await createMonitorHarness('sqlite', {
    settings: { checkIntervalMs: options.checkIntervalMs, ...options.settings },
    admins: { slack: ['U_ADMIN'], teams: [] },
    build: (database, clock) => {
      const { adapter, links } = buildAdapter(database.db, fake, keys, { clock, log: silentLog, settings: { timeoutMs: 5_000, ...options.xero } });
      return { xero: adapter, links };
    },
    worker: {
      senders: {
        slack: { platform: 'slack', deliver: (d) => slackSurface!.sender.deliver(d), findDelivered: (d) => slackSurface!.sender.findDelivered(d) },
        teams: { platform: 'teams', deliver: (d) => teamsSurface!.sender.deliver(d) },
      },
    },
  });
  fake.now = () => h.clock.now().getTime();
  slackSurface = createSlackSurface({
    config: { SLACK_BOT_TOKEN: 'xoxb-engine', SLACK_SIGNING_SECRET: 'engine-signing-secret', SLACK_APP_TOKEN: undefined, SLACK_API_URL: slack.apiUrl },
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
    targets: h.store.targets,
  });
  await h.store.targets.makeAlertChannel({ platform: 'slack', externalId: SLACK_CHANNEL, name: 'xero-alerts' });
  await h.store.targets.makeAlertChannel({
    platform: 'teams',
    externalId: CHANNEL_CONVERSATION,
    name: 'Xero alerts',
    conversationReference: JSON.stringify({ channelId: 'msteams', serviceUrl: connector.serviceUrl, bot: BOT, conversation: { id: CHANNEL_CONVERSATION, conversationType: 'channel', tenantId: TENANT_ID, isGroup: true } }),
  });
  const scheduler = createScheduler({ store: h.store, xero: h.deps.xero, handlers: h.handlers, clock: h.clock, log: silentLog, checkIntervalMs: options.checkIntervalMs, tickMs: 1_000, owner: 'engine' });

  return {
    h,
    fake,
    slack,
    connector,
    async seed(user, orgs, seedOptions = {}) {
      const names = typeof orgs === 'string' ? [orgs] : orgs;
      const seeded = await seedGrant(h.store.db, fake, keys, user, names.map((tenantName) => ({ tenantId: randomUUID(), tenantName })), {
        accessExpiresAt: new Date(h.clock.now().getTime() + (seedOptions.fresh ? 25 : 2) * 60_000),
        refreshedAt: h.clock.now(),
      });
      // Due now on the test's clock (the rows were stamped with the wall clock).
      await h.store.db.connection.updateMany({ where: { id: { in: seeded.connectionIds } }, data: { nextCheckAt: h.clock.now(), stateSince: h.clock.now() } });
      return { grantId: seeded.grantId, connectionIds: seeded.connectionIds };
    },
    async run(seconds, stepMs = 1_000) {
      for (let t = 0; t < seconds * 1_000; t += stepMs) {
        const tick = await scheduler.tick();
        await tick.done;
        await h.worker.drain();
        h.clock.advance(stepMs);
      }
    },
    slackChannel() {
      const all = slack.messages(SLACK_CHANNEL);
      const top = all.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
      const text = (m: (typeof all)[number]) => `${m.text ?? ''} ${JSON.stringify(m.blocks ?? [])}`;
      return { top: top.map(text), replies: top[0] ? slack.replies(SLACK_CHANNEL, top[0].ts).filter((r) => r.ts !== top[0]!.ts).map(text) : [] };
    },
    teamsChannel() {
      // A channel thread is its own conversation in Teams: "<channel>;messageid=<the thread's first message>".
      const inChannel = [...connector.activities.values()].filter((a) => a.conversationId.startsWith(CHANNEL_CONVERSATION));
      const top = inChannel.filter((a) => a.conversationId === CHANNEL_CONVERSATION && !a.replyToId);
      const inThread = (a: (typeof inChannel)[number], parent: string) => a.replyToId === parent || a.conversationId === `${CHANNEL_CONVERSATION};messageid=${parent}`;
      const text = (a: (typeof inChannel)[number]) => JSON.stringify(a.body?.attachments?.[0]?.content ?? a.body?.text ?? '');
      return { top: top.map(text), replies: top[0] ? inChannel.filter((a) => a !== top[0] && inThread(a, top[0]!.id)).map(text) : [] };
    },
    async close() {
      await scheduler.stop();
      resetNock();
      await slackSurface!.stop();
      await teamsSurface!.stop();
      await slack.close();
      await connector.close();
      await h.close();
    },
  };
}
