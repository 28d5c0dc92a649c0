// A stateful fake of Xero's identity and API hosts, on nock: discovery with a real JWKS, a token
// endpoint that rotates refresh tokens and honours the 30-minute grace window, GET /connections,
// DELETE /connections/{id}, the revocation endpoint and GET /api.xro/2.0/Organisation. Bodies are
// shaped like ../shared/schemas/xero/ (xero-identity.yaml Connection and AccessToken,
// xero_accounting.yaml Organisations) and the error bodies of reference/xero-facts.md.
// Faults are queued per route: a status and body, headers, a delay, or malformed JSON.
import { createHash, randomUUID } from 'node:crypto';
import nock from 'nock';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

export const IDENTITY = 'https://identity.xero.com';
export const API = 'https://api.xero.com';
export const GRACE_MS = 30 * 60_000;

type Route = 'token' | 'connections' | 'organisation' | 'delete' | 'revocation';
export type Fault = {
  status?: number;
  body?: unknown;
  /** Sent as is: malformed JSON, HTML. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Answer this late (past the client's timeout: the answer is lost). */
  delayMs?: number;
  /** token route: do the real work (rotate the token) and then answer late or wrongly. */
  thenProcess?: boolean;
};

type User = { id: string; email: string; given: string; family: string };
type Conn = { id: string; tenantId: string; tenantName: string; tenantType: string; authEventId: string; userId: string; createdDateUtc: string; updatedDateUtc: string };
type RefreshState = { userId: string; authEventId: string; rotatedAt?: number; successor?: TokenResponse; revoked?: boolean };
type TokenResponse = { id_token?: string; access_token: string; expires_in: number; token_type: 'Bearer'; refresh_token: string; scope: string };

export const ORGS = {
  demoNz: { tenantId: 'fe79f7dd-b6d4-4a92-ba7b-538af6289c58', tenantName: 'Demo Company (NZ)' },
  demoAu: { tenantId: '0a1b2c3d-1111-4222-8333-944455566677', tenantName: 'Demo Company (AU)' },
  acme: { tenantId: '9c8b7a6d-2222-4333-8444-a55566677788', tenantName: 'Acme Widgets Ltd' },
};

export class FakeXero {
  readonly clientId = 'CLIENTID0123456789ABCDEF01234567';
  readonly clientSecret = 'sEcReT-xero-client-secret-value-0123456789';
  now: () => number = Date.now;
  tokenCalls: { grantType: string; refreshToken?: string }[] = [];
  apiCalls: { route: Route; tenantId?: string }[] = [];
  readonly organisationStatus = new Map<string, string>();
  private readonly users = new Map<string, User>();
  private readonly connections: Conn[] = [];
  private readonly refreshTokens = new Map<string, RefreshState>();
  private readonly accessTokens = new Map<string, { userId: string; exp: number }>();
  private readonly codes = new Map<string, { userId: string; authEventId: string; used: boolean }>();
  private readonly faults = new Map<Route, Fault[]>();
  private key!: { privateKey: CryptoKey; jwk: JWK };

  static async start(): Promise<FakeXero> {
    const fake = new FakeXero();
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    fake.key = { privateKey: privateKey as CryptoKey, jwk: { ...(await exportJWK(publicKey)), kid: 'fake-key-1', alg: 'RS256', use: 'sig' } };
    fake.install();
    return fake;
  }

  user(id: string, name = 'Ada Lovelace', email = 'ada@example.com'): User {
    const [given = name, family = ''] = name.split(' ');
    const user = { id, email, given, family };
    this.users.set(id, user);
    return user;
  }

