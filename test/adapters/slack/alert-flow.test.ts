// The Slack adapter with the real handlers, database, outbox worker and Slack sender: signed
// commands and clicks come in over HTTP, and the fake Slack Web API shows what a workspace would
// see. Xero is the scripted port here (test/e2e runs the real Xero adapter against the fake).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../../src/domain/actions.ts';
import { createSlackSurface, type SlackSurface } from '../../../src/adapters/slack/surface.ts';
import type { Block, SlackMessage } from '../../../src/adapters/slack/blocks.ts';
import { checkMessage } from '../../../src/adapters/slack/limits.ts';
import { ADMIN, CONNECTOR, STRANGER, aConnection, checkNowAsScheduler, createMonitorHarness, silentLog, type MonitorHarness } from '../../builders/monitor.ts';
import { FORM, blockActionsBody, blockActionsPayload, postSigned, slashCommandBody, startFakeSlack, type FakeSlack, type StoredMessage } from '../../fakes/slack-api.ts';

const SECRET = 'flow-signing-secret';
const CHANNEL = 'C0ALERTS1';

let slack: FakeSlack;
let h: MonitorHarness;
let surface: SlackSurface;
let server: http.Server;
let url: string;

beforeEach(async () => {
  slack = await startFakeSlack();
  const app = express();
  // The surface needs the handlers and the worker needs the surface's sender: build the harness
  // with a sender that forwards to the surface once it exists.
  let forward: SlackSurface['sender'] | undefined;
  h = await createMonitorHarness('sqlite', {
    worker: {
      senders: {
        slack: {
          platform: 'slack',
          deliver: (d) => forward!.deliver(d),
          findDelivered: (d) => forward!.findDelivered(d),
        },
      },
    },
  });
  surface = createSlackSurface({
    config: { SLACK_BOT_TOKEN: 'xoxb-flow', SLACK_SIGNING_SECRET: SECRET, SLACK_APP_TOKEN: undefined, SLACK_API_URL: slack.apiUrl },
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
  // Everything the real handlers made Slack show stays inside Block Kit's limits.
  for (const call of slack.calls().filter((c) => ['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'response_url'].includes(c.method))) {
    const { text, blocks, attachments } = call.args as { text?: string; blocks?: Block[]; attachments?: SlackMessage['attachments'] };
    expect(checkMessage({ text: text ?? '', blocks: blocks ?? [], ...(attachments ? { attachments } : {}) }), `${call.method} ${JSON.stringify(call.args).slice(0, 200)}`).toEqual([]);
  }
  await surface.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await slack.close();
  await h.close();
});

/** Runs a slash command and returns what came back through its own response_url. */
async function command(userId: string, text: string) {
  const responseUrl = slack.responseUrl();
  const res = await postSigned(url, slashCommandBody({ text, user_id: userId, channel_id: CHANNEL, channel_name: 'xero-alerts', response_url: responseUrl }), FORM, { secret: SECRET });
  expect(res.status).toBe(200);
  return slack.waitFor((c) => c.method === 'response_url' && c.path === new URL(responseUrl).pathname);
}

async function clickOn(message: StoredMessage, userId: string, actionId: string, headers: Record<string, string> = {}, body?: string) {
  const raw = body ?? blockActionsBody(blockActionsPayload({ user_id: userId, action_id: actionId, channel_id: message.channel, message_ts: message.ts, response_url: slack.responseUrl('actions'), message: { text: message.text ?? '', blocks: message.blocks ?? [] } }));
  const res = await postSigned(url, raw, FORM, { secret: SECRET, headers });
  expect(res.status).toBe(200);
  return raw;
}

/** Makes this channel the alert channel through `/xero here`, then breaks one organisation. */
async function alertFor(name = 'Demo Company (NZ)') {
  await command(ADMIN.userId, 'here');
  expect((await h.store.targets.alertChannels()).map((t) => t.externalId)).toEqual([CHANNEL]);
  const connection = await aConnection(h.store, { tenantName: name });
  h.xero.fail(connection.id, 'token_revoked', { httpStatus: 400, xeroError: 'invalid_grant' });
  await checkNowAsScheduler(h, connection.id);
  await h.handlers.runMonitorTick();
  await h.worker.drain();
  const alert = slack.messages(CHANNEL).find((m) => JSON.stringify(m.blocks ?? []).includes(ACTION_IDS.disconnect));
  if (!alert) throw new Error(`no alert in ${CHANNEL}: ${JSON.stringify(slack.messages())}`);
  const incident = (await h.store.incidents.findOpen(connection.id))!;
  return { connection, incident, alert };
}

const blocksText = (m: StoredMessage | undefined) => JSON.stringify(m?.blocks ?? []);

describe('Slack alert flow with the real handlers and outbox', () => {
  it('posts the alert with its buttons to the alert channel and DMs the connector a reconnect button', async () => {
    const { alert } = await alertFor();
    expect(blocksText(alert)).toContain('Demo Company (NZ)');
    expect(blocksText(alert)).toContain(ACTION_IDS.reconnect);
    expect(blocksText(alert)).toContain(ACTION_IDS.confirmXero);
    expect(blocksText(alert)).toContain(`<@${CONNECTOR.userId}>`);
    expect(slack.calls('conversations.open').map((c) => c.args.users)).toContain(CONNECTOR.userId);
    const dm = slack.messages().find((m) => m.channel.startsWith('D') && blocksText(m).includes('"url"'));
    expect(dm, 'a DM with a link button').toBeDefined();
    expect(blocksText(dm)).toContain('https://guard.example/xero/connect?t=');
  });

  it('refuses a stranger privately and changes nothing', async () => {
    const { alert, incident } = await alertFor();
    const before = slack.calls().length;
    await clickOn(alert, STRANGER.userId, ACTION_IDS.disconnect);
    const refusal = await slack.waitFor((c) => c.method === 'response_url' && JSON.stringify(c.args).includes('Connie Connector'));
    expect(refusal.args).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    await h.worker.drain();
    expect(slack.calls().slice(before).filter((c) => c.method !== 'response_url')).toEqual([]);
    expect((await h.store.incidents.get(incident.id))!.disconnectedAt).toBeNull();
  });

  it('edits the alert in place and replies in its thread on Disconnect; a Slack retry of the click does nothing twice', async () => {
    const { alert, incident } = await alertFor();
    const raw = await clickOn(alert, ADMIN.userId, ACTION_IDS.disconnect);
    await expect.poll(async () => (await h.store.incidents.get(incident.id))!.disconnectedAt !== null).toBe(true);
    await clickOn(alert, ADMIN.userId, ACTION_IDS.disconnect, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' }, raw);
    await h.worker.drain();
    expect(h.xero.disconnects).toHaveLength(1);
    const edited = slack.message(alert.channel, alert.ts)!;
    expect(edited.edits).toBe(1);
    expect(blocksText(edited)).toContain(`Disconnected in Xero Guard by <@${ADMIN.userId}>`);
    expect(blocksText(edited)).not.toContain(ACTION_IDS.disconnect);
    const replies = slack.replies(alert.channel, alert.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toContain('disconnected');
  });

  it('retries an edit Slack rate-limited only after Retry-After, through the outbox', async () => {
    const { alert, incident } = await alertFor();
    slack.failNext('chat.update', { status: 429, retryAfter: 30 });
    await clickOn(alert, CONNECTOR.userId, ACTION_IDS.confirmXero);
    await expect.poll(async () => (await h.store.incidents.get(incident.id))!.confirmedXeroAt !== null).toBe(true);
    await h.worker.drain();
    expect(slack.calls('chat.update').map((c) => c.status)).toEqual([429]);
    h.clock.advance(29_000);
    await h.worker.drain();
    expect(slack.calls('chat.update').map((c) => c.status)).toEqual([429]);
    h.clock.advance(1_000);
    await h.worker.drain();
    expect(slack.calls('chat.update').map((c) => c.status)).toEqual([429, 200]);
    expect(blocksText(slack.message(alert.channel, alert.ts))).toContain(`Disconnected in Xero too by <@${CONNECTOR.userId}>`);
  });

  it('says so in the thread and sends the link to the admins when the connector cannot be reached', async () => {
    slack.makeUnreachable(CONNECTOR.userId, 'cannot_dm_bot');
    const { alert } = await alertFor();
    await h.worker.drain();
    const replies = slack.replies(alert.channel, alert.ts);
    expect(replies.map((r) => r.text).join('\n')).toMatch(/Connie Connector/);
    const adminDm = slack.messages().find((m) => m.channel === `D${ADMIN.userId.slice(1)}` && blocksText(m).includes('"url"'));
    expect(adminDm, 'the admin got the reconnect link').toBeDefined();
  });

  it('answers /xero status and unknown commands privately', async () => {
    await alertFor('Acme Ltd');
    const status = await command(STRANGER.userId, 'status');
    expect(status.args).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.stringify(status.args)).toContain('Acme Ltd');
    const unknown = await command(STRANGER.userId, 'frobnicate');
    expect(unknown.args).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.stringify(unknown.args).toLowerCase()).toContain('frobnicate');
  });
});
