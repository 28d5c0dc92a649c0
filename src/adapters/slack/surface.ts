// The Slack surface, built once by the composition root: the Bolt app (HTTP mode on the service's
// own express app at POST /slack/events, or Socket Mode when SLACK_APP_TOKEN is set), the routes,
// the App Home tab and the ChatSender the outbox worker uses.
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { App, ExpressReceiver, SocketModeReceiver, webApi, type Receiver } from '@slack/bolt';
import type { Config } from '../../config.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Delivery } from '../../handlers/ports.ts';
import { EVENTS_PATH } from './app-facts.ts';
import { boltLogger } from './bolt-logger.ts';
import type { ChatHandlers } from '../../handlers/types.ts';
import { createHomeTabs } from './home.ts';
import { parseSlackBody, slackIntake, type SlackDecision } from './intake.ts';
import { registerRoutes } from './routes.ts';
import { createSlackPeople } from './people.ts';
import type { AfterAck } from '../http/after-ack.ts';
import { createChatPipeline } from '../chat/pipeline.ts';
import { createSlackClient, createSlackSender, type SlackSender } from './sender.ts';
import { createSocketConnection, type SocketConnection } from './socket-connection.ts';

export type SlackSurfaceOptions = {
  config: Pick<Config, 'SLACK_BOT_TOKEN' | 'SLACK_SIGNING_SECRET' | 'SLACK_APP_TOKEN' | 'SLACK_API_URL'>;
  handlers: ChatHandlers;
  logger: Logger;
  /** The service's express app; required for HTTP mode (the route is mounted at once). */
  app?: Express;
  now?: () => Date;
  /** App Home refresh debounce after a state change (tests shorten it). */
  homeDebounceMs?: number;
  /** Counts requests (xero_guard_chat_*, as Teams does) and deliveries (xero_guard_slack_*) by outcome. */
  metrics?: Pick<Metrics, 'counter' | 'histogram'>;
  /** Shared with Teams by the service: one bound on post-ack work per process. */
  afterAck?: AfterAck;
  /** How long a handler may take before the asker gets the fallback answer (default HANDLER_TIMEOUT_MS). */
  handlerTimeoutMs?: number;
  /** Socket Mode: first pause before retrying an unreachable Slack; doubles up to a minute (tests shorten it). */
  socketRetryMs?: number;
};

export type SlackSurface = {
  mode: 'http' | 'socket';
  /** The ChatSender for the outbox worker. */
  sender: SlackSender;
  /** Checks the bot token with auth.test; in Socket Mode also opens the connection. */
  start(): Promise<void>;
  /** Stops taking requests and waits (up to 10 s) for work already acknowledged. */
  stop(): Promise<void>;
  /** Resolves when the work acknowledged so far has finished (tests). */
  idle(): Promise<void>;
  /**
   * A request the front thread already verified and acknowledged (src/main.ts): its listeners
   * run here as if Bolt's receiver had taken it, with an ack that sends nothing.
   */
  takeAcked(request: AckedSlackRequest): void;
  /** A request the front thread refused at the door: logged and counted here, as the intake would. */
  refusedAtFront(decision: Extract<SlackDecision, { kind: 'refused' | 'malformed' }>): void;
};

/** What the front thread hands on of a Slack request it acknowledged: the verified body as it came. */
export type AckedSlackRequest = { raw: string; contentType?: string; retryNum?: number; retryReason?: string };

/** Views whose delivery means a connection's state changed: the App Home table follows them. */
const STATE_VIEWS = new Set(['alert', 'summary', 'notice']);

