// The repair story for each cause of DESIGN.md 2.1, as people live it, on Slack and on Teams alike:
// the service built as `npm start` builds it, driven only through HTTP (signed Slack requests, Bot
// Framework activities, a browser's visits to the link pages and to Xero), with Xero faked by nock.
// Each story breaks an organisation the way Xero would, checks that the alert names the next step
// and offers the buttons that fit, then repairs it the way the alert says and sees it turn green.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS, SEND_LINK_INPUT } from '../../src/domain/actions.ts';
import { checkCard } from '../../scripts/check-teams.ts';
import type { FakeXero } from '../adapters/xero/fake-xero.ts';
import { startInProcessService, until, type InProcessService } from '../support/in-process-service.ts';
import { continueToXero } from '../support/link-pages.ts';
import { FORM, blockActionsBody, blockActionsPayload, postSigned, slashCommandBody, startFakeSlack } from '../fakes/slack-api.ts';
import { adaptiveCardInvoke, CHANNEL_CONVERSATION, messageActivity, startFakeBotConnector } from '../fakes/bot-connector.ts';

type Org = { tenantId: string; tenantName: string };
const org = (n: number, name: string): Org => ({ tenantId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, tenantName: name });

const LINK = /http:\/\/127\.0\.0\.1:\d+\/xero\/connect\?t=[A-Za-z0-9_-]+/g;
const INTERNAL = /app_disconnected_in_xero|token_revoked|access_lost|permission_missing|app_credentials_invalid|invalid_grant|invalid_client|HTTP \d{3}|GET \/|\/connections/;

/** One alert as the channel sees it: its id and, at any moment, its latest content. */
type Alert = { id: string; content(): string; buttons(): string[] };

/** What a test does in chat, the same way on both platforms. */
type Chat = {
  platform: 'slack' | 'teams';
  env(): Record<string, string>;
  /** The admin (Ann) and a colleague who is not an admin (Bob). */
  ann: string;
  bob: string;
  /** The id a picker hands over for Bob (Slack user id; Teams Entra object id). */
  bobPicked: string;
  /** Ann types a command; resolves with the private answer's content. */
  say(text: string, where: 'channel' | 'dm'): Promise<string>;
  /** The newest alert posted in the alert channel that names `name`. */
  alertFor(name: string, after: number): Promise<Alert>;
  /** How many messages the channel holds (top level). */
  posts(): number;
  /** Each top-level message posted in the alert channel, as sent. */
  channelPosts(): string[];
  /** Everything the bot sent anywhere, as sent. */
  everything(): string;
  click(user: string, alert: Alert, action: string, picked?: string): Promise<string>;
  /** Reconnect links this person received by direct message, oldest first. */
  dmLinks(user: string): string[];
  dmText(user: string): string;
  thread(alert: Alert): string[];
  close(): Promise<void>;
};

