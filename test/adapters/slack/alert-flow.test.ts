// The Slack adapter with the real handlers, database, outbox worker and Slack sender: signed
// commands and clicks come in over HTTP, and the fake Slack Web API shows what a workspace would
// see. Xero is the scripted port here (test/e2e runs the real Xero adapter against the fake).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../../src/domain/actions.ts';
import type { Cause } from '../../../src/domain/causes.ts';
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

/**
 * Makes this channel the alert channel through `/xero here`, then breaks one organisation. The
 * break follows a reconnect that did not hold, so the alert advises the full reset (Disconnect,
 * remove in Xero, Reconnect), the ritual these tests walk through.
 */
async function alertFor(name = 'Demo Company (NZ)', options: { cause?: Cause; reset?: boolean } = {}) {
  await command(ADMIN.userId, 'here');
  expect((await h.store.targets.alertChannels()).map((t) => t.externalId)).toEqual([CHANNEL]);
  const connection = await aConnection(h.store, { tenantName: name });
  h.xero.fail(connection.id, options.cause ?? 'token_revoked', { httpStatus: 400, xeroError: 'invalid_grant' });
  await checkNowAsScheduler(h, connection.id);
  if (options.reset ?? true) await h.store.db.incident.updateMany({ where: { connectionId: connection.id, status: 'open' }, data: { resetAdvised: true } });
  await h.handlers.runMonitorTick();
  await h.worker.drain();
  const alert = slack.messages(CHANNEL).find((m) => JSON.stringify(m.blocks ?? []).includes(ACTION_IDS.reconnect));
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
    const refusal = await slack.waitFor((c) => c.method === 'response_url' && JSON.stringify(c.args).includes(`<@${CONNECTOR.userId}>`));
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
    expect(blocksText(edited)).toContain(`Disconnected in Xero Guard: <@${ADMIN.userId}>`);
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
    expect(blocksText(slack.message(alert.channel, alert.ts))).toContain(`Removed in Xero too: <@${CONNECTOR.userId}>`);
  });

  it('says so in the thread and sends the link to the admins when the connector cannot be reached', async () => {
    slack.makeUnreachable(CONNECTOR.userId, 'cannot_dm_bot');
    const { alert } = await alertFor();
    await h.worker.drain();
    const replies = slack.replies(alert.channel, alert.ts);
    expect(replies.map((r) => r.text).join('\n')).toMatch(/Connie Connector/);
    expect(replies.map((r) => JSON.stringify(r.blocks)).join('\n')).toContain(`<@${CONNECTOR.userId}>`);
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
  it('a removed app: the alert names the link the connector already holds and offers only Reconnect and Send link to…', async () => {
    const { alert, incident } = await alertFor('Demo Company (NZ)', { cause: 'app_disconnected_in_xero', reset: false });
    const shown = blocksText(alert);
    expect(shown).toContain(`<@${CONNECTOR.userId}> has a reconnect link by direct message (sent <!date^`);
    expect(shown).toContain('that link alone fixes it');
    expect(shown).not.toContain(ACTION_IDS.disconnect);
    expect(shown).not.toContain(ACTION_IDS.confirmXero);
    expect(shown).toContain('"type":"users_select"');
    expect(shown).not.toMatch(/app_disconnected_in_xero|HTTP \d|\/connections/);
    const dm = slack.messages().find((m) => m.channel === `D${CONNECTOR.userId.slice(1)}`)!;
    expect(dm.text).toContain('Someone removed the app under Connected Apps in Xero');
    expect(dm.text).not.toContain('Xero did not answer');
    expect((await h.store.incidents.get(incident.id))!.linksSent).toContain(CONNECTOR.userId);
  });

  it('Send link to… hands the reconnect to the picked person: a DM with the real reason, the alert says who holds it, the thread says who sent it', async () => {
    const { alert, incident } = await alertFor('Demo Company (NZ)', { cause: 'access_lost', reset: false });
    const pick = blockActionsPayload({ user_id: ADMIN.userId, action_id: ACTION_IDS.sendLink, selected_user: 'U0BOOK001', channel_id: alert.channel, message_ts: alert.ts, response_url: slack.responseUrl('actions'), message: { text: alert.text ?? '', blocks: alert.blocks ?? [] } });
    await postSigned(url, blockActionsBody(pick), FORM, { secret: SECRET });
    const answer = await slack.waitFor((c) => c.method === 'response_url' && JSON.stringify(c.args).includes('U0BOOK001'));
    expect(JSON.stringify(answer.args)).toContain('Sent a single-use reconnect link to <@U0BOOK001> by direct message.');
    await h.worker.drain();
    const dm = slack.messages().find((m) => m.channel === 'D0BOOK001');
    expect(dm, 'the picked person got the link').toBeDefined();
    expect(blocksText(dm)).toContain(`<@${ADMIN.userId}> asked you to reconnect Demo Company (NZ)`);
    expect(blocksText(dm)).toContain('lost access');
    expect(blocksText(dm)).toContain('"url":"');
    const edited = slack.message(alert.channel, alert.ts)!;
    expect(blocksText(edited)).toContain('<@U0BOOK001> has a reconnect link by direct message');
    expect(slack.replies(alert.channel, alert.ts).map((r) => JSON.stringify(r.blocks)).join()).toContain(`<@${ADMIN.userId}> sent a reconnect link to <@U0BOOK001>.`);
    expect((await h.store.incidents.get(incident.id))!.reconnectRequestedBy).toContain(ADMIN.userId);
  });

  it('Send link to… follows the same rules as Reconnect: a stranger is refused privately and nobody gets a link', async () => {
    const { alert, incident } = await alertFor('Demo Company (NZ)', { cause: 'access_lost', reset: false });
    const pick = blockActionsPayload({ user_id: STRANGER.userId, action_id: ACTION_IDS.sendLink, selected_user: 'U0BOOK001', channel_id: alert.channel, message_ts: alert.ts, response_url: slack.responseUrl('actions'), message: { text: alert.text ?? '', blocks: alert.blocks ?? [] } });
    await postSigned(url, blockActionsBody(pick), FORM, { secret: SECRET });
    const refusal = await slack.waitFor((c) => c.method === 'response_url' && JSON.stringify(c.args).includes('Only admins'));
    expect(refusal.args).toMatchObject({ response_type: 'ephemeral' });
    await h.worker.drain();
    expect(slack.messages().find((m) => m.channel === 'D0BOOK001')).toBeUndefined();
    expect((await h.store.incidents.get(incident.id))!.reconnectRequestedAt).toBeNull();
  });

  it('an organisation named with Slack control sequences pings nobody: alert, DM, answers and echoed commands are escaped', async () => {
    const name = '<!channel> <!here> <@U0ALL> & Sons';
    const { alert } = await alertFor(name, { reset: false });
    await command(STRANGER.userId, 'status');
    await command(STRANGER.userId, 'check <!everyone>');
    await command(STRANGER.userId, 'frob <!channel>');
    await h.worker.drain();
    const sent = slack.calls().filter((c) => ['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'response_url'].includes(c.method));
    expect(sent.length).toBeGreaterThan(4);
    for (const call of sent) {
      const { text, blocks, attachments } = call.args as { text?: string; blocks?: unknown; attachments?: unknown };
      // Every mrkdwn or text field (plain_text is shown as typed and parsed for nothing).
      const marked = JSON.stringify([text, blocks, attachments]).replace(/"type":"plain_text","text":"(?:[^"\\]|\\.)*"/g, '');
      expect(marked, call.method).not.toMatch(/<!(channel|here|everyone)>|<@U0ALL>/);
    }
    expect(blocksText(alert)).toContain('&lt;!channel&gt; &lt;!here&gt; &lt;@U0ALL&gt; &amp; Sons');
  });

  it('a click from another Slack workspace is refused with a clear private answer and changes nothing', async () => {
    const { alert, incident } = await alertFor();
    const before = slack.calls().filter((c) => c.method !== 'response_url').length;
    const payload = blockActionsPayload({ user_id: 'U0OTHER01', team_id: 'T0OTHER01', action_id: ACTION_IDS.disconnect, channel_id: alert.channel, message_ts: alert.ts, response_url: slack.responseUrl('actions'), message: { text: alert.text ?? '', blocks: alert.blocks ?? [] } });
    const res = await postSigned(url, blockActionsBody(payload), FORM, { secret: SECRET });
    expect(res.status).toBe(200);
    const answer = await slack.waitFor((c) => c.method === 'response_url' && JSON.stringify(c.args).includes('another Slack workspace'));
    expect(answer.args).toMatchObject({ response_type: 'ephemeral' });
    await h.worker.drain();
    expect(slack.calls().filter((c) => c.method !== 'response_url')).toHaveLength(before);
    expect(h.xero.disconnects).toHaveLength(0);
    expect((await h.store.incidents.get(incident.id))!.disconnectedAt).toBeNull();
    // A command from there too.
    const responseUrl = slack.responseUrl();
    await postSigned(url, slashCommandBody({ text: 'disconnect demo', user_id: 'U0OTHER01', team_id: 'T0OTHER01', channel_id: CHANNEL, channel_name: 'xero-alerts', response_url: responseUrl }), FORM, { secret: SECRET });
    const refused = await slack.waitFor((c) => c.method === 'response_url' && c.path === new URL(responseUrl).pathname);
    expect(JSON.stringify(refused.args)).toContain('another Slack workspace');
    expect(h.xero.disconnects).toHaveLength(0);
  });

  it("a summary of many breaks has a Reconnect button per row; a row's button sends that organisation's link", async () => {
    await command(ADMIN.userId, 'here');
    const connections = [];
    for (const name of ['Alpha Ltd', 'Beta Ltd', 'Gamma Ltd']) connections.push(await aConnection(h.store, { tenantName: name }));
    for (const c of connections) {
      h.xero.fail(c.id, 'token_revoked', { httpStatus: 400, xeroError: 'invalid_grant' });
      await checkNowAsScheduler(h, c.id);
    }
    await h.handlers.runMonitorTick();
    await h.worker.drain();
    const summary = slack.messages(CHANNEL).find((m) => (m.text ?? '').includes('3 Xero connections broke'))!;
    expect(summary, 'one summary').toBeDefined();
    const rowButtons = (summary.blocks as { type: string; accessory?: { action_id: string; value: string } }[]).filter((b) => b.type === 'section' && b.accessory?.action_id === ACTION_IDS.reconnect);
    expect(rowButtons).toHaveLength(3);
    const beta = (await h.store.incidents.findOpen(connections[1]!.id))!;
    const value = rowButtons.map((b) => b.accessory!.value).find((v) => v.includes(beta.id))!;
    const click = blockActionsPayload({ user_id: CONNECTOR.userId, action_id: ACTION_IDS.reconnect, value, channel_id: CHANNEL, message_ts: summary.ts, response_url: slack.responseUrl('actions'), message: { text: summary.text ?? '', blocks: summary.blocks ?? [] } });
    await postSigned(url, blockActionsBody(click), FORM, { secret: SECRET });
    await expect.poll(async () => (await h.store.incidents.get(beta.id))!.reconnectRequestedAt !== null).toBe(true);
    expect((await h.store.incidents.findOpen(connections[0]!.id))!.reconnectRequestedAt).toBeNull();
  });
});
