// Socket Mode (SLACK_APP_TOKEN set): the same routes over the WebSocket Slack hands out through
// apps.connections.open, here the fake Slack's. No public URL is needed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS, encodeButtonValue } from '../../../src/domain/actions.ts';
import type { ChatHandlers } from '../../../src/handlers/types.ts';
import { createSlackSurface, type SlackSurface } from '../../../src/adapters/slack/surface.ts';
import { blockActionsPayload, startFakeSlack, type FakeSlack } from '../../fakes/slack-api.ts';
import { loadConfig } from '../../../src/config.ts';
import { startService } from '../../../src/service.ts';
import { freePort } from '../../support/service-process.ts';
import { captureLogs } from '../../support/log-capture.ts';

let slack: FakeSlack;
let surface: SlackSurface;
const seen: string[] = [];

const handlers: ChatHandlers = {
  async runCommand(actor, text) {
    seen.push(`command ${actor.userId} ${text}`);
    return { ok: true, value: { reply: { type: 'text', tone: 'info', text: `status for ${actor.userId}`, lines: [] }, queued: false } };
  },
  async clickButton(actor, click) {
    seen.push(`click ${actor.userId} ${click.action}`);
    return { ok: true, value: { queued: true } };
  },
  async statusView() {
    return { type: 'status', summary: '0 connections', counts: {} as never, rows: [] };
  },
};

beforeAll(async () => {
  slack = await startFakeSlack();
  surface = createSlackSurface({
    config: { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: undefined, SLACK_APP_TOKEN: 'xapp-1-test', SLACK_API_URL: slack.apiUrl },
    handlers,
    logger: pino({ level: 'silent' }),
  });
  await surface.start();
});

afterAll(async () => {
  await surface.stop();
  await slack.close();
});

describe('Slack Socket Mode', () => {
  it('connects through apps.connections.open with the app token', () => {
    expect(surface.mode).toBe('socket');
    expect(slack.calls('apps.connections.open').map((c) => c.token)).toEqual(['xapp-1-test']);
    expect(slack.socketConnections()).toBe(1);
  });

  it('acks a slash command envelope and answers through response_url', async () => {
    const responseUrl = slack.responseUrl();
    const ack = await slack.socketSend('slash_commands', {
      token: 'x', team_id: 'T0ACME001', team_domain: 'acme', channel_id: 'C0ALERTS1', channel_name: 'xero-alerts',
      user_id: 'U0ALICE01', user_name: 'alice', command: '/xero', text: 'status', api_app_id: 'A0XEROGRD',
      is_enterprise_install: 'false', response_url: responseUrl, trigger_id: 'trig-1',
    });
    expect(ack.envelope_id).toMatch(/^env-/);
    const answer = await slack.waitFor((c) => c.method === 'response_url');
    expect(answer.args).toMatchObject({ response_type: 'ephemeral', text: 'status for U0ALICE01' });
    expect(seen).toContain('command U0ALICE01 status');
  });

  it('routes a button click and ignores Slack’s retry of the same envelope', async () => {
    const payload = blockActionsPayload({
      user_id: 'U0BOB0001', action_id: ACTION_IDS.confirmXero, value: encodeButtonValue({ incidentId: 'i1', connectionId: 'c1' }),
      channel_id: 'C0ALERTS1', message_ts: '1.1', response_url: slack.responseUrl('actions'), action_ts: '1700000000.555',
    });
    await slack.socketSend('interactive', payload);
    await slack.socketSend('interactive', payload, { retryAttempt: 1 });
    await expect.poll(() => seen.filter((s) => s.startsWith('click')).length).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.filter((s) => s === 'click U0BOB0001 confirmXero')).toHaveLength(1);
  });

  it('publishes App Home on app_home_opened', async () => {
    await slack.socketSend('events_api', {
      type: 'event_callback', team_id: 'T0ACME001', api_app_id: 'A0XEROGRD', event_id: 'Ev-socket-1', event_time: 1,
      event: { type: 'app_home_opened', user: 'U0ALICE01', tab: 'home', event_ts: '1.1' },
    });
    const publish = await slack.waitFor((c) => c.method === 'views.publish');
    expect(publish.args).toMatchObject({ user_id: 'U0ALICE01', view: { type: 'home' } });
    expect(publish.token).toBe('xoxb-test-token');
  });
});

