// From a normalised Xero signal to a cause (DESIGN.md section 2, reference/xero-facts.md 2.2 and 7).
export const CAUSES = [
  'token_revoked',
  'app_disconnected_in_xero',
  'access_lost',
  'permission_missing',
  'app_credentials_invalid',
  // Not a Xero signal: the tokens we stored cannot be decrypted with any configured key (the
  // encryption key changed since). An operator problem on our side, never Xero's.
  'encryption_key_changed',
  'xero_unavailable',
  'rate_limited',
] as const;
export type Cause = (typeof CAUSES)[number];

export const TRANSIENT_CAUSES = ['xero_unavailable', 'rate_limited'] as const satisfies readonly Cause[];
export type TransientCause = (typeof TRANSIENT_CAUSES)[number];
export type DefiniteCause = Exclude<Cause, TransientCause>;

export function isCause(value: string): value is Cause {
  return (CAUSES as readonly string[]).includes(value);
}

export function isTransient(cause: Cause): cause is TransientCause {
  return (TRANSIENT_CAUSES as readonly string[]).includes(cause);
}

/** What the adapter saw, with no xero-node or axios types left in it. */
export type XeroSignal =
  /** identity.xero.com/connect/token answered with an error (refresh or code exchange). */
  | { kind: 'token_endpoint'; status: number; body: unknown }
  /** GET /connections answered 200 but the tenant is not in the list. */
  | { kind: 'tenant_not_listed' }
  /** An API call (GET /connections or a tenant probe) answered with an error status. */
  | { kind: 'api'; status: number; body: unknown; headers: Record<string, string | undefined>; api: 'connections' | 'accounting' | 'payroll' }
  /** The Organisation probe answered 200 with a status other than ACTIVE. */
  | { kind: 'organisation_inactive'; organisationStatus: string }
  /** No HTTP answer: timeout, reset, DNS, TLS. */
  | { kind: 'network'; timeout: boolean; message: string };

export type Classification =
  | { outcome: 'cause'; cause: Cause; xeroError: string | undefined }
  /** 401 TokenExpired: not a failure of the org; refresh the access token and try again. */
  | { outcome: 'refresh_and_retry'; xeroError: string | undefined };

export function classifyXeroSignal(signal: XeroSignal): Classification {
  switch (signal.kind) {
    case 'tenant_not_listed':
      // Xero said nothing here: the organisation is simply absent from its list. No words to quote.
      return cause('app_disconnected_in_xero', undefined);
    case 'organisation_inactive':
      return cause('access_lost', `OrganisationStatus ${signal.organisationStatus}`);
    case 'network':
      return cause('xero_unavailable', signal.timeout ? 'timeout' : signal.message);
    case 'token_endpoint':
      return classifyTokenEndpoint(signal.status, signal.body);
    case 'api':
      return classifyApi(signal);
  }
}

function classifyTokenEndpoint(status: number, body: unknown): Classification {
  const error = readField(body, 'error')?.toLowerCase();
  const text = describeError(body);
  if (status === 429) return cause('rate_limited', text);
  if (status >= 500 || status === 0) return cause('xero_unavailable', text);
  if (error === 'invalid_grant') return cause('token_revoked', text);
  if (error === 'invalid_client' || error === 'unauthorized_client' || status === 401) return cause('app_credentials_invalid', text);
  // Any other 4xx from the token endpoint (unsupported_grant_type, invalid_request) is our bug or
  // our configuration, never the organisation's: treat it as an operator problem.
  return cause('app_credentials_invalid', text);
}

function classifyApi(signal: Extract<XeroSignal, { kind: 'api' }>): Classification {
  const { status, body, headers, api } = signal;
  const text = describeError(body);
  const detail = (readField(body, 'detail') ?? readField(body, 'message') ?? '').toLowerCase();
  const authenticate = (header(headers, 'www-authenticate') ?? '').toLowerCase();
  if (status === 429) return cause('rate_limited', text ?? header(headers, 'x-rate-limit-problem'));
  if (status >= 500 || status === 0) return cause('xero_unavailable', text);
  const insufficientScope = authenticate.includes('insufficient_scope') || detail.includes('insufficient_scope') || readField(body, 'error')?.toLowerCase() === 'insufficient_scope';
  if ((status === 401 || status === 403) && insufficientScope) return cause('permission_missing', text);
  if (status === 401 && detail.startsWith('tokenexpired')) return { outcome: 'refresh_and_retry', xeroError: text };
  if (status === 403 && api === 'payroll') return cause('permission_missing', text);
  if (status === 403 && detail.includes('authenticationunsuccessful')) return cause('access_lost', text);
  if (status === 403) return cause('access_lost', text);
  if (status === 401 && detail.includes('authorizationunsuccessful')) return cause('permission_missing', text);
  // A 401 that is neither an expired token nor a scope problem means the access token itself is
  // refused: try a fresh one; if the refresh fails, the token endpoint decides the cause.
  if (status === 401) return { outcome: 'refresh_and_retry', xeroError: text };
  return cause('xero_unavailable', text);
}

/**
 * The cause a connection shows after a check saw `observed`. Passing trouble never relabels a
 * definite break: a connection truly revoked stays "revoked" while Xero is down, because "Xero
 * unavailable" would tell people to wait for something that will not fix itself.
 */
export function causeAfterCheck(previous: Cause | null, observed: Cause): { cause: Cause; reason: 'definite_kept' | 'observed' } {
  if (isTransient(observed) && previous !== null && !isTransient(previous)) return { cause: previous, reason: 'definite_kept' };
  return { cause: observed, reason: 'observed' };
}

function cause(c: Cause, xeroError: string | undefined): Classification {
  return { outcome: 'cause', cause: c, xeroError };
}

/** Xero documents lowercase keys and sends PascalCase ones: read both, and any other case. */
export function readField(body: unknown, name: string): string | undefined {
  const parsed = typeof body === 'string' ? tryParseJson(body) : body;
  if (!parsed || typeof parsed !== 'object') return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (key.toLowerCase() === wanted && (typeof value === 'string' || typeof value === 'number')) return String(value);
  }
  return undefined;
}

/** A short, token-free text of Xero's error for logs and chat: "invalid_grant", "AuthenticationUnsuccessful". */
export function describeError(body: unknown): string | undefined {
  const error = readField(body, 'error');
  const description = readField(body, 'error_description');
  if (error) return description ? `${error}: ${description}` : error;
  const detail = readField(body, 'detail') ?? readField(body, 'message');
  const title = readField(body, 'title');
  if (detail) return detail;
  if (title) return title;
  if (typeof body === 'string' && body.trim() && !tryParseJson(body)) return body.trim().slice(0, 200);
  return undefined;
}

function header(headers: Record<string, string | undefined>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
