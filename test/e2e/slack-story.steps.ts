// The Slack story as steps over HTTP, shared by the in-process run (nock Xero)
// and the child-process run (`npm start` against the HTTP fake of Xero). Every step is a request
// Slack or a person's browser would make; every check is on what the fake Slack was sent.
import { expect } from 'vitest';
import { ACTION_IDS } from '../../src/domain/actions.ts';
import { continueToXero } from '../support/link-pages.ts';
import type { InProcessService } from '../support/in-process-service.ts';
import { ORGS } from '../adapters/xero/fake-xero.ts';
import { FORM, blockActionsBody, blockActionsPayload, postSigned, slashCommandBody, type FakeSlack, type SlackCall, type StoredMessage } from '../fakes/slack-api.ts';

export const STORY = {
  secret: 'story-signing-secret',
  /** Admin; she connects the organisation, so she is also its connector. */
  alice: 'U0ALICE01',
  channel: 'C0ALERTS1',
  org: 'Demo Company (NZ)',
};

export type StoryWorld = {
  /** The service's origin, e.g. http://127.0.0.1:40123 */
  base: string;
  slack: FakeSlack;
  /** The browser at Xero: consent to the organisation and come back; returns the callback page. */
  consent(consentPageUrl: URL): Promise<Response>;
  /** Xero revokes the grant (or the app is removed there). */
  breakInXero(): void;
  /** The internal code of that break: never shown to people. */
  cause: string;
  /** Words of the real reason the reconnect DM must carry. */
  reason: string;
  /** Words of the next step the alert must name for that cause. */
  nextStep: string;
  /** Everything the service logged so far. */
  logs(): string;
  secrets: string[];
};

/**
 * The story's world for the in-process service: the removed-app break, consent by `xeroUser` to
 * Demo Company (NZ) through nock Xero, and the secrets that must never show.
 */
export function removedAppWorld(world: InProcessService, slack: FakeSlack, xeroUser: string, secrets: string[]): StoryWorld {
  return {
    base: world.base,
    slack,
    async consent(consentPage) {
      const code = world.xero.approve(consentPage, xeroUser, [ORGS.demoNz]);
      const redirect = `${consentPage.searchParams.get('redirect_uri')}?code=${encodeURIComponent(code)}&state=${encodeURIComponent(consentPage.searchParams.get('state')!)}&scope=openid`;
      return fetch(redirect, { redirect: 'manual' });
    },
    breakInXero() {
      world.xero.removeInXero(ORGS.demoNz.tenantId);
      world.xero.revokeAllTokens(xeroUser);
    },
    cause: 'app_disconnected_in_xero',
    reason: 'Someone removed the app under Connected Apps in Xero',
    nextStep: 'the app is already removed in Xero, so that link alone fixes it',
    logs: () => world.logs.text(),
    secrets: [...secrets, world.xero.clientSecret],
  };
}

const text = (m: { blocks?: unknown[]; text?: string; attachments?: unknown[] } | undefined) => JSON.stringify([m?.text, m?.blocks, m?.attachments]);

/** The URL of the first link button in some blocks. */
export function linkIn(blocks: unknown): string {
  const match = /"url":"(http[^"]+)"/.exec(JSON.stringify(blocks ?? []));
  if (!match) throw new Error(`no link button in ${JSON.stringify(blocks)}`);
  return match[1]!;
}

