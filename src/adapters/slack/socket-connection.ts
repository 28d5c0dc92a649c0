// Socket Mode's connection, kept open from our side. Bolt's own start() gives up on the first
// network error (or, with its default retries, blocks for hours inside one apps.connections.open
// call), and its client's reconnect after a drop leaves a rejected promise nobody handles when
// Slack is unreachable, which ends a Node process. Here every (re)connection runs one loop: the
// first failure is logged once, in one line that says what the service is waiting for, and the
// connection is retried with backoff in the background while the HTTP server (health, metrics,
// the Xero callback) runs. The client's own reconnect must be off (autoReconnectEnabled: false).
import type { Logger } from 'pino';
import { webApi } from '@slack/bolt';

export type SocketConnectionDeps = {
  /** Opens the connection (Bolt's app.start()); resolves once Slack says hello. */
  open: () => Promise<unknown>;
  /** Closes it (Bolt's app.stop()). */
  close: () => Promise<unknown>;
  /** Registers a one-time listener for Slack accepting the app token (apps.connections.open answered). */
  onTokenAccepted: (listener: () => void) => void;
  /** Registers a listener for the connection closing (Slack's refresh, a network drop, our stop). */
  onDisconnected: (listener: () => void) => void;
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
  let started = false;
  let stopping = false;
  let connecting: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  /** Tries until connected, refused or stopped; `answered` hears the first outcome. */
  async function keepTrying(answered: (refused?: Error) => void): Promise<void> {
    for (let attempt = 1; !stopping; attempt++) {
      try {
        await deps.open();
        if (stopping) {
          // Slack answered after stop() began: close what just opened.
          await deps.close();
          break;
        }
        deps.log.info({ attempts: attempt }, 'slack socket mode connected');
        answered();
        return;
      } catch (error) {
        if (stopping) break;
        const refusal = refusalOf(error);
        if (refusal) {
          const refused = new Error(`SLACK_APP_TOKEN was refused by Slack (${refusal})`, { cause: error });
          // At start the caller stops the service with this line; later it is logged here.
          if (started) deps.log.error({ err: refused }, 'slack socket mode stays closed until the app token is fixed and the service restarted');
          answered(refused);
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
        answered();
        await pause(retryInMs);
      }
    }
    answered();
  }

  function run(answered: (refused?: Error) => void): void {
    connecting = keepTrying(answered)
      .catch((error: unknown) => {
        // Only a failing close() lands here; the service goes on without Slack until a restart.
        deps.log.error({ err: error }, 'slack socket mode: connection loop failed');
        answered(error instanceof Error ? error : new Error(String(error)));
      })
      .finally(() => {
        connecting = undefined;
      });
  }

  deps.onDisconnected(() => {
    // Failed attempts also end in "disconnected": the loop running then handles them.
    if (!started || stopping || connecting) return;
    deps.log.info('slack socket mode connection closed; reconnecting');
    run(() => undefined);
  });

  return {
    start() {
      stopping = false;
      return new Promise<void>((resolve, reject) => {
        let settled = false;
        const settle = (refused?: Error) => {
          if (settled) return;
          settled = true;
          if (refused) reject(refused);
          else {
            started = true;
            resolve();
          }
        };
        // Token accepted but the WebSocket itself slow to open: the loop keeps at it; the start
        // need not wait for it beyond a few seconds.
        deps.onTokenAccepted(() => setTimeout(() => settle(), 5_000).unref());
        run(settle);
      });
    },
    async stop() {
      stopping = true;
      wake?.();
      // Also ends an attempt in progress; closing a client that never connected is harmless.
      await within(deps.close(), 10_000);
      if (connecting) await within(connecting, 10_000);
      started = false;
    },
  };
}

/** A shutdown waits for Slack's close handshake, but not forever. */
function within(work: Promise<unknown>, ms: number): Promise<unknown> {
  return Promise.race([work, new Promise((resolve) => setTimeout(resolve, ms).unref())]);
}

function refusalOf(error: unknown): string | undefined {
  if (error instanceof webApi.WebAPIPlatformError && REFUSALS.includes(error.data.error)) return error.data.error;
  return undefined;
}
