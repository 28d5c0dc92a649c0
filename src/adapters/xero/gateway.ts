// Every call to Xero goes through here, on xero-node: a deadline on each, the rate budget before
// and after, one retry after a short Retry-After, and failures normalised to XeroFailure. One
// XeroClient per call: xero-node keeps the access token (and the OAuth state) on the instance,
// so a shared instance would mix users (reference/xero-facts.md 4.2, xero-node #406).
import { consentScopes } from '../../domain/xero-scopes.ts';
import { z } from 'zod';
import { err, ok, type Result } from '../../domain/result.ts';
import { malformedResponse, normaliseXeroError, type XeroFailure, type XeroOperation } from './failure.ts';
import type { RateBudget } from './rate-budget.ts';
import { inScope, openid, xeroNode, type Hosts } from './transport.ts';
import type { Client as OidcClient } from 'openid-client';

export type XeroSettings = {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scopes: string[];
  identityUrl: string;
  apiUrl: string;
  timeoutMs: number;
  /** Seconds of clock skew tolerated on id_token times (xero-node #327, #647). */
  clockToleranceSec?: number;
  /** Longest wait for the rate budget or a Retry-After before giving up with rate_limited. */
  maxBudgetWaitMs?: number;
  /** TENANT_PROBE_INTERVAL: a healthy tenant is asked itself this often (src/domain/tenant-probe.ts); unset, at every check. */
  tenantProbeIntervalMs?: number;
  /**
   * TENANT_PROBE_BUSY_SHARE: while less than this share of Xero's app-wide minute budget is in use,
   * a healthy tenant is asked at every check; from it on, once per tenantProbeIntervalMs. 0: always
   * the interval.
   */
  tenantProbeBusyShare?: number;
};

export type Tokens = {
  accessToken: string;
  refreshToken: string;
  idToken?: string;
  expiresAt: Date;
  scopes: string[];
};

export const connectionSchema = z.object({
  id: z.string().min(1),
  tenantId: z.string().min(1),
  tenantName: z.string().nullish(),
  tenantType: z.string().nullish(),
  authEventId: z.string().nullish(),
  createdDateUtc: z.string().nullish(),
  updatedDateUtc: z.string().nullish(),
});
export type XeroConnection = z.infer<typeof connectionSchema>;

export type IdentityClaims = {
  xeroUserId: string;
  email?: string;
  name?: string;
  /** From the access token: which consent this is, matched against Connection.authEventId. */
  authEventId?: string;
};

export type OrganisationProbe = { name?: string; status?: string };

/** What binds one consent to one trip: the state, the OpenID nonce and the PKCE pair (S256). */
export type ConsentChecks = { state: string; nonce: string; codeVerifier: string };

export interface XeroGateway {
  consentUrl(checks: ConsentChecks): Promise<Result<string, XeroFailure>>;
  /** Checks state, nonce (in the id_token) and sends the PKCE verifier: a code from another consent fails. */
  exchangeCode(callbackQuery: string, checks: ConsentChecks): Promise<Result<{ tokens: Tokens; claims: IdentityClaims }, XeroFailure>>;
  refresh(refreshToken: string): Promise<Result<Tokens, XeroFailure>>;
  connections(accessToken: string): Promise<Result<XeroConnection[], XeroFailure>>;
  organisation(accessToken: string, tenantId: string): Promise<Result<OrganisationProbe, XeroFailure>>;
  deleteConnection(accessToken: string, xeroConnectionId: string): Promise<Result<'removed' | 'already_gone', XeroFailure>>;
  revoke(refreshToken: string): Promise<Result<void, XeroFailure>>;
}

/** `onCall` hears every answer Xero gives (API and identity hosts), for the call metrics. */
/** What the gateway reports as it goes: each answer received, and how long a call waited for the budget. */
export type GatewayReports = { onCall?: (operation: string) => void; onBudgetWait?: (operation: string, ms: number) => void };

