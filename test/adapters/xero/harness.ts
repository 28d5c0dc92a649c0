// Builds the real Xero adapter on a real database against the nock fake, with the consent use case
// and its pages over it, and seeds grants and connections as a past consent would have left them.
// Logs are captured so tests can check that no token or credential ever reaches them.
import { createCipheriv, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Router } from 'express';
import type { Db } from '../../../src/adapters/db/client.ts';
import { createConnectionLog } from '../../../src/adapters/db/connection-log.ts';
import { createStore } from '../../../src/adapters/db/store.ts';
import { consentRouter } from '../../../src/adapters/http/consent-routes.ts';
import { createLogger } from '../../../src/adapters/observability/logger.ts';
import { createXeroAdapter, type XeroAdapter, type XeroAdapterDeps } from '../../../src/adapters/xero/index.ts';
import { createTokenCipher, type EncryptionKey } from '../../../src/adapters/xero/token-cipher.ts';
import { createConsentHandlers, type ConsentFollowUps } from '../../../src/handlers/oauth/consent.ts';
import { createLinkIssuer, issueLink, type IssueLinkInput } from '../../../src/handlers/oauth/issue-link.ts';
import type { ConsentBound, LinkIssuer } from '../../../src/handlers/ports.ts';
import type { FakeXero } from './fake-xero.ts';

export const PUBLIC_URL = 'https://guard.example.com';

export function newKeys(): EncryptionKey[] {
  return [{ key: randomBytes(32) }];
}

export type Harness = {
  adapter: XeroAdapter;
  logs: string[];
  bound: ConsentBound[];
  /** The consent pages (/xero/connect, /xero/callback) over the consent use case. */
  router: Router;
  /** Issues a link as the handlers do. */
  issueLink(input: IssueLinkInput): ReturnType<typeof issueLink>;
  /** The same, as the handlers' LinkIssuer. */
  links: LinkIssuer;
};

type Overrides = Omit<Partial<XeroAdapterDeps>, 'settings' | 'repos'> & {
  settings?: Partial<XeroAdapterDeps['settings']>;
  /** What follows a consent in chat; by default consents bound are recorded in `bound`. */
  followUps?: Partial<ConsentFollowUps>;
};

/** `overrides.settings` is merged into the defaults (a short 400 ms timeout keeps fault tests fast;
 * scenarios with hundreds of grants on one event loop want a longer one). */
export function buildAdapter(db: Db, fake: FakeXero, keys: EncryptionKey[], overrides: Overrides = {}): Harness {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const bound: ConsentBound[] = [];
  const log = overrides.log ?? createLogger({ level: 'debug', destination });
  const clock = overrides.clock ?? { now: () => new Date() };
  // The store's dialect label is read by nothing the adapter or the consent use.
  const store = createStore(db, 'sqlite');
  const { followUps, ...adapterOverrides } = overrides;
  const adapter = createXeroAdapter({
    repos: store,
    encryptionKeys: keys,
    connectionLog: createConnectionLog(db),
    log,
    refreshRetryDelayMs: 5,
    ...adapterOverrides,
    settings: {
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      redirectUri: `${PUBLIC_URL}/xero/callback`,
      scopes: ['openid', 'profile', 'email', 'offline_access', 'accounting.settings.read'],
      identityUrl: 'https://identity.xero.com',
      apiUrl: 'https://api.xero.com',
      timeoutMs: 400,
      maxBudgetWaitMs: 2_000,
      ...overrides.settings,
    },
  });
  const consent = createConsentHandlers({
    store,
    clock,
    log,
    xero: adapter.consent,
    followUps: {
      bound: async (event) => {
        bound.push(event);
      },
      freshLink: async () => ({ ok: false }),
      refused: async () => undefined,
      ...followUps,
    },
  });
  const linkDeps = { links: store.links, clock, publicUrl: PUBLIC_URL };
  return { adapter, logs, bound, router: consentRouter(consent), issueLink: (input) => issueLink(linkDeps, input), links: createLinkIssuer(linkDeps) };
}

export type Seeded = { grantId: string; connectionIds: string[]; refreshToken: string; accessToken: string };

/** A grant and its connections as an earlier consent stored them (tokens from the fake). */
export async function seedGrant(
  db: Db,
  fake: FakeXero,
  keys: EncryptionKey[],
  userId: string,
  orgs: { tenantId: string; tenantName: string }[],
  options: { accessExpiresAt?: Date; refreshedAt?: Date } = {},
): Promise<Seeded> {
  fake.user(userId);
  const code = fake.consent(userId, orgs);
  void code; // the consent at Xero created the connections; the tokens come from seedTokens below
  const authEventId = fake.connectionsOf(userId)[0]!.authEventId;
  const tokens = await fake.seedTokens(userId, authEventId);
  const cipher = createTokenCipher(keys);
  const grant = await db.grant.create({
    data: {
      xeroUserId: userId,
      accessTokenEnc: cipher.encrypt(tokens.access_token),
      refreshTokenEnc: cipher.encrypt(tokens.refresh_token),
      accessTokenExpiresAt: options.accessExpiresAt ?? new Date(Date.now() + 25 * 60_000),
      refreshedAt: options.refreshedAt ?? new Date(),
      authEventId,
    },
  });
  const connectionIds: string[] = [];
  for (const org of orgs) {
    const xc = fake.connectionsOf(userId).find((c) => c.tenantId === org.tenantId)!;
    const row = await db.connection.create({
      data: { tenantId: org.tenantId, tenantName: org.tenantName, xeroConnectionId: xc.id, grantId: grant.id, connectedByPlatform: 'slack', connectedByUserId: 'U_ADA', connectedByName: 'Ada', xeroUserId: userId },
    });
    connectionIds.push(row.id);
  }
  return { grantId: grant.id, connectionIds, refreshToken: tokens.refresh_token, accessToken: tokens.access_token };
}

/** Asserts no captured log line holds any of the given secrets. */
export function leaked(logs: string[], secrets: string[]): string[] {
  return secrets.filter((s) => s.length > 0 && logs.some((line) => line.includes(s)));
}

/** An envelope as the cipher wrote it when key ids were positions or labels ("v1.k1...."). */
export function legacyEnvelope(key: Buffer, keyId: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(keyId));
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', keyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}
