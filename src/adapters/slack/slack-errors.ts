// One place that turns what @slack/web-api throws (and response_url answers) into a delivery
// outcome for the outbox: retry later (and when), give up, or "this user cannot be reached".
import { webApi } from '@slack/bolt';
import type { DeliveryOutcome } from '../../handlers/ports.ts';

export type DeliveryFailure = Extract<DeliveryOutcome, { ok: false }>;

/** The person cannot get a DM: the outbox then tells the thread and writes to the admins. */
const UNREACHABLE_USER = new Set([
  'cannot_dm_bot',
  'user_not_found',
  'users_not_found',
  'account_inactive',
  'user_disabled',
  'user_not_visible',
  'user_is_restricted',
  'not_allowed_token_type_for_user',
]);

/** Slack's side is having trouble; the same call will likely work later. */
const TRANSIENT = new Set(['ratelimited', 'rate_limited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_added_to_org', 'accesslimited']);

export function classifySlackError(error: unknown): DeliveryFailure {
  if (error instanceof webApi.WebAPIRateLimitedError) {
    return { ok: false, retry: true, retryAfterMs: Math.max(1, error.retryAfter) * 1_000, error: 'rate_limited' };
  }
  if (error instanceof webApi.WebAPIPlatformError) {
    const code = error.data.error;
    if (UNREACHABLE_USER.has(code)) return { ok: false, retry: false, unreachableUser: true, error: code };
    return { ok: false, retry: TRANSIENT.has(code), error: code };
  }
  if (error instanceof webApi.WebAPIHTTPError) {
    const retryAfter = Number(error.headers?.['retry-after']);
    if (error.statusCode === 429) return { ok: false, retry: true, retryAfterMs: (Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 1) * 1_000, error: 'rate_limited' };
    return { ok: false, retry: error.statusCode >= 500 || error.statusCode === 408, error: `http_${error.statusCode}` };
  }
  if (error instanceof webApi.WebAPIRequestError) return { ok: false, retry: true, error: `request_failed: ${error.original?.message ?? error.message}` };
  if (error instanceof ResponseUrlError) return error.outcome;
  // Anything else (a bug in a render, a thrown TypeError) is not going to heal by itself, but we
  // keep it retryable so a deploy that fixes it still delivers; the outbox caps the attempts.
  return { ok: false, retry: true, error: error instanceof Error ? error.message : String(error) };
}

export class ResponseUrlError extends Error {
  readonly outcome: DeliveryFailure;
  constructor(outcome: DeliveryFailure, options?: ErrorOptions) {
    super(`response_url: ${outcome.error}`, options);
    this.outcome = outcome;
  }
}

/** What a response_url POST answered, as an outcome. Slack answers 404 once the URL expired or was used 5 times. */
export function classifyResponseUrlStatus(status: number, retryAfterHeader: string | null, body: string): DeliveryFailure {
  if (status === 429) {
    const seconds = Number(retryAfterHeader);
    return { ok: false, retry: true, retryAfterMs: (Number.isFinite(seconds) && seconds > 0 ? seconds : 1) * 1_000, error: 'rate_limited' };
  }
  const detail = body.trim().slice(0, 60) || `http_${status}`;
  return { ok: false, retry: status >= 500 || status === 408, error: `response_url ${status} ${detail}` };
}
