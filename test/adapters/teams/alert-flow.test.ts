// The alert lifecycle on Teams with the real handlers, the real outbox worker and the real Teams
// surface, against the fake Bot Connector: `here` stores the channel, a break posts the alert card
// proactively and DMs the connector, clicks are answered with the updated card, later changes and
// the resolution edit the posted card with updateActivity. Only Xero is scripted (ScriptedXero).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../../src/domain/actions.ts';
import type { ChatActor } from '../../../src/domain/permissions.ts';
import { createOutboxWorker } from '../../../src/adapters/outbox/worker.ts';
import { createTeamsSurface, type TeamsSurface } from '../../../src/adapters/teams/surface.ts';
import { checkCard } from '../../../scripts/check-teams.ts';
import { aConnection, checkNowAsScheduler, createMonitorHarness, silentLog, type MonitorHarness } from '../../builders/monitor.ts';
import { adaptiveCardInvoke, CHANNEL_CONVERSATION, messageActivity, startFakeBotConnector, type FakeBotConnector, type TeamsUser } from '../../fakes/bot-connector.ts';

const ann: TeamsUser = { id: '29:ann', aadObjectId: 'aad-ann', name: 'Ann Admin' };
const bob: TeamsUser = { id: '29:bob', aadObjectId: 'aad-bob', name: 'Bob Bookkeeper' };
const sam: TeamsUser = { id: '29:sam', aadObjectId: 'aad-sam', name: 'Sam Stranger' };
const BOB: ChatActor = { platform: 'teams', userId: bob.id, name: bob.name };

const cardOf = (body: any) => body?.attachments?.[0]?.content;
const texts = (card: any): string => JSON.stringify(card);

let h: MonitorHarness;
let connector: FakeBotConnector;
let surface: TeamsSurface;
let server: http.Server;
let botUrl: string;
let worker: ReturnType<typeof createOutboxWorker>;

