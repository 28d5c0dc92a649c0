// The README's key rotation, as an operator lives it: `npm start` in a child process (SQLite, and
// Postgres when configured), Xero served by the HTTP fake, Slack by the fake Web API. Connect under
// K1; restart with new:<K2>,old:<K1>: healthy, and a refresh moves the tokens to K2; restart with
// K2 alone: healthy. Then a key the tokens were never under: one start-up warning, and an alert
// that says the encryption key changed (not a Xero credentials problem), which the fix it names
// resolves.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/adapters/db/client.ts';
import { keyIdOf } from '../../src/adapters/xero/token-cipher.ts';
import { createPostgresDatabase, dropPostgresDatabase, DIALECTS } from '../support/databases.ts';
import { baseEnv, freePort, startServiceProcess, type ServiceProcess } from '../support/service-process.ts';
import { startFakeXeroServer, type FakeXeroServer } from '../fakes/xero/http-server.ts';
import { FORM, postSigned, slashCommandBody, startFakeSlack, type FakeSlack, type SlackCall } from '../fakes/slack-api.ts';
import { continueToXero } from '../support/link-pages.ts';
import { linkIn } from './slack-story.steps.ts';

const SECRET = 'rotation-signing-secret';
const ALICE = 'U0ALICE01';
const CHANNEL = 'C0ALERTS1';
const XERO_USER = { id: 'c0ffee00-0000-4000-8000-00000000beef', name: 'Alice Admin', email: 'alice@example.com' };
const TENANT = { tenantId: '3e1f0a2b-4c5d-4e6f-8a9b-0c1d2e3f4a5b', tenantName: 'Rotation Ltd' };

const newKey = () => randomBytes(32);
const b64 = (key: Buffer) => key.toString('base64');
const text = (call: SlackCall) => JSON.stringify([call.args.text, call.args.blocks, call.args.attachments]);

