// The three shapes xero-node fails in, produced by real xero-node calls against nock, each
// normalised to one XeroFailure that carries no token and no client credentials.
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { normaliseXeroError } from '../../../src/adapters/xero/failure.ts';
import { inScope, openid, xeroNode } from '../../../src/adapters/xero/transport.ts';
import { API, IDENTITY, interceptXeroOnly, resetNock } from './fake-xero.ts';

const CLIENT_ID = 'CLIENT0123456789';
const SECRET = 'client-secret-never-logged-0123456789';
const BASIC = Buffer.from(`${CLIENT_ID}:${SECRET}`).toString('base64');
const ACCESS = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXZhbHVlLWxvbmc';
const REFRESH = 'refresh-token-never-logged-abcdef';
const hosts = { identityUrl: IDENTITY, apiUrl: API };

function clean(failure: unknown): void {
  const text = JSON.stringify(failure);
  for (const secret of [SECRET, BASIC, ACCESS, REFRESH]) expect(text).not.toContain(secret);
}

describe('normaliseXeroError', () => {
  beforeEach(() => interceptXeroOnly());
  afterEach(() => resetNock());

  it('reads the generated API\'s JSON-string rejection (403 AuthenticationUnsuccessful)', async () => {
    nock(API).get('/api.xro/2.0/Organisation').reply(403, { Type: null, Title: 'Forbidden', Status: 403, Detail: 'AuthenticationUnsuccessful', Instance: 'i', Extensions: {} }, { 'x-minlimit-remaining': '50' });
    const xero = new xeroNode.XeroClient();
    xero.setTokenSet({ access_token: ACCESS });
    const run = await inScope({ timeoutMs: 2_000, hosts }, () => xero.accountingApi.getOrganisations('tenant-1'));
    expect('error' in run && typeof run.error).toBe('string');
    const failure = normaliseXeroError('error' in run ? run.error : undefined, 'organisation');
    expect(failure).toMatchObject({ cause: 'access_lost', status: 403, xeroError: 'AuthenticationUnsuccessful', headers: { 'x-minlimit-remaining': '50' } });
    clean(failure);
  });

  it('reads an AxiosError from the token endpoint (400 invalid_grant) and drops the Basic credentials', async () => {
    nock(IDENTITY).post('/connect/token').reply(400, { error: 'invalid_grant' });
    const run = await inScope({ timeoutMs: 2_000, hosts }, () => new xeroNode.XeroClient().refreshWithRefreshToken(CLIENT_ID, SECRET, REFRESH));
    const error = 'error' in run ? (run.error as { isAxiosError?: boolean }) : undefined;
    expect(error?.isAxiosError).toBe(true);
    const failure = normaliseXeroError(error, 'refresh');
    expect(failure).toMatchObject({ cause: 'token_revoked', status: 400, xeroError: 'invalid_grant', refreshAndRetry: false });
    clean(failure);
  });

  it('reads openid-client\'s OPError (invalid_client) and RPError (timeout)', async () => {
    const issuer = new openid.Issuer({ issuer: IDENTITY, token_endpoint: `${IDENTITY}/connect/token`, revocation_endpoint: `${IDENTITY}/connect/revocation` });
    const client = new issuer.Client({ client_id: CLIENT_ID, client_secret: SECRET });
    nock(IDENTITY).post('/connect/token').reply(400, { error: 'invalid_client' });
    const op = await inScope({ timeoutMs: 2_000, hosts }, () => client.refresh(REFRESH));
    expect('error' in op && (op.error as Error).name).toBe('OPError');
    const opFailure = normaliseXeroError('error' in op ? op.error : undefined, 'refresh');
    expect(opFailure).toMatchObject({ cause: 'app_credentials_invalid', status: 400, xeroError: 'invalid_client' });
    clean(opFailure);

    (client as unknown as Record<symbol, unknown>)[openid.custom.http_options] = () => ({ timeout: 100 });
    nock(IDENTITY).post('/connect/revocation').delay(1_000).reply(200, '');
    const rp = await inScope({ timeoutMs: 2_000, hosts }, () => client.revoke(REFRESH));
    const rpFailure = normaliseXeroError('error' in rp ? rp.error : undefined, 'revoke', { timedOut: 'error' in rp && rp.timedOut });
    expect(rpFailure).toMatchObject({ cause: 'xero_unavailable', timeout: true });
    expect(rpFailure.status).toBeUndefined();
    clean(rpFailure);
  });

  it('classifies a 429 with the limit Xero names and its Retry-After', async () => {
    nock(API).get('/connections').reply(429, '', { 'retry-after': '42', 'x-rate-limit-problem': 'Day', 'x-appminlimit-remaining': '100' });
    const xero = new xeroNode.XeroClient();
    xero.setTokenSet({ access_token: ACCESS });
    const run = await inScope({ timeoutMs: 2_000, hosts }, () => xero.updateTenants(false));
    const failure = normaliseXeroError('error' in run ? run.error : undefined, 'connections');
    expect(failure).toMatchObject({ cause: 'rate_limited', status: 429, retryAfterMs: 42_000, rateLimitProblem: 'day' });
  });

  it('turns a connection refused or reset into a short network message', () => {
    const failure = normaliseXeroError(Object.assign(new Error(`connect ECONNREFUSED 10.0.0.1:443 Authorization: Bearer ${ACCESS}`), { code: 'ECONNREFUSED' }), 'connections');
    expect(failure).toMatchObject({ cause: 'xero_unavailable', xeroError: 'ECONNREFUSED', timeout: false });
    clean(failure);
  });

  it('aborts an axios call at the deadline (xero-node sets no timeout of its own)', async () => {
    nock(API).get('/connections').delay(2_000).reply(200, []);
    const xero = new xeroNode.XeroClient();
    xero.setTokenSet({ access_token: ACCESS });
    const run = await inScope({ timeoutMs: 150, hosts }, () => xero.updateTenants(false));
    expect('error' in run && run.timedOut).toBe(true);
    expect(normaliseXeroError('error' in run ? run.error : undefined, 'connections', { timedOut: true })).toMatchObject({ cause: 'xero_unavailable', timeout: true });
  });
});