async function slackChat(): Promise<Chat & { base: { url: string } }> {
  const slack = await startFakeSlack();
  const secret = 'cause-signing-secret';
  const channel = 'C0ALERTS1';
  const base = { url: '' };
  const dm = (user: string) => `D${user.slice(1)}`;
  const inDm = (user: string) => slack.calls('chat.postMessage').concat(slack.calls('chat.update')).filter((c) => c.args.channel === dm(user));
  return {
    platform: 'slack',
    base,
    env: () => ({ SLACK_BOT_TOKEN: `xoxb-${randomBytes(6).toString('hex')}`, SLACK_SIGNING_SECRET: secret, SLACK_API_URL: slack.apiUrl, SLACK_ADMIN_USER_IDS: 'U0ANN0001' }),
    ann: 'U0ANN0001',
    bob: 'U0BOB0001',
    bobPicked: 'U0BOB0001',
    async say(text, where) {
      const responseUrl = slack.responseUrl();
      const res = await postSigned(`${base.url}/slack/events`, slashCommandBody({ text, user_id: 'U0ANN0001', channel_id: where === 'channel' ? channel : dm('U0ANN0001'), channel_name: 'xero-alerts', response_url: responseUrl }), FORM, { secret });
      expect(res.status).toBe(200);
      const answer = await slack.waitFor((c) => c.method === 'response_url' && c.path === new URL(responseUrl).pathname, 15_000);
      return JSON.stringify(answer.args);
    },
    posts: () => slack.calls('chat.postMessage').filter((c) => c.args.channel === channel && !c.args.thread_ts).length,
    channelPosts: () => slack.calls('chat.postMessage').filter((c) => c.args.channel === channel && !c.args.thread_ts).map((c) => JSON.stringify(c.args)),
    everything: () => JSON.stringify(slack.calls().filter((c) => c.method.startsWith('chat.')).map((c) => c.args)),
    async alertFor(name, after) {
      const call = await until(
        () =>
          slack
            .calls('chat.postMessage')
            .filter((c) => c.args.channel === channel && !c.args.thread_ts)
            .slice(after)
            .find((c) => JSON.stringify(c.args.blocks ?? []).includes(name) && JSON.stringify(c.args.blocks ?? []).includes('"action_id"')),
        `a Slack alert naming ${name}`,
      );
      const ts = (call.response as { ts: string }).ts;
      const latest = () => slack.message(channel, ts)!;
      return {
        id: ts,
        content: () => JSON.stringify([latest().text, latest().blocks]),
        buttons: () => [...JSON.stringify(latest().blocks ?? []).matchAll(/"action_id":"(xg_[a-z_]+)"/g)].map((m) => m[1]!),
      };
    },
    async click(user, alert, action, picked) {
      const message = slack.message(channel, alert.id)!;
      const responseUrl = slack.responseUrl('actions');
      const payload = blockActionsPayload({ user_id: user, action_id: action, channel_id: channel, message_ts: alert.id, response_url: responseUrl, message: { text: message.text ?? '', blocks: message.blocks ?? [] }, ...(picked ? { selected_user: picked } : {}) });
      const res = await postSigned(`${base.url}/slack/events`, blockActionsBody(payload), FORM, { secret });
      expect(res.status).toBe(200);
      const answer = await slack.waitFor((c) => c.method === 'response_url' && c.path === new URL(responseUrl).pathname, 15_000).catch(() => undefined);
      return JSON.stringify(answer?.args ?? {});
    },
    dmLinks: (user) => inDm(user).flatMap((c) => JSON.stringify(c.args).match(LINK) ?? []),
    dmText: (user) => JSON.stringify(inDm(user).map((c) => c.args)),
    thread: (alert) => slack.replies(channel, alert.id).map((m) => JSON.stringify([m.text, m.blocks])),
    close: () => slack.close(),
  };
}