  /** What happens at login.xero.com: the user picks organisations; Xero connects them under one auth event. */
  consent(userId: string, orgs: { tenantId: string; tenantName: string }[]): string {
    const authEventId = randomUUID();
    const at = new Date(this.now()).toISOString().replace('Z', '0');
    for (const org of orgs) {
      const existing = this.connections.find((c) => c.userId === userId && c.tenantId === org.tenantId);
      if (existing) Object.assign(existing, { authEventId, updatedDateUtc: at });
      else this.connections.push({ id: randomUUID(), ...org, tenantType: 'ORGANISATION', authEventId, userId, createdDateUtc: at, updatedDateUtc: at });
    }
    const code = `code-${randomUUID()}`;
    this.codes.set(code, { userId, authEventId, used: false });
    return code;
  }

  /** Someone removed the app under Connected Apps in Xero, for one organisation. */
  removeInXero(tenantId: string): void {
    for (let i = this.connections.length - 1; i >= 0; i--) if (this.connections[i]!.tenantId === tenantId) this.connections.splice(i, 1);
  }

  revokeAllTokens(userId: string): void {
    for (const state of this.refreshTokens.values()) if (state.userId === userId) state.revoked = true;
  }

  connectionsOf(userId: string): Conn[] {
    return this.connections.filter((c) => c.userId === userId);
  }

  /** A token set for a user, as if they had consented earlier (for tests that start connected). */
  async seedTokens(userId: string, authEventId: string = randomUUID(), expiresInSec = 1800): Promise<TokenResponse> {
    return this.issue(userId, authEventId, false, expiresInSec);
  }

  fail(route: Route, ...faults: Fault[]): void {
    this.faults.set(route, [...(this.faults.get(route) ?? []), ...faults]);
  }

  pendingFaults(route: Route): number {
    return this.faults.get(route)?.length ?? 0;
  }

  basicCredential(): string {
    return Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64');
  }

  private install(): void {
    const discovery = {
      issuer: IDENTITY,
      authorization_endpoint: 'https://login.xero.com/identity/connect/authorize',
      token_endpoint: `${IDENTITY}/connect/token`,
      userinfo_endpoint: `${IDENTITY}/connect/userinfo`,
      revocation_endpoint: `${IDENTITY}/connect/revocation`,
      jwks_uri: `${IDENTITY}/.well-known/openid-configuration/jwks`,
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    };
    nock(IDENTITY).persist().get('/.well-known/openid-configuration').reply(200, discovery);
    nock(IDENTITY).persist().get('/.well-known/openid-configuration/jwks').reply(() => [200, { keys: [this.key.jwk] }]);

    const self = this;
    nock(IDENTITY)
      .persist()
      .post('/connect/token')
      .reply(function (_uri, body, callback) {
        self.respond('token', () => self.token(this.req.headers.authorization as string | undefined, String(body)), callback);
      });
    nock(IDENTITY)
      .persist()
      .post('/connect/revocation')
      .reply(function (_uri, body, callback) {
        self.respond('revocation', () => self.revocation(this.req.headers.authorization as string | undefined, String(body)), callback);
      });
    nock(API)
      .persist()
      .get('/connections')
      .reply(function (_uri, _body, callback) {
        self.apiCalls.push({ route: 'connections' });
        self.respond('connections', () => self.listConnections(this.req.headers.authorization as string | undefined), callback);
      });
    nock(API)
      .persist()
      .delete(/^\/connections\/[^/]+$/)
      .reply(function (uri, _body, callback) {
        self.apiCalls.push({ route: 'delete' });
        self.respond('delete', () => self.deleteConnection(this.req.headers.authorization as string | undefined, uri.split('/').pop()!), callback);
      });
    nock(API)
      .persist()
      .get('/api.xro/2.0/Organisation')
      .reply(function (_uri, _body, callback) {
        const tenantId = this.req.headers['xero-tenant-id'] as string | undefined;
        self.apiCalls.push({ route: 'organisation', tenantId });
        self.respond('organisation', () => self.organisation(this.req.headers.authorization as string | undefined, tenantId), callback);
      });
  }

