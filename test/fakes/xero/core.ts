// The Xero fake's behaviour, once, with no transport: state (users, their connections, codes and
// token sets, per-tenant quotas) and `handle(request) → response` for Xero's identity host
// (discovery, JWKS, token, revocation, userinfo), its login page (authorize) and its API host
// (GET /connections, DELETE /connections/{id}, GET /api.xro/2.0/Organisation). nock.ts and
// http-server.ts are thin front-ends over it. Bodies follow Xero's OpenAPI documents
// (github.com/XeroAPI/Xero-OpenAPI: xero-identity.yaml Connection and AccessToken,
// xero_accounting.yaml Organisations), and the error bodies and limit headers Xero documents
// for OAuth 2.0 and its rate limits (developer.xero.com/documentation/guides/oauth2/limits).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

export const GRACE_MS = 30 * 60_000;
const REFRESH_TOKEN_IDLE_MS = 60 * 24 * 60 * 60_000;
const CODE_LIFETIME_MS = 5 * 60_000;
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * 60_000;

export type Route = 'discovery' | 'jwks' | 'authorize' | 'token' | 'revocation' | 'userinfo' | 'connections' | 'delete' | 'organisation';
export const ROUTES: readonly Route[] = ['discovery', 'jwks', 'authorize', 'token', 'revocation', 'userinfo', 'connections', 'delete', 'organisation'];
const API_ROUTES = new Set<Route>(['connections', 'delete', 'organisation']);

export type Fault = {
  status?: number;
  body?: unknown;
  /** Sent as is: malformed JSON, HTML. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Answer this late (past the client's timeout: the answer is lost). */
  delayMs?: number;
  /** Never answer (until the client hangs up, or 10 minutes). */
  hang?: boolean;
  /** Do the real work (rotate the token, count the call) and then answer late or wrongly. */
  thenProcess?: boolean;
  /** Only calls for this tenant (xero-tenant-id) fail; others are answered as usual. */
  tenantId?: string;
};

export type Limits = { enforce: boolean; minute: number; day: number; concurrent: number; appMinute: number };
export const XERO_LIMITS: Limits = { enforce: true, minute: 60, day: 5_000, concurrent: 5, appMinute: 10_000 };

/** Where the fake lives: the nock fake uses Xero's real hosts, the HTTP fake one local base for all. */
export type Urls = { identity: string; api: string; authorize: string };
export const XERO_URLS: Urls = {
  identity: 'https://identity.xero.com',
  api: 'https://api.xero.com',
  authorize: 'https://login.xero.com/identity/connect/authorize',
};

export type FakeRequest = {
  method: string;
  /** Path and query, e.g. /connections?authEventId=... */
  path: string;
  /** Lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Aborted when the client hangs up (HTTP front-end): a hanging or slow answer stops waiting. */
  signal?: AbortSignal;
};
export type FakeResponse = { status: number; headers: Record<string, string>; body: string };

export type User = { id: string; email: string; given: string; family: string };
export type Org = { tenantId: string; tenantName: string; tenantType?: string };
export type Conn = { id: string; tenantId: string; tenantName: string; tenantType: string; authEventId: string; userId: string; createdDateUtc: string; updatedDateUtc: string };
export type TokenResponse = { id_token?: string; access_token: string; expires_in: number; token_type: 'Bearer'; refresh_token: string; scope: string };

type RefreshState = { userId: string; authEventId: string; issuedAt: number; rotatedAt?: number; successor?: TokenResponse; revoked?: boolean };
type CodeState = { userId: string; authEventId: string; used: boolean; redirectUri?: string; expiresAt: number; codeChallenge?: string; nonce?: string };
/** What the authorize request bound to its code: PKCE challenge (S256) and OpenID nonce. */
export type ConsentBinding = { codeChallenge?: string; nonce?: string };
type TenantQuota = { minuteStart: number; minuteCount: number; dayStart: number; dayCount: number; inFlight: number };
type RateProblem = 'minute' | 'day' | 'concurrent' | 'appminute';

/** A planned answer of the login page, chosen by a test before its browser arrives. */
export type PlannedConsent = { user: string | { id: string; name?: string; email?: string }; tenants: Org[] } | { deny: string };

export type SeedGrant = { user: string | { id: string; name?: string; email?: string }; tenants: Org[] };
export type SeededGrant = {
  userId: string;
  email: string;
  name: string;
  authEventId: string;
  accessToken: string;
  refreshToken: string;
  /** Milliseconds since the epoch. */
  accessTokenExpiresAt: number;
  tenants: { tenantId: string; tenantName: string; tenantType: string; connectionId: string }[];
};

