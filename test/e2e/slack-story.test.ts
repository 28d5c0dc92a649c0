// The Slack story, in-process: the service built exactly as `npm start` builds it (loadConfig +
// startService, a SQLite file), with Xero faked by nock in this process and Slack by the fake Web
// API on 127.0.0.1. The same story runs against a child process in slack-story-process.test.ts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startService, type RunningService } from '../../src/service.ts';
import { FakeXero, interceptXeroOnly, ORGS, resetNock } from '../adapters/xero/fake-xero.ts';
import { captureLogs, type CapturedLogs } from '../support/log-capture.ts';
import { freePort } from '../support/service-process.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { runSlackStory, STORY } from './slack-story.steps.ts';

const BOT_TOKEN = `xoxb-story-${randomBytes(6).toString('hex')}`;
const XERO_USER = 'b7f3a1c2-0000-4000-8000-00000000a11c';

let slack: FakeSlack;
let xero: FakeXero;
let service: RunningService;
let logs: CapturedLogs;

beforeAll(async () => {
  interceptXeroOnly();
  xero = await FakeXero.start();
  xero.user(XERO_USER, 'Alice Admin', 'alice@example.com');
  slack = await startFakeSlack();
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'xg-slack-story-'));
  const loaded = loadConfig({
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: `file:${path.join(dir, 'data', 'guard.db')}`,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    XERO_CLIENT_ID: xero.clientId,
    XERO_CLIENT_SECRET: xero.clientSecret,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: STORY.secret,
    SLACK_API_URL: slack.apiUrl,
    SLACK_ADMIN_USER_IDS: STORY.alice,
    CHECK_INTERVAL: '2s',
    GROUP_WINDOW: '1s',
    LOG_LEVEL: 'debug',
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  logs = captureLogs('debug');
  service = await startService(loaded.config, { logger: logs.logger });
});

afterAll(async () => {
  await service?.stop();
  await slack?.close();
  resetNock();
});

describe('Slack, end to end through HTTP (in-process service, nock Xero)', () => {
  it("connect; the app is removed in Xero; the alert names the link already in the connector's DMs; following it turns the alert green", async () => {
    await runSlackStory({
      base: `http://127.0.0.1:${service.port}`,
      slack,
      async consent(consentPage) {
        const code = xero.approve(consentPage, XERO_USER, [ORGS.demoNz]);
        const redirect = `${consentPage.searchParams.get('redirect_uri')}?code=${encodeURIComponent(code)}&state=${encodeURIComponent(consentPage.searchParams.get('state')!)}&scope=openid`;
        return fetch(redirect, { redirect: 'manual' });
      },
      breakInXero() {
        xero.removeInXero(ORGS.demoNz.tenantId);
        xero.revokeAllTokens(XERO_USER);
      },
      cause: 'app_disconnected_in_xero',
      reason: 'Someone removed the app under Connected Apps in Xero',
      nextStep: 'the app is already removed in Xero, so that link alone fixes it',
      logs: () => logs.text(),
      secrets: [BOT_TOKEN, xero.clientSecret],
    });
  });

  it('counts the calls the story made to Xero, and what one connection costs a day', async () => {
    const text = await (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
    const connections = /^xero_guard_xero_api_calls_total\{operation="connections"\} (\d+)$/m.exec(text);
    expect(Number(connections?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/^xero_guard_xero_calls_per_connection_per_day (\S+)$/m);
  });
});