describe('configured hosts', () => {
  beforeEach(() => interceptXeroOnly());
  afterEach(() => resetNock());

  it('sends xero-node\'s hard-coded api.xero.com and identity.xero.com calls to XERO_API_URL and XERO_IDENTITY_URL', async () => {
    const http = await import('node:http');
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json');
      if (req.url === '/connections') res.end(JSON.stringify([{ id: 'c1', tenantId: 't1', tenantName: 'Local Org', tenantType: 'ORGANISATION' }]));
      else res.end(JSON.stringify({ access_token: 'a', refresh_token: 'r', expires_in: 1800, token_type: 'Bearer' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const { createXeroGateway } = await import('../../../src/adapters/xero/gateway.ts');
      const { RateBudget } = await import('../../../src/adapters/xero/rate-budget.ts');
      const local = `http://127.0.0.1:${port}`;
      const gateway = createXeroGateway(
        { clientId: CLIENT_ID, clientSecret: SECRET, redirectUri: 'http://x/cb', scopes: ['openid'], identityUrl: local, apiUrl: local, timeoutMs: 2_000 },
        new RateBudget(),
      );
      const listed = await gateway.connections(ACCESS);
      expect(listed.ok && listed.value.map((c) => c.tenantName)).toEqual(['Local Org']);
      const refreshed = await gateway.refresh(REFRESH);
      expect(refreshed.ok && refreshed.value.refreshToken).toBe('r');
      expect(seen).toEqual(['GET /connections', 'POST /connect/token']);
    } finally {
      server.close();
    }
  });
});