export type Stats = {
  calls: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  rateLimited: Record<RateProblem, number> & { total: number };
  /** API calls per app-minute window, oldest first (the last 120 windows). */
  appMinutes: { start: string; calls: number }[];
  peakConcurrentPerTenant: number;
  tenants: number;
  connections: number;
  users: number;
};

export type CoreOptions = { urls?: Partial<Urls>; limits?: Partial<Limits>; now?: () => number; recordCalls?: boolean };

export class XeroFakeCore {
  readonly clientId = 'CLIENTID0123456789ABCDEF01234567';
  readonly clientSecret = 'sEcReT-xero-client-secret-value-0123456789';
  urls: Urls;
  limits: Limits;
  now: () => number;
  /** Keeps every token and API call in the arrays below (tests); off for benchmarks (memory). */
  recordCalls: boolean;
  tokenCalls: { grantType: string; refreshToken?: string }[] = [];
  apiCalls: { route: Route; tenantId?: string }[] = [];
  readonly organisationStatus = new Map<string, string>();
  /** Tenants whose Organisation answers 403 AuthenticationUnsuccessful while still listed. */
  readonly forbiddenTenants = new Set<string>();
  /** Scopes Xero grants a user's tokens, space-separated (default: what Xero Guard asks for). */
  readonly grantedScopes = new Map<string, string>();
  private readonly faults = new Map<Route, Fault[]>();
  /** Per-route fault probabilities (benchmarks): each call draws once. */
  readonly faultRates = new Map<Route, { probability: number; fault: Fault }>();
  latency: { ms: number; jitterMs: number; routes: Partial<Record<Route, number>> } = { ms: 0, jitterMs: 0, routes: {} };
  readonly plannedConsents: PlannedConsent[] = [];

  private readonly users = new Map<string, User>();
  private readonly connectionsByUser = new Map<string, Conn[]>();
  private readonly usersByTenant = new Map<string, Set<string>>();
  private readonly refreshTokens = new Map<string, RefreshState>();
  private readonly accessTokens = new Map<string, { userId: string; exp: number }>();
  private readonly codes = new Map<string, CodeState>();
  private readonly quotas = new Map<string, TenantQuota>();
  private app = { start: 0, count: 0 };
  private appHistory: { start: number; calls: number }[] = [];
  private counters = newCounters();
  private issuedSinceSweep = 0;
  private key!: { privateKey: CryptoKey; jwk: JWK };

