// Owning, snoozing and noting an alert on Slack, through the real Bolt receiver with signed
// requests, the real handlers, database and outbox, against the fake Slack Web API. The clock is
// the harness's: snoozes and reminders run on it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, encodeButtonValue } from '../../../src/domain/actions.ts';
import { createSlackSurface, type SlackSurface } from '../../../src/adapters/slack/surface.ts';
import type { Block, SlackMessage } from '../../../src/adapters/slack/blocks.ts';
import { checkMessage } from '../../../src/adapters/slack/limits.ts';
import { NOTE_BLOCK_ID, NOTE_INPUT_ID } from '../../../src/adapters/slack/note-modal.ts';
import { ADMIN, CONNECTOR, STRANGER, T0, aConnection, checkNowAsScheduler, createMonitorHarness, silentLog, type MonitorHarness } from '../../builders/monitor.ts';
import {
  FORM,
  blockActionsBody,
  blockActionsPayload,
  postSigned,
  selectActionPayload,
  slashCommandBody,
  startFakeSlack,
  viewSubmissionPayload,
  type FakeSlack,
  type StoredMessage,
} from '../../fakes/slack-api.ts';

const SECRET = 'lifecycle-signing-secret';
const CHANNEL = 'C0ALERTS1';
const HOUR = 3_600_000;

let slack: FakeSlack;
let h: MonitorHarness;
let surface: SlackSurface;
let server: http.Server;
let url: string;

beforeEach(async () => {
  slack = await startFakeSlack();
  const app = express();
  let forward: SlackSurface['sender'] | undefined;
  // Reminders every hour, so a snooze visibly holds some back.
  h = await createMonitorHarness('sqlite', {
    settings: { repeatIntervalMs: HOUR },
    worker: { senders: { slack: { platform: 'slack', deliver: (d) => forward!.deliver(d), findDelivered: (d) => forward!.findDelivered(d) } } },
  });
  surface = createSlackSurface({
    config: { SLACK_BOT_TOKEN: 'xoxb-life', SLACK_SIGNING_SECRET: SECRET, SLACK_APP_TOKEN: undefined, SLACK_API_URL: slack.apiUrl },
    handlers: h.handlers,
    logger: silentLog,
    app,
  });
  forward = surface.sender;
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  await surface.start();
});