export function createXeroGateway(settings: XeroSettings, budget: RateBudget, reports: GatewayReports = {}): XeroGateway {
  const { onCall, onBudgetWait } = reports;
  const hosts: Hosts = { identityUrl: settings.identityUrl, apiUrl: settings.apiUrl };
  const timeoutMs = settings.timeoutMs;
  const maxWait = settings.maxBudgetWaitMs ?? 5_000;
  let oidc: Promise<OidcClient> | undefined;

  /** Discovery once per process (xero-node's initialize() re-fetches it on every instance). */
  function openIdClient(): Promise<OidcClient> {
    oidc ??= discover(settings).catch((error: unknown) => {
      oidc = undefined; // try again on the next call; the failure surfaces to this caller
      throw error;
    });
    return oidc;
  }

  function client() {
    return new xeroNode.XeroClient({
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      redirectUris: [settings.redirectUri],
      scopes: settings.scopes,
    });
  }

  /** Runs one call with its deadline; reports headers to the budget; classifies any failure. */
  async function call<T>(operation: XeroOperation, tenantId: string | null, run: () => Promise<T>, budgeted: boolean): Promise<Result<T, XeroFailure>> {
    for (let attempt = 0; ; attempt++) {
      let release: (() => void) | undefined;
      if (budgeted) {
        const asked = performance.now();
        const slot = await budget.acquire(tenantId, maxWait);
        onBudgetWait?.(operation, performance.now() - asked);
        if (!slot.ok) return err(budgetFailure(operation, slot.error.limit, slot.error.retryAfterMs));
        release = slot.value;
      }
      let lastStatus = 0;
      const result = await inScope(
        {
          timeoutMs,
          hosts,
          onResponse: (status, headers) => {
            lastStatus = status;
            onCall?.(operation);
            if (budgeted) budget.observe(tenantId, headers);
          },
        },
        run,
      ).finally(() => release?.());
      if (!('error' in result)) return ok(result.value);
      // A 2xx whose body xero-node could not use (malformed JSON, a token set without tokens).
      if (lastStatus >= 200 && lastStatus < 300 && !isXeroShaped(result.error)) return err(malformedResponse(operation, lastStatus));
      const failure = normaliseXeroError(result.error, operation, { timedOut: result.timedOut });
      // Only API calls spend the API budgets; a 429 from the identity host is passed on as is.
      if (failure.status !== 429 || !budgeted) return err(failure);
      const wait = budget.block(operation === 'organisation' ? tenantId : null, failure.rateLimitProblem, failure.retryAfterMs);
      if (attempt > 0 || wait > maxWait) return err({ ...failure, retryAfterMs: wait });
      await sleep(wait);
    }
  }

  return {
    async consentUrl(checks) {
      // xero-node's buildConsentUrl() sends neither a nonce nor a PKCE challenge; its OpenID client
      // (openid-client) does both, so the URL is built there with the same parameters plus those.
      const result = await inScope({ timeoutMs, hosts }, async () =>
        (await openIdClient()).authorizationUrl({
          redirect_uri: settings.redirectUri,
          scope: consentScopes(settings.scopes).join(' '),
          state: checks.state,
          nonce: checks.nonce,
          code_challenge: openid.generators.codeChallenge(checks.codeVerifier),
          code_challenge_method: 'S256',
        }),
      );
      return 'error' in result ? err(normaliseXeroError(result.error, 'discovery', { timedOut: result.timedOut })) : ok(result.value);
    },

    async exchangeCode(callbackQuery, checks) {
      const discovered = await inScope({ timeoutMs, hosts }, openIdClient);
      if ('error' in discovered) return err(normaliseXeroError(discovered.error, 'discovery', { timedOut: discovered.timedOut }));
      const result = await call('code_exchange', null, async () => {
        const oidc = discovered.value;
        const params = oidc.callbackParams(`${settings.redirectUri}?${callbackQuery}`);
        // Sends the PKCE verifier and validates the id_token (signature against the JWKS, issuer,
        // audience, times, and our nonce) on the way; xero-node's apiCallback() checks only state.
        const tokenSet = await oidc.callback(settings.redirectUri, params, { state: checks.state, nonce: checks.nonce, code_verifier: checks.codeVerifier, response_type: 'code' });
        return { tokenSet, idClaims: tokenSet.id_token ? tokenSet.claims() : undefined };
      }, false);
      if (!result.ok) return result;
      const tokens = toTokens(result.value.tokenSet);
      if (!tokens) return err(malformedResponse('code_exchange', 200));
      const id = result.value.idClaims as Record<string, unknown> | undefined;
      const access = decodeJwtPayload(tokens.accessToken);
      const xeroUserId = str(id?.xero_userid) ?? str(access?.xero_userid) ?? str(id?.sub);
      if (!xeroUserId) return err(malformedResponse('code_exchange', 200));
      const name = [str(id?.given_name), str(id?.family_name)].filter(Boolean).join(' ') || str(id?.preferred_username);
      return ok({ tokens, claims: { xeroUserId, email: str(id?.email), name, authEventId: str(access?.authentication_event_id) } });
    },

    async refresh(refreshToken) {
      const result = await call('refresh', null, () => client().refreshWithRefreshToken(settings.clientId, settings.clientSecret, refreshToken), false);
      if (!result.ok) return result;
      const tokens = toTokens(result.value);
      return tokens ? ok(tokens) : err(malformedResponse('refresh', 200));
    },

    async connections(accessToken) {
      const result = await call('connections', null, () => {
        const xero = client();
        xero.setTokenSet({ access_token: accessToken });
        // false: list only. true would also call /Organisation for every tenant (xero-facts 4.2).
        return xero.updateTenants(false);
      }, true);
      if (!result.ok) return result;
      const parsed = z.array(connectionSchema).safeParse(result.value);
      return parsed.success ? ok(parsed.data) : err(malformedResponse('connections', 200));
    },

    async organisation(accessToken, tenantId) {
      const result = await call('organisation', tenantId, () => {
        const xero = client();
        xero.setTokenSet({ access_token: accessToken });
        return xero.accountingApi.getOrganisations(tenantId);
      }, true);
      if (!result.ok) return result;
      const org = result.value.body?.organisations?.[0];
      if (!org) return err(malformedResponse('organisation', result.value.response?.status ?? 200));
      return ok({ name: org.name ?? undefined, status: org.organisationStatus !== undefined ? String(org.organisationStatus) : undefined });
    },

    async deleteConnection(accessToken, xeroConnectionId) {
      const result = await call('delete_connection', null, async () => {
        const xero = client();
        xero.setTokenSet({ access_token: accessToken });
        await xero.disconnect(xeroConnectionId);
      }, true);
      if (result.ok) return ok('removed');
      return result.error.status === 404 ? ok('already_gone') : result;
    },

    async revoke(refreshToken) {
      const discovered = await inScope({ timeoutMs, hosts }, openIdClient);
      if ('error' in discovered) return err(normaliseXeroError(discovered.error, 'discovery', { timedOut: discovered.timedOut }));
      return call('revoke', null, async () => {
        const xero = client();
        xero.openIdClient = discovered.value;
        // revokeToken() sends only the refresh token; setTokenSet insists on an access token field.
        xero.setTokenSet({ access_token: 'unused', refresh_token: refreshToken });
        await xero.revokeToken();
      }, false);
    },
  };
}

