// Socket Mode (SLACK_APP_TOKEN set): the same routes over the WebSocket Slack hands out through
// apps.connections.open, here the fake Slack's. No public URL is needed.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS, encodeButtonValue } from '../../../src/domain/actions.ts';
import type { SlackHandlers } from '../../../src/adapters/slack/handlers-port.ts';
import { createSlackSurface, type SlackSurface } from '../../../src/adapters/slack/surface.ts';
import { blockActionsPayload, startFakeSlack, type FakeSlack } from '../../fakes/slack-api.ts';

let slack: FakeSlack;
let surface: SlackSurface;
const seen: string[] = [];

const handlers: SlackHandlers = {
  async runCommand(actor, text) {
    seen.push(`command ${actor.userId} ${text}`);
    return { ok: true, value: { reply: { type: 'text', tone: 'info', text: `status for ${actor.userId}`, lines: [] }, queued: false } };
  },
  async clickButton(actor, action) {
    seen.push(`click ${actor.userId} ${action}`);
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
