// `npm start` runs two threads: the front owns the public port and acknowledges Slack's requests
// itself; the engine runs the handlers and serves everything else behind it. Seen from outside, as
// Slack and a browser see it, nothing may differ from one thread: the same acks and refusals, the
// same answers, the same log lines and metrics, and nothing acknowledged is lost at a stop.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, freePort, startServiceProcess, type ServiceProcess } from '../support/service-process.ts';
import { blockActionsBody, eventBody, FORM, JSON_TYPE, postSigned, slashCommandBody, startFakeSlack, viewSubmissionPayload, type FakeSlack } from '../fakes/slack-api.ts';
import { NOTE_BLOCK_ID, NOTE_CALLBACK_ID, NOTE_INPUT_ID } from '../../src/adapters/slack/note-modal.ts';
import { LIFECYCLE_ANSWERS } from '../../src/domain/views/wording.ts';

const SECRET = 'front-thread-signing-secret';
const ADMIN = 'UADMIN01';
let slack: FakeSlack;
let service: ServiceProcess;
let dir: string;

const start = async () => {
  const port = await freePort();
  return startServiceProcess(
    baseEnv(port, {
      DATABASE_URL: `file:${path.join(dir, 'guard.db')}`,
      SLACK_BOT_TOKEN: 'xoxb-front-thread',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      SLACK_ADMIN_USER_IDS: ADMIN,
      LOG_LEVEL: 'debug',
    }),
  );
};

beforeAll(async () => {
  slack = await startFakeSlack();
  dir = mkdtempSync(path.join(tmpdir(), 'xg-front-'));
  service = await start();
}, 60_000);

afterAll(async () => {
  await service?.stop();
  await slack?.close();
});

const post = (body: string, type = FORM, options: { timestamp?: number; signature?: string; headers?: Record<string, string> } = {}) =>
  postSigned(`${service.base}/slack/events`, body, type, { secret: SECRET, ...options });
const answersAt = (url: string) => slack.calls('response_url').filter((c) => url.endsWith(c.path));
const metrics = async () => (await fetch(`${service.base}/metrics`)).text();

describe('the front thread', () => {
  it('acknowledges a command with an empty 200, and the engine answers it at its response_url, logged and counted there', async () => {
    const url = slack.responseUrl('front');
    const res = await post(slashCommandBody({ text: 'help', user_id: ADMIN, response_url: url }));
    expect(res).toMatchObject({ status: 200, body: '' });
    const answer = await slack.waitFor((c) => c.method === 'response_url' && url.endsWith(c.path));
    expect(JSON.stringify(answer.args)).toContain('/xero');
    const figures = await metrics();
    expect(figures).toMatch(/xero_guard_http_requests_total\{route="\/slack\/events",status="200"\} [1-9]/);
    expect(figures).toMatch(/xero_guard_chat_requests_total\{platform="slack",kind="command",outcome="ok"\} [1-9]/);
    expect(service.output()).toMatch(/"route":"\/slack\/events","status":200/);
  });

  it('refuses at the door what one thread refused: a bad signature or a stale timestamp 401, a malformed body 400 with its code; the engine logs and counts each', async () => {
    const body = slashCommandBody({ text: 'status', user_id: ADMIN, response_url: slack.responseUrl('refused') });
    expect((await post(body, FORM, { signature: 'v0=0000' })).status).toBe(401);
    expect((await post(body, FORM, { timestamp: Math.floor(Date.now() / 1000) - 3_600 })).status).toBe(401);
    const malformed = await post('payload=null');
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body)).toEqual({ error: 'malformed_request', problem: 'not_an_object' });
    await expect.poll(() => service.output()).toContain('slack request refused: signature');
    await expect.poll(() => service.output()).toContain('slack request refused: timestamp');
    await expect.poll(metrics).toMatch(/xero_guard_chat_requests_total\{platform="slack",kind="unknown",outcome="malformed"\} 1/);
    expect(slack.calls('response_url').filter((c) => c.path.includes('/refused/'))).toEqual([]);
  });

  it("answers Slack's URL check with the challenge, and an empty note in the modal with the field's error, in the ack itself", async () => {
    const check = await post(JSON.stringify({ type: 'url_verification', token: 't', challenge: 'c-123' }), JSON_TYPE);
    expect(JSON.parse(check.body)).toEqual({ challenge: 'c-123' });
    const empty = viewSubmissionPayload({ user_id: ADMIN, view: { id: 'V1', callback_id: NOTE_CALLBACK_ID, private_metadata: '{}' }, values: { [NOTE_BLOCK_ID]: { [NOTE_INPUT_ID]: { type: 'plain_text_input', value: '  ' } } } });
    const res = await post(blockActionsBody(empty));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ response_action: 'errors', errors: { [NOTE_BLOCK_ID]: LIFECYCLE_ANSWERS.noteEmpty } });
  });

  it("runs a Slack retry of a request already taken not again", async () => {
    const url = slack.responseUrl('retried');
    const body = slashCommandBody({ text: 'help', user_id: ADMIN, response_url: url, trigger_id: 'trigger-retried-1' });
    expect((await post(body)).status).toBe(200);
    expect((await post(body, FORM, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } })).status).toBe(200);
    // A later request answered means the engine took both before it.
    const after = slack.responseUrl('after');
    await post(slashCommandBody({ text: 'help', user_id: ADMIN, response_url: after }));
    await slack.waitFor((c) => c.method === 'response_url' && after.endsWith(c.path));
    await slack.waitFor((c) => c.method === 'response_url' && url.endsWith(c.path));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answersAt(url)).toHaveLength(1);
    expect(service.output()).toContain('chat request repeated, ignored');
  });

  it('loses and repeats nothing in a burst: every command acknowledged is answered once', async () => {
    const urls = Array.from({ length: 150 }, (_, i) => slack.responseUrl(`burst${i}`));
    const acks = await Promise.all(urls.map((url) => post(slashCommandBody({ text: 'help', user_id: ADMIN, response_url: url }))));
    expect(acks.every((a) => a.status === 200)).toBe(true);
    await expect.poll(() => urls.filter((url) => answersAt(url).length > 0).length, { timeout: 30_000, interval: 200 }).toBe(urls.length);
    expect(urls.map((url) => answersAt(url).length)).toEqual(urls.map(() => 1));
  }, 60_000);

  it('passes everything else to the engine unchanged: pages, health, events, a 404', async () => {
    const home = await fetch(`${service.base}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toContain('text/html');
    expect(home.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${service.base}/healthz`)).status).toBe(200);
    const missing = await fetch(`${service.base}/no-such-page`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not_found' });
    const event = await post(eventBody({ type: 'app_home_opened', user: ADMIN, channel: 'D0HOME', tab: 'home' }), JSON_TYPE);
    expect(event.status).toBe(200);
    await slack.waitFor((c) => c.method === 'views.publish' && c.args.user_id === ADMIN);
  });

  it('finishes a command acknowledged just before a stop, then exits', async () => {
    const url = slack.responseUrl('stopping');
    expect((await post(slashCommandBody({ text: 'help', user_id: ADMIN, response_url: url }))).status).toBe(200);
    // The pipes close when the node process has exited (npm itself dies of the signal).
    await service.stop();
    expect(answersAt(url)).toHaveLength(1);
    expect(service.output()).toContain('shutting down');
    expect(service.output()).not.toContain('engine thread stopped unexpectedly');
    service = await start();
  }, 60_000);
});
