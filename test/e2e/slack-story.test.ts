// The Slack story, in-process: the service built exactly as `npm start` builds it (loadConfig +
// startService, a SQLite file), with Xero faked by nock in this process and Slack by the fake Web
// API on 127.0.0.1. The same story runs against a child process in slack-story-process.test.ts.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessService, type InProcessService } from '../support/in-process-service.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { removedAppWorld, runSlackStory, STORY } from './slack-story.steps.ts';

const BOT_TOKEN = `xoxb-story-${randomBytes(6).toString('hex')}`;
const XERO_USER = 'b7f3a1c2-0000-4000-8000-00000000a11c';

let slack: FakeSlack;
let world: InProcessService;

beforeAll(async () => {
  slack = await startFakeSlack();
  world = await startInProcessService({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: STORY.secret, SLACK_API_URL: slack.apiUrl, SLACK_ADMIN_USER_IDS: STORY.alice });
  world.xero.user(XERO_USER, 'Alice Admin', 'alice@example.com');
});

afterAll(async () => {
  await world?.stop();
  await slack?.close();
});

describe('Slack, end to end through HTTP (in-process service, nock Xero)', () => {
  it("connect; the app is removed in Xero; the alert names the link already in the connector's DMs; following it turns the alert green", async () => {
    await runSlackStory(removedAppWorld(world, slack, XERO_USER, [BOT_TOKEN]));
  });

  it('counts the calls the story made to Xero, and what one connection costs a day', async () => {
    const text = await (await fetch(`${world.base}/metrics`)).text();
    const connections = /^xero_guard_xero_api_calls_total\{operation="connections"\} (\d+)$/m.exec(text);
    expect(Number(connections?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/^xero_guard_xero_calls_per_connection_per_day (\S+)$/m);
  });
});
