// xero-node fails in three shapes (DESIGN.md section 4, reference/xero-facts.md 4.3):
//   1. generated API methods reject with a JSON *string* of ApiError ({response:{statusCode,body,headers}});
//   2. the axios paths (refreshWithRefreshToken, updateTenants, disconnect) reject with an AxiosError;
//   3. the openid-client paths (callback, revoke) reject with OPError (OAuth error body) or RPError
//      (client-side checks, timeouts).
// This is the one place that reads them. The result holds only safe fields: no raw error, request,
// header or config survives, so nothing downstream can log a token or the Basic credentials.
import { classifyXeroSignal, type Cause, type XeroSignal } from '../../domain/causes.ts';
import { maskCredentials } from '../observability/logger.ts';
import { DeadlineExceeded, flatHeaders } from './transport.ts';

export type XeroOperation = 'refresh' | 'code_exchange' | 'connections' | 'organisation' | 'delete_connection' | 'revoke' | 'discovery';

export type XeroFailure = {
  operation: XeroOperation;
  cause: Cause;
  /** 401 TokenExpired and the like: get a fresh access token and try once more before deciding. */
  refreshAndRetry: boolean;
  /** HTTP status; absent when Xero never answered. */
  status?: number;
  /** Xero's error, short and credential-free ("invalid_grant", "AuthenticationUnsuccessful"). */
  xeroError?: string;
  timeout: boolean;
  /** A check on our side failed (state mismatch, id_token signature): not Xero's availability. */
  clientCheck?: string;
  retryAfterMs?: number;
  /** X-Rate-Limit-Problem on a 429: minute, day, or whatever Xero names. */
  rateLimitProblem?: string;
  headers: Record<string, string | undefined>;
  /** One line for logs: operation, status, Xero's error. */
  message: string;
};

type Raw = { status?: number; body?: unknown; headers: Record<string, string | undefined>; noAnswer?: { timeout: boolean; message: string }; clientCheck?: string };

export function normaliseXeroError(error: unknown, operation: XeroOperation, options: { timedOut?: boolean } = {}): XeroFailure {
  const raw = readRaw(error, options.timedOut ?? false);
  const signal = toSignal(raw, operation);
  const verdict = classifyXeroSignal(signal);
  const status = raw.status && raw.status > 0 ? raw.status : undefined;
  const xeroError = safeText(verdict.xeroError ?? raw.clientCheck ?? raw.noAnswer?.message);
  const retryAfter = raw.headers['retry-after'];
  const retryAfterSeconds = retryAfter !== undefined ? Number(retryAfter) : NaN;
  const failure: XeroFailure = {
    operation,
    cause: verdict.outcome === 'cause' ? verdict.cause : 'xero_unavailable',
    refreshAndRetry: verdict.outcome === 'refresh_and_retry',
    status,
    xeroError,
    timeout: raw.noAnswer?.timeout ?? false,
    clientCheck: raw.clientCheck ? safeText(raw.clientCheck) : undefined,
    retryAfterMs: status === 429 && Number.isFinite(retryAfterSeconds) ? Math.max(0, retryAfterSeconds * 1000) : undefined,
    rateLimitProblem: status === 429 ? raw.headers['x-rate-limit-problem']?.toLowerCase() : undefined,
    headers: rateHeaders(raw.headers),
    message: '',
  };
  failure.message = [operation, status ?? (failure.timeout ? 'timeout' : 'no response'), xeroError].filter(Boolean).join(' ');
  return failure;
}

/** A 2xx answer whose body is not what the schema promises (malformed JSON, wrong shape). */
export function malformedResponse(operation: XeroOperation, status: number, headers: Record<string, string | undefined> = {}): XeroFailure {
  return {
    operation,
    cause: 'xero_unavailable',
    refreshAndRetry: false,
    status,
    xeroError: 'malformed response',
    timeout: false,
    headers: rateHeaders(headers),
    message: `${operation} ${status} malformed response`,
  };
}

