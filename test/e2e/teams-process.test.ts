// Teams with the service started exactly as `npm start` starts it, in a child process, configured
// only through its environment: the HTTP fake of Xero (XERO_IDENTITY_URL, XERO_API_URL) and the
// fake Bot Connector (reached through the serviceUrl of the activities it sends). The in-process
// story (teams-story.test.ts) covers every step; this one proves the same wiring across a real
// process boundary, and that an app id in the environment turns the JWT check on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../src/domain/actions.ts';
import { checkCard } from '../../scripts/check-teams.ts';
import { baseEnv, freePort, startServiceProcess, type ServiceProcess } from '../support/service-process.ts';
import { sqliteUrl } from '../support/databases.ts';
import { startFakeXeroServer, type FakeXeroServer } from '../fakes/xero/http-server.ts';
import { adaptiveCardInvoke, CHANNEL_CONVERSATION, messageActivity, startFakeBotConnector, type ConnectorCall, type FakeBotConnector, type TeamsUser } from '../fakes/bot-connector.ts';
import { continueToXero } from '../support/link-pages.ts';

const ann: TeamsUser = { id: '29:ann', aadObjectId: 'aad-ann', name: 'Ann Admin' };
const DEMO = { tenantId: 'fe79f7dd-b6d4-4a92-ba7b-538af6289c58', tenantName: 'Demo Company (NZ)' };
const cardOf = (body: any) => body?.attachments?.[0]?.content;

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('npm start with Teams (TEAMS_ENABLED=true, no app id)', () => {
  let xero: FakeXeroServer;
  let connector: FakeBotConnector;
  let service: ServiceProcess;
  let botUrl: string;

  beforeAll(async () => {
    xero = await startFakeXeroServer();
    connector = await startFakeBotConnector();
    const port = await freePort();
    service = await startServiceProcess(
      baseEnv(port, { ...xero.env, DATABASE_URL: sqliteUrl(), TEAMS_ENABLED: 'true', TEAMS_ADMIN_USER_IDS: 'aad-ann', CHECK_INTERVAL: '2s', GROUP_WINDOW: '1s', XERO_TIMEOUT: '3s' }),
    );
    botUrl = `${service.base}/api/messages`;
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await connector?.close();
    await xero?.close();
  });

  async function say(text: string, where: Parameters<typeof messageActivity>[3]): Promise<ConnectorCall> {
    const before = connector.callsOf('replyToActivity').length;
    expect((await connector.send(botUrl, messageActivity(connector.serviceUrl, ann, text, where))).status).toBe(200);
    return (await connector.waitFor('replyToActivity', before + 1, 15_000))[before]!;
  }

  it('connects through Teams, posts the alert card when Xero revokes the grant, and answers a click with the card', async () => {
    await say('here', { scope: 'channel' });

    const reply = await say('connect', { scope: 'personal' });
    const link = cardOf(reply.body).actions[0].url as string;
    expect(link.startsWith(`${service.base}/xero/connect?t=`)).toBe(true);
    await fetch(`${xero.url}/_fake/next-consent`, { method: 'POST', body: JSON.stringify({ user: { id: 'xero-ann', name: 'Ann Admin', email: 'ann@example.com' }, tenants: [DEMO] }) });
    const consent = await fetch(await continueToXero(link), { redirect: 'manual' });
    const page = await fetch(consent.headers.get('location')!, { redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Demo Company (NZ)');

    await fetch(`${xero.url}/_fake/revoke`, { method: 'POST', body: JSON.stringify({ user: 'xero-ann' }) });
    const alert = await until(
      () => [...connector.activities.values()].find((a) => a.conversationId === CHANNEL_CONVERSATION && cardOf(a.body)?.actions),
      'the alert card in the channel',
    );
    expect(checkCard(cardOf(alert.body))).toEqual([]);
    // A revoked grant: one reconnect fixes it, so Reconnect leads and no reset is offered; then
    // the lifecycle: own it, snooze.
    expect(cardOf(alert.body).actions.map((a: any) => a.title)).toEqual(['Reconnect', 'Send link to…', "I'm on it", 'Snooze reminders']);
    const data = cardOf(alert.body).actions[0].data;

    const answer = await connector.send(botUrl, adaptiveCardInvoke(connector.serviceUrl, ann, ACTION_IDS.reconnect, data, alert.id));
    expect(answer.status).toBe(200);
    expect(answer.body.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(JSON.stringify(answer.body.value)).toContain('Ann Admin');
  }, 60_000);
});

describe('npm start with MicrosoftAppId set', () => {
  let connector: FakeBotConnector;
  let service: ServiceProcess;

  beforeAll(async () => {
    connector = await startFakeBotConnector();
    const port = await freePort();
    service = await startServiceProcess(
      baseEnv(port, { DATABASE_URL: sqliteUrl(), MicrosoftAppId: '11111111-2222-3333-4444-555555555555', MicrosoftAppPassword: 'not-a-real-secret', XERO_IDENTITY_URL: 'http://127.0.0.1:9', XERO_API_URL: 'http://127.0.0.1:9' }),
    );
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await connector?.close();
  });

  it('refuses messages without a valid Bot Framework token with 401, and sends nothing', async () => {
    const activity = messageActivity(connector.serviceUrl, ann, 'connect');
    expect((await connector.send(`${service.base}/api/messages`, activity)).status).toBe(401);
    expect((await connector.send(`${service.base}/api/messages`, activity, { authorization: 'Bearer not-a-jwt' })).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(connector.calls).toHaveLength(0);
    expect(service.output()).toContain('teams request without a token refused');
  });
});
