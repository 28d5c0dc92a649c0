// Socket Mode's connection, kept open from our side. Bolt's own start() gives up on the first
// network error (or, with its default retries, blocks for hours inside one apps.connections.open
// call); either way the service would not come up. Here the first failure is logged once, in one
// line that says what the service is waiting for, and the connection is retried with backoff in
// the background while the HTTP server (health, metrics, the Xero callback) runs. Once connected,
// the Socket Mode client reconnects by itself after a drop.
import type { Logger } from 'pino';
import { webApi } from '@slack/bolt';

export type SocketConnectionDeps = {
  /** Opens the connection (Bolt's app.start()); resolves once Slack says hello. */
  open: () => Promise<unknown>;
  /** Closes it (Bolt's app.stop()). */
  close: () => Promise<unknown>;
  /** Registers a listener called when Slack accepts the app token (apps.connections.open answered). */
  onTokenAccepted: (listener: () => void) => void;
  log: Logger;
  slackApiUrl: string;
  firstRetryMs?: number;
  maxRetryMs?: number;
};

export type SocketConnection = {
  /**
   * Starts connecting. Resolves once connected, once Slack proves unreachable (it then keeps trying
   * in the background), or 5 s after Slack accepted the token if the WebSocket is slow to open.
   * Rejects only when Slack refuses the app token.
   */
  start(): Promise<void>;
  stop(): Promise<void>;
};

/** Slack's answers that no retry can change: the app token itself is wrong or revoked. */
const REFUSALS = ['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'not_allowed_token_type', 'user_removed_from_team', 'team_disabled'];

export function createSocketConnection(deps: SocketConnectionDeps): SocketConnection {
  const firstRetryMs = deps.firstRetryMs ?? 1_000;
  const maxRetryMs = deps.maxRetryMs ?? 60_000;
  let stopping = false;
  let wake: (() => void) | undefined;
  let running: Promise<void> | undefined;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  return {
    start() {
      stopping = false;
      return new Promise<void>((resolve, reject) => {
        let settled = false;
        const settle = (error?: Error) => {
          if (settled) return;
          settled = true;
          if (error) reject(error);
          else resolve();
        };
        // Token accepted but the WebSocket itself slow to open: the client keeps at it by itself;
        // the start need not wait for it beyond a few seconds.
        deps.onTokenAccepted(() => setTimeout(() => settle(), 5_000).unref());
        running = (async () => {
          for (let attempt = 1; !stopping; attempt++) {
            try {
              await deps.open();
              if (stopping) {
                // Slack answered after stop() began: close what just opened.
                await deps.close();
                break;
              }
              deps.log.info({ attempts: attempt }, 'slack socket mode connected');
              settle();
              return;
            } catch (error) {
              if (stopping) break;
              const refusal = refusalOf(error);
              if (refusal) {
                settle(new Error(`SLACK_APP_TOKEN was refused by Slack (${refusal})`, { cause: error }));
                return;
              }
              const retryInMs = Math.min(maxRetryMs, firstRetryMs * 2 ** (attempt - 1));
              if (attempt === 1) {
                deps.log.warn(
                  { err: error, slackApiUrl: deps.slackApiUrl, retryInMs },
                  'waiting for Slack: the Socket Mode connection cannot be opened yet (Slack unreachable); retrying with backoff, while health, metrics and the Xero callback are served',
                );
              } else {
                deps.log.debug({ reason: error instanceof Error ? error.message : String(error), attempt, retryInMs }, 'slack socket mode: still waiting for Slack');
              }
              settle();
              await pause(retryInMs);
            }
          }
          settle();
        })().catch((error: unknown) => {
          // Only a failing close() lands here; the service goes on without Slack until a restart.
          deps.log.error({ err: error }, 'slack socket mode: connection loop failed');
          settle(error instanceof Error ? error : new Error(String(error)));
        });
      });
    },
    async stop() {
      if (!running) return;
      stopping = true;
      wake?.();
      // Also ends an attempt in progress; closing a client that never connected is harmless.
      await deps.close();
      await Promise.race([running, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
      running = undefined;
    },
  };
}

function refusalOf(error: unknown): string | undefined {
  if (error instanceof webApi.WebAPIPlatformError && REFUSALS.includes(error.data.error)) return error.data.error;
  return undefined;
}
