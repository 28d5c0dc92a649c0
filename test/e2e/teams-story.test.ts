// The whole story on Microsoft Teams, through HTTP only: the real service (startService, as
// `npm start` builds it: SQLite file, handlers, outbox worker, scheduler, Xero adapter, Teams
// surface) in front of the fake Bot Connector (Teams), with Xero faked by nock (FakeXero).
// Ann, a Teams admin, makes the channel the alert channel, connects Demo Company (NZ), Xero revokes
// the grant, a scheduled check finds it, the alert card arrives naming the one next step, Ann clicks
// Reconnect, follows the link in her direct message, and the card turns green.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../src/domain/actions.ts';
import { checkCard } from '../../scripts/check-teams.ts';
import { startInProcessService, type InProcessService } from '../support/in-process-service.ts';
import { ORGS } from '../adapters/xero/fake-xero.ts';
import { continueToXero } from '../support/link-pages.ts';
import {
  adaptiveCardInvoke,
  CHANNEL_CONVERSATION,
  messageActivity,
  startFakeBotConnector,
  type ConnectorCall,
  type FakeBotConnector,
  type TeamsUser,
} from '../fakes/bot-connector.ts';

const ann: TeamsUser = { id: '29:ann', aadObjectId: 'aad-ann', name: 'Ann Admin' };
const cardOf = (body: any) => body?.attachments?.[0]?.content;
const json = (value: unknown) => JSON.stringify(value);

let connector: FakeBotConnector;
let world: InProcessService;
let base: string;

beforeAll(async () => {
  connector = await startFakeBotConnector();
  world = await startInProcessService({
    // Teams without an app id: anonymous requests, as the Emulator and the Agents Playground send.
    TEAMS_ENABLED: 'true',
    // Admins listed by Entra object id, as an operator copies it from the Entra admin centre.
    TEAMS_ADMIN_USER_IDS: 'aad-ann',
  });
  base = world.base;
});

afterAll(async () => {
  await world?.stop();
  await connector?.close();
});

const botUrl = () => `${base}/api/messages`;

async function say(text: string, where: Parameters<typeof messageActivity>[3]): Promise<ConnectorCall> {
  const before = connector.callsOf('replyToActivity').length;
  const answer = await connector.send(botUrl(), messageActivity(connector.serviceUrl, ann, text, where));
  expect(answer.status).toBe(200);
  return (await connector.waitFor('replyToActivity', before + 1))[before]!;
}

async function click(verb: string, data: unknown, cardId: string) {
  const answer = await connector.send(botUrl(), adaptiveCardInvoke(connector.serviceUrl, ann, verb, data, cardId));
  expect(answer.status).toBe(200);
  expect(answer.body.type).toBe('application/vnd.microsoft.card.adaptive');
  expect(checkCard(answer.body.value)).toEqual([]);
  return answer.body.value;
}

/** Follows a single-use link as a browser would, consents in the fake Xero, returns the callback page. */
async function consentThrough(link: string): Promise<string> {
  const consentUrl = await continueToXero(link);
  const state = consentUrl.searchParams.get('state')!;
  const code = world.xero.approve(consentUrl, 'xero-ann', [ORGS.demoNz]);
  const callback = await fetch(`${base}/xero/callback?code=${code}&scope=openid&state=${state}`);
  const page = await callback.text();
  expect(callback.status, page).toBe(200);
  return page;
}

const personal = () => messageActivity(connector.serviceUrl, ann, '').conversation.id;
const inChannel = (c: ConnectorCall) => c.conversationId === CHANNEL_CONVERSATION;
const waitForCall = async (operation: ConnectorCall['operation'], match: (c: ConnectorCall) => boolean, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = connector.callsOf(operation).filter(match);
    if (found.length > 0) return found;
    if (Date.now() > deadline) throw new Error(`no ${operation} call matched; saw ${json(connector.calls.map((c) => [c.operation, c.path]))}`);
    await connector.waitFor(operation, connector.callsOf(operation).length + 1, Math.max(1, deadline - Date.now())).catch(() => undefined);
  }
};