export function createSlackSurface(options: SlackSurfaceOptions): SlackSurface {
  const { config, logger } = options;
  const log = logger.child({ platform: 'slack' });
  const token = config.SLACK_BOT_TOKEN;
  if (!token) throw new Error('SLACK_BOT_TOKEN is missing');
  const socketMode = Boolean(config.SLACK_APP_TOKEN);
  if (!socketMode && !config.SLACK_SIGNING_SECRET) throw new Error('SLACK_SIGNING_SECRET is missing (needed for HTTP mode)');
  if (!socketMode && !options.app) throw new Error('createSlackSurface needs the express app in HTTP mode');

  const apiUrl = config.SLACK_API_URL.endsWith('/') ? config.SLACK_API_URL : `${config.SLACK_API_URL}/`;
  const client = createSlackClient({ token, apiUrl });
  const baseSender = createSlackSender({
    client,
    logger,
    // Slack's own hosts, plus the API host when SLACK_API_URL points elsewhere (tests, proxies).
    responseUrlOrigins: ['https://hooks.slack.com/', 'https://hooks.slack-gov.com/', `${new URL(apiUrl).origin}/`],
    ...(options.now ? { now: options.now } : {}),
  });

  const handlers = options.handlers;
  const homes = createHomeTabs({ handlers, sender: baseSender, logger, ...(options.now ? { now: options.now } : {}), debounceMs: options.homeDebounceMs ?? 2_000 });
  const deliveries = options.metrics?.counter('slack_deliveries_total', 'Slack deliveries by kind and outcome', ['kind', 'outcome']);
  const sender: SlackSender = {
    platform: 'slack',
    publishHome: baseSender.publishHome,
    findDelivered: baseSender.findDelivered,
    async deliver(delivery: Delivery) {
      const outcome = await baseSender.deliver(delivery);
      deliveries?.inc({ kind: delivery.kind, outcome: outcome.ok ? 'ok' : outcome.unreachableUser ? 'unreachable' : outcome.retry ? 'retry' : 'failed' });
      if (outcome.ok && STATE_VIEWS.has(delivery.view.type)) homes.refreshSoon();
      return outcome;
    },
  };

  // One auth.test at start, cached; retried on the next request if Slack was unreachable then.
  // (Bolt's own token mode calls auth.test inside its constructor, and an unreachable Slack at
  // that moment becomes an unhandled rejection.)
  let identity: Promise<{ botUserId: string; botId: string; teamId: string }> | undefined;
  const whoAmI = () => {
    identity ??= client.auth.test().then(
      (r) => ({ botUserId: r.user_id ?? '', botId: r.bot_id ?? '', teamId: r.team_id ?? '' }),
      (error: unknown) => {
        identity = undefined;
        throw error;
      },
    );
    return identity;
  };

  const pipeline = createChatPipeline({
    platform: 'slack',
    logger,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.afterAck ? { afterAck: options.afterAck } : {}),
    ...(options.handlerTimeoutMs !== undefined ? { handlerTimeoutMs: options.handlerTimeoutMs } : {}),
  });

  const refused = (decision: Extract<SlackDecision, { kind: 'refused' | 'malformed' }>) => {
    if (decision.kind === 'malformed') pipeline.malformed(decision.problem);
    else if (decision.reason === 'timestamp') log.warn({ reason: decision.detail }, 'slack request refused: timestamp');
    else log.warn('slack request refused: signature');
  };

  let receiver: Receiver;
  let socketReceiver: SocketModeReceiver | undefined;
  if (socketMode) {
    receiver = socketReceiver = new SocketModeReceiver({
      appToken: config.SLACK_APP_TOKEN!,
      // Reconnecting is the socket connection's job (below): the client's own leaves an unhandled
      // rejection behind when Slack is unreachable.
      autoReconnectEnabled: false,
      // Each failed attempt to open the connection would log two lines here; the socket connection
      // below says it once, in words.
      logger: boltLogger(logger, { quiet: /^(Failed to retrieve a new WSS URL|http request failed)/ }),
      // One try per apps.connections.open: the socket connection below retries with backoff (the
      // client's default, 100 tries inside one call, would hold the start for hours).
      installerOptions: { clientOptions: { slackApiUrl: apiUrl, retryConfig: { retries: 0 }, timeout: 10_000 } },
    });
  } else {
    const router = express.Router();
    // The intake checks the timestamp and signature, parses and hands on; Bolt's own parser,
    // mounted after it, is never reached.
    router.post(EVENTS_PATH, ...slackIntake({ signingSecret: config.SLACK_SIGNING_SECRET!, handle: (req, res) => expressReceiver.requestHandler(req, res), onRefused: refused }));
    const expressReceiver = new ExpressReceiver({
      signingSecret: config.SLACK_SIGNING_SECRET!,
      endpoints: EVENTS_PATH,
      app: options.app!,
      router,
      logger: boltLogger(logger),
      processBeforeResponse: false,
    });
    receiver = expressReceiver;
  }

  const bolt = new App({
    receiver,
    authorize: async () => {
      const me = await whoAmI();
      return { botToken: token, botUserId: me.botUserId, botId: me.botId };
    },
    clientOptions: { slackApiUrl: apiUrl, retryConfig: { retries: 0 } },
    logger: boltLogger(logger),
    // Bolt's conversation store keeps per-conversation state we never read; it costs ~6% of an ack.
    convoStore: false,
  });
  registerRoutes(bolt, { handlers, sender, homes, pipeline, people: createSlackPeople(client, logger), installedTeam: async () => (await whoAmI()).teamId || undefined });

  const socket: SocketConnection | undefined = socketReceiver
    ? createSocketConnection({
        open: () => bolt.start(),
        close: () => bolt.stop(),
        onTokenAccepted: (listener) => socketReceiver.client.once('authenticated', listener),
        onDisconnected: (listener) => socketReceiver.client.on('disconnected', listener),
        log,
        slackApiUrl: apiUrl,
        ...(options.socketRetryMs !== undefined ? { firstRetryMs: options.socketRetryMs } : {}),
      })
    : undefined;

  return {
    mode: socketMode ? 'socket' : 'http',
    sender,
    async start() {
      try {
        const me = await whoAmI();
        log.info({ botUserId: me.botUserId, mode: socketMode ? 'socket' : 'http' }, 'slack ready');
      } catch (error) {
        if (error instanceof webApi.WebAPIPlatformError && ['invalid_auth', 'not_authed', 'token_revoked', 'account_inactive', 'token_expired'].includes(error.data.error)) {
          throw new Error(`SLACK_BOT_TOKEN was refused by Slack (${error.data.error})`, { cause: error });
        }
        // Slack unreachable now: requests retry auth.test; the outbox retries deliveries. In Socket
        // Mode the connection's own line below says what the service waits for.
        if (socket) log.debug({ err: error }, 'slack auth.test failed; will retry on the first request');
        else log.warn({ err: error }, 'slack auth.test failed; will retry on the first request');
      }
      await socket?.start();
    },
    async stop() {
      homes.stop();
      await socket?.stop();
      await pipeline.idle(10_000);
    },
    idle: () => pipeline.idle(),
    takeAcked(request) {
      // Parsed again here: a parsed copy sent across threads would cost the front its clone.
      const parsed = parseSlackBody(request.raw, request.contentType);
      if (!parsed.ok) return; // the front parsed the same body; nothing Slack sends gets here
      const event = {
        body: parsed.body,
        ack: async () => undefined,
        ...(request.retryNum !== undefined ? { retryNum: request.retryNum } : {}),
        ...(request.retryReason !== undefined ? { retryReason: request.retryReason } : {}),
        customProperties: {},
      };
      pipeline.track(bolt.processEvent(event)).catch((error: unknown) => log.error({ err: error }, 'slack request failed after the front acknowledged it'));
    },
    refusedAtFront: refused,
  };
}