afterEach(async () => {
  for (const call of slack.calls().filter((c) => ['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'response_url'].includes(c.method))) {
    const { text, blocks, attachments } = call.args as { text?: string; blocks?: Block[]; attachments?: SlackMessage['attachments'] };
    expect(checkMessage({ text: text ?? '', blocks: blocks ?? [], ...(attachments ? { attachments } : {}) }), `${call.method} ${JSON.stringify(call.args).slice(0, 200)}`).toEqual([]);
  }
  await surface.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await slack.close();
  await h.close();
});

async function command(userId: string, text: string) {
  const responseUrl = slack.responseUrl();
  const res = await postSigned(url, slashCommandBody({ text, user_id: userId, channel_id: CHANNEL, channel_name: 'xero-alerts', response_url: responseUrl }), FORM, { secret: SECRET });
  expect(res.status).toBe(200);
  return slack.waitFor((c) => c.method === 'response_url' && c.path === new URL(responseUrl).pathname);
}

/** Posts a signed click and waits for its private answer through the click's response_url. */
async function clickOn(message: StoredMessage, userId: string, actionId: string) {
  const responseUrl = slack.responseUrl('actions');
  const current = slack.message(message.channel, message.ts)!;
  const raw = blockActionsBody(blockActionsPayload({ user_id: userId, action_id: actionId, channel_id: message.channel, message_ts: message.ts, response_url: responseUrl, message: { text: current.text ?? '', blocks: current.blocks ?? [] } }));
  expect((await postSigned(url, raw, FORM, { secret: SECRET })).status).toBe(200);
  return slack.waitFor((c) => c.method === 'response_url' && c.path === new URL(responseUrl).pathname);
}

async function snoozeOn(message: StoredMessage, userId: string, choice: string, ids: { incidentId: string; connectionId: string }) {
  const responseUrl = slack.responseUrl('actions');
  const current = slack.message(message.channel, message.ts)!;
  const payload = selectActionPayload({
    user_id: userId,
    action_id: ACTION_IDS.snooze,
    optionValue: encodeButtonValue({ ...ids, snooze: choice as '1h' }),
    channel_id: message.channel,
    message_ts: message.ts,
    response_url: responseUrl,
    message: { text: current.text ?? '', blocks: current.blocks ?? [] },
  });
  expect((await postSigned(url, blockActionsBody(payload), FORM, { secret: SECRET })).status).toBe(200);
  return slack.waitFor((c) => c.method === 'response_url' && c.path === new URL(responseUrl).pathname);
}

async function alertFor(name = 'Demo Company (NZ)') {
  await command(ADMIN.userId, 'here');
  const connection = await aConnection(h.store, { tenantName: name });
  h.xero.fail(connection.id, 'token_revoked', { httpStatus: 400, xeroError: 'invalid_grant' });
  await checkNowAsScheduler(h, connection.id);
  await h.handlers.runMonitorTick();
  await h.worker.drain();
  const alert = slack.messages(CHANNEL).find((m) => JSON.stringify(m.blocks ?? []).includes(ACTION_IDS.reconnect))!;
  const incident = (await h.store.incidents.findOpen(connection.id))!;
  return { connection, incident, alert, ids: { incidentId: incident.id, connectionId: connection.id } };
}

const blocksText = (m: StoredMessage | undefined) => JSON.stringify(m?.blocks ?? []);
const dmsTo = (userId: string) => slack.messages(`D${userId.slice(1)}`);

describe('Slack: "I\'m on it", take-over, snooze and "What fixed it?"', () => {
  it('shows the owner as a mention with the time in the reader\'s zone; another allowed person takes over, and the log records it', async () => {
    const { alert, incident } = await alertFor();
    expect(blocksText(alert)).toContain(ACTION_IDS.own);
    expect(blocksText(alert)).toContain("I'm on it");

    const mine = await clickOn(alert, CONNECTOR.userId, ACTION_IDS.own);
    expect(JSON.stringify(mine.args)).toContain('You are on it');
    await h.worker.drain();
    let edited = slack.message(alert.channel, alert.ts)!;
    expect(blocksText(edited)).toMatch(new RegExp(`<@${CONNECTOR.userId}> is on it \\(since <!date\\^\\d+\\^`));
    expect(blocksText(edited)).toContain('Take over');

    const refused = await clickOn(alert, STRANGER.userId, ACTION_IDS.own);
    expect(JSON.stringify(refused.args)).toContain('Only admins and Connie Connector');

    const taken = await clickOn(alert, ADMIN.userId, ACTION_IDS.own);
    // Slack names a clicker by their username in the payload; the alert itself uses mentions.
    expect(JSON.stringify(taken.args)).toContain('took Demo Company (NZ) over from uconn');
    await h.worker.drain();
    edited = slack.message(alert.channel, alert.ts)!;
    expect(blocksText(edited)).toContain(`<@${ADMIN.userId}> is on it`);
    expect(blocksText(edited)).not.toContain(`<@${CONNECTOR.userId}> is on it`);
    const stored = (await h.store.incidents.get(incident.id))!;
    expect(JSON.parse(stored.ownedBy!)).toMatchObject({ userId: ADMIN.userId });

    const log = await h.store.db.connectionLog.findMany({ where: { connectionId: incident.connectionId, kind: 'action' }, orderBy: { id: 'asc' } });
    expect(log.map((r) => [r.operation, r.actorId])).toEqual([
      ['own', CONNECTOR.userId],
      ['take_over', ADMIN.userId],
    ]);
    expect(log[1]!.detail).toContain(CONNECTOR.userId);
    const thread = slack.replies(alert.channel, alert.ts).map((r) => r.text).join('\n');
    expect(thread).toContain('uconn is on it.');
    expect(thread).toContain('uadmin took this over from uconn.');

    const status = await command(STRANGER.userId, 'status');
    expect(JSON.stringify(status.args)).toContain(`on it: <@${ADMIN.userId}>`);
  });

  it('snoozes until 9:00 tomorrow in the clicker\'s Slack time zone; reminders wait, then go to the connector and the owner', async () => {
    slack.setTimeZone(ADMIN.userId, 'Pacific/Auckland');
    const { alert, incident, ids } = await alertFor();
    await clickOn(alert, ADMIN.userId, ACTION_IDS.own);
    h.clock.set(new Date(T0.getTime() + 30 * 60_000)); // 08:30 UTC = 21:30 in Auckland (NZDT, +13)
    const answer = await snoozeOn(alert, ADMIN.userId, 'tomorrow', ids);
    expect(JSON.stringify(answer.args)).toContain('until 9:00 tomorrow, your time');
    expect(slack.calls('users.info').map((c) => c.args.user)).toEqual([ADMIN.userId]);
    // 9:00 on 24 Nov in Auckland is 20:00 UTC on 23 Nov.
    const until = new Date('2026-11-23T20:00:00.000Z');
    expect((await h.store.incidents.get(incident.id))!.snoozedUntil).toEqual(until);
    await h.worker.drain();
    expect(blocksText(slack.message(alert.channel, alert.ts))).toContain(`Reminders snoozed until <!date^${until.getTime() / 1000}^`);
    const status = await command(STRANGER.userId, 'status');
    expect(JSON.stringify(status.args)).toContain(`snoozed until <!date^${until.getTime() / 1000}^`);

    const dmsBefore = dmsTo(CONNECTOR.userId).length;
    // Without the snooze, reminders would come every hour from 09:00 UTC.
    for (const hour of [1, 3, 6, 11]) {
      h.clock.set(new Date(T0.getTime() + hour * HOUR + 60_000));
      await h.handlers.runMonitorTick();
    }
    await h.worker.drain();
    expect((await h.store.incidents.get(incident.id))!.remindersSent).toBe(0);
    expect(dmsTo(CONNECTOR.userId).length).toBe(dmsBefore);

    h.clock.set(new Date(until.getTime() + 1_000));
    await h.handlers.runMonitorTick();
    await h.worker.drain();
    const after = (await h.store.incidents.get(incident.id))!;
    expect(after.remindersSent).toBe(1);
    expect(after.snoozedUntil).toBeNull();
    expect(dmsTo(CONNECTOR.userId).length).toBe(dmsBefore + 1);
    const ownerDm = dmsTo(ADMIN.userId).at(-1)!;
    expect(JSON.stringify(ownerDm)).toContain('you said you are on it');
    expect(blocksText(ownerDm)).toContain('/xero/connect?t=');
    expect(blocksText(slack.message(alert.channel, alert.ts))).not.toContain('Reminders snoozed');
  });

  it('ends a snooze at once when the organisation starts failing for another reason', async () => {
    const { alert, incident, connection, ids } = await alertFor();
    await snoozeOn(alert, CONNECTOR.userId, '1d', ids);
    expect((await h.store.incidents.get(incident.id))!.snoozedUntil).toEqual(new Date(T0.getTime() + 24 * HOUR));
    h.clock.advance(10 * 60_000);
    h.xero.fail(connection.id, 'access_lost', { httpStatus: 403, xeroError: 'AuthenticationUnsuccessful' });
    await checkNowAsScheduler(h, connection.id);
    const ended = (await h.store.incidents.get(incident.id))!;
    expect(ended.snoozedUntil).toBeNull();
    expect(ended.cause).toBe('access_lost');
    await h.handlers.runMonitorTick();
    await h.worker.drain();
    expect((await h.store.incidents.get(incident.id))!.remindersSent).toBe(1);
    const thread = slack.replies(alert.channel, alert.ts).map((r) => r.text).join('\n');
    expect(thread).toContain('The snooze ended early');
    const edited = slack.message(alert.channel, alert.ts)!;
    expect(blocksText(edited)).not.toContain('Reminders snoozed');
    expect(blocksText(edited)).toContain('Access to the organisation lost');
  });

  it('asks "What fixed it?" in a modal once resolved, and shows the note in the thread, on the alert and in /xero errors', async () => {
    const { alert, incident, connection } = await alertFor();
    h.xero.heal(connection.id);
    h.clock.advance(10 * 60_000);
    await checkNowAsScheduler(h, connection.id);
    await h.worker.drain();
    const resolved = slack.message(alert.channel, alert.ts)!;
    expect(blocksText(resolved)).toContain(ACTION_IDS.note);
    expect(blocksText(resolved)).not.toContain(ACTION_IDS.own);

    const clickRaw = blockActionsBody(
      blockActionsPayload({ user_id: CONNECTOR.userId, action_id: ACTION_IDS.note, channel_id: alert.channel, message_ts: alert.ts, response_url: slack.responseUrl('actions'), message: { text: resolved.text ?? '', blocks: resolved.blocks ?? [] } }),
    );
    expect((await postSigned(url, clickRaw, FORM, { secret: SECRET })).status).toBe(200);
    const opened = await slack.waitFor((c) => c.method === 'views.open');
    expect(opened.args.trigger_id).toBe(JSON.parse(new URLSearchParams(clickRaw).get('payload')!).trigger_id);
    const modal = (opened.response as { view: { id: string; hash: string; callback_id: string; private_metadata: string; blocks: unknown } }).view;
    expect(JSON.stringify(modal)).toContain('What fixed it?');

    // An empty note is refused inside the modal, and nothing is stored.
    const empty = viewSubmissionPayload({ user_id: CONNECTOR.userId, view: modal, values: { [NOTE_BLOCK_ID]: { [NOTE_INPUT_ID]: { type: 'plain_text_input', value: '  ' } } } });
    const refused = await postSigned(url, new URLSearchParams({ payload: JSON.stringify(empty) }).toString(), FORM, { secret: SECRET });
    expect(JSON.parse(refused.body)).toMatchObject({ response_action: 'errors', errors: { [NOTE_BLOCK_ID]: expect.stringContaining('Write a few words') } });
    expect((await h.store.incidents.get(incident.id))!.resolutionNote).toBeNull();

    const note = 'Connie reconnected as the <Adviser> user after her role changed.';
    const submit = viewSubmissionPayload({ user_id: CONNECTOR.userId, view: { ...modal, hash: 'h2' }, values: { [NOTE_BLOCK_ID]: { [NOTE_INPUT_ID]: { type: 'plain_text_input', value: note } } } });
    const done = await postSigned(url, new URLSearchParams({ payload: JSON.stringify(submit) }).toString(), FORM, { secret: SECRET });
    expect(done.status).toBe(200);
    await expect.poll(async () => (await h.store.incidents.get(incident.id))!.resolutionNote).toBe(note);
    const answer = await slack.waitFor((c) => c.method === 'chat.postEphemeral' && c.args.user === CONNECTOR.userId);
    expect(JSON.stringify(answer.args)).toContain('Saved your note');
    await h.worker.drain();
    const thread = slack.replies(alert.channel, alert.ts).map((r) => r.text).join('\n');
    expect(thread).toContain('What fixed it, by uconn: Connie reconnected as the &lt;Adviser&gt; user');
    const edited = slack.message(alert.channel, alert.ts)!;
    expect(blocksText(edited)).toContain(`What fixed it, by <@${CONNECTOR.userId}>`);
    expect(blocksText(edited)).not.toContain(ACTION_IDS.note);
    const log = await h.store.db.connectionLog.findFirst({ where: { connectionId: connection.id, operation: 'resolution_note' } });
    expect(log).toMatchObject({ detail: note, actorId: CONNECTOR.userId });

    const errors = await command(STRANGER.userId, 'errors');
    expect(JSON.stringify(errors.args)).toContain('resolution note');
    expect(JSON.stringify(errors.args)).toContain('Connie reconnected as the &lt;Adviser&gt; user');
  });
});
