// The Slack story once more, with a host app listening: the service built as `npm start` builds it,
// WEBHOOK_ENDPOINTS pointing at a real receiver on 127.0.0.1 that verifies every signature with its
// own HMAC. Connect, break, disconnect, reconnect through Xero's consent: the host app hears each
// change, and the reconnect tells it who reconnected and from when to re-sync.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORGS } from '../adapters/xero/fake-xero.ts';
import { startInProcessService, type InProcessService } from '../support/in-process-service.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { aWebhookSecret, WebhookReceiver } from '../fakes/webhook-receiver.ts';
import { removedAppWorld, runSlackStory, STORY } from './slack-story.steps.ts';

const BOT_TOKEN = `xoxb-story-${randomBytes(6).toString('hex')}`;
const XERO_USER = 'b7f3a1c2-0000-4000-8000-00000000e7e7';
const SECRET = aWebhookSecret();

let slack: FakeSlack;
let world: InProcessService;
let receiver: WebhookReceiver;

beforeAll(async () => {
  slack = await startFakeSlack();
  receiver = await WebhookReceiver.start([SECRET]);
  world = await startInProcessService({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: STORY.secret,
    SLACK_API_URL: slack.apiUrl,
    SLACK_ADMIN_USER_IDS: STORY.alice,
    WEBHOOK_ENDPOINTS: JSON.stringify([{ name: 'host-app', url: receiver.url, secrets: [SECRET] }]),
  });
  world.xero.user(XERO_USER, 'Alice Admin', 'alice@example.com');
});

afterAll(async () => {
  await world?.stop();
  await slack?.close();
  await receiver?.close();
});

async function eventually<T>(read: () => T, done: (value: T) => boolean, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('events for the host app, end to end (in-process service, nock Xero, real receiver)', () => {
  it('connect, break, reconnect by the DM link: connected, broken, restored, signed and in order', async () => {
    await runSlackStory(removedAppWorld(world, slack, XERO_USER, [BOT_TOKEN, SECRET]));
    const events = await eventually(
      () => receiver.unique(),
      (list) => list.some((e) => e.type === 'connection.restored'),
    );
    expect(receiver.requests.every((r) => r.status === 204)).toBe(true);
    // A removed app is repaired by the link alone (no disconnect on our side), so no disconnected event.
    expect(events.map((e) => e.type)).toEqual(['connection.connected', 'connection.broken', 'connection.restored']);
    expect(events.map((e) => e.data.sequence)).toEqual([1, 2, 3]);
    for (const e of events) expect(e.data.organisation).toEqual({ tenantId: ORGS.demoNz.tenantId, name: STORY.org });
    const [connected, broken, restored] = events;
    expect(connected!.data).toMatchObject({ previousState: null, state: 'connected', actor: { platform: 'slack', userId: STORY.alice } });
    expect(broken!.data).toMatchObject({ cause: { code: 'app_disconnected_in_xero' }, incident: { status: 'open' } });
    const incidentId = (broken!.data.incident as { id: string }).id;
    expect(restored!.data).toMatchObject({
      state: 'connected',
      reconnectedBy: { platform: 'slack', userId: STORY.alice },
      syncFrom: broken!.data.brokenSince,
      incident: { id: incidentId },
    });
    expect(restored!.data.recoveredAfterSeconds).toEqual(expect.any(Number));
    expect(world.logs.text()).not.toContain(SECRET);
  });
});