async function teamsChat(): Promise<Chat & { base: { url: string } }> {
  const connector = await startFakeBotConnector();
  const base = { url: '' };
  const users = {
    'aad-ann': { id: '29:ann', aadObjectId: 'aad-ann', name: 'Ann Admin' },
    'aad-bob': { id: '29:bob', aadObjectId: 'aad-bob', name: 'Bob Bookkeeper' },
  } as const;
  // Both are members of the team, so a people-picker pick can be named.
  connector.addMember(users['aad-ann']);
  connector.addMember(users['aad-bob']);
  const cardOf = (body: any) => body?.attachments?.[0]?.content;
  const personal = (user: string) => [connector.personalConversationId(user), connector.personalConversationId(users[user as keyof typeof users]?.id ?? user), messageActivity(connector.serviceUrl, users[user as keyof typeof users] ?? users['aad-ann'], '').conversation.id];
  const inDm = (user: string) => connector.calls.filter((c) => c.operation !== 'createConversation' && personal(user).includes(c.conversationId ?? ''));
  return {
    platform: 'teams',
    base,
    env: () => ({ TEAMS_ENABLED: 'true', TEAMS_ADMIN_USER_IDS: 'aad-ann' }),
    ann: 'aad-ann',
    bob: 'aad-bob',
    bobPicked: 'aad-bob',
    async say(text, where) {
      const before = connector.callsOf('replyToActivity').length;
      const answer = await connector.send(`${base.url}/api/messages`, messageActivity(connector.serviceUrl, users['aad-ann'], text, { scope: where === 'channel' ? 'channel' : 'personal' }));
      expect(answer.status).toBe(200);
      const reply = (await connector.waitFor('replyToActivity', before + 1, 15_000))[before]!;
      return JSON.stringify(reply.body);
    },
    posts: () => connector.callsOf('sendToConversation').filter((c) => c.conversationId === CHANNEL_CONVERSATION).length,
    channelPosts: () => connector.callsOf('sendToConversation').filter((c) => c.conversationId === CHANNEL_CONVERSATION).map((c) => JSON.stringify(c.body)),
    everything: () => JSON.stringify(connector.calls.map((c) => c.body)),
    async alertFor(name, after) {
      await until(
        () => connector.callsOf('sendToConversation').filter((c) => c.conversationId === CHANNEL_CONVERSATION).slice(after).some((c) => JSON.stringify(cardOf(c.body)).includes(name) && cardOf(c.body)?.actions),
        `a Teams alert card naming ${name}`,
      );
      const activity = [...connector.activities.values()].reverse().find((a) => a.conversationId === CHANNEL_CONVERSATION && JSON.stringify(cardOf(a.body)).includes(name) && cardOf(a.body)?.actions)!;
      const latest = () => cardOf(connector.activities.get(activity.id)!.body);
      return {
        id: activity.id,
        content: () => JSON.stringify(latest()),
        buttons: () => {
          const verbs: string[] = [];
          for (const action of latest()?.actions ?? []) {
            if (action.verb) verbs.push(action.verb);
            for (const inner of action.card?.actions ?? []) if (inner.verb) verbs.push(inner.verb);
          }
          return verbs;
        },
      };
    },
    async click(user, alert, action, picked) {
      const card = cardOf(connector.activities.get(alert.id)!.body);
      const all = (card.actions ?? []).flatMap((a: any) => [a, ...(a.card?.actions ?? [])]);
      const button = all.find((a: any) => a.verb === action);
      expect(button, `the card has a ${action} button`).toBeDefined();
      const who = users[user as keyof typeof users];
      const answer = await connector.send(`${base.url}/api/messages`, adaptiveCardInvoke(connector.serviceUrl, who, action, { ...button.data, ...(picked ? { [SEND_LINK_INPUT]: picked } : {}) }, alert.id));
      expect(answer.status).toBe(200);
      if (answer.body?.type === 'application/vnd.microsoft.card.adaptive') expect(checkCard(answer.body.value)).toEqual([]);
      return JSON.stringify(answer.body);
    },
    dmLinks: (user) => inDm(user).flatMap((c) => JSON.stringify(c.body ?? {}).match(LINK) ?? []),
    dmText: (user) => JSON.stringify(inDm(user).map((c) => c.body)),
    thread: (alert) => connector.callsOf('sendToConversation').filter((c) => c.conversationId === `${CHANNEL_CONVERSATION};messageid=${alert.id}`).map((c) => JSON.stringify(cardOf(c.body))),
    close: () => connector.close(),
  };
}

