// The real Bolt app, mounted on an express app as the service mounts it, driven through HTTP with
// signed requests shaped as Slack sends them, against the fake Slack Web API. The handlers are a
// recording stand-in here (the adapter is under test); test/e2e runs the real ones.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, encodeButtonValue, type ButtonAction } from '../../../src/domain/actions.ts';
import type { ChatActor } from '../../../src/domain/permissions.ts';
import type { TextView } from '../../../src/domain/views/model.ts';
import type { HandlerResult, ChatHandlers, CommandContext } from '../../../src/handlers/types.ts';
import { createSlackSurface, type SlackSurface } from '../../../src/adapters/slack/surface.ts';
import { LINK_ACTION_ID } from '../../../src/adapters/slack/render.ts';
import { createMetrics } from '../../../src/adapters/observability/metrics.ts';
import {
  FORM,
  JSON_TYPE,
  blockActionsBody,
  blockActionsPayload,
  eventBody,
  postSigned,
  slashCommandBody,
  startFakeSlack,
  type FakeSlack,
} from '../../fakes/slack-api.ts';

const SECRET = 'test-signing-secret';

type Call = { kind: 'command' | 'click'; actor: ChatActor; input: string; action?: ButtonAction; context: CommandContext };

const text = (t: string, tone: 'info' | 'warning' = 'info'): TextView => ({ type: 'text', tone, text: t, lines: [] });

/** Records what the adapter passed in; answers with whatever the test sets. */
function recordingHandlers() {
  const calls: Call[] = [];
  let answer: (call: Call) => Promise<HandlerResult> = async (call) => ({ ok: true, value: { reply: text(`you said ${call.input}`), queued: false } });
  const handlers: ChatHandlers = {
    async runCommand(actor, input, context) {
      const call: Call = { kind: 'command', actor, input, context };
      calls.push(call);
      return answer(call);
    },
    async clickButton(actor, click, context) {
      const call: Call = { kind: 'click', actor, input: JSON.stringify(click.value), action: click.action, context };
      calls.push(call);
      return answer(call);
    },
  };
  return { handlers, calls, answerWith: (fn: typeof answer) => (answer = fn) };
}

let slack: FakeSlack;
let server: http.Server;
let url: string;
let surface: SlackSurface;
let authCallsAtStart: ReturnType<FakeSlack['calls']> = [];
const rec = recordingHandlers();
const metrics = createMetrics();

beforeAll(async () => {
  slack = await startFakeSlack();
  const app = express();
  surface = createSlackSurface({
    config: { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: SECRET, SLACK_APP_TOKEN: undefined, SLACK_API_URL: slack.apiUrl },
    handlers: rec.handlers,
    logger: pino({ level: 'silent' }),
    app,
    homeDebounceMs: 20,
    metrics,
  });
  app.use((_req, res) => res.status(404).send('not found'));
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  await surface.start();
  authCallsAtStart = slack.calls('auth.test');
});

afterAll(async () => {
  await surface.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await slack.close();
});

beforeEach(() => {
  slack.reset();
  rec.calls.length = 0;
  rec.answerWith(async (call) => ({ ok: true, value: { reply: text(`you said ${call.input}`), queued: false } }));
});
afterEach(async () => {
  // work after the ack finishes before the next test looks at the fake
  await new Promise((r) => setTimeout(r, 10));
});

const command = (t: string, extra: Partial<Parameters<typeof slashCommandBody>[0]> = {}) =>
  slashCommandBody({ text: t, user_id: 'U0ALICE01', user_name: 'alice', response_url: slack.responseUrl(), ...extra });