function readRaw(error: unknown, timedOut: boolean): Raw {
  if (error instanceof DeadlineExceeded) return { headers: {}, noAnswer: { timeout: true, message: 'timeout' } };
  // Shape 1: the generated API's JSON string.
  if (typeof error === 'string') {
    const parsed = tryParse(error);
    const response = isObject(parsed) && isObject(parsed.response) ? parsed.response : undefined;
    if (!response) return { headers: {}, noAnswer: { timeout: timedOut, message: 'unreadable error' } };
    const status = typeof response.statusCode === 'number' ? response.statusCode : 0;
    if (status === 0) {
      const message = typeof response.body === 'string' ? response.body : 'no response';
      return { headers: {}, noAnswer: { timeout: timedOut || looksLikeTimeout(message), message: shortNetworkMessage(message) } };
    }
    return { status, body: response.body, headers: flatHeaders(response.headers) };
  }
  if (!isObject(error)) return { headers: {}, noAnswer: { timeout: timedOut, message: 'unknown error' } };
  const name = typeof error.name === 'string' ? error.name : '';
  // Shape 3: openid-client. OPError carries the OAuth error; its response is non-enumerable.
  if (name === 'OPError') {
    const response = (error as { response?: { statusCode?: number; headers?: unknown } }).response;
    const status = response?.statusCode ?? (typeof error.error === 'string' ? 400 : 0);
    const body = typeof error.error === 'string' ? { error: error.error, error_description: error.error_description } : {};
    if (status === 0) return { headers: {}, noAnswer: { timeout: timedOut, message: 'no response' } };
    return { status, body, headers: flatHeaders(response?.headers) };
  }
  if (name === 'RPError') {
    const message = typeof error.message === 'string' ? error.message : 'client check failed';
    if (timedOut || looksLikeTimeout(message)) return { headers: {}, noAnswer: { timeout: true, message: 'timeout' } };
    const response = (error as { response?: { statusCode?: number } }).response;
    // "expected 200 OK, got: 500": a Xero answer openid-client would not accept.
    if (response?.statusCode && response.statusCode >= 300) return { status: response.statusCode, body: undefined, headers: {} };
    return { headers: {}, clientCheck: message, noAnswer: { timeout: false, message } };
  }
  // Shape 2: AxiosError (or the plain {response, body} xero-node rejects with on odd statuses).
  const response = isObject(error.response) ? error.response : undefined;
  if (response && typeof response.status === 'number') {
    return { status: response.status, body: response.data ?? error.body, headers: flatHeaders(response.headers) };
  }
  const code = typeof error.code === 'string' ? error.code : '';
  const message = typeof error.message === 'string' ? error.message : code || 'network error';
  const timeout = timedOut || ['ECONNABORTED', 'ETIMEDOUT', 'ERR_CANCELED'].includes(code) || looksLikeTimeout(message);
  return { headers: {}, noAnswer: { timeout, message: timeout ? 'timeout' : shortNetworkMessage(code || message) } };
}

function toSignal(raw: Raw, operation: XeroOperation): XeroSignal {
  if (raw.noAnswer || raw.status === undefined) {
    return { kind: 'network', timeout: raw.noAnswer?.timeout ?? false, message: raw.noAnswer?.message ?? 'no response' };
  }
  switch (operation) {
    case 'refresh':
    case 'code_exchange':
    case 'revoke':
    case 'discovery':
      return { kind: 'token_endpoint', status: raw.status, body: raw.body };
    case 'connections':
    case 'delete_connection':
      return { kind: 'api', status: raw.status, body: raw.body, headers: raw.headers, api: 'connections' };
    case 'organisation':
      return { kind: 'api', status: raw.status, body: raw.body, headers: raw.headers, api: 'accounting' };
  }
}

/** Only the headers the rate budget and the logs need; never Authorization or cookies. */
function rateHeaders(headers: Record<string, string | undefined>): Record<string, string | undefined> {
  const keep = ['x-minlimit-remaining', 'x-daylimit-remaining', 'x-appminlimit-remaining', 'retry-after', 'x-rate-limit-problem', 'xero-correlation-id', 'www-authenticate'];
  return Object.fromEntries(keep.filter((k) => headers[k] !== undefined).map((k) => [k, headers[k]]));
}

export function safeText(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const masked = maskCredentials(text).replace(/\s+/g, ' ').trim();
  return masked.length > 300 ? `${masked.slice(0, 297)}...` : masked || undefined;
}

/** Keeps "ECONNREFUSED" or "socket hang up", drops addresses and stack-ish detail. */
function shortNetworkMessage(message: string): string {
  const code = /\b(E[A-Z_]{3,}|ERR_[A-Z_]+)\b/.exec(message)?.[1];
  if (code) return code;
  return message.split('\n')[0]!.slice(0, 120);
}

function looksLikeTimeout(message: string): boolean {
  return /time(d)?\s*out|timeout|ECONNABORTED|ETIMEDOUT|aborted|canceled/i.test(message);
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
