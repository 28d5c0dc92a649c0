// Owning, snoozing and noting an alert on Teams, through the real botbuilder adapter and Teams
// surface, the real handlers, database and outbox, against the fake Bot Connector. The snooze
// reads the clicker's time zone from the invoke (localTimezone, or the clientInfo entity).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../../src/domain/actions.ts';
import type { ChatActor } from '../../../src/domain/permissions.ts';
import { createOutboxWorker } from '../../../src/adapters/outbox/worker.ts';
import { createTeamsSurface, type TeamsSurface } from '../../../src/adapters/teams/surface.ts';
import { checkCard } from '../../../scripts/check-teams.ts';
import { T0, aConnection, checkNowAsScheduler, createMonitorHarness, silentLog, type MonitorHarness } from '../../builders/monitor.ts';
import { adaptiveCardInvoke, CHANNEL_CONVERSATION, messageActivity, startFakeBotConnector, type FakeBotConnector, type TeamsUser } from '../../fakes/bot-connector.ts';

const ann: TeamsUser = { id: '29:ann', aadObjectId: 'aad-ann', name: 'Ann Admin' };
const bob: TeamsUser = { id: '29:bob', aadObjectId: 'aad-bob', name: 'Bob Bookkeeper' };
const sam: TeamsUser = { id: '29:sam', aadObjectId: 'aad-sam', name: 'Sam Stranger' };
const BOB: ChatActor = { platform: 'teams', userId: bob.id, name: bob.name };
const HOUR = 3_600_000;

const cardOf = (body: any) => body?.attachments?.[0]?.content;
const texts = (card: any): string => JSON.stringify(card);

let h: MonitorHarness;
let connector: FakeBotConnector;
let surface: TeamsSurface;
let server: http.Server;
let botUrl: string;
let worker: ReturnType<typeof createOutboxWorker>;

