// Bot Connector clients for outbound calls, one per serviceUrl, and the translation of their
// failures into delivery outcomes the outbox understands.
import { AuthenticationConstants, ClaimsIdentity, type BotFrameworkAuthentication, type ConnectorClient } from 'botframework-connector';
import type { DeliveryOutcome } from '../../handlers/ports.ts';

export type ConnectorClients = { forServiceUrl(serviceUrl: string): Promise<ConnectorClient> };

export function createConnectorClients(auth: BotFrameworkAuthentication, botAppId: string): ConnectorClients {
  // The identity a proactive call acts as: the bot itself (what CloudAdapter builds for
  // continueConversationAsync). With no app id, outbound calls carry no token (local tests only).
  const identity = new ClaimsIdentity(
    [
      { type: AuthenticationConstants.AudienceClaim, value: botAppId },
      { type: AuthenticationConstants.AppIdClaim, value: botAppId },
    ],
    true,
  );
  const clients = new Map<string, Promise<ConnectorClient>>();
  return {
    forServiceUrl(serviceUrl) {
      const cached = clients.get(serviceUrl);
      if (cached) return cached;
      const client = auth
        .createConnectorFactory(identity)
        .create(serviceUrl, undefined as unknown as string)
        .then(withoutSdkRetries);
      // A failed creation (token endpoint down) must not stick: the next delivery tries again. The
      // failure itself reaches the caller through the returned promise.
      client.catch(() => clients.delete(serviceUrl));
      clients.set(serviceUrl, client);
      return client;
    },
  };
}

/**
 * The Azure pipeline under ConnectorClient retries 429 and 5xx by itself, sleeping Retry-After
 * inside the call. Retries belong to the outbox (durable, visible, Retry-After honoured between
 * attempts, never blocking the worker), so the SDK's own retry policy is removed.
 */
function withoutSdkRetries(client: ConnectorClient): ConnectorClient {
  const pipeline = (client as unknown as { client?: { pipeline?: { removePolicy(options: { name: string }): unknown } } }).client?.pipeline;
  pipeline?.removePolicy({ name: 'defaultRetryPolicy' });
  return client;
}

type RestLikeError = { statusCode?: number; code?: string; message?: string; response?: { headers?: { get(name: string): string | undefined } } };

/** Statuses Teams' rate-limit guidance says to retry (chat-facts 5.10), plus plain server errors. */
const RETRYABLE = new Set([408, 412, 429, 500, 502, 503, 504]);

export function failureOutcome(error: unknown, context: { directMessage: boolean; now?: number }): Extract<DeliveryOutcome, { ok: false }> {
  const e = (error ?? {}) as RestLikeError;
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const description = `teams ${status ?? 'network'}${code ? ` ${code}` : ''}`;
  if (status === undefined) return { ok: false, retry: true, error: `${description}: ${e.message ?? 'no response'}` };
  if (RETRYABLE.has(status)) {
    const retryAfterMs = parseRetryAfter(e.response?.headers?.get('retry-after'), context.now ?? Date.now());
    return { ok: false, retry: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), error: description };
  }
  // 403 on a 1:1: the user blocked or removed the bot (MessageWritesBlocked, ConversationBlockedByUser).
  if (status === 403 && context.directMessage) return { ok: false, retry: false, unreachableUser: true, error: description };
  return { ok: false, retry: false, error: description };
}

/** Retry-After is seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined | null, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