beforeEach(async () => {
  // Ann is the Teams admin, listed by her Entra object id as operators usually do.
  h = await createMonitorHarness('sqlite', { admins: { slack: [], teams: ['aad-ann'] } });
  connector = await startFakeBotConnector();
  const app = express();
  surface = createTeamsSurface({
    config: { MicrosoftAppId: undefined, MicrosoftAppPassword: undefined, MicrosoftAppTenantId: undefined, MicrosoftAppType: 'MultiTenant' },
    handlers: h.handlers,
    logger: silentLog,
    app,
    targets: h.store.targets,
  });
  worker = createOutboxWorker({ store: h.store, senders: { teams: surface.sender }, clock: h.clock, log: silentLog, onUnreachable: h.handlers.onUnreachable, random: () => 0.5 });
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  botUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`;
});

afterEach(async () => {
  await surface.stop();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await connector.close();
  await h.close();
});

async function command(user: TeamsUser, text: string, where: Parameters<typeof messageActivity>[3] = { scope: 'channel' }) {
  const answer = await connector.send(botUrl, messageActivity(connector.serviceUrl, user, text, where));
  expect(answer.status).toBe(200);
  await surface.bot.idle();
}

async function click(user: TeamsUser, verb: string, data: unknown, cardId: string) {
  const answer = await connector.send(botUrl, adaptiveCardInvoke(connector.serviceUrl, user, verb, data, cardId));
  expect(answer.status).toBe(200);
  return answer.body as { statusCode: number; type: string; value: any };
}

/**
 * Sets the channel, breaks one connection Bob connected, delivers the outbox. The break follows a
 * reconnect that did not hold, so the card advises the full reset these tests walk through.
 */
async function breakDemo() {
  await command(ann, 'here');
  const connection = await aConnection(h.store, { tenantName: 'Demo Company (NZ)', connectedBy: BOB });
  h.xero.fail(connection.id, 'token_revoked', { httpStatus: 400, xeroError: 'invalid_grant' });
  await checkNowAsScheduler(h, connection.id);
  await h.store.db.incident.updateMany({ where: { connectionId: connection.id, status: 'open' }, data: { resetAdvised: true } });
  await h.handlers.runMonitorTick();
  await worker.drain();
  const incident = (await h.store.incidents.findOpen(connection.id))!;
  const post = connector.callsOf('sendToConversation').find((c) => c.conversationId === CHANNEL_CONVERSATION)!;
  const alertId = [...connector.activities.values()].find((a) => a.conversationId === CHANNEL_CONVERSATION && cardOf(a.body)?.actions)!.id;
  return { connection, incident, post, alertId, data: { incidentId: incident.id, connectionId: connection.id } };
}

/** Sets the channel and breaks Bob's connection for lost access: the alert offers "Send link to…". */
async function accessLostAlert() {
  await command(ann, 'here');
  const connection = await aConnection(h.store, { tenantName: 'Demo Company (NZ)', connectedBy: BOB });
  h.xero.fail(connection.id, 'access_lost', { httpStatus: 403, xeroError: 'AuthenticationUnsuccessful' });
  await checkNowAsScheduler(h, connection.id);
  await h.handlers.runMonitorTick();
  await worker.drain();
  const incident = (await h.store.incidents.findOpen(connection.id))!;
  const alertId = [...connector.activities.values()].find((a) => a.conversationId === CHANNEL_CONVERSATION && cardOf(a.body)?.actions)!.id;
  return { connection, incident, alertId };
}

describe('Teams alert lifecycle with the real handlers', () => {
  it('`here` makes the channel the alert channel with a reference the sender can use', async () => {
    await command(ann, 'here');
    const target = (await h.store.targets.alertChannels())[0]!;
    expect(target).toMatchObject({ platform: 'teams', externalId: CHANNEL_CONVERSATION, isAlertChannel: true });
    expect(JSON.parse(target.conversationReference!)).toMatchObject({ serviceUrl: connector.serviceUrl, conversation: { id: CHANNEL_CONVERSATION } });
    expect(texts(cardOf(connector.callsOf('replyToActivity')[0]!.body))).toContain('Alerts for Teams now go to this channel');
  });

  it('refuses `here` from someone who is not an admin', async () => {
    await command(sam, 'here');
    expect(await h.store.targets.alertChannels()).toHaveLength(0);
    expect(texts(cardOf(connector.callsOf('replyToActivity')[0]!.body))).toContain('Only Xero Guard admins');
  });

  it('posts the alert card proactively to the channel and DMs the connector through a new 1:1', async () => {
    const { post } = await breakDemo();
    const card = cardOf(post.body);
    expect(checkCard(card)).toEqual([]);
    expect(texts(card)).toContain('Demo Company (NZ)');
    expect(card.actions.map((a: any) => a.title)).toEqual(['Disconnect', 'Reconnect', 'I disconnected in Xero too', 'Send link to…', "I'm on it", 'Snooze reminders']);
    const [created] = connector.callsOf('createConversation');
    expect(created!.body.members).toEqual([{ id: '29:bob', name: '' }]);
    const dm = connector.callsOf('sendToConversation').find((c) => c.conversationId === connector.personalConversationId('29:bob'))!;
    expect(cardOf(dm.body).actions[0]).toMatchObject({ type: 'Action.OpenUrl', url: h.links.issued[0]!.url });
  });

  it('answers the three clicks with the updated card, and the outbox edits the posted card', async () => {
    const { alertId, data } = await breakDemo();

    const disconnect = await click(ann, ACTION_IDS.disconnect, data, alertId);
    expect(disconnect.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(checkCard(disconnect.value)).toEqual([]);
    expect(texts(disconnect.value)).toContain('Ann Admin');
    expect(h.xero.disconnects).toHaveLength(1);

    const confirm = await click(ann, ACTION_IDS.confirmXero, data, alertId);
    expect(confirm.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(confirm.value.body.filter((e: any) => e.type === 'TextBlock' && e.text.startsWith('✅'))).toHaveLength(2);

    const reconnect = await click(ann, ACTION_IDS.reconnect, data, alertId);
    expect(reconnect.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(texts(reconnect.value)).toContain('Reconnect link sent: <at>Ann Admin</at>');
    expect(texts(reconnect.value)).toContain('<at>Bob Bookkeeper</at> has a reconnect link by direct message');

    await worker.drain();
    const edits = connector.callsOf('updateActivity').filter((c) => c.activityId === alertId);
    expect(edits.length).toBeGreaterThan(0);
    expect(checkCard(cardOf(edits.at(-1)!.body))).toEqual([]);
    // Each action is also told in the alert's thread.
    expect(connector.callsOf('sendToConversation').filter((c) => c.conversationId === `${CHANNEL_CONVERSATION};messageid=${alertId}`).length).toBeGreaterThanOrEqual(3);
    // The reconnect link went to Bob (the connector) and to Ann (who asked) by direct message.
    const dmTo = (user: string) => connector.callsOf('sendToConversation').filter((c) => c.conversationId === connector.personalConversationId(user));
    expect(dmTo('29:bob').length).toBe(2);
    expect(dmTo('29:ann').length).toBe(1);
  });

  it('does a double click once: two simultaneous Disconnect invokes disconnect once', async () => {
    const { alertId, data } = await breakDemo();
    const [first, second] = await Promise.all([click(ann, ACTION_IDS.disconnect, data, alertId), click(ann, ACTION_IDS.disconnect, data, alertId)]);
    expect(first.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(second.statusCode).toBe(200);
    expect(h.xero.disconnects).toHaveLength(1);
    await worker.drain();
    const thread = connector.callsOf('sendToConversation').filter((c) => c.conversationId === `${CHANNEL_CONVERSATION};messageid=${alertId}`);
    expect(thread.filter((c) => texts(cardOf(c.body)).includes('disconnected Demo Company (NZ) here'))).toHaveLength(1);
  });

  it('refuses a stranger privately and changes nothing', async () => {
    const { alertId, data, incident } = await breakDemo();
    const before = connector.calls.length;
    const answer = await click(sam, ACTION_IDS.disconnect, data, alertId);
    expect(answer.type).toBe('application/vnd.microsoft.activity.message');
    expect(answer.value).toContain('Bob Bookkeeper');
    expect(h.xero.disconnects).toHaveLength(0);
    expect((await h.store.incidents.get(incident.id))!.disconnectedAt).toBeNull();
    await worker.drain();
    expect(connector.calls.length).toBe(before);
  });

  it('turns the posted card green with updateActivity when the connection recovers', async () => {
    const { connection, alertId } = await breakDemo();
    h.xero.heal(connection.id);
    h.clock.advance(10 * 60_000);
    await checkNowAsScheduler(h, connection.id);
    await h.handlers.runMonitorTick();
    await worker.drain();
    const last = connector.callsOf('updateActivity').filter((c) => c.activityId === alertId).at(-1)!;
    const card = cardOf(last.body);
    expect(checkCard(card)).toEqual([]);
    expect(card.body[0].style).toBe('good');
    // Only "What fixed it?" is left on a resolved card.
    expect(card.actions.map((a: any) => a.title)).toEqual(['What fixed it?']);
    expect(texts(card)).toContain('connection restored');
  });

  it('Send link to… from the people picker hands the reconnect to the picked person: a DM with the real reason, the card says who holds it, the thread says who sent it', async () => {
    const { connection, incident, alertId } = await accessLostAlert();
    const posted = cardOf(connector.activities.get(alertId)!.body);
    const sendLink = posted.actions.find((a: any) => a.title === 'Send link to…');
    expect(sendLink.card.body[0]).toMatchObject({ type: 'Input.ChoiceSet', 'choices.data': { type: 'Data.Query', dataset: 'graph.microsoft.com/users' } });

    // Teams sends the picked person's Entra object id beside the button's own data.
    const answer = await click(ann, ACTION_IDS.sendLink, { incidentId: incident.id, connectionId: connection.id, xg_person: 'aad-carol' }, alertId);
    expect(answer.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(checkCard(answer.value)).toEqual([]);
    await worker.drain();

    const opened = connector.callsOf('createConversation').find((c) => JSON.stringify(c.body.members).includes('aad-carol'));
    expect(opened, 'a 1:1 with the picked person').toBeDefined();
    const dm = connector.callsOf('sendToConversation').find((c) => c.conversationId === connector.personalConversationId('aad-carol'));
    expect(dm, 'the picked person got the link').toBeDefined();
    expect(texts(cardOf(dm!.body))).toContain('asked you to reconnect Demo Company (NZ)');
    expect(texts(cardOf(dm!.body))).toContain('lost access');
    expect(cardOf(dm!.body).actions[0]).toMatchObject({ type: 'Action.OpenUrl' });
    const thread = connector.callsOf('sendToConversation').filter((c) => c.conversationId === `${CHANNEL_CONVERSATION};messageid=${alertId}`);
    expect(texts(thread.map((c) => cardOf(c.body)))).toMatch(/<at>Ann Admin<\/at> sent a reconnect link to /);
    expect((await h.store.incidents.get(incident.id))!.reconnectRequestedBy).toContain('29:ann');
  });

  it('Send link to… with nobody picked, or by a stranger, sends nothing and changes nothing', async () => {
    const { connection, incident, alertId } = await accessLostAlert();
    const conversationsBefore = connector.callsOf('createConversation').length;
    const stranger = await click(sam, ACTION_IDS.sendLink, { incidentId: incident.id, connectionId: connection.id, xg_person: 'aad-carol' }, alertId);
    expect(stranger.type).toBe('application/vnd.microsoft.activity.message');
    expect(stranger.value).toContain('Only');
    const empty = await click(ann, ACTION_IDS.sendLink, { incidentId: incident.id, connectionId: connection.id, xg_person: '  ' }, alertId);
    expect(empty.type).toBe('application/vnd.microsoft.activity.message');
    await worker.drain();
    expect(connector.callsOf('createConversation').length).toBe(conversationsBefore);
    expect((await h.store.incidents.get(incident.id))!.reconnectRequestedAt).toBeNull();
  });

  it('says so in the thread and sends the admins the link when the connector blocked the bot', async () => {
    connector.blockUser('29:bob');
    // Ann wrote to the bot before, so her 1:1 can be opened from her stored reference.
    await command(ann, 'help', { scope: 'personal' });
    const { alertId } = await breakDemo();
    await worker.drain();
    const thread = connector.callsOf('sendToConversation').filter((c) => c.conversationId === `${CHANNEL_CONVERSATION};messageid=${alertId}`);
    expect(texts(thread.map((c) => cardOf(c.body)))).toContain('Bob Bookkeeper');
    const toAnn = connector.callsOf('sendToConversation').filter((c) => c.conversationId === messageActivity(connector.serviceUrl, ann, '').conversation.id);
    expect(toAnn.some((c) => cardOf(c.body)?.actions?.[0]?.type === 'Action.OpenUrl')).toBe(true);
  });
});