async function discover(settings: XeroSettings): Promise<OidcClient> {
  const url = `${settings.identityUrl.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { signal: AbortSignal.timeout(settings.timeoutMs), headers: { accept: 'application/json' } });
  if (!response.ok) throw Object.assign(new Error(`discovery answered ${response.status}`), { response: { status: response.status, data: {}, headers: {} } });
  const metadata = (await response.json()) as import('openid-client').IssuerMetadata;
  const issuer = new openid.Issuer(metadata);
  // Per instance, not openid-client's process-wide setHttpOptionsDefaults (which xero-node's
  // initialize() would set): JWKS, token and revocation requests get our timeout.
  const httpOptions = () => ({ timeout: settings.timeoutMs });
  (issuer as unknown as Record<symbol, unknown>)[openid.custom.http_options] = httpOptions;
  const oidcClient = new issuer.Client({
    client_id: settings.clientId,
    client_secret: settings.clientSecret,
    redirect_uris: [settings.redirectUri],
    response_types: ['code'],
  });
  (oidcClient as unknown as Record<symbol, unknown>)[openid.custom.http_options] = httpOptions;
  (oidcClient as unknown as Record<symbol, unknown>)[openid.custom.clock_tolerance] = settings.clockToleranceSec ?? 30;
  return oidcClient;
}

function toTokens(set: { access_token?: string; refresh_token?: string; id_token?: string; expires_at?: number; scope?: unknown } | undefined): Tokens | undefined {
  if (!set || typeof set.access_token !== 'string' || typeof set.refresh_token !== 'string') return undefined;
  // openid-client turned expires_in into an absolute expires_at when the answer arrived (seconds).
  const expiresAt = typeof set.expires_at === 'number' ? new Date(set.expires_at * 1000) : new Date(Date.now() + 30 * 60_000);
  const scopes = typeof set.scope === 'string' ? set.scope.split(/\s+/).filter(Boolean) : Array.isArray(set.scope) ? set.scope.map(String) : [];
  return { accessToken: set.access_token, refreshToken: set.refresh_token, idToken: set.id_token, expiresAt, scopes };
}

/** The payload of a JWT, unverified: the token came straight from Xero's token endpoint over TLS. */
export function decodeJwtPayload(jwt: string): Record<string, unknown> | undefined {
  const payload = jwt.split('.')[1];
  if (!payload) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    // Not a JWT (opaque token): callers fall back to the id_token claims.
    return undefined;
  }
}

function budgetFailure(operation: XeroOperation, limit: string, retryAfterMs: number): XeroFailure {
  return {
    operation,
    cause: 'rate_limited',
    refreshAndRetry: false,
    xeroError: `our ${limit.replace('_', ' ')} budget is spent`,
    timeout: false,
    retryAfterMs,
    rateLimitProblem: limit,
    headers: {},
    message: `${operation} held back: ${limit} budget spent for ${retryAfterMs} ms`,
  };
}

/** The three shapes failure.ts reads; anything else after a 2xx is xero-node choking on the body. */
function isXeroShaped(error: unknown): boolean {
  if (typeof error === 'string') return true;
  if (!error || typeof error !== 'object') return false;
  const e = error as { name?: unknown; isAxiosError?: unknown; response?: unknown };
  return e.isAxiosError === true || e.name === 'OPError' || e.name === 'RPError' || (typeof e.response === 'object' && e.response !== null);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