  private respond(route: Route, work: () => Promise<Answer> | Answer, callback: (err: null, result: [number, string, Record<string, string>]) => void): void {
    const fault = this.faults.get(route)?.shift();
    void (async () => {
      let answer: Answer | undefined;
      if (!fault || fault.thenProcess) answer = await work();
      if (fault) {
        if (fault.status !== undefined || fault.rawBody !== undefined || fault.body !== undefined) {
          answer = { status: fault.status ?? 200, body: fault.rawBody ?? JSON.stringify(fault.body ?? {}), headers: { 'content-type': 'application/json', ...fault.headers } };
        } else if (fault.headers && answer) answer = { ...answer, headers: { ...answer.headers, ...fault.headers } };
        if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      }
      const a = answer ?? { status: 500, body: '{}', headers: {} };
      callback(null, [a.status, a.body, a.headers]);
    })();
  }

  private async token(authorization: string | undefined, rawBody: string): Promise<Answer> {
    const form = new URLSearchParams(rawBody);
    const grantType = form.get('grant_type') ?? '';
    this.tokenCalls.push({ grantType, refreshToken: form.get('refresh_token') ?? undefined });
    if (authorization !== `Basic ${this.basicCredential()}`) return json(400, { error: 'invalid_client' });
    if (grantType === 'authorization_code') {
      const code = this.codes.get(form.get('code') ?? '');
      if (!code || code.used) return json(400, { error: 'invalid_grant' });
      code.used = true;
      return json(200, await this.issue(code.userId, code.authEventId, true));
    }
    if (grantType === 'refresh_token') {
      const state = this.refreshTokens.get(form.get('refresh_token') ?? '');
      if (!state || state.revoked) return json(400, { error: 'invalid_grant' });
      if (state.successor && state.rotatedAt !== undefined) {
        // Xero's grace window: the old token works again for 30 minutes after it rotated.
        return this.now() - state.rotatedAt < GRACE_MS ? json(200, state.successor) : json(400, { error: 'invalid_grant' });
      }
      const next = await this.issue(state.userId, state.authEventId, false);
      state.rotatedAt = this.now();
      state.successor = next;
      return json(200, next);
    }
    return json(400, { error: 'unsupported_grant_type' });
  }