describe('Slack Socket Mode while Slack is unreachable', () => {
  it('serves health, metrics and the Xero callback at once, and logs once what it waits for', async () => {
    const port = await freePort();
    const closedPort = await freePort(); // nothing listens there: every call to "Slack" is refused
    const dir = mkdtempSync(path.join(tmpdir(), 'xg-socket-'));
    const loaded = loadConfig({
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      XERO_CLIENT_ID: 'client-id',
      XERO_CLIENT_SECRET: 'client-secret',
      DATABASE_URL: `file:${path.join(dir, 'guard.db')}`,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_APP_TOKEN: 'xapp-1-test',
      SLACK_API_URL: `http://127.0.0.1:${closedPort}/api/`,
      SLACK_ADMIN_USER_IDS: 'U0ALICE01',
    });
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    const logs = captureLogs('info');
    const started = Date.now();
    const service = await startService(loaded.config, { logger: logs.logger });
    try {
      expect(Date.now() - started).toBeLessThan(10_000);
      const base = `http://127.0.0.1:${service.port}`;
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', database: 'reachable' });
      expect((await fetch(`${base}/metrics`)).status).toBe(200);
      // The callback answers a browser (here without Xero's parameters: a page saying so).
      const callback = await fetch(`${base}/xero/callback`);
      expect(callback.status).toBe(400);
      expect(callback.headers.get('content-type')).toMatch(/^text\/html/);

      const waiting = logs.lines().filter((l) => String(l.msg).startsWith('waiting for Slack'));
      expect(waiting).toHaveLength(1);
      expect(waiting[0]).toMatchObject({ level: 'warn', platform: 'slack', slackApiUrl: `http://127.0.0.1:${closedPort}/api/` });
      expect(String(waiting[0]!.msg)).toMatch(/Socket Mode connection cannot be opened yet .*retrying with backoff/);
      // Retries go on quietly (debug), without crashing the service: the one line is all an
      // operator reads, however long Slack stays away.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(logs.lines().filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([waiting[0]]);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('connects once Slack answers, after retrying with backoff', async () => {
    const fake = await startFakeSlack();
    fake.failNext('apps.connections.open', { status: 503 }, { times: 2 });
    const logs = captureLogs('debug');
    const socket = createSlackSurface({
      config: { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: undefined, SLACK_APP_TOKEN: 'xapp-1-test', SLACK_API_URL: fake.apiUrl },
      handlers,
      logger: logs.logger,
      socketRetryMs: 20,
    });
    try {
      await socket.start();
      await expect.poll(() => fake.socketConnections(), { timeout: 5_000 }).toBe(1);
      expect(fake.calls('apps.connections.open')).toHaveLength(3);
      expect(logs.lines().filter((l) => String(l.msg).startsWith('waiting for Slack'))).toHaveLength(1);
      expect(logs.lines().filter((l) => l.msg === 'slack socket mode: still waiting for Slack')).toHaveLength(1);
      await expect.poll(() => logs.lines().find((l) => l.msg === 'slack socket mode connected')).toMatchObject({ attempts: 3 });
    } finally {
      await socket.stop();
      await fake.close();
    }
  });

  it('reconnects after a drop, waiting with backoff while Slack is away, without crashing', async () => {
    const fake = await startFakeSlack();
    const logs = captureLogs('debug');
    const socket = createSlackSurface({
      config: { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: undefined, SLACK_APP_TOKEN: 'xapp-1-test', SLACK_API_URL: fake.apiUrl },
      handlers,
      logger: logs.logger,
      socketRetryMs: 20,
    });
    try {
      await socket.start();
      expect(fake.socketConnections()).toBe(1);
      // The network drops, and Slack fails the next two attempts to open a new connection.
      fake.failNext('apps.connections.open', { status: 503 }, { times: 2 });
      fake.socketDrop();
      await expect.poll(() => fake.calls('apps.connections.open').length, { timeout: 5_000 }).toBe(4);
      await expect.poll(() => fake.socketConnections(), { timeout: 5_000 }).toBe(1);
      const messages = logs.lines().map((l) => String(l.msg));
      expect(messages.filter((m) => m === 'slack socket mode connection closed; reconnecting')).toHaveLength(1);
      expect(messages.filter((m) => m.startsWith('waiting for Slack'))).toHaveLength(1);
      await expect.poll(() => logs.lines().filter((l) => l.msg === 'slack socket mode connected').length).toBe(2);
      // Still serving over the new connection.
      const ack = await fake.socketSend('events_api', {
        type: 'event_callback', team_id: 'T0ACME001', api_app_id: 'A0XEROGRD', event_id: 'Ev-socket-2', event_time: 2,
        event: { type: 'app_home_opened', user: 'U0ALICE01', tab: 'home', event_ts: '2.2' },
      });
      expect(ack.envelope_id).toMatch(/^env-/);
    } finally {
      await socket.stop();
      await fake.close();
    }
  });

  it('stops the start with one line when Slack refuses the app token', async () => {
    const fake = await startFakeSlack();
    fake.failNext('apps.connections.open', { error: 'invalid_auth' });
    const socket = createSlackSurface({
      config: { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: undefined, SLACK_APP_TOKEN: 'xapp-1-wrong', SLACK_API_URL: fake.apiUrl },
      handlers,
      logger: pino({ level: 'silent' }),
      socketRetryMs: 20,
    });
    try {
      await expect(socket.start()).rejects.toThrow('SLACK_APP_TOKEN was refused by Slack (invalid_auth)');
      expect(fake.calls('apps.connections.open')).toHaveLength(1);
    } finally {
      await socket.stop();
      await fake.close();
    }
  });
});
