// The Slack story as the acceptance tests run it: `npm start` in a child process (SQLite file),
// Xero served by the HTTP fake (XERO_IDENTITY_URL / XERO_API_URL), Slack by the fake Web API
// (SLACK_API_URL). Only HTTP crosses the process boundary.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { baseEnv, freePort, startServiceProcess, type ServiceProcess } from '../support/service-process.ts';
import { startFakeXeroServer, type FakeXeroServer } from '../fakes/xero/http-server.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { runSlackStory, STORY } from './slack-story.steps.ts';

const BOT_TOKEN = `xoxb-process-${randomBytes(6).toString('hex')}`;
const XERO_USER = { id: 'c0ffee00-0000-4000-8000-0000000a11ce', name: 'Alice Admin', email: 'alice@example.com' };
const TENANT = { tenantId: 'fe79f7dd-b6d4-4a92-ba7b-538af6289c58', tenantName: STORY.org };

let slack: FakeSlack;
let xero: FakeXeroServer;
let service: ServiceProcess;

beforeAll(async () => {
  xero = await startFakeXeroServer();
  slack = await startFakeSlack();
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'xg-slack-process-'));
  service = await startServiceProcess(
    baseEnv(port, {
      ...xero.env,
      DATABASE_URL: `file:${path.join(dir, 'data', 'guard.db')}`,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: STORY.secret,
      SLACK_API_URL: slack.apiUrl,
      SLACK_ADMIN_USER_IDS: STORY.alice,
      CHECK_INTERVAL: '2s',
      GROUP_WINDOW: '1s',
      XERO_TIMEOUT: '3s',
      LOG_LEVEL: 'debug',
    }),
  );
}, 60_000);

afterAll(async () => {
  await service?.stop();
  await slack?.close();
  await xero?.close();
});

describe('Slack, end to end through HTTP (npm start in a child process)', () => {
  it("connect; the app is removed in Xero; the alert names the link already in the connector's DMs; following it turns the alert green", async () => {
    await runSlackStory({
      base: service.base,
      slack,
      async consent(consentPage) {
        // The browser at Xero's login page: the fake consents as planned and redirects back.
        xero.fake.planConsent({ user: XERO_USER, tenants: [TENANT] });
        const atXero = await fetch(consentPage, { redirect: 'manual' });
        const callback = atXero.headers.get('location')!;
        return fetch(callback, { redirect: 'manual' });
      },
      breakInXero() {
        xero.fake.revokeGrant(XERO_USER.id);
      },
      cause: 'token_revoked',
      reason: 'The authorisation expired or was revoked',
      nextStep: 'reconnects with the link in their direct messages',
      logs: () => service.output(),
      secrets: [BOT_TOKEN, xero.env.XERO_CLIENT_SECRET],
    });
  }, 90_000);
});