const alertBlocks = [
  {
    type: 'actions',
    block_id: 'xg_actions:abc',
    elements: [
      { type: 'button', action_id: ACTION_IDS.disconnect, style: 'danger', text: { type: 'plain_text', text: 'Disconnect' }, value: encodeButtonValue({ incidentId: 'inc-1', connectionId: 'conn-1' }) },
      { type: 'button', action_id: ACTION_IDS.reconnect, style: 'primary', text: { type: 'plain_text', text: 'Reconnect' }, value: encodeButtonValue({ incidentId: 'inc-1', connectionId: 'conn-1' }) },
      { type: 'button', action_id: ACTION_IDS.confirmXero, text: { type: 'plain_text', text: 'I disconnected in Xero too' }, value: encodeButtonValue({ incidentId: 'inc-1', connectionId: 'conn-1' }) },
    ],
  },
];

const click = (actionId: string, extra: Partial<Parameters<typeof blockActionsPayload>[0]> = {}) =>
  blockActionsPayload({ user_id: 'U0BOB0001', user_name: 'bob', action_id: actionId, channel_id: 'C0ALERTS1', message_ts: '1700000000.000001', response_url: slack.responseUrl('actions'), message: { text: 'alert', blocks: alertBlocks }, ...extra });

describe('Slack HTTP endpoint', () => {
  it('checks the bot token with one auth.test at start, and not again per request', async () => {
    expect(surface.mode).toBe('http');
    expect(authCallsAtStart.map((c) => c.token)).toEqual(['xoxb-test-token']);
    await postSigned(url, command('help'), FORM, { secret: SECRET });
    await slack.waitFor((c) => c.method === 'response_url');
    expect(slack.calls('auth.test')).toEqual([]);
  });

  it('acks a slash command at once and answers privately through response_url', async () => {
    const res = await postSigned(url, command('status'), FORM, { secret: SECRET });
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    const answer = await slack.waitFor((c) => c.method === 'response_url');
    expect(answer.args).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: 'you said status', blocks: [{ type: 'section' }] });
    expect(rec.calls).toHaveLength(1);
    expect(rec.calls[0]).toMatchObject({
      kind: 'command',
      actor: { platform: 'slack', userId: 'U0ALICE01', name: 'alice' },
      input: 'status',
      context: { platform: 'slack', channelId: 'C0ALERTS1', channelName: 'xero-alerts', isDirect: false, responseUrl: expect.stringContaining('/hooks/') },
    });
  });

  it('acks before the handler finishes: slow work never holds the HTTP answer', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    rec.answerWith(async () => {
      await gate;
      return { ok: true, value: { reply: text('done after the ack'), queued: false } };
    });
    const res = await postSigned(url, command('check demo'), FORM, { secret: SECRET });
    expect(res.status).toBe(200);
    expect(slack.calls('response_url')).toHaveLength(0);
    release();
    const answer = await slack.waitFor((c) => c.method === 'response_url');
    expect(answer.args.text).toBe('done after the ack');
  });

  it('passes a button click with its action and raw value, and shows a refusal only to the clicker', async () => {
    rec.answerWith(async () => ({ ok: false, error: { code: 'not_permitted', reason: 'not_admin_or_connector', reply: text('Only an admin or <@U0ALICE01> can do that.', 'warning') } }));
    const res = await postSigned(url, blockActionsBody(click(ACTION_IDS.disconnect)), FORM, { secret: SECRET });
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    const answer = await slack.waitFor((c) => c.method === 'response_url');
    expect(answer.args).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(JSON.stringify(answer.args)).toContain('Only an admin');
    expect(rec.calls[0]).toMatchObject({ kind: 'click', action: 'disconnect', actor: { userId: 'U0BOB0001' }, context: { channelId: 'C0ALERTS1' } });
    expect(JSON.parse(rec.calls[0]!.input)).toEqual({ incidentId: 'inc-1', connectionId: 'conn-1' });
    // a refusal changes nothing in the channel
    expect(slack.calls().filter((c) => c.method.startsWith('chat.'))).toEqual([]);
  });

  it.each([
    ['reconnect', ACTION_IDS.reconnect],
    ['confirmXero', ACTION_IDS.confirmXero],
  ])('routes the %s button', async (action, actionId) => {
    rec.answerWith(async () => ({ ok: true, value: { queued: true } }));
    expect((await postSigned(url, blockActionsBody(click(actionId)), FORM, { secret: SECRET })).status).toBe(200);
    await expect.poll(() => rec.calls.length).toBe(1);
    expect(rec.calls[0]?.action).toBe(action);
  });

  it('does nothing twice when Slack retries the same click', async () => {
    const body = blockActionsBody(click(ACTION_IDS.confirmXero));
    expect((await postSigned(url, body, FORM, { secret: SECRET })).status).toBe(200);
    expect((await postSigned(url, body, FORM, { secret: SECRET, headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } })).status).toBe(200);
    await slack.waitFor((c) => c.method === 'response_url');
    await new Promise((r) => setTimeout(r, 50));
    expect(rec.calls).toHaveLength(1);
    expect(slack.calls('response_url')).toHaveLength(1);
  });

  it('counts requests by kind and outcome, retries included', async () => {
    const body = blockActionsBody(click(ACTION_IDS.reconnect));
    await postSigned(url, body, FORM, { secret: SECRET });
    await postSigned(url, body, FORM, { secret: SECRET, headers: { 'x-slack-retry-num': '1' } });
    await slack.waitFor((c) => c.method === 'response_url');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/xero_guard_chat_requests_total\{platform="slack",kind="click",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/xero_guard_chat_requests_total\{platform="slack",kind="click",outcome="duplicate"\} [1-9]/);
    expect(text).toMatch(/xero_guard_slack_deliveries_total\{kind="ephemeral",outcome="ok"\} [1-9]/);
  });

  it('handles two real clicks (different action_ts) as two requests: the handlers make them idempotent', async () => {
    await postSigned(url, blockActionsBody(click(ACTION_IDS.confirmXero)), FORM, { secret: SECRET });
    await postSigned(url, blockActionsBody(click(ACTION_IDS.confirmXero)), FORM, { secret: SECRET });
    await expect.poll(() => rec.calls.length).toBe(2);
    expect(rec.calls[0]!.context.requestId).not.toBe(rec.calls[1]!.context.requestId);
  });

  it('acks a link button and does nothing else', async () => {
    const res = await postSigned(url, blockActionsBody(click(LINK_ACTION_ID, { message: { blocks: [] }, value: undefined })), FORM, { secret: SECRET });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 30));
    expect(rec.calls).toEqual([]);
  });

  it('apologises when a handler throws, and keeps serving', async () => {
    rec.answerWith(async () => {
      throw new Error('database on fire');
    });
    expect((await postSigned(url, command('status'), FORM, { secret: SECRET })).status).toBe(200);
    const answer = await slack.waitFor((c) => c.method === 'response_url');
    expect(JSON.stringify(answer.args)).toContain('Something went wrong');
    expect(JSON.stringify(answer.args)).not.toContain('database on fire');
  });

  it('waits out a 429 on response_url and answers once', async () => {
    slack.failNext('response_url', { status: 429, retryAfter: 1 });
    await postSigned(url, command('help'), FORM, { secret: SECRET });
    const ok = await slack.waitFor((c) => c.method === 'response_url' && c.status === 200, 5_000);
    expect(ok.args.text).toBe('you said help');
    expect(slack.calls('response_url').map((c) => c.status)).toEqual([429, 200]);
  });

  it('publishes the App Home tab when it is opened, once per event', async () => {
    rec.answerWith(async () => ({
      ok: true,
      value: { reply: { type: 'status', summary: '1 connection: 1 connected', counts: { connected: 1 } as never, rows: [{ connectionId: 'c1', tenantName: 'Demo Company (NZ)', state: 'connected', since: '2026-11-01T00:00:00Z', connectedBy: { platform: 'slack', userId: 'U0ALICE01' } }] }, queued: false },
    }));
    const body = eventBody({ type: 'app_home_opened', user: 'U0ALICE01', channel: 'D0ALICE01', tab: 'home', event_ts: '1700000000.1' });
    expect((await postSigned(url, body, JSON_TYPE, { secret: SECRET })).status).toBe(200);
    expect((await postSigned(url, body, JSON_TYPE, { secret: SECRET, headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } })).status).toBe(200);
    const publish = await slack.waitFor((c) => c.method === 'views.publish');
    expect(publish.args).toMatchObject({ user_id: 'U0ALICE01', view: { type: 'home' } });
    expect(JSON.stringify(publish.args)).toContain('Demo Company (NZ)');
    await new Promise((r) => setTimeout(r, 50));
    expect(slack.calls('views.publish')).toHaveLength(1);
  });

  it('refreshes the App Home tab of recent viewers after an alert is delivered', async () => {
    await postSigned(url, eventBody({ type: 'app_home_opened', user: 'U0CAROL01', tab: 'home', event_ts: '1.2' }), JSON_TYPE, { secret: SECRET });
    await slack.waitFor((c) => c.method === 'views.publish' && c.args.user_id === 'U0CAROL01');
    const before = slack.calls('views.publish').length;
    const outcome = await surface.sender.deliver({ id: 'n1', kind: 'post', address: { platform: 'slack', channel: 'C0ALERTS1' }, view: { type: 'notice', tone: 'warning', title: 'Xero API unreachable', text: 'Checks time out.', organisations: [] } });
    expect(outcome.ok).toBe(true);
    await expect.poll(() => slack.calls('views.publish').length, { timeout: 2_000 }).toBeGreaterThan(before);
  });

  it('ignores the Messages tab being opened', async () => {
    await postSigned(url, eventBody({ type: 'app_home_opened', user: 'U0ALICE01', tab: 'messages', event_ts: '1.3' }), JSON_TYPE, { secret: SECRET });
    await new Promise((r) => setTimeout(r, 50));
    expect(slack.calls('views.publish')).toHaveLength(0);
  });

  it('answers Slack’s url_verification challenge', async () => {
    const res = await postSigned(url, JSON.stringify({ type: 'url_verification', challenge: 'c-123', token: 'x' }), JSON_TYPE, { secret: SECRET });
    expect(res.status).toBe(200);
    expect(res.body).toContain('c-123');
  });

  it('answers Slack’s ssl_check with an empty 200 and runs nothing', async () => {
    const res = await postSigned(url, 'ssl_check=1&token=x', FORM, { secret: SECRET });
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    expect(slack.calls('chat.postMessage')).toHaveLength(0);
  });
});