  private async issue(userId: string, authEventId: string, withIdToken: boolean, expiresInSec = 1800): Promise<TokenResponse> {
    const user = this.users.get(userId)!;
    const now = Math.floor(this.now() / 1000);
    const accessToken = await new SignJWT({
      client_id: this.clientId,
      sub: createHash('sha256').update(userId).digest('hex').slice(0, 32),
      auth_time: now,
      idp: 'Xero',
      xero_userid: userId,
      global_session_id: randomUUID(),
      jti: randomUUID(),
      authentication_event_id: authEventId,
      scope: ['email', 'profile', 'openid', 'accounting.settings.read', 'offline_access'],
      amr: ['pwd'],
    })
      .setProtectedHeader({ alg: 'RS256', kid: this.key.jwk.kid!, typ: 'JWT' })
      .setIssuer(IDENTITY)
      .setAudience(`${IDENTITY}/resources`)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + expiresInSec)
      .sign(this.key.privateKey);
    const refreshToken = `rt-${randomUUID()}${randomUUID()}`.replace(/-/g, '');
    this.refreshTokens.set(refreshToken, { userId, authEventId });
    this.accessTokens.set(accessToken, { userId, exp: (now + expiresInSec) * 1000 });
    const response: TokenResponse = { access_token: accessToken, expires_in: expiresInSec, token_type: 'Bearer', refresh_token: refreshToken, scope: 'openid profile email accounting.settings.read offline_access' };
    if (withIdToken) {
      const atHash = createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
      response.id_token = await new SignJWT({
        at_hash: atHash,
        sid: randomUUID(),
        auth_time: now,
        idp: 'Xero',
        xero_userid: userId,
        global_session_id: randomUUID(),
        preferred_username: user.email,
        email: user.email,
        given_name: user.given,
        family_name: user.family,
        amr: ['pwd'],
      })
        .setProtectedHeader({ alg: 'RS256', kid: this.key.jwk.kid!, typ: 'JWT' })
        .setIssuer(IDENTITY)
        .setAudience(this.clientId)
        .setSubject(createHash('sha256').update(userId).digest('hex').slice(0, 32))
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + 300)
        .sign(this.key.privateKey);
    }
    return response;
  }

  private bearer(authorization: string | undefined): { userId: string } | Answer {
    const token = authorization?.replace(/^Bearer /, '') ?? '';
    const known = this.accessTokens.get(token);
    if (!known || known.exp <= this.now()) {
      return json(401, { Type: null, Title: 'Unauthorized', Status: 401, Detail: 'TokenExpired: token expired at 09/24/2021 08:23:47', Instance: randomUUID(), Extensions: {} }, limits());
    }
    return known;
  }

  private listConnections(authorization: string | undefined): Answer {
    const who = this.bearer(authorization);
    if ('status' in who) return who;
    const list = this.connectionsOf(who.userId).map(({ userId: _u, ...c }) => c);
    return json(200, list, { 'x-appminlimit-remaining': '9990' });
  }

  private deleteConnection(authorization: string | undefined, id: string): Answer {
    const who = this.bearer(authorization);
    if ('status' in who) return who;
    const i = this.connections.findIndex((c) => c.id === id && c.userId === who.userId);
    if (i < 0) return { status: 404, body: '', headers: {} };
    this.connections.splice(i, 1);
    return { status: 204, body: '', headers: {} };
  }

  private revocation(authorization: string | undefined, rawBody: string): Answer {
    if (authorization !== `Basic ${this.basicCredential()}`) return json(400, { error: 'invalid_client' });
    const token = new URLSearchParams(rawBody).get('token') ?? '';
    const state = this.refreshTokens.get(token);
    if (state) {
      state.revoked = true;
      // Revocation removes the connections of that token set (xero-node 4.10.1 release notes).
      for (let i = this.connections.length - 1; i >= 0; i--) {
        const c = this.connections[i]!;
        if (c.userId === state.userId && c.authEventId === state.authEventId) this.connections.splice(i, 1);
      }
    }
    return { status: 200, body: '', headers: {} };
  }

  private organisation(authorization: string | undefined, tenantId: string | undefined): Answer {
    const who = this.bearer(authorization);
    if ('status' in who) return who;
    const conn = this.connections.find((c) => c.userId === who.userId && c.tenantId === tenantId);
    if (!conn) return json(403, { Type: null, Title: 'Forbidden', Status: 403, Detail: 'AuthenticationUnsuccessful', Instance: randomUUID(), Extensions: {} }, limits());
    return json(
      200,
      {
        Id: randomUUID(),
        Status: 'OK',
        ProviderName: 'Xero Guard',
        DateTimeUTC: `/Date(${this.now()})/`,
        Organisations: [{ OrganisationID: conn.tenantId, Name: conn.tenantName, OrganisationStatus: this.organisationStatus.get(conn.tenantId) ?? 'ACTIVE', Class: 'DEMO', Edition: 'BUSINESS', IsDemoCompany: true }],
      },
      limits(),
    );
  }
}

type Answer = { status: number; body: string; headers: Record<string, string> };

function json(status: number, body: unknown, headers: Record<string, string> = {}): Answer {
  return { status, body: JSON.stringify(body), headers: { 'content-type': 'application/json; charset=utf-8', ...headers } };
}

function limits(): Record<string, string> {
  return { 'x-minlimit-remaining': '59', 'x-daylimit-remaining': '4999', 'x-appminlimit-remaining': '9999', 'xero-correlation-id': randomUUID() };
}

export function interceptXeroOnly(): void {
  nock.disableNetConnect();
  nock.enableNetConnect((host) => host.startsWith('127.0.0.1') || host.startsWith('localhost'));
}

export function resetNock(): void {
  nock.cleanAll();
  nock.enableNetConnect();
}