describe.each(DIALECTS)('TOKEN_ENCRYPTION_KEY rotation with npm start on %s', (dialect) => {
  let xero: FakeXeroServer;
  let slack: FakeSlack;
  let url: string;
  let database: Database;
  let service: ServiceProcess | undefined;
  let port: number;

  beforeAll(async () => {
    xero = await startFakeXeroServer();
    slack = await startFakeSlack();
    url = dialect === 'sqlite' ? `file:${path.join(mkdtempSync(path.join(tmpdir(), 'xg-rotation-')), 'guard.db')}` : await createPostgresDatabase();
    port = await freePort();
  });

  afterAll(async () => {
    await service?.stop();
    await database?.close();
    if (dialect === 'postgres') await dropPostgresDatabase(url);
    await slack?.close();
    await xero?.close();
  });

  async function restart(keys: string): Promise<{ since: Date; output: () => string }> {
    await service?.stop();
    const since = new Date();
    service = await startServiceProcess(
      baseEnv(port, {
        ...xero.env,
        DATABASE_URL: url,
        TOKEN_ENCRYPTION_KEY: keys,
        SLACK_BOT_TOKEN: 'xoxb-rotation',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        SLACK_ADMIN_USER_IDS: ALICE,
        CHECK_INTERVAL: '2s',
        GROUP_WINDOW: '1s',
        XERO_TIMEOUT: '5s',
      }),
      60_000,
    );
    // The service migrated the database; the test reads it beside the service.
    database ??= await openDatabase(url);
    const running = service;
    return { since, output: () => running.output() };
  }

  async function slash(commandText: string): Promise<SlackCall> {
    const responseUrl = slack.responseUrl();
    const body = slashCommandBody({ text: commandText, user_id: ALICE, channel_id: CHANNEL, channel_name: 'xero-alerts', response_url: responseUrl });
    expect((await postSigned(`${service!.base}/slack/events`, body, FORM, { secret: SECRET })).status).toBe(200);
    return slack.waitFor((c) => c.method === 'response_url' && c.path === new URL(responseUrl).pathname, 20_000);
  }

  const connection = () => database.db.connection.findUniqueOrThrow({ where: { tenantId: TENANT.tenantId } });
  const grant = async () => database.db.grant.findUniqueOrThrow({ where: { id: (await connection()).grantId! } });
  const keyIdsStored = async () => {
    const g = await grant();
    return [g.accessTokenEnc, g.refreshTokenEnc].map((e) => e?.split('.')[1]);
  };
  /** A check that passed after `since`, with the connection still connected and nothing open. */
  async function healthySince(since: Date): Promise<void> {
    const { id } = await connection();
    await until(async () => (await database.db.connectionLog.count({ where: { connectionId: id, kind: 'check', outcome: 'ok', at: { gt: since } } })) > 0, 'a passing check', 40_000);
    expect(await connection()).toMatchObject({ state: 'connected' });
    expect(await database.db.incident.count({ where: { connectionId: id, status: 'open' } })).toBe(0);
    expect(await database.db.connectionLog.count({ where: { connectionId: id, kind: 'check', outcome: 'failure', at: { gt: since } } })).toBe(0);
  }

  it('connect under K1, rotate to K2 as the README says, drop K1; a lost key is named and its fix works', async () => {
    const [k1, k2, k3] = [newKey(), newKey(), newKey()];

    // 1. K1 alone, bare: connect the organisation through Slack and Xero's consent.
    await restart(b64(k1));
    await slash('here');
    const connect = await slash('connect');
    xero.fake.planConsent({ user: XERO_USER, tenants: [TENANT] });
    const atXero = await fetch(await continueToXero(linkIn(connect.args.blocks)), { redirect: 'manual' });
    const page = await fetch(atXero.headers.get('location')!, { redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(await keyIdsStored()).toEqual([keyIdOf(k1), keyIdOf(k1)]);
    await healthySince(new Date(0));

    // 2. The README's recipe: new:<K2>,old:<K1>. Checks pass; the next refresh stores under K2.
    const second = await restart(`new:${b64(k2)},old:${b64(k1)}`);
    await healthySince(second.since);
    expect(second.output()).toContain('some still under an older key');
    const tokenCallsBefore = xero.fake.stats().byRoute.token ?? 0;
    await database.db.grant.update({ where: { id: (await grant()).id }, data: { accessTokenExpiresAt: new Date(Date.now() - 60_000) } });
    await until(async () => (await keyIdsStored()).every((id) => id === keyIdOf(k2)), 'the refreshed tokens under K2', 40_000);
    expect(xero.fake.stats().byRoute.token ?? 0).toBeGreaterThan(tokenCallsBefore);
    expect((await grant()).previousRefreshTokenEnc!.split('.')[1]).toBe(keyIdOf(k2));
    await healthySince(new Date());

    // 3. K2 alone: every token is readable, checks pass.
    const third = await restart(b64(k2));
    await healthySince(third.since);
    expect(third.output()).toContain('"msg":"stored tokens readable"');
    expect(third.output()).not.toContain('cannot be decrypted');

    // 4. A key the tokens were never under: one warning at start, and an alert that says so.
    const tokenCallsBeforeLoss = xero.fake.stats().byRoute.token ?? 0;
    const fourth = await restart(b64(k3));
    expect(fourth.output()).toContain('1 of 1 stored Xero token sets (1 organisation) cannot be decrypted with any key in TOKEN_ENCRYPTION_KEY');
    expect(fourth.output().split('\n').filter((line) => line.includes('cannot be decrypted'))).toHaveLength(1);
    const alert = await slack.waitFor((c) => c.method === 'chat.postMessage' && c.args.channel === CHANNEL && text(c).includes(TENANT.tenantName) && /encryption key changed/i.test(text(c)), 40_000);
    expect(text(alert)).not.toMatch(/client id|XERO_CLIENT_SECRET/i);
    const incident = await database.db.incident.findFirstOrThrow({ where: { connectionId: (await connection()).id, status: 'open' } });
    expect(incident.cause).toBe('encryption_key_changed');
    expect(xero.fake.stats().byRoute.token ?? 0).toBe(tokenCallsBeforeLoss);

    // 5. The fix the alert names: the previous key back after the new one. The alert resolves.
    await restart(`new:${b64(k3)},old:${b64(k2)}`);
    await until(async () => (await database.db.incident.findUniqueOrThrow({ where: { id: incident.id } })).status === 'resolved', 'the incident to resolve', 40_000);
    expect(await connection()).toMatchObject({ state: 'connected' });
  }, 300_000);
});

async function until(condition: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