describe('Slack request authenticity', () => {
  const now = () => Math.floor(Date.now() / 1000);
  it.each([
    ['a bad signature', { signature: 'v0=' + '0'.repeat(64) }],
    ['a signature made with another secret', { secret: 'not-the-secret' }],
    ['a stale timestamp (6 minutes old)', { timestamp: now() - 360 }],
    ['a future timestamp (6 minutes ahead)', { timestamp: now() + 360 }],
  ])('refuses %s with 401 and changes nothing', async (_name, options) => {
    const res = await postSigned(url, command('disconnect demo'), FORM, { secret: SECRET, ...options });
    expect(res.status).toBe(401);
    const click401 = await postSigned(url, blockActionsBody(click(ACTION_IDS.disconnect)), FORM, { secret: SECRET, ...options });
    expect(click401.status).toBe(401);
    await new Promise((r) => setTimeout(r, 30));
    expect(rec.calls).toEqual([]);
    expect(slack.calls()).toEqual([]);
  });

  it('refuses a request without the Slack headers', async () => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': FORM }, body: command('status') });
    expect(res.status).toBe(401);
    expect(rec.calls).toEqual([]);
  });

  it('accepts a timestamp within the allowed skew', async () => {
    const res = await postSigned(url, command('help'), FORM, { secret: SECRET, timestamp: now() - 200 });
    expect(res.status).toBe(200);
    await expect.poll(() => rec.calls.length).toBe(1);
  });
});
