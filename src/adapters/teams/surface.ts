// Microsoft Teams, assembled: POST /api/messages on the service's express app through CloudAdapter
// (Bot Framework JWT checked whenever MicrosoftAppId is set), the bot, and the ChatSender the
// outbox worker uses for Teams. The composition root calls createTeamsSurface once.
import type { AfterAck } from '../http/after-ack.ts';
import { createChatPipeline } from '../chat/pipeline.ts';
import { answerMalformed } from '../chat/malformed.ts';
import express, { type Express } from 'express';
import { CallerIdConstants, CloudAdapter, type ConfigurationBotFrameworkAuthenticationOptions } from 'botbuilder';
import { AuthenticationConstants } from 'botframework-connector';
import { TeamsAuthentication } from './auth.ts';
import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import type { Metrics } from '../observability/metrics.ts';
import { TeamsBot } from './bot.ts';
import { activityProblem } from './inbound.ts';
import { createConnectorClients } from './connector.ts';
import type { ChatHandlers } from '../../handlers/types.ts';
import { createTeamsReferences, type ReferenceStore } from './references.ts';
import { createTeamsSender, type TeamsSender } from './sender.ts';

export const TEAMS_PATH = '/api/messages';

export type TeamsSurfaceDeps = {
  config: Pick<Config, 'MicrosoftAppId' | 'MicrosoftAppPassword' | 'MicrosoftAppTenantId' | 'MicrosoftAppType'>;
  handlers: ChatHandlers;
  logger: Logger;
  app: Express;
  /** Where Teams conversation references are kept (the chat targets). */
  targets: ReferenceStore;
  /** Prometheus registry of the service; Teams counts what it handled there (xero_guard_chat_*, as Slack does). */
  metrics?: Metrics;
  /** Default 4 s: Teams waits only a few seconds for an Action.Execute answer. */
  invokeBudgetMs?: number;
  /** Shared with Slack by the service: one bound on post-ack work per process. */
  afterAck?: AfterAck;
  /** How long a handler may take before the asker gets the fallback answer (default HANDLER_TIMEOUT_MS). */
  handlerTimeoutMs?: number;
  /**
   * Where the Bot Framework's signing keys are published. Only tests change it, to sign their own
   * tokens; production keeps the SDK's default (login.botframework.com).
   */
  openIdMetadataUrl?: string;
};

export type TeamsSurface = {
  sender: TeamsSender;
  adapter: CloudAdapter;
  bot: TeamsBot;
  /** Waits for commands still being answered; the HTTP route is closed with the server. */
  stop(): Promise<void>;
};

export function createTeamsSurface(deps: TeamsSurfaceDeps): TeamsSurface {
  const { config, logger } = deps;
  const log = logger.child({ platform: 'teams' });
  const appId = config.MicrosoftAppId ?? '';
  const options: ConfigurationBotFrameworkAuthenticationOptions = {
    MicrosoftAppId: appId,
    MicrosoftAppPassword: config.MicrosoftAppPassword ?? '',
    MicrosoftAppTenantId: config.MicrosoftAppTenantId ?? '',
    MicrosoftAppType: config.MicrosoftAppType,
    ...(deps.openIdMetadataUrl ? publicCloudWithKeysAt(deps.openIdMetadataUrl) : {}),
  };
  const auth = new TeamsAuthentication(options);
  if (!appId) log.warn('Teams runs without MicrosoftAppId: requests are not authenticated (local testing only)');

  const adapter = new CloudAdapter(auth);
  adapter.onTurnError = async (context, error) => {
    // The last resort: a handler bug. Logged once here; Teams shows its own "something went wrong".
    log.error({ err: error, activityType: context.activity.type, requestId: context.activity.id }, 'teams turn failed');
  };

  const references = createTeamsReferences(deps.targets);
  const sender = createTeamsSender({ clients: createConnectorClients(auth, appId), references, botAppId: appId, logger });
  const pipeline = createChatPipeline({
    platform: 'teams',
    logger,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    ...(deps.afterAck ? { afterAck: deps.afterAck } : {}),
    ...(deps.handlerTimeoutMs !== undefined ? { handlerTimeoutMs: deps.handlerTimeoutMs } : {}),
  });
  const bot = new TeamsBot({ handlers: deps.handlers, sender, references, pipeline, invokeBudgetMs: deps.invokeBudgetMs ?? 4_000 });

  deps.app.post(TEAMS_PATH, express.json({ limit: '1mb' }), async (req, res, next) => {
    // The commonest unauthenticated request (no token at all) is refused here, with the same 401
    // CloudAdapter would give, without the SDK printing a stack trace for every scanner.
    if (appId && !req.headers.authorization) {
      log.warn({ requestId: (req.body as { id?: unknown } | undefined)?.id }, 'teams request without a token refused');
      res.status(401).end();
      return;
    }
    // An empty or shapeless body is the sender's mistake, not ours: 400, before the SDK throws on
    // it and the answer becomes a 500 the Bot Framework would retry.
    const problem = activityProblem(req.body);
    if (problem) {
      pipeline.malformed(problem);
      answerMalformed(res, problem);
      return;
    }
    try {
      // Authenticates the request (401 when the token is missing or wrong), runs the turn, and
      // writes the invoke response (the card of a click) as the HTTP answer.
      await adapter.process(req, res, (context) => bot.run(context));
    } catch (error) {
      next(error);
    }
  });

  return {
    sender,
    adapter,
    bot,
    stop: () => bot.idle(),
  };
}

/**
 * The SDK takes any one of these settings as "configure everything by hand": with the key URL
 * moved, the other public-cloud values must be given too, or token validation has no issuer.
 */
function publicCloudWithKeysAt(openIdMetadataUrl: string): Partial<ConfigurationBotFrameworkAuthenticationOptions> {
  return {
    ValidateAuthority: true,
    ToChannelFromBotLoginUrl: AuthenticationConstants.ToChannelFromBotLoginUrl,
    ToChannelFromBotOAuthScope: AuthenticationConstants.ToChannelFromBotOAuthScope,
    ToBotFromChannelTokenIssuer: AuthenticationConstants.ToBotFromChannelTokenIssuer,
    OAuthUrl: AuthenticationConstants.OAuthUrl,
    ToBotFromChannelOpenIdMetadataUrl: openIdMetadataUrl,
    ToBotFromEmulatorOpenIdMetadataUrl: AuthenticationConstants.ToBotFromEmulatorOpenIdMetadataUrl,
    CallerId: CallerIdConstants.PublicAzureChannel,
  };
}