describe.each([
  ['Slack', slackChat],
  ['Teams', teamsChat],
] as const)('%s: the repair for each cause', (_name, makeChat) => {
  let chat: Awaited<ReturnType<typeof makeChat>>;
  let world: InProcessService;
  let xero: FakeXero;
  let base: string;

  beforeAll(async () => {
    chat = await makeChat();
    world = await startInProcessService((origin) => {
      chat.base.url = origin;
      return chat.env();
    });
    ({ xero, base } = world);
    expect(await chat.say('here', 'channel')).toMatch(/alerts/i);
  });

  afterAll(async () => {
    await world?.stop();
    await chat?.close();
  });

  /** The browser at Xero: continue from the link page, tick `orgs` as `xeroUser`, come back. */
  async function consent(link: string, xeroUser: string, orgs: Org[]): Promise<string> {
    const consentUrl = await continueToXero(link);
    const code = xero.approve(consentUrl, xeroUser, orgs);
    const res = await fetch(`${base}/xero/callback?code=${encodeURIComponent(code)}&state=${encodeURIComponent(consentUrl.searchParams.get('state')!)}&scope=openid`);
    const page = await res.text();
    expect(res.status, page).toBe(200);
    return page;
  }

  /** Ann connects the organisation as `xeroUser`; it is then watched. */
  async function connect(target: Org, xeroUser: string) {
    xero.user(xeroUser, 'Ann Admin', `${xeroUser}@example.com`);
    const answer = await chat.say('connect', 'dm');
    const link = answer.match(LINK)![0];
    expect(await consent(link, xeroUser, [target])).toContain(target.tenantName);
    await until(async () => (await chat.say('status', 'dm')).includes(target.tenantName), `${target.tenantName} in status`);
  }

  async function newDmLink(user: string, before: number): Promise<string> {
    return until(() => chat.dmLinks(user).length > before && chat.dmLinks(user).at(-1), 'a reconnect link by direct message');
  }

  async function resolved(alert: Alert) {
    await until(() => /connection restored|Time to recover/.test(alert.content()) && !alert.buttons().includes(ACTION_IDS.reconnect), 'the alert turned green');
  }

  it('app removed in Xero: the alert names the link already in the connector\'s DMs; that link alone fixes it', async () => {
    const target = org(1, 'Removed Ltd');
    await connect(target, 'xero-removed');
    const posts = chat.posts();
    const links = chat.dmLinks(chat.ann).length;
    xero.removeInXero(target.tenantId);
    const alert = await chat.alertFor(target.tenantName, posts);
    expect(alert.content()).toContain('already removed in Xero');
    expect(alert.buttons()).toEqual(expect.arrayContaining([ACTION_IDS.reconnect, ACTION_IDS.sendLink]));
    expect(alert.buttons()).not.toContain(ACTION_IDS.disconnect);
    expect(alert.buttons()).not.toContain(ACTION_IDS.confirmXero);
    expect(alert.content()).not.toMatch(INTERNAL);
    const link = await newDmLink(chat.ann, links);
    expect(chat.dmText(chat.ann)).toContain('removed the app');
    const postsAtAlert = chat.posts();
    expect(await consent(link, 'xero-removed', [target])).toContain(target.tenantName);
    await resolved(alert);
    // Quiet: the alert is edited and its thread gets one reply; the channel gets no new post.
    await until(() => chat.thread(alert).some((r) => /reconnected/i.test(r)), 'a thread reply');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(chat.thread(alert).filter((r) => /reconnected/i.test(r))).toHaveLength(1);
    expect(chat.posts()).toBe(postsAtAlert);
  });

  it('authorisation revoked: one reconnect from the DM link fixes it', async () => {
    const target = org(2, 'Revoked Ltd');
    await connect(target, 'xero-revoked');
    const posts = chat.posts();
    const links = chat.dmLinks(chat.ann).length;
    xero.revokeGrant('xero-revoked');
    const alert = await chat.alertFor(target.tenantName, posts);
    expect(alert.content()).toMatch(/expired or (was )?revoked/);
    expect(alert.buttons()).toEqual(expect.arrayContaining([ACTION_IDS.reconnect, ACTION_IDS.sendLink]));
    expect(alert.buttons()).not.toContain(ACTION_IDS.disconnect);
    expect(alert.content()).not.toMatch(INTERNAL);
    const link = await newDmLink(chat.ann, links);
    await consent(link, 'xero-revoked', [target]);
    await resolved(alert);
  }, 90_000);

  it('access lost: an admin hands the reconnect to a colleague with access; their consent fixes it', async () => {
    const target = org(3, 'Lost Access Ltd');
    await connect(target, 'xero-lost');
    const posts = chat.posts();
    xero.forbidTenant(target.tenantId);
    const alert = await chat.alertFor(target.tenantName, posts);
    expect(alert.content()).toMatch(/Standard or Adviser/);
    expect(alert.buttons()).toContain(ACTION_IDS.sendLink);
    expect(alert.content()).not.toMatch(INTERNAL);

    // Bob is no admin: he may not hand links out.
    const bobLinks = chat.dmLinks(chat.bob).length;
    expect(await chat.click(chat.bob, alert, ACTION_IDS.sendLink, chat.bobPicked)).toMatch(/Only/);
    // Ann picks Bob; he gets the link with the real reason; the alert says he holds it.
    await chat.click(chat.ann, alert, ACTION_IDS.sendLink, chat.bobPicked);
    const link = await newDmLink(chat.bob, bobLinks);
    expect(chat.dmText(chat.bob)).toContain('lost access');
    await until(() => /has a reconnect link by direct message/.test(alert.content()) && alert.content().includes(chat.platform === 'slack' ? `<@${chat.bob}>` : 'Bob'), 'the alert names who holds the link');

    // Bob, a Standard user of the organisation, consents as himself: the same organisation comes back.
    xero.user('xero-bob', 'Bob Bookkeeper', 'bob@example.com');
    xero.forbidTenant(target.tenantId, false);
    expect(await consent(link, 'xero-bob', [target])).toContain(target.tenantName);
    await resolved(alert);
  }, 90_000);

  it('a permission missing: the alert says which, and a reconnect that grants it fixes it', async () => {
    const target = org(4, 'Missing Scope Ltd');
    await connect(target, 'xero-scope');
    const posts = chat.posts();
    const links = chat.dmLinks(chat.ann).length;
    xero.failSometimes('organisation', 1, { tenantId: target.tenantId, status: 403, headers: { 'www-authenticate': 'Bearer error="insufficient_scope"' }, body: { Type: null, Title: 'Forbidden', Status: 403, Detail: 'insufficient_scope' } });
    const alert = await chat.alertFor(target.tenantName, posts);
    expect(alert.content()).toMatch(/permission/i);
    expect(alert.buttons()).toContain(ACTION_IDS.reconnect);
    expect(alert.content()).not.toMatch(INTERNAL);
    const link = await newDmLink(chat.ann, links);
    xero.clearFaults();
    await consent(link, 'xero-scope', [target]);
    await resolved(alert);
  }, 90_000);

  it('a reconnect that did not hold: the alert advises the full reset, walked step by step', async () => {
    const target = org(5, 'Stale Ltd');
    await connect(target, 'xero-stale');
    let posts = chat.posts();
    let links = chat.dmLinks(chat.ann).length;
    xero.revokeGrant('xero-stale');
    const first = await chat.alertFor(target.tenantName, posts);
    await consent(await newDmLink(chat.ann, links), 'xero-stale', [target]);
    await resolved(first);

    // It breaks again at once: one side may hold a stale connection.
    posts = chat.posts();
    links = chat.dmLinks(chat.ann).length;
    xero.revokeGrant('xero-stale');
    const alert = await chat.alertFor(target.tenantName, posts);
    expect(alert.buttons()).toEqual(expect.arrayContaining([ACTION_IDS.disconnect, ACTION_IDS.reconnect, ACTION_IDS.confirmXero]));
    expect(alert.content()).not.toMatch(INTERNAL);

    await chat.click(chat.ann, alert, ACTION_IDS.disconnect);
    await until(() => !alert.buttons().includes(ACTION_IDS.disconnect) && /Connected Apps/.test(alert.content()), 'step 1 done; next: remove the app in Xero');
    await chat.click(chat.ann, alert, ACTION_IDS.confirmXero);
    await until(() => !alert.buttons().includes(ACTION_IDS.confirmXero), 'step 2 done');
    const before = chat.dmLinks(chat.ann).length;
    await chat.click(chat.ann, alert, ACTION_IDS.reconnect);
    const link = await newDmLink(chat.ann, Math.max(before, links));
    await consent(link, 'xero-stale', [target]);
    await resolved(alert);
  }, 90_000);

  it("our app's credentials refused: one notice for the operator, no alert per organisation", async () => {
    const target = org(6, 'Credentials Ltd');
    await connect(target, 'xero-creds');
    const posts = chat.posts();
    xero.failSometimes('token', 1, { status: 401, body: { error: 'invalid_client' } });
    xero.revokeGrant('xero-creds');
    await until(() => chat.channelPosts().slice(posts).some((m) => m.includes('XERO_CLIENT_SECRET')), 'the operator notice in the alert channel');
    // A few more check cycles: still no alert with repair buttons for the organisation.
    await new Promise((r) => setTimeout(r, 5_000));
    const after = chat.channelPosts().slice(posts);
    expect(after.filter((m) => m.includes('XERO_CLIENT_SECRET'))).toHaveLength(1);
    expect(after.filter((m) => m.includes(target.tenantName) && m.includes(ACTION_IDS.reconnect))).toHaveLength(0);
    expect(chat.everything()).not.toContain(xero.clientSecret);
    xero.clearFaults();
  }, 90_000);

  it('no secret reached a log line', () => {
    const text = world.logs.text();
    expect(text).not.toContain(xero.clientSecret);
    expect(text).not.toMatch(/connect\?t=[A-Za-z0-9_-]{20,}/);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./);
  });
});
