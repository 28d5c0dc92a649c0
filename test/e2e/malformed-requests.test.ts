// Correctly signed requests that carry nonsense get a clear 4xx and change nothing, never a 500:
// Slack `payload=null`, a payload that is not JSON, a click without its user; a Teams request with
// an empty or non-JSON body, or a message or click without its sender.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startService, type RunningService } from '../../src/service.ts';
import { captureLogs } from '../support/log-capture.ts';
import { freePort } from '../support/service-process.ts';
import { FORM, JSON_TYPE, postSigned, startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';

const SECRET = 'malformed-signing-secret';
let slack: FakeSlack;
let service: RunningService;
let base: string;

beforeAll(async () => {
  slack = await startFakeSlack();
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'xg-malformed-'));
  const loaded = loadConfig({
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: `file:${path.join(dir, 'guard.db')}`,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    XERO_CLIENT_ID: 'client',
    XERO_CLIENT_SECRET: 'secret',
    SLACK_BOT_TOKEN: 'xoxb-malformed',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.apiUrl,
    SLACK_ADMIN_USER_IDS: 'UADMIN',
    TEAMS_ENABLED: 'true',
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  service = await startService(loaded.config, { logger: captureLogs('debug').logger });
  base = `http://127.0.0.1:${service.port}`;
});

afterAll(async () => {
  await service?.stop();
  await slack?.close();
});

const slackPost = (body: string, type = FORM) => postSigned(`${base}/slack/events`, body, type, { secret: SECRET });

describe('malformed requests', () => {
  it.each([
    ['payload=null', 'payload=null'],
    ['a payload that is not JSON', `payload=${encodeURIComponent('{not json')}`],
    ['a click without its user', `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', team: { id: 'T1' }, actions: [{ action_id: 'xg_disconnect', value: 'x', action_ts: '1.1' }], container: { message_ts: '1.2' } }))}`],
    ['a click without actions', `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: 'U1' }, team: { id: 'T1' } }))}`],
  ])('Slack: %s gets a 4xx', async (_name, body) => {
    const res = await slackPost(body);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('Slack: the 400 names the problem, is counted, and Slack is told nothing was done', async () => {
    const res = await slackPost('payload=null');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ error: 'malformed_request', problem: 'not_an_object' });
    const click = await slackPost(`payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: 'U1' }, team: { id: 'T1' }, actions: ['xg_disconnect'] }))}`);
    expect(JSON.parse(click.body)).toEqual({ error: 'malformed_request', problem: 'click_without_actions' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(Number(/xero_guard_chat_requests_total\{platform="slack",kind="unknown",outcome="malformed"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    expect(slack.calls('chat.postMessage')).toHaveLength(0);
  });

  it('Slack: a JSON body that is not an event gets a 4xx', async () => {
    const res = await slackPost('null', JSON_TYPE);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it.each([
    ['an empty body', ''],
    ['a body that is not JSON', '{not json'],
    ['JSON null', 'null'],
    ['a message without its sender', JSON.stringify({ type: 'message', id: 'm-1', text: 'status', conversation: { id: 'a:1' }, serviceUrl: 'https://smba.example' })],
    ['a click without its sender', JSON.stringify({ type: 'invoke', name: 'adaptiveCard/action', id: 'i-1', conversation: { id: 'a:1' }, value: { action: { verb: 'xg_disconnect', data: {} } } })],
  ])('Teams: %s gets a 4xx', async (_name, body) => {
    const res = await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('Slack: the same nonsense unsigned is refused as unsigned (401), telling nothing about its shape', async () => {
    const res = await postSigned(`${base}/slack/events`, 'payload=null', FORM, { secret: 'not-the-secret' });
    expect(res.status).toBe(401);
  });

  it('still answers a good request afterwards', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
  });
});