  constructor(options: CoreOptions = {}) {
    this.urls = { ...XERO_URLS, ...options.urls };
    this.limits = { ...XERO_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.recordCalls = options.recordCalls ?? true;
  }

  /** A fake with its own RS256 signing key (the JWKS serves the public half). */
  static async create<T extends XeroFakeCore>(this: new (options: CoreOptions) => T, options: CoreOptions = {}): Promise<T> {
    const fake = new this(options);
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    fake.key = { privateKey: privateKey as CryptoKey, jwk: { ...(await exportJWK(publicKey)), kid: 'fake-key-1', alg: 'RS256', use: 'sig' } };
    return fake;
  }

  // ---- Control: what happens at Xero outside the app's calls -------------------------------------

  user(id: string, name = 'Ada Lovelace', email = 'ada@example.com'): User {
    const [given = name, ...rest] = name.split(' ');
    const user = { id, email, given, family: rest.join(' ') };
    this.users.set(id, user);
    return user;
  }

  /** What happens at login.xero.com: the user picks organisations; Xero connects them under one auth event. */
  consent(userId: string, orgs: Org[], redirectUri?: string, binding: ConsentBinding = {}): string {
    if (!this.users.has(userId)) this.user(userId);
    const authEventId = randomUUID();
    this.connect(userId, orgs, authEventId);
    const code = `code-${randomUUID()}`;
    this.codes.set(code, { userId, authEventId, used: false, redirectUri, expiresAt: this.now() + CODE_LIFETIME_MS, ...binding });
    return code;
  }

  /**
   * The login page answering the app's consent URL, in-process: the user picks `orgs`; the code
   * is bound to that URL's redirect_uri, PKCE challenge and nonce, as Xero binds them.
   */
  approve(consentUrl: string | URL, userId: string, orgs: Org[]): string {
    const q = new URL(consentUrl).searchParams;
    return this.consent(userId, orgs, q.get('redirect_uri') ?? undefined, bindingOf(q));
  }

  /** The login page's next answer (HTTP fake): consent as this user to these tenants, or deny. */
  planConsent(plan: PlannedConsent): void {
    this.plannedConsents.push(plan);
  }

  /** Someone removed the app under Connected Apps in Xero, for one organisation. */
  removeInXero(tenantId: string): void {
    for (const userId of this.usersByTenant.get(tenantId) ?? []) {
      const list = this.connectionsByUser.get(userId) ?? [];
      this.connectionsByUser.set(userId, list.filter((c) => c.tenantId !== tenantId));
    }
    this.usersByTenant.delete(tenantId);
  }

  /** The user's refresh tokens answer invalid_grant from now on (access tokens live on until they expire). */
  revokeAllTokens(userId: string): void {
    for (const state of this.refreshTokens.values()) if (state.userId === userId) state.revoked = true;
  }

  /** The grant is gone at Xero: refresh answers invalid_grant and its access tokens 401 at once. */
  revokeGrant(userId: string): void {
    this.revokeAllTokens(userId);
    for (const [token, state] of this.accessTokens) if (state.userId === userId) this.accessTokens.delete(token);
  }

  /** Users whose connections include the tenant (normally one). */
  usersOfTenant(tenantId: string): string[] {
    return [...(this.usersByTenant.get(tenantId) ?? [])];
  }

  connectionsOf(userId: string): Conn[] {
    return this.connectionsByUser.get(userId) ?? [];
  }

  forbidTenant(tenantId: string, forbidden = true): void {
    if (forbidden) this.forbiddenTenants.add(tenantId);
    else this.forbiddenTenants.delete(tenantId);
  }

  /** A token set for a user, as if they had consented earlier (for tests that start connected). */
  async seedTokens(userId: string, authEventId: string = randomUUID(), expiresInSec = 1800): Promise<TokenResponse> {
    return this.issue(userId, authEventId, false, expiresInSec);
  }

  /**
   * Many users, their connections and a token set each, as if they had consented earlier.
   * Access tokens are opaque here (real ones are JWTs, but clients must treat them as opaque and
   * signing thousands would make seeding slow); tokens from the token endpoint are real JWTs.
   */
  seed(grants: SeedGrant[], options: { expiresInSec?: number } = {}): SeededGrant[] {
    const expiresInSec = options.expiresInSec ?? 1800;
    return grants.map((g) => {
      const user = typeof g.user === 'string' ? this.user(g.user, `User ${g.user}`, `${g.user}@example.com`) : this.user(g.user.id, g.user.name, g.user.email);
      const authEventId = randomUUID();
      const conns = this.connect(user.id, g.tenants, authEventId);
      const accessToken = `at-${randomBytes(24).toString('base64url')}`;
      const refreshToken = `rt-${randomBytes(24).toString('base64url')}`;
      const exp = this.now() + expiresInSec * 1000;
      this.accessTokens.set(accessToken, { userId: user.id, exp });
      this.refreshTokens.set(refreshToken, { userId: user.id, authEventId, issuedAt: this.now() });
      return {
        userId: user.id,
        email: user.email,
        name: [user.given, user.family].filter(Boolean).join(' '),
        authEventId,
        accessToken,
        refreshToken,
        accessTokenExpiresAt: exp,
        tenants: conns.map((c) => ({ tenantId: c.tenantId, tenantName: c.tenantName, tenantType: c.tenantType, connectionId: c.id })),
      };
    });
  }

  /** `connections` tenants spread over grants of `minTenants`..`maxTenants` each (seeded PRNG: repeatable). */
  seedMany(options: { connections: number; minTenants?: number; maxTenants?: number; seed?: number; expiresInSec?: number; prefix?: string }): SeededGrant[] {
    const random = mulberry32(options.seed ?? 1);
    const min = options.minTenants ?? 1;
    const max = Math.max(min, options.maxTenants ?? 5);
    const prefix = options.prefix ?? 'bench';
    const grants: SeedGrant[] = [];
    let made = 0;
    for (let g = 0; made < options.connections; g++) {
      const n = Math.min(options.connections - made, min + Math.floor(random() * (max - min + 1)));
      const tenants: Org[] = [];
      for (let i = 0; i < n; i++, made++) tenants.push({ tenantId: uuidFrom(random), tenantName: `${capitalise(prefix)} Org ${String(made + 1).padStart(5, '0')}` });
      grants.push({ user: `${prefix}-user-${g + 1}`, tenants });
    }
    return this.seed(grants, { expiresInSec: options.expiresInSec });
  }

  fail(route: Route, ...faults: Fault[]): void {
    this.faults.set(route, [...(this.faults.get(route) ?? []), ...faults]);
  }

  pendingFaults(route: Route): number {
    return this.faults.get(route)?.length ?? 0;
  }

  clearFaults(): void {
    this.faults.clear();
    this.faultRates.clear();
  }

  /** Every call to `route` fails like `fault` with this probability (0 removes it). */
  failSometimes(route: Route, probability: number, fault: Fault): void {
    if (probability <= 0) this.faultRates.delete(route);
    else this.faultRates.set(route, { probability, fault });
  }

  /** Every answer takes `ms` (plus up to `jitterMs`); `routes` overrides per route. */
  setLatency(latency: { ms?: number; jitterMs?: number; routes?: Partial<Record<Route, number>> }): void {
    this.latency = { ms: latency.ms ?? 0, jitterMs: latency.jitterMs ?? 0, routes: latency.routes ?? {} };
  }

  setLimits(limits: Partial<Limits>): void {
    this.limits = { ...this.limits, ...limits };
  }

  basicCredential(): string {
    return Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64');
  }

  stats(): Stats {
    this.rollApp(this.now());
    const windows = [...this.appHistory, ...(this.app.count > 0 ? [{ start: this.app.start, calls: this.app.count }] : [])];
    let connections = 0;
    for (const list of this.connectionsByUser.values()) connections += list.length;
    return {
      calls: this.counters.calls,
      byRoute: { ...this.counters.byRoute },
      byStatus: { ...this.counters.byStatus },
      rateLimited: { ...this.counters.rateLimited },
      appMinutes: windows.map((w) => ({ start: new Date(w.start).toISOString(), calls: w.calls })),
      peakConcurrentPerTenant: this.counters.peakConcurrent,
      tenants: this.usersByTenant.size,
      connections,
      users: this.users.size,
    };
  }

  resetStats(): void {
    this.counters = newCounters();
    this.appHistory = [];
    this.tokenCalls = [];
    this.apiCalls = [];
  }

  /** Forgets users, connections, tokens, quotas, faults, plans and stats; keeps the signing key. */
  reset(): void {
    this.users.clear();
    this.connectionsByUser.clear();
    this.usersByTenant.clear();
    this.refreshTokens.clear();
    this.accessTokens.clear();
    this.codes.clear();
    this.quotas.clear();
    this.organisationStatus.clear();
    this.forbiddenTenants.clear();
    this.plannedConsents.length = 0;
    this.clearFaults();
    this.setLatency({});
    this.app = { start: 0, count: 0 };
    this.resetStats();
  }

  // ---- The wire -------------------------------------------------------------------------------

  /** Which route a request is for; undefined when the fake does not serve it. */
  route(method: string, pathname: string): Route | undefined {
    const m = method.toUpperCase();
    if (m === 'GET' && pathname === '/.well-known/openid-configuration') return 'discovery';
    if (m === 'GET' && pathname === '/.well-known/openid-configuration/jwks') return 'jwks';
    if (m === 'GET' && pathname === '/identity/connect/authorize') return 'authorize';
    if (m === 'POST' && pathname === '/connect/token') return 'token';
    if (m === 'POST' && pathname === '/connect/revocation') return 'revocation';
    if (m === 'GET' && pathname === '/connect/userinfo') return 'userinfo';
    if (m === 'GET' && /^\/connections\/?$/i.test(pathname)) return 'connections';
    if (m === 'DELETE' && /^\/connections\/[^/]+$/i.test(pathname)) return 'delete';
    if (m === 'GET' && /^\/api\.xro\/2\.0\/Organisations?$/i.test(pathname)) return 'organisation';
    return undefined;
  }

  async handle(req: FakeRequest): Promise<FakeResponse> {
    const url = new URL(req.path, 'http://fake');
    const route = this.route(req.method, url.pathname);
    if (!route) return json(404, { Title: 'Not Found', Status: 404, Detail: `the Xero fake does not serve ${req.method} ${url.pathname}` });
    this.counters.calls++;
    this.counters.byRoute[route] = (this.counters.byRoute[route] ?? 0) + 1;
    const tenantId = header(req, 'xero-tenant-id');
    if (this.recordCalls && API_ROUTES.has(route)) this.apiCalls.push(route === 'organisation' ? { route, tenantId } : { route });
    const answer = await this.answer(route, req, url, tenantId);
    this.counters.byStatus[answer.status] = (this.counters.byStatus[answer.status] ?? 0) + 1;
    return answer;
  }

  private async answer(route: Route, req: FakeRequest, url: URL, tenantId: string | undefined): Promise<FakeResponse> {
    const fault = this.takeFault(route, tenantId);
    const latency = this.latencyOf(route);
    if (fault && !fault.thenProcess) {
      await pause(latency + (fault.delayMs ?? 0), req.signal);
      if (fault.hang) await pause(10 * MINUTE_MS, req.signal);
      return faultAnswer(fault) ?? json(500, {});
    }
    let answer = await this.process(route, req, url, tenantId, latency);
    if (fault) {
      answer = faultAnswer(fault) ?? (fault.headers ? { ...answer, headers: { ...answer.headers, ...fault.headers } } : answer);
      await pause(fault.delayMs ?? 0, req.signal);
      if (fault.hang) await pause(10 * MINUTE_MS, req.signal);
    }
    return answer;
  }

  private takeFault(route: Route, tenantId: string | undefined): Fault | undefined {
    const queue = this.faults.get(route) ?? [];
    const index = queue.findIndex((f) => !f.tenantId || f.tenantId === tenantId);
    if (index >= 0) return queue.splice(index, 1)[0];
    const rate = this.faultRates.get(route);
    if (rate?.fault.tenantId && rate.fault.tenantId !== tenantId) return undefined;
    return rate && Math.random() < rate.probability ? rate.fault : undefined;
  }

  private latencyOf(route: Route): number {
    const base = this.latency.routes[route] ?? this.latency.ms;
    return base + (this.latency.jitterMs > 0 ? Math.random() * this.latency.jitterMs : 0);
  }

  private async process(route: Route, req: FakeRequest, url: URL, tenantId: string | undefined, latency: number): Promise<FakeResponse> {
    if (!API_ROUTES.has(route)) {
      await pause(latency, req.signal);
      switch (route) {
        case 'discovery':
          return json(200, this.discovery());
        case 'jwks':
          return json(200, { keys: [this.key.jwk] });
        case 'authorize':
          return this.authorize(url.searchParams);
        case 'token':
          return this.token(header(req, 'authorization'), req.body);
        case 'revocation':
          return this.revocation(header(req, 'authorization'), req.body);
        default:
          return this.userinfo(header(req, 'authorization'));
      }
    }
    // The API host: the app-wide minute first (it counts every call, even a 401), then the
    // token, then for tenant calls the tenant's minute, day and concurrency quotas.
    const now = this.now();
    const tenantCall = route === 'organisation';
    const app = this.countApp(now);
    if (app) return this.limited('appminute', tenantCall ? tenantId : undefined, now);
    const who = this.bearer(header(req, 'authorization'));
    if ('status' in who) return withHeaders(who, this.limitHeaders(tenantCall ? tenantId : undefined, now));
    if (!tenantCall) {
      await pause(latency, req.signal);
      const answer = route === 'connections' ? this.listConnections(who.userId, url.searchParams) : this.deleteConnection(who.userId, url.pathname.split('/').pop()!);
      return withHeaders(answer, this.limitHeaders(undefined, now));
    }
    const quota = tenantId ? this.quota(tenantId, now) : undefined;
    if (quota && this.limits.enforce) {
      const problem: RateProblem | undefined =
        quota.dayCount >= this.limits.day ? 'day' : quota.minuteCount >= this.limits.minute ? 'minute' : quota.inFlight >= this.limits.concurrent ? 'concurrent' : undefined;
      if (problem) return this.limited(problem, tenantId, now);
    }
    if (quota) {
      quota.minuteCount++;
      quota.dayCount++;
      quota.inFlight++;
      if (quota.inFlight > this.counters.peakConcurrent) this.counters.peakConcurrent = quota.inFlight;
    }
    try {
      await pause(latency, req.signal);
      return withHeaders(this.organisation(who.userId, tenantId), this.limitHeaders(tenantId, now));
    } finally {
      if (quota) quota.inFlight--;
    }
  }

  // ---- Limits -----------------------------------------------------------------------------------

  /** Counts one API call in the app-wide window; true when the window is already full. */
  private countApp(now: number): boolean {
    this.rollApp(now);
    if (this.limits.enforce && this.app.count >= this.limits.appMinute) return true;
    this.app.count++;
    return false;
  }

  private rollApp(now: number): void {
    if (this.app.count === 0 && this.app.start === 0) this.app.start = now;
    if (now - this.app.start < MINUTE_MS) return;
    if (this.app.count > 0) {
      this.appHistory.push({ start: this.app.start, calls: this.app.count });
      if (this.appHistory.length > 120) this.appHistory.shift();
    }
    // Fixed windows: the next one starts where the clock is now, not on a minute boundary.
    this.app = { start: now, count: 0 };
  }

  /** The tenant's fixed windows, each starting at its first call after the last one ended. */
  private quota(tenantId: string, now: number): TenantQuota {
    let q = this.quotas.get(tenantId);
    if (!q) {
      q = { minuteStart: now, minuteCount: 0, dayStart: now, dayCount: 0, inFlight: 0 };
      this.quotas.set(tenantId, q);
    }
    if (now - q.minuteStart >= MINUTE_MS) {
      q.minuteStart = now;
      q.minuteCount = 0;
    }
    if (now - q.dayStart >= DAY_MS) {
      q.dayStart = now;
      q.dayCount = 0;
    }
    return q;
  }

  private limitHeaders(tenantId: string | undefined, now: number): Record<string, string> {
    const headers: Record<string, string> = { 'x-appminlimit-remaining': String(Math.max(0, this.limits.appMinute - this.app.count)), 'xero-correlation-id': randomUUID() };
    if (tenantId) {
      const q = this.quota(tenantId, now);
      headers['x-minlimit-remaining'] = String(Math.max(0, this.limits.minute - q.minuteCount));
      headers['x-daylimit-remaining'] = String(Math.max(0, this.limits.day - q.dayCount));
    }
    return headers;
  }

  private limited(problem: RateProblem, tenantId: string | undefined, now: number): FakeResponse {
    this.counters.rateLimited[problem]++;
    this.counters.rateLimited.total++;
    const headers: Record<string, string> = { ...this.limitHeaders(tenantId, now), 'x-rate-limit-problem': problem };
    // Xero sends Retry-After for the minute and day limits only (xero-facts 3.3).
    if (problem === 'minute' || problem === 'day') {
      const q = this.quota(tenantId!, now);
      const ends = problem === 'minute' ? q.minuteStart + MINUTE_MS : q.dayStart + DAY_MS;
      headers['retry-after'] = String(Math.max(1, Math.ceil((ends - now) / 1000)));
    }
    return { status: 429, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body: 'Too Many Requests' };
  }

  // ---- Identity host ----------------------------------------------------------------------------

  discovery(): Record<string, unknown> {
    const id = trimSlash(this.urls.identity);
    return {
      issuer: id,
      authorization_endpoint: this.urls.authorize,
      token_endpoint: `${id}/connect/token`,
      userinfo_endpoint: `${id}/connect/userinfo`,
      revocation_endpoint: `${id}/connect/revocation`,
      jwks_uri: `${id}/.well-known/openid-configuration/jwks`,
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    };
  }

  /** login.xero.com for a test browser: answers as the planned consent says. */
  private authorize(q: URLSearchParams): FakeResponse {
    const redirectUri = q.get('redirect_uri');
    if (q.get('client_id') !== this.clientId || !redirectUri) return html(400, 'unauthorized_client: Unknown client or client not enabled');
    const back = (params: Record<string, string>) => {
      const target = new URL(redirectUri);
      for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
      const state = q.get('state');
      if (state !== null) target.searchParams.set('state', state);
      return { status: 302, headers: { location: target.toString(), 'cache-control': 'no-store' }, body: '' };
    };
    if (q.get('response_type') !== 'code') return back({ error: 'unsupported_response_type' });
    const plan = this.plannedConsents.shift();
    if (!plan) return html(400, 'The Xero fake has no consent planned: call planConsent() or POST /_fake/next-consent first.');
    if ('deny' in plan) return back({ error: plan.deny });
    const userId = typeof plan.user === 'string' ? plan.user : plan.user.id;
    if (typeof plan.user !== 'string') this.user(plan.user.id, plan.user.name, plan.user.email);
    const code = this.consent(userId, plan.tenants, redirectUri, bindingOf(q));
    return back({ code, scope: q.get('scope') ?? '' });
  }

  private async token(authorization: string | undefined, rawBody: string): Promise<FakeResponse> {
    const form = new URLSearchParams(rawBody);
    const grantType = form.get('grant_type') ?? '';
    if (this.recordCalls) this.tokenCalls.push({ grantType, refreshToken: form.get('refresh_token') ?? undefined });
    if (!this.clientAuthenticated(authorization, form)) return json(400, { error: 'invalid_client' });
    const now = this.now();
    if (grantType === 'authorization_code') {
      const code = this.codes.get(form.get('code') ?? '');
      if (!code || code.used || code.expiresAt <= now) return json(400, { error: 'invalid_grant' });
      if (code.redirectUri && form.get('redirect_uri') !== code.redirectUri) return json(400, { error: 'invalid_grant' });
      // PKCE (RFC 7636): a code asked for with a challenge is redeemed only with its verifier.
      if (code.codeChallenge && s256(form.get('code_verifier') ?? '') !== code.codeChallenge) return json(400, { error: 'invalid_grant' });
      code.used = true;
      return json(200, await this.issue(code.userId, code.authEventId, true, 1800, code.nonce));
    }
    if (grantType === 'refresh_token') {
      const state = this.refreshTokens.get(form.get('refresh_token') ?? '');
      if (!state || state.revoked) return json(400, { error: 'invalid_grant' });
      if (state.successor && state.rotatedAt !== undefined) {
        // Xero's grace window: the old token works again for 30 minutes after it rotated.
        return now - state.rotatedAt < GRACE_MS ? json(200, state.successor) : json(400, { error: 'invalid_grant' });
      }
      if (now - state.issuedAt > REFRESH_TOKEN_IDLE_MS) return json(400, { error: 'invalid_grant' });
      const next = await this.issue(state.userId, state.authEventId, false);
      state.rotatedAt = now;
      state.successor = next;
      return json(200, next);
    }
    return json(400, { error: 'unsupported_grant_type' });
  }

  private clientAuthenticated(authorization: string | undefined, form: URLSearchParams): boolean {
    if (authorization) return authorization === `Basic ${this.basicCredential()}`;
    return form.get('client_id') === this.clientId && form.get('client_secret') === this.clientSecret;
  }

  private scopesOf(userId: string): string {
    return this.grantedScopes.get(userId) ?? 'openid profile email accounting.settings.read offline_access';
  }

  private async issue(userId: string, authEventId: string, withIdToken: boolean, expiresInSec = 1800, nonce?: string): Promise<TokenResponse> {
    const user = this.users.get(userId) ?? this.user(userId);
    const now = Math.floor(this.now() / 1000);
    const sub = createHash('sha256').update(userId).digest('hex').slice(0, 32);
    const accessToken = await new SignJWT({
      client_id: this.clientId,
      sub,
      auth_time: now,
      idp: 'Xero',
      xero_userid: userId,
      global_session_id: randomUUID(),
      jti: randomUUID(),
      authentication_event_id: authEventId,
      scope: this.scopesOf(userId).split(' '),
      amr: ['pwd'],
    })
      .setProtectedHeader({ alg: 'RS256', kid: this.key.jwk.kid!, typ: 'JWT' })
      .setIssuer(trimSlash(this.urls.identity))
      .setAudience(`${trimSlash(this.urls.identity)}/resources`)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + expiresInSec)
      .sign(this.key.privateKey);
    const refreshToken = `rt-${randomUUID()}${randomUUID()}`.replace(/-/g, '');
    this.refreshTokens.set(refreshToken, { userId, authEventId, issuedAt: this.now() });
    this.accessTokens.set(accessToken, { userId, exp: (now + expiresInSec) * 1000 });
    this.sweepSometimes();
    const response: TokenResponse = { access_token: accessToken, expires_in: expiresInSec, token_type: 'Bearer', refresh_token: refreshToken, scope: this.scopesOf(userId) };
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
        ...(nonce ? { nonce } : {}),
      })
        .setProtectedHeader({ alg: 'RS256', kid: this.key.jwk.kid!, typ: 'JWT' })
        .setIssuer(trimSlash(this.urls.identity))
        .setAudience(this.clientId)
        .setSubject(sub)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + 300)
        .sign(this.key.privateKey);
    }
    return response;
  }

  /** Long runs refresh thousands of grants: drop tokens that can only ever answer "no" anyway. */
  private sweepSometimes(): void {
    if (++this.issuedSinceSweep < 5_000) return;
    this.issuedSinceSweep = 0;
    const now = this.now();
    for (const [token, state] of this.accessTokens) if (state.exp <= now) this.accessTokens.delete(token);
    for (const [token, state] of this.refreshTokens) if (state.rotatedAt !== undefined && now - state.rotatedAt >= GRACE_MS) this.refreshTokens.delete(token);
  }

  private revocation(authorization: string | undefined, rawBody: string): FakeResponse {
    const form = new URLSearchParams(rawBody);
    if (!this.clientAuthenticated(authorization, form)) return json(400, { error: 'invalid_client' });
    const state = this.refreshTokens.get(form.get('token') ?? '');
    if (state) {
      state.revoked = true;
      // Revocation removes the connections of that token set (xero-node 4.10.1 release notes).
      const list = this.connectionsOf(state.userId);
      const gone = list.filter((c) => c.authEventId === state.authEventId);
      this.connectionsByUser.set(state.userId, list.filter((c) => c.authEventId !== state.authEventId));
      for (const c of gone) this.usersByTenant.get(c.tenantId)?.delete(state.userId);
    }
    return { status: 200, headers: {}, body: '' };
  }

  private userinfo(authorization: string | undefined): FakeResponse {
    const who = this.bearer(authorization);
    if ('status' in who) return who;
    const user = this.users.get(who.userId)!;
    return json(200, {
      sub: createHash('sha256').update(user.id).digest('hex').slice(0, 32),
      xero_userid: user.id,
      preferred_username: user.email,
      email: user.email,
      given_name: user.given,
      family_name: user.family,
    });
  }

  // ---- API host ---------------------------------------------------------------------------------

  private bearer(authorization: string | undefined): { userId: string } | FakeResponse {
    const token = authorization?.replace(/^Bearer /, '') ?? '';
    const known = this.accessTokens.get(token);
    if (!known || known.exp <= this.now()) {
      return json(401, { Type: null, Title: 'Unauthorized', Status: 401, Detail: 'TokenExpired: token expired at 09/24/2021 08:23:47', Instance: randomUUID(), Extensions: {} });
    }
    return known;
  }

  private listConnections(userId: string, q: URLSearchParams): FakeResponse {
    const authEventId = q.get('authEventId');
    const list = this.connectionsOf(userId)
      .filter((c) => !authEventId || c.authEventId === authEventId)
      .map(({ userId: _u, ...c }) => c);
    return json(200, list);
  }

  private deleteConnection(userId: string, id: string): FakeResponse {
    const list = this.connectionsOf(userId);
    const gone = list.find((c) => c.id === id);
    if (!gone) return { status: 404, headers: {}, body: '' };
    this.connectionsByUser.set(userId, list.filter((c) => c !== gone));
    this.usersByTenant.get(gone.tenantId)?.delete(userId);
    return { status: 204, headers: {}, body: '' };
  }

  private organisation(userId: string, tenantId: string | undefined): FakeResponse {
    const conn = tenantId ? this.connectionsOf(userId).find((c) => c.tenantId === tenantId) : undefined;
    if (!conn || this.forbiddenTenants.has(conn.tenantId)) {
      return json(403, { Type: null, Title: 'Forbidden', Status: 403, Detail: 'AuthenticationUnsuccessful', Instance: randomUUID(), Extensions: {} });
    }
    return json(200, {
      Id: randomUUID(),
      Status: 'OK',
      ProviderName: 'Xero Guard',
      DateTimeUTC: `/Date(${this.now()})/`,
      Organisations: [
        { OrganisationID: conn.tenantId, Name: conn.tenantName, OrganisationStatus: this.organisationStatus.get(conn.tenantId) ?? 'ACTIVE', Class: 'DEMO', Edition: 'BUSINESS', IsDemoCompany: true },
      ],
    });
  }

  private connect(userId: string, orgs: Org[], authEventId: string): Conn[] {
    const at = new Date(this.now()).toISOString().replace('Z', '0');
    const list = this.connectionsByUser.get(userId) ?? [];
    const touched: Conn[] = [];
    for (const org of orgs) {
      const existing = list.find((c) => c.tenantId === org.tenantId);
      if (existing) {
        Object.assign(existing, { authEventId, updatedDateUtc: at });
        touched.push(existing);
        continue;
      }
      const conn: Conn = { id: randomUUID(), tenantId: org.tenantId, tenantName: org.tenantName, tenantType: org.tenantType ?? 'ORGANISATION', authEventId, userId, createdDateUtc: at, updatedDateUtc: at };
      list.push(conn);
      touched.push(conn);
      let holders = this.usersByTenant.get(org.tenantId);
      if (!holders) this.usersByTenant.set(org.tenantId, (holders = new Set()));
      holders.add(userId);
    }
    this.connectionsByUser.set(userId, list);
    return touched;
  }
}

