// Issue 5, item 9: the whole story through HTTP only. The service is started as `npm start`
// starts it (loadConfig + startService, a SQLite file), with Xero faked by nock in this process
// and Slack by the fake Web API on 127.0.0.1. Everything the test does is an HTTP request a
// person's browser or Slack would make; everything it checks is what Slack was sent.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startService, type RunningService } from '../../src/service.ts';
import { ACTION_IDS } from '../../src/domain/actions.ts';
import { FakeXero, interceptXeroOnly, ORGS, resetNock } from '../adapters/xero/fake-xero.ts';
import { captureLogs, type CapturedLogs } from '../support/log-capture.ts';
import { freePort } from '../support/service-process.ts';
import { FORM, blockActionsBody, blockActionsPayload, postSigned, slashCommandBody, startFakeSlack, type FakeSlack, type SlackCall, type StoredMessage } from '../fakes/slack-api.ts';

const SECRET = 'story-signing-secret';
const BOT_TOKEN = `xoxb-story-${randomBytes(6).toString('hex')}`;
const ALICE = 'U0ALICE01'; // admin; she connects the organisation, so she is its connector
const CHANNEL = 'C0ALERTS1';
const XERO_USER = 'b7f3a1c2-0000-4000-8000-00000000a11c';

let slack: FakeSlack;
let xero: FakeXero;
let service: RunningService;
let base: string;
let events: string;
let logs: CapturedLogs;

beforeAll(async () => {
  interceptXeroOnly();
  xero = await FakeXero.start();
  xero.user(XERO_USER, 'Alice Admin', 'alice@example.com');
  slack = await startFakeSlack();
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'xg-slack-story-'));
  const loaded = loadConfig({
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: `file:${path.join(dir, 'data', 'guard.db')}`,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    XERO_CLIENT_ID: xero.clientId,
    XERO_CLIENT_SECRET: xero.clientSecret,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.apiUrl,
    SLACK_ADMIN_USER_IDS: ALICE,
    CHECK_INTERVAL: '2s',
    GROUP_WINDOW: '1s',
    LOG_LEVEL: 'debug',
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  logs = captureLogs('debug');
  service = await startService(loaded.config, { logger: logs.logger });
  base = `http://127.0.0.1:${service.port}`;
  events = `${base}/slack/events`;
});

afterAll(async () => {
  await service?.stop();
  await slack?.close();
  resetNock();
});

/** A slash command; resolves with what came back through its own response_url. */
async function slash(user: string, text: string): Promise<SlackCall> {
  const responseUrl = slack.responseUrl();
  const res = await postSigned(events, slashCommandBody({ text, user_id: user, channel_id: CHANNEL, channel_name: 'xero-alerts', response_url: responseUrl }), FORM, { secret: SECRET });
  expect(res.status).toBe(200);
  return slack.waitFor((c) => c.method === 'response_url' && c.path === new URL(responseUrl).pathname, 15_000);
}

async function click(message: StoredMessage, user: string, actionId: string): Promise<void> {
  const payload = blockActionsPayload({ user_id: user, action_id: actionId, channel_id: message.channel, message_ts: message.ts, response_url: slack.responseUrl('actions'), message: { text: message.text ?? '', blocks: message.blocks ?? [] } });
  const res = await postSigned(events, blockActionsBody(payload), FORM, { secret: SECRET });
  expect(res.status).toBe(200);
}

/** The URL of the first link button in a message. */
function linkIn(blocks: unknown): string {
  const match = /"url":"(http[^"]+)"/.exec(JSON.stringify(blocks ?? []));
  if (!match) throw new Error(`no link button in ${JSON.stringify(blocks)}`);
  return match[1]!;
}

/** What a browser does with a single-use link: the redirect to Xero, Xero's consent, the callback. */
async function consentThrough(link: string): Promise<string> {
  const toXero = await fetch(link, { redirect: 'manual' });
  expect(toXero.status).toBe(302);
  const consentPage = new URL(toXero.headers.get('location')!);
  const redirectUri = consentPage.searchParams.get('redirect_uri')!;
  expect(redirectUri).toBe(`${base}/xero/callback`);
  const code = xero.consent(XERO_USER, [ORGS.demoNz]);
  const back = await fetch(`${redirectUri}?code=${encodeURIComponent(code)}&state=${encodeURIComponent(consentPage.searchParams.get('state')!)}&scope=openid`, { redirect: 'manual' });
  const page = await back.text();
  expect(back.status, page).toBe(200);
  return page;
}

const text = (m: { blocks?: unknown[]; text?: string; attachments?: unknown[] } | undefined) => JSON.stringify([m?.text, m?.blocks, m?.attachments]);
const alertOf = () => slack.messages(CHANNEL).find((m) => !m.thread_ts && text(m).includes('Demo Company (NZ)') && text(m).includes('Broken since'));