describe('the Teams story, end to end through HTTP', () => {
  let alertId: string;
  let data: { incidentId: string; connectionId: string };

  it('1. `here` in a channel makes it the alert channel', async () => {
    const reply = await say('here', { scope: 'channel' });
    expect(json(cardOf(reply.body))).toContain('Alerts for Teams now go to this channel');
  });

  it('2. `connect` in the 1:1 chat answers with a single-use link; consenting connects Demo Company (NZ)', async () => {
    world.xero.user('xero-ann', 'Ann Admin', 'ann@example.com');
    const reply = await say('connect', { scope: 'personal' });
    expect(reply.conversationId).toBe(personal());
    const link = cardOf(reply.body).actions[0].url as string;
    expect(link).toMatch(new RegExp(`^${base}/xero/connect\\?t=`));
    const page = await consentThrough(link);
    expect(page).toContain('Demo Company (NZ)');
    const [connected] = await waitForCall('sendToConversation', (c) => inChannel(c) && json(c.body).includes('Demo Company (NZ)'));
    expect(checkCard(cardOf(connected!.body))).toEqual([]);
  });

  it('3. Xero revokes the grant; the next scheduled check finds it and the alert card arrives in the channel', async () => {
    world.xero.revokeGrant('xero-ann');
    const [post] = await waitForCall('sendToConversation', (c) => inChannel(c) && Boolean(cardOf(c.body)?.actions), 30_000);
    const card = cardOf(post!.body);
    expect(checkCard(card)).toEqual([]);
    expect(card.body[0].style).toBe('attention');
    // One reconnect fixes a revoked grant: Reconnect leads, "Send link to…" hands it over, no reset.
    expect(card.actions.map((a: any) => a.title)).toEqual(['Reconnect', 'Send link to…', "I'm on it", 'Snooze reminders']);
    // The card names the next step and who holds a link, with times in the reader's zone.
    expect(json(card)).toContain('<at>Ann Admin</at> has a reconnect link by direct message (sent {{DATE(');
    expect(json(card)).not.toMatch(/token_revoked|HTTP \d|\/connections/);
    alertId = [...connector.activities.values()].find((a) => a.conversationId === CHANNEL_CONVERSATION && cardOf(a.body)?.actions)!.id;
    data = card.actions[0].data;
    expect(card.actions[0].verb).toBe(ACTION_IDS.reconnect);
  });

  it('4. the connector (Ann) gets a reconnect link by direct message', async () => {
    const [dm] = await waitForCall('sendToConversation', (c) => c.conversationId === personal() && cardOf(c.body)?.actions?.[0]?.type === 'Action.OpenUrl');
    expect(cardOf(dm!.body).actions[0].url).toMatch(new RegExp(`^${base}/xero/connect\\?t=`));
  });

  it('5. Reconnect answers with the updated card (a fresh link, who asked, when)', async () => {
    const dmsBefore = connector.callsOf('sendToConversation').filter((c) => c.conversationId === personal()).length;
    const afterReconnect = await click(ACTION_IDS.reconnect, data, alertId);
    expect(json(afterReconnect)).toContain('Reconnect link sent: <at>Ann Admin</at>');
    await waitForCall('sendToConversation', (c) => c.conversationId === personal() && connector.callsOf('sendToConversation').filter((d) => d.conversationId === personal()).length > dmsBefore);
    // The posted card is edited too (for everyone, and for clients that missed the click).
    await waitForCall('updateActivity', (c) => c.activityId === alertId);
  });

  it('6. following the DM link reconnects the same organisation and the card turns green', async () => {
    const dms = connector.callsOf('sendToConversation').filter((c) => c.conversationId === personal() && cardOf(c.body)?.actions?.[0]?.type === 'Action.OpenUrl');
    const link = cardOf(dms.at(-1)!.body).actions[0].url as string;
    const page = await consentThrough(link);
    expect(page).toContain('Demo Company (NZ)');
    const resolved = await waitForCall('updateActivity', (c) => c.activityId === alertId && cardOf(c.body)?.body?.[0]?.style === 'good');
    const card = cardOf(resolved.at(-1)!.body);
    expect(checkCard(card)).toEqual([]);
    expect(card.actions.map((a: any) => a.title)).toEqual(['What fixed it?']);
    expect(json(card)).toContain('connection restored');
  });

  it('7. the status command shows it connected again, and no token or link ever reached a log line', async () => {
    const reply = await say('status', { scope: 'channel' });
    expect(json(cardOf(reply.body))).toMatch(/Demo Company \(NZ\).{0,40}connected/);
    const text = world.logs.text();
    expect(text).not.toMatch(/connect\?t=[A-Za-z0-9_-]{20,}/);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./);
  });
});