function newCounters() {
  return {
    calls: 0,
    byRoute: {} as Record<string, number>,
    byStatus: {} as Record<string, number>,
    rateLimited: { total: 0, minute: 0, day: 0, concurrent: 0, appminute: 0 },
    peakConcurrent: 0,
  };
}

function bindingOf(q: URLSearchParams): ConsentBinding {
  const challenge = q.get('code_challenge');
  const nonce = q.get('nonce');
  return {
    ...(challenge && q.get('code_challenge_method') === 'S256' ? { codeChallenge: challenge } : {}),
    ...(nonce ? { nonce } : {}),
  };
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function header(req: FakeRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): FakeResponse {
  return { status, body: JSON.stringify(body), headers: { 'content-type': 'application/json; charset=utf-8', ...headers } };
}

function html(status: number, text: string): FakeResponse {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8' }, body: `<!doctype html><title>Xero (fake)</title><p>${text.replace(/</g, '&lt;')}</p>` };
}

function withHeaders(answer: FakeResponse, headers: Record<string, string>): FakeResponse {
  return { ...answer, headers: { ...answer.headers, ...headers } };
}

function faultAnswer(fault: Fault): FakeResponse | undefined {
  if (fault.status === undefined && fault.rawBody === undefined && fault.body === undefined) return undefined;
  return { status: fault.status ?? 200, body: fault.rawBody ?? JSON.stringify(fault.body ?? {}), headers: { 'content-type': 'application/json', ...fault.headers } };
}

/** Waits, but stops early when the client has gone (nobody is left to answer). */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    // A hanging answer must not keep a test process alive.
    if (ms >= MINUTE_MS) timer.unref();
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A small seeded PRNG, so seeded data sets are the same on every run. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[Math.floor(random() * 4)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
