import { describe, expect, it } from 'vitest';
import { causeAfterCheck, classifyXeroSignal, describeError, readField, type Cause, type XeroSignal } from '../../src/domain/causes.ts';

const problem = (status: number, detail: string, title = 'Forbidden') => ({ Type: null, Title: title, Status: status, Detail: detail, Instance: 'b6a8c1a0-0000-4000-8000-000000000000', Extensions: {} });
const api = (status: number, body: unknown, headers: Record<string, string> = {}, which: 'accounting' | 'payroll' | 'connections' = 'accounting'): XeroSignal =>
  ({ kind: 'api', status, body, headers, api: which });

describe('classifyXeroSignal: the cause table of DESIGN section 2', () => {
  it.each<[string, XeroSignal, string]>([
    ['token endpoint 400 invalid_grant', { kind: 'token_endpoint', status: 400, body: { error: 'invalid_grant' } }, 'token_revoked'],
    ['token endpoint invalid_grant sent as a JSON string', { kind: 'token_endpoint', status: 400, body: '{"error":"invalid_grant"}' }, 'token_revoked'],
    ['token endpoint INVALID_GRANT in upper case', { kind: 'token_endpoint', status: 400, body: { Error: 'INVALID_GRANT' } }, 'token_revoked'],
    ['tenant missing from GET /connections', { kind: 'tenant_not_listed' }, 'app_disconnected_in_xero'],
    ['403 AuthenticationUnsuccessful on the tenant probe (PascalCase body)', api(403, problem(403, 'AuthenticationUnsuccessful')), 'access_lost'],
    ['403 authenticationunsuccessful with lowercase keys', api(403, { title: 'Forbidden', status: 403, detail: 'AuthenticationUnsuccessful' }), 'access_lost'],
    ['organisation no longer ACTIVE', { kind: 'organisation_inactive', organisationStatus: 'DELETED' }, 'access_lost'],
    ['401 AuthorizationUnsuccessful with WWW-Authenticate insufficient_scope', api(401, problem(401, 'AuthorizationUnsuccessful', 'Unauthorized'), { 'WWW-Authenticate': 'insufficient_scope' }), 'permission_missing'],
    ['403 with insufficient_scope', api(403, problem(403, 'AuthorizationUnsuccessful'), { 'www-authenticate': 'Bearer error="insufficient_scope"' }), 'permission_missing'],
    ['403 on a payroll probe', api(403, problem(403, 'Forbidden'), {}, 'payroll'), 'permission_missing'],
    ['token endpoint 400 invalid_client', { kind: 'token_endpoint', status: 400, body: { error: 'invalid_client' } }, 'app_credentials_invalid'],
    ['token endpoint 401 with no body', { kind: 'token_endpoint', status: 401, body: '' }, 'app_credentials_invalid'],
    ['500 from the API', api(500, { Title: 'An error occurred', Detail: 'An error occurred in Xero' }), 'xero_unavailable'],
    ['503 from the token endpoint', { kind: 'token_endpoint', status: 503, body: 'Service Unavailable' }, 'xero_unavailable'],
    ['a timeout', { kind: 'network', timeout: true, message: 'timeout of 10000ms exceeded' }, 'xero_unavailable'],
    ['a connection reset', { kind: 'network', timeout: false, message: 'socket hang up' }, 'xero_unavailable'],
    ['429 with X-Rate-Limit-Problem', api(429, '', { 'X-Rate-Limit-Problem': 'minute', 'Retry-After': '7' }), 'rate_limited'],
    ['429 from the token endpoint', { kind: 'token_endpoint', status: 429, body: '' }, 'rate_limited'],
  ])('%s → %s', (_name, signal, expected) => {
    const result = classifyXeroSignal(signal);
    expect(result).toMatchObject({ outcome: 'cause', cause: expected });
  });

  it('asks for a refresh and a retry on 401 TokenExpired, not for an alert', () => {
    const result = classifyXeroSignal(api(401, problem(401, 'TokenExpired: token expired at 09/24/2021 08:23:47', 'Unauthorized')));
    expect(result).toEqual({ outcome: 'refresh_and_retry', xeroError: 'TokenExpired: token expired at 09/24/2021 08:23:47' });
  });

  it('keeps Xero\'s own words as the error text', () => {
    expect(classifyXeroSignal(api(403, problem(403, 'AuthenticationUnsuccessful')))).toMatchObject({ xeroError: 'AuthenticationUnsuccessful' });
    expect(classifyXeroSignal({ kind: 'token_endpoint', status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } }))
      .toMatchObject({ xeroError: 'invalid_grant: Token has been expired or revoked.' });
  });
});

describe('reading Xero error bodies', () => {
  it('reads keys whatever their case', () => {
    expect(readField({ DETAIL: 'x' }, 'detail')).toBe('x');
    expect(readField('{"Detail":"y"}', 'detail')).toBe('y');
    expect(readField('not json', 'detail')).toBeUndefined();
    expect(readField(null, 'detail')).toBeUndefined();
  });

  it('describes malformed bodies without failing', () => {
    expect(describeError('<html>Bad gateway</html>')).toBe('<html>Bad gateway</html>');
    expect(describeError({})).toBeUndefined();
    expect(describeError(undefined)).toBeUndefined();
  });
});

describe('causeAfterCheck: passing trouble never relabels a definite break', () => {
  it.each<[Cause | null, Cause, Cause]>([
    ['token_revoked', 'xero_unavailable', 'token_revoked'],
    ['app_disconnected_in_xero', 'rate_limited', 'app_disconnected_in_xero'],
    ['access_lost', 'xero_unavailable', 'access_lost'],
    [null, 'xero_unavailable', 'xero_unavailable'],
    ['xero_unavailable', 'xero_unavailable', 'xero_unavailable'],
    ['xero_unavailable', 'token_revoked', 'token_revoked'],
    ['access_lost', 'token_revoked', 'token_revoked'],
  ])('shown %s, seen %s → %s', (previous, observed, expected) => {
    expect(causeAfterCheck(previous, observed).cause).toBe(expected);
  });

  it('quotes no words Xero did not say when the organisation is missing from its list', () => {
    expect(classifyXeroSignal({ kind: 'tenant_not_listed' })).toEqual({ outcome: 'cause', cause: 'app_disconnected_in_xero', xeroError: undefined });
  });
});