describe('Slack, end to end through HTTP', () => {
  it('connect, break, disconnect, confirm, reconnect: the alert ends green', async () => {
    // 0. The alert channel.
    const here = await slash(ALICE, 'here');
    expect(here.args).toMatchObject({ response_type: 'ephemeral' });

    // 1. /xero connect answers only Alice, with a link button; she follows it through Xero.
    const connect = await slash(ALICE, 'connect');
    expect(connect.args).toMatchObject({ response_type: 'ephemeral' });
    const page = await consentThrough(linkIn(connect.args.blocks));
    expect(page).toContain('Demo Company (NZ)');
    await slack.waitFor((c) => c.method === 'chat.postMessage' && c.args.channel === CHANNEL && text(c.args as never).includes('Demo Company (NZ)'), 15_000);

    // 2. Someone removes the app in Xero; the next check finds it and the alert goes up.
    xero.removeInXero(ORGS.demoNz.tenantId);
    xero.revokeAllTokens(XERO_USER);
    await slack.waitFor((c) => c.method === 'chat.postMessage' && c.args.channel === CHANNEL && JSON.stringify(c.args.blocks ?? []).includes(ACTION_IDS.disconnect), 20_000);
    const alert = alertOf()!;
    expect(alert, 'the alert in the channel').toBeDefined();
    expect(text(alert)).toContain(`<@${ALICE}>`);
    expect(text(alert)).toContain(ACTION_IDS.reconnect);
    expect(text(alert)).toContain(ACTION_IDS.confirmXero);

    // 3. Disconnect: the alert is edited in place, and the thread tells the story.
    await click(alert, ALICE, ACTION_IDS.disconnect);
    await slack.waitFor((c) => c.method === 'chat.update' && c.args.ts === alert.ts && JSON.stringify(c.args.blocks).includes('Disconnected in Xero Guard'), 15_000);

    // 4. "I disconnected in Xero too".
    await click(slack.message(CHANNEL, alert.ts)!, ALICE, ACTION_IDS.confirmXero);
    await slack.waitFor((c) => c.method === 'chat.update' && c.args.ts === alert.ts && JSON.stringify(c.args.blocks).includes('Disconnected in Xero too'), 15_000);

    // 5. Reconnect: Alice, who connected it, gets a DM with a single-use link button.
    const dmsBefore = slack.calls('chat.postMessage').filter((c) => String(c.args.channel).startsWith('D')).length;
    await click(slack.message(CHANNEL, alert.ts)!, ALICE, ACTION_IDS.reconnect);
    const dm = await slack.waitFor(
      (c) => c.method === 'chat.postMessage' && String(c.args.channel).startsWith('D') && slack.calls('chat.postMessage').filter((d) => String(d.args.channel).startsWith('D')).indexOf(c) >= dmsBefore && JSON.stringify(c.args.blocks).includes('"url"'),
      15_000,
    );
    expect(slack.calls('conversations.open').map((c) => c.args.users)).toContain(ALICE);

    // 6. She follows the DM's link through a second consent: the same organisation comes back.
    await consentThrough(linkIn(dm.args.blocks));

    // 7. The alert turns green with the time to recover; no buttons left.
    await slack.waitFor((c) => c.method === 'chat.update' && c.args.ts === alert.ts && JSON.stringify(c.args.blocks).includes('Time to recover'), 15_000);
    const resolved = slack.message(CHANNEL, alert.ts)!;
    expect(text(resolved)).toContain('#2EB67D');
    expect(text(resolved)).not.toContain(ACTION_IDS.disconnect);
    // Every step is also a thread reply, the last one saying who reconnected.
    await slack.waitFor((c) => c.method === 'chat.postMessage' && c.args.thread_ts === alert.ts && /reconnected/i.test(String(c.args.text)), 15_000);
    const thread = slack.replies(CHANNEL, alert.ts).map((m) => m.text ?? '');
    expect(thread).toHaveLength(4);
    expect(thread[0]).toMatch(/disconnected Demo Company \(NZ\)/);
    expect(thread[1]).toMatch(/removed in Xero too/);
    expect(thread[2]).toMatch(/reconnect/);

    // /xero status agrees.
    const status = await slash(ALICE, 'status');
    expect(JSON.stringify(status.args)).toMatch(/Demo Company \(NZ\)\* · connected/);

    // Nothing secret reached a log line or Slack.
    expect(logs.text()).not.toContain(BOT_TOKEN);
    expect(logs.text()).not.toContain(xero.clientSecret);
    for (const call of slack.calls()) expect(JSON.stringify(call.args)).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
  });
});
