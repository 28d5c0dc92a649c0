// With MicrosoftAppId set, /api/messages needs a valid Bot Framework JWT. The SDK's real validation
// runs; only the place it fetches the channel's signing keys is a local OpenID endpoint, so the test
// can sign a genuine token next to forged ones.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { ACTION_IDS } from '../../../src/domain/actions.ts';
import { adaptiveCardInvoke, messageActivity, type TeamsUser } from '../../fakes/bot-connector.ts';
import { startTeamsHarness, type TeamsHarness } from './harness.ts';
import type { AlertView } from '../../../src/domain/views/model.ts';

const APP_ID = '11111111-2222-3333-4444-555555555555';
const ISSUER = 'https://api.botframework.com';
const ann: TeamsUser = { id: '29:ann', aadObjectId: 'aad-ann', name: 'Ann Admin' };

type Keys = Awaited<ReturnType<typeof generateKeyPair>>;
let channelKeys: Keys;
let attackerKeys: Keys;
let openId: http.Server;
let openIdUrl: string;

beforeAll(async () => {
  channelKeys = await generateKeyPair('RS256');
  attackerKeys = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(channelKeys.publicKey)), kid: 'channel-key', use: 'sig', alg: 'RS256' };
  openId = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    const base = `http://127.0.0.1:${(openId.address() as AddressInfo).port}`;
    if (req.url === '/v1/.well-known/openidconfiguration') {
      res.end(JSON.stringify({ issuer: ISSUER, jwks_uri: `${base}/v1/.well-known/keys`, id_token_signing_alg_values_supported: ['RS256'] }));
    } else if (req.url === '/v1/.well-known/keys') {
      // Bot Framework keys carry the channels they may sign for.
      res.end(JSON.stringify({ keys: [{ ...jwk, endorsements: ['msteams'] }] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => openId.listen(0, '127.0.0.1', () => resolve()));
  openIdUrl = `http://127.0.0.1:${(openId.address() as AddressInfo).port}/v1/.well-known/openidconfiguration`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => openId.close(() => resolve()));
});

let h: TeamsHarness;
beforeEach(async () => {
  h = await startTeamsHarness({ appId: APP_ID, password: 'app-secret', openIdMetadataUrl: openIdUrl });
  h.handlers.answer = () => ({ ok: true, value: { message: async () => alertView, queued: true } });
});
afterEach(async () => {
  await h.close();
});

const alertView: AlertView = {
  type: 'alert',
  path: 'full_reset',
  inMotion: [],
  linksSent: [],
  incidentId: 'inc-1',
  connectionId: 'con-1',
  tenantName: 'Demo',
  cause: 'token_revoked',
  headline: 'Xero connection revoked',
  explanation: 'Revoked.',
  nextStep: 'Reconnect.',
  since: '2026-03-03T09:00:00.000Z',
  connectedBy: { platform: 'teams', userId: '29:bob' },
  steps: {},
  buttons: ['reconnect'],
};

type Claims = { aud?: string; iss?: string; serviceurl?: string; expiresIn?: string; kid?: string };

async function token(keys: Keys, claims: Claims = {}): Promise<string> {
  return new SignJWT({ serviceurl: claims.serviceurl ?? h.connector.serviceUrl })
    .setProtectedHeader({ alg: 'RS256', kid: claims.kid ?? 'channel-key', typ: 'JWT' })
    .setIssuer(claims.iss ?? ISSUER)
    .setAudience(claims.aud ?? APP_ID)
    .setIssuedAt()
    .setNotBefore('-1m')
    .setExpirationTime(claims.expiresIn ?? '5m')
    .sign(keys.privateKey);
}

function unsigned(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

const click = () => adaptiveCardInvoke(h.connector.serviceUrl, ann, ACTION_IDS.reconnect, { incidentId: 'inc-1', connectionId: 'con-1' }, 'act-1');

async function expectNothingChanged() {
  expect(h.handlers.calls).toHaveLength(0);
  expect(h.connector.calls).toHaveLength(0);
  expect(await h.database.db.chatTarget.count()).toBe(0);
}

describe('with MicrosoftAppId set', () => {
  it('refuses a request without a token with 401 and changes nothing', async () => {
    const answer = await h.connector.send(h.botUrl, messageActivity(h.connector.serviceUrl, ann, 'connect'));
    expect(answer.status).toBe(401);
    await h.surface.bot.idle();
    await expectNothingChanged();
  });

  it.each([
    ['garbage', () => 'Bearer not-a-jwt'],
    ['an unsigned token', () => `Bearer ${unsigned({ iss: ISSUER, aud: APP_ID, serviceurl: h.connector.serviceUrl, exp: Math.floor(Date.now() / 1000) + 300 })}`],
    ['a token signed by another key', async () => `Bearer ${await token(attackerKeys)}`],
    ['a token for another bot', async () => `Bearer ${await token(channelKeys, { aud: '99999999-2222-3333-4444-555555555555' })}`],
    ['a token from another issuer', async () => `Bearer ${await token(channelKeys, { iss: 'https://evil.example.com' })}`],
    ['a token for another serviceUrl', async () => `Bearer ${await token(channelKeys, { serviceurl: 'https://smba.example.net/' })}`],
    ['an expired token', async () => `Bearer ${await token(channelKeys, { expiresIn: '-10m' })}`],
    ['a basic credential', () => `Basic ${Buffer.from(`${APP_ID}:app-secret`).toString('base64')}`],
  ])('refuses %s with 401 and changes nothing', async (_name, authorization) => {
    const answer = await h.connector.send(h.botUrl, click(), { authorization: await authorization() });
    expect(answer.status).toBe(401);
    await h.surface.bot.idle();
    await expectNothingChanged();
  });

  it('accepts a token the channel signed for this bot and this serviceUrl', async () => {
    const answer = await h.connector.send(h.botUrl, click(), { authorization: `Bearer ${await token(channelKeys)}` });
    expect(answer.status).toBe(200);
    expect(answer.body.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(h.handlers.calls).toHaveLength(1);
  });
});