beforeEach(async () => {
  h = await createMonitorHarness('sqlite', { admins: { slack: [], teams: ['aad-ann'] }, settings: { repeatIntervalMs: HOUR } });
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

async function say(user: TeamsUser, text: string, where: Parameters<typeof messageActivity>[3] = { scope: 'channel' }) {
  const answer = await connector.send(botUrl, messageActivity(connector.serviceUrl, user, text, where));
  expect(answer.status).toBe(200);
  await surface.bot.idle();
  return connector.callsOf('replyToActivity').at(-1)!;
}

async function click(user: TeamsUser, verb: string, data: unknown, cardId: string, extra: Record<string, unknown> = {}) {
  const answer = await connector.send(botUrl, { ...adaptiveCardInvoke(connector.serviceUrl, user, verb, data, cardId), ...extra });
  expect(answer.status).toBe(200);
  return answer.body as { statusCode: number; type: string; value: any };
}

async function breakDemo() {
  await say(ann, 'here');
  const connection = await aConnection(h.store, { tenantName: 'Demo Company (NZ)', connectedBy: BOB });
  h.xero.fail(connection.id, 'token_revoked', { httpStatus: 400, xeroError: 'invalid_grant' });
  await checkNowAsScheduler(h, connection.id);
  await h.handlers.runMonitorTick();
  await worker.drain();
  const incident = (await h.store.incidents.findOpen(connection.id))!;
  const alertId = [...connector.activities.values()].find((a) => a.conversationId === CHANNEL_CONVERSATION && cardOf(a.body)?.actions)!.id;
  return { connection, incident, alertId, data: { incidentId: incident.id, connectionId: connection.id } };
}

const postedCard = (alertId: string) => cardOf(connector.callsOf('updateActivity').filter((c) => c.activityId === alertId).at(-1)!.body);
const personalOf = (user: TeamsUser) => connector.personalConversationId(user.id);

describe('Teams: "I\'m on it", take-over, snooze and "What fixed it?"', () => {
  it('shows the owner and since when in the reader\'s zone; an admin takes over from the connector, and the log records it', async () => {
    const { alertId, data, incident } = await breakDemo();
    const mine = await click(bob, ACTION_IDS.own, data, alertId);
    expect(mine.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(checkCard(mine.value)).toEqual([]);
    expect(texts(mine.value)).toMatch(/<at>Bob Bookkeeper<\/at> is on it \(since \{\{DATE\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, SHORT\)\}\} \{\{TIME\(/);
    expect(mine.value.actions.map((a: any) => a.title)).toContain('Take over');

    const refused = await click(sam, ACTION_IDS.own, data, alertId);
    expect(refused.type).toBe('application/vnd.microsoft.activity.message');
    expect(refused.value).toContain('Bob Bookkeeper');

    const taken = await click(ann, ACTION_IDS.own, data, alertId);
    expect(texts(taken.value)).toContain('<at>Ann Admin</at> is on it');
    await worker.drain();
    expect(texts(postedCard(alertId))).toContain('<at>Ann Admin</at> is on it');
    const log = await h.store.db.connectionLog.findMany({ where: { connectionId: incident.connectionId, kind: 'action' }, orderBy: { id: 'asc' } });
    expect(log.map((r) => [r.operation, r.actorId])).toEqual([
      ['own', bob.id],
      ['take_over', ann.id],
    ]);
    const thread = connector.callsOf('sendToConversation').filter((c) => c.conversationId === `${CHANNEL_CONVERSATION};messageid=${alertId}`);
    expect(texts(thread.map((c) => cardOf(c.body)))).toContain('Ann Admin took this over from Bob Bookkeeper.');

    const status = await say(sam, 'status');
    expect(texts(cardOf(status.body))).toContain('on it: Ann Admin');
  });

  it('snoozes until 9:00 tomorrow in the clicker\'s Teams time zone; reminders wait, then reach the connector and the owner', async () => {
    const { alertId, data, incident } = await breakDemo();
    await click(ann, ACTION_IDS.own, data, alertId);
    // 08:00 UTC is 03:00 in New York (EST, -5): "tomorrow 9:00" there is 14:00 UTC on 24 Nov.
    const snoozed = await click(ann, ACTION_IDS.snooze, { ...data, snooze: 'tomorrow' }, alertId, {
      localTimezone: undefined,
      entities: [{ type: 'clientInfo', locale: 'en-US', country: 'US', platform: 'Web', timezone: 'America/New_York' }],
    });
    expect(checkCard(snoozed.value)).toEqual([]);
    const until = new Date('2026-11-24T14:00:00.000Z');
    expect((await h.store.incidents.get(incident.id))!.snoozedUntil).toEqual(until);
    expect(texts(snoozed.value)).toContain(`Reminders snoozed until {{DATE(2026-11-24T14:00:00Z, SHORT)}}`);
    const status = await say(sam, 'status');
    expect(texts(cardOf(status.body))).toContain('snoozed until {{DATE(2026-11-24T14:00:00Z, SHORT)}}');

    const toBob = () => connector.callsOf('sendToConversation').filter((c) => c.conversationId === personalOf(bob)).length;
    const bobBefore = toBob();
    for (const hour of [1, 5, 12, 29]) {
      h.clock.set(new Date(T0.getTime() + hour * HOUR + 60_000));
      await h.handlers.runMonitorTick();
    }
    await worker.drain();
    expect((await h.store.incidents.get(incident.id))!.remindersSent).toBe(0);
    expect(toBob()).toBe(bobBefore);

    h.clock.set(new Date(until.getTime() + 1_000));
    await h.handlers.runMonitorTick();
    await worker.drain();
    expect((await h.store.incidents.get(incident.id))!.remindersSent).toBe(1);
    expect(toBob()).toBe(bobBefore + 1);
    const toAnn = connector.callsOf('sendToConversation').filter((c) => c.conversationId === personalOf(ann));
    expect(texts(toAnn.map((c) => cardOf(c.body)))).toContain('you said you are on it');
    expect(texts(postedCard(alertId))).not.toContain('Reminders snoozed');
  });

  it('reads localTimezone when Teams sends it, and a stranger cannot snooze', async () => {
    const { alertId, data, incident } = await breakDemo();
    const refused = await click(sam, ACTION_IDS.snooze, { ...data, snooze: '4h' }, alertId);
    expect(refused.type).toBe('application/vnd.microsoft.activity.message');
    expect((await h.store.incidents.get(incident.id))!.snoozedUntil).toBeNull();
    await click(bob, ACTION_IDS.snooze, { ...data, snooze: 'tomorrow' }, alertId, { localTimezone: 'Asia/Tokyo' });
    // 08:00 UTC is 17:00 in Tokyo: 9:00 on 24 Nov there is 00:00 UTC on 24 Nov.
    expect((await h.store.incidents.get(incident.id))!.snoozedUntil).toEqual(new Date('2026-11-24T00:00:00.000Z'));
    await click(bob, ACTION_IDS.snooze, { ...data, snooze: '4h' }, alertId);
    expect((await h.store.incidents.get(incident.id))!.snoozedUntil).toEqual(new Date(T0.getTime() + 4 * HOUR));
  });

  it('takes "What fixed it?" from the resolved card\'s text box and shows it on the card, in the thread and in errors', async () => {
    const { alertId, data, connection, incident } = await breakDemo();
    h.xero.heal(connection.id);
    h.clock.advance(10 * 60_000);
    await checkNowAsScheduler(h, connection.id);
    await worker.drain();
    const resolved = postedCard(alertId);
    const noteAction = resolved.actions.find((a: any) => a.title === 'What fixed it?');
    expect(noteAction.card.body[0]).toMatchObject({ type: 'Input.Text', id: 'note', isMultiline: true });
    expect(noteAction.card.actions[0]).toMatchObject({ type: 'Action.Execute', verb: ACTION_IDS.note, data });

    const empty = await click(bob, ACTION_IDS.note, { ...data, note: '   ' }, alertId);
    expect(empty.type).toBe('application/vnd.microsoft.activity.message');
    expect(empty.value).toContain('Write a few words');

    // Teams merges the inputs' values into the action's data.
    const saved = await click(bob, ACTION_IDS.note, { ...data, note: 'Bob reconnected as the Adviser user.' }, alertId);
    expect(saved.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(checkCard(saved.value)).toEqual([]);
    expect(texts(saved.value)).toContain('What fixed it, by <at>Bob Bookkeeper</at>: Bob reconnected as the Adviser user.');
    expect(saved.value.actions ?? []).toEqual([]);
    expect((await h.store.incidents.get(incident.id))!.resolutionNote).toBe('Bob reconnected as the Adviser user.');
    await worker.drain();
    const thread = connector.callsOf('sendToConversation').filter((c) => c.conversationId === `${CHANNEL_CONVERSATION};messageid=${alertId}`);
    expect(texts(thread.map((c) => cardOf(c.body)))).toContain('What fixed it, by Bob Bookkeeper: Bob reconnected as the Adviser user.');
    const errors = await say(sam, 'errors');
    expect(texts(cardOf(errors.body))).toContain('resolution note');
    expect(texts(cardOf(errors.body))).toContain('Bob reconnected as the Adviser user.');
  });
});