export async function runSlackStory(world: StoryWorld): Promise<void> {
  const { slack, base } = world;
  const events = `${base}/slack/events`;
  const { alice, channel, org, secret } = STORY;

  async function slash(user: string, commandText: string): Promise<SlackCall> {
    const responseUrl = slack.responseUrl();
    const res = await postSigned(events, slashCommandBody({ text: commandText, user_id: user, channel_id: channel, channel_name: 'xero-alerts', response_url: responseUrl }), FORM, { secret });
    expect(res.status).toBe(200);
    return slack.waitFor((c) => c.method === 'response_url' && c.path === new URL(responseUrl).pathname, 15_000);
  }

  async function click(message: StoredMessage, user: string, actionId: string): Promise<void> {
    const payload = blockActionsPayload({ user_id: user, action_id: actionId, channel_id: message.channel, message_ts: message.ts, response_url: slack.responseUrl('actions'), message: { text: message.text ?? '', blocks: message.blocks ?? [] } });
    const res = await postSigned(events, blockActionsBody(payload), FORM, { secret });
    expect(res.status).toBe(200);
  }

  async function followLink(link: string): Promise<string> {
    expect(link.startsWith(`${base}/xero/connect?t=`)).toBe(true);
    const consentPage = await continueToXero(link);
    expect(consentPage.searchParams.get('redirect_uri')).toBe(`${base}/xero/callback`);
    const back = await world.consent(consentPage);
    const page = await back.text();
    expect(back.status, page).toBe(200);
    return page;
  }

  const alertUpdated = (ts: string, words: string) => slack.waitFor((c) => c.method === 'chat.update' && c.args.ts === ts && JSON.stringify(c.args.blocks).includes(words), 20_000);

  // 0. This channel gets the alerts.
  expect((await slash(alice, 'here')).args).toMatchObject({ response_type: 'ephemeral' });

  // 1. /xero connect answers only Alice, with a link button; she follows it through Xero.
  const connect = await slash(alice, 'connect');
  expect(connect.args).toMatchObject({ response_type: 'ephemeral' });
  expect(await followLink(linkIn(connect.args.blocks))).toContain(org);
  await slack.waitFor((c) => c.method === 'chat.postMessage' && c.args.channel === channel && text(c.args as never).includes(`Connected: ${org}`), 20_000);

  // 2. The app is removed in Xero; a check finds it and the alert goes up naming one next step:
  //    Alice reconnects with the link already in her DMs (the Xero side is clean, so no reset).
  const dmsBefore = slack.calls('chat.postMessage').filter((c) => String(c.args.channel).startsWith('D')).length;
  world.breakInXero();
  const posted = await slack.waitFor((c) => c.method === 'chat.postMessage' && c.args.channel === channel && JSON.stringify(c.args.blocks ?? []).includes(ACTION_IDS.reconnect), 30_000);
  const alert = slack.messages(channel).find((m) => m.ts === (posted.response as { ts: string }).ts)!;
  expect(text(alert)).toContain(org);
  expect(text(alert)).toContain(`<@${alice}>`);
  expect(text(alert)).toContain('In motion');
  expect(text(alert)).toMatch(new RegExp(`<@${alice}> has a reconnect link by direct message \\(sent <!date\\^\\d+\\^`));
  expect(text(alert)).toContain(world.nextStep);
  expect(text(alert)).toContain(ACTION_IDS.sendLink);
  expect(text(alert)).not.toContain(ACTION_IDS.disconnect);
  expect(text(alert)).not.toContain(ACTION_IDS.confirmXero);
  // Plain words: no internal code, no HTTP status, no API path in what people read.
  expect(text(alert)).not.toContain(world.cause);
  expect(text(alert)).not.toMatch(/HTTP \d|GET \/|\/connections/);

  // 3. The DM Alice already has carries the link and the real reason.
  await slack.waitFor(() => slack.calls('chat.postMessage').filter((c) => String(c.args.channel).startsWith('D')).length > dmsBefore, 20_000);
  const dm = slack.calls('chat.postMessage').filter((c) => String(c.args.channel).startsWith('D')).at(-1)!;
  expect(slack.calls('conversations.open').map((c) => c.args.users)).toContain(alice);
  expect(JSON.stringify(dm.args)).toContain(world.reason);
  expect(JSON.stringify(dm.args)).not.toContain('Xero did not answer');

  // 4. She follows it through a second consent: the same organisation comes back.
  await followLink(linkIn(dm.args.blocks));

  // 5. The alert turns green with the time to recover and no buttons; the thread says who reconnected.
  await alertUpdated(alert.ts, 'Time to recover');
  const resolved = slack.message(channel, alert.ts)!;
  expect(text(resolved)).toContain('#2EB67D');
  expect(text(resolved)).not.toContain(ACTION_IDS.reconnect);
  await slack.waitFor((c) => c.method === 'chat.postMessage' && c.args.thread_ts === alert.ts && /reconnected/i.test(String(c.args.text)), 20_000);
  const thread = slack.replies(channel, alert.ts);
  expect(thread.map((m) => m.text ?? '')).toEqual([expect.stringMatching(/^Demo Company \(NZ\) reconnected by /)]);
  expect(JSON.stringify(thread[0]!.blocks)).toContain(`reconnected by <@${alice}>`);

  // /xero status agrees.
  expect(JSON.stringify((await slash(alice, 'status')).args)).toMatch(/Demo Company \(NZ\)\* · connected/);

  // Nothing secret reached a log line or Slack; no id_token or access token in any message.
  for (const secretText of world.secrets) expect(world.logs()).not.toContain(secretText);
  for (const call of slack.calls()) expect(JSON.stringify(call.args)).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
}
