// Builds and starts the whole service from a Config: the composition root. main.ts calls it for
// `npm start`; tests call it to run the real service in-process. Everything is built here, in the
// order each part needs the others, and handed its collaborators at construction; nothing starts
// before what it needs exists.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.ts';
import { createDatabase, type Database } from './adapters/db/index.ts';
import { createLogger, type Logger } from './adapters/observability/logger.ts';
import { createMetrics } from './adapters/observability/metrics.ts';
import { registerServiceGauges } from './adapters/observability/service-gauges.ts';
import { createAfterAck } from './adapters/http/after-ack.ts';
import { createHttpApp, finishHttpApp, listen, closeServer, recordRequest, type RequestRecord } from './adapters/http/server.ts';
import { consentRouter } from './adapters/http/consent-routes.ts';
import { createApiRouter } from './adapters/http/api.ts';
import { createXeroAdapter, xeroSettingsFrom, type XeroAdapter } from './adapters/xero/index.ts';
import { grantKeeper } from './adapters/xero/grant-keeper.ts';
import { createOutboxWorker } from './adapters/outbox/worker.ts';
import { createScheduler } from './adapters/scheduler/scheduler.ts';
import { createWebhookWorker, routingOf } from './adapters/events/worker.ts';
import type { SlackSurface } from './adapters/slack/index.ts';
import type { TeamsSurface } from './adapters/teams/surface.ts';
import { createHandlers, settingsFromConfig, type Handlers } from './handlers/index.ts';
import { createConsentHandlers } from './handlers/oauth/consent.ts';
import { createLinkIssuer } from './handlers/oauth/issue-link.ts';
import type { ChatSender, Clock } from './handlers/ports.ts';
import { getConnection, listConnections } from './handlers/read-api.ts';
import type { Platform } from './domain/permissions.ts';

export type RunningService = {
  config: Config;
  database: Database;
  logger: Logger;
  server: http.Server;
  port: number;
  /** The use cases, as the chat adapters and the scheduler call them. */
  handlers: Handlers;
  /** Slack over HTTP: where the front thread hands the requests it acknowledged (src/main.ts). */
  slack?: Pick<SlackSurface, 'takeAcked' | 'refusedAtFront'>;
  /** Logs and counts a request the front thread answered itself, as if served here. */
  recordRequest(request: RequestRecord): void;
  stop(): Promise<void>;
};

export type ServiceOptions = {
  logger?: Logger;
  /** Where to listen instead of PORT on every interface (the engine thread: loopback, any free port). */
  listen?: { host: string; port: number };
  /** Called once the server listens, before Slack is reached: the front thread opens the real port then. */
  onListening?(port: number): void;
};

const systemClock: Clock = { now: () => new Date() };

export async function startService(config: Config, options: ServiceOptions = {}): Promise<RunningService> {
  const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL });
  const metrics = createMetrics();
  const clock = systemClock;
  warnAboutOpenPlatforms(config, logger);

  // 1. The database: opened, migrated, and every repository over it. Events for the host app
  // (webhooks) are recorded with each state change when endpoints are configured.
  const storage = await createDatabase(config.DATABASE_URL, { events: routingOf(config.WEBHOOK_ENDPOINTS) });
  const { store } = storage;
  logger.info({ dialect: storage.dialect, applied: storage.applied }, 'database ready');

  const app = createHttpApp({
    logger,
    metrics,
    health: async () => ({ database: await storage.isReachable() }),
    ...(config.METRICS_TOKEN ? { metricsToken: config.METRICS_TOKEN } : {}),
  });
  const stoppers: (() => Promise<void>)[] = [];

  // 2. Xero: probes, disconnects, refreshes, and its half of a consent. Replicas on PostgreSQL
  // spend one app-wide Xero budget between them.
  const xero = createXeroAdapter({
    repos: store,
    settings: xeroSettingsFrom(config),
    encryptionKeys: config.TOKEN_ENCRYPTION_KEY,
    connectionLog: storage.connectionLog,
    log: logger,
    clock,
    metrics,
    ...(storage.sharedAppWindow ? { sharedBudget: storage.sharedAppWindow } : {}),
  });
  registerServiceGauges(metrics, {
    readFigures: (now) => storage.readFigures(now, CHECK_OVERDUE_AFTER_MS),
    xeroCallsLeft: () => xero.budget.appSpare(),
    xeroCallsPerDay: () => xero.callRate.perDay(),
    log: logger,
  });
  await reportStoredTokenKeys(xero, logger);

  // 3. The use cases, platform-neutral. Links are issued by the handlers themselves. Whatever they
  // queue wakes the workers built below (which also poll, so nothing waits for a wake).
  const workers: { wake(): void }[] = [];
  const handlers = createHandlers({
    store,
    xero,
    links: createLinkIssuer({ links: store.links, clock, publicUrl: config.PUBLIC_URL }),
    grants: grantKeeper(xero.refresher),
    clock,
    log: logger.child({ component: 'handlers' }),
    admins: { slack: config.SLACK_ADMIN_USER_IDS, teams: config.TEAMS_ADMIN_USER_IDS },
    settings: settingsFromConfig(config),
    wakeOutbox: () => {
      for (const worker of workers) worker.wake();
    },
  });

  // 4. HTTP in: the consent pages (/xero/connect, /xero/callback) and the read API for the host
  // app (bearer keys from API_KEYS). The pages only lay out what the consent handler decided.
  const consent = createConsentHandlers({
    store,
    clock,
    log: logger.child({ component: 'consent' }),
    xero: xero.consent,
    followUps: { bound: handlers.onConsentBound, freshLink: handlers.sendFreshLink, refused: handlers.onConsentRefused },
  });
  app.use(consentRouter(consent));
  app.use(
    createApiRouter({
      keys: config.API_KEYS,
      revoked: config.API_KEYS_REVOKED,
      listConnections: () => listConnections({ store }),
      getConnection: (tenantId) => getConnection({ store }, tenantId),
    }),
  );
  // One bound per process on the work that follows an ack, shared by both platforms.
  const afterAck = createAfterAck();

  // 5. The chat surfaces: commands and clicks to the handlers, and each platform's ChatSender.
  // Microsoft Teams: POST /api/messages through CloudAdapter (JWT checked when MicrosoftAppId is
  // set). Loaded only when used: botbuilder alone is ~25 MB of resident memory. Its stop waits for
  // commands still being answered.
  let teams: TeamsSurface | undefined;
  if (config.teamsEnabled) {
    const { createTeamsSurface } = await import('./adapters/teams/surface.ts');
    teams = createTeamsSurface({ config, handlers, logger, app, targets: store.targets, metrics, afterAck });
  }
  // Slack: POST /slack/events on this app (Socket Mode instead when SLACK_APP_TOKEN is set), the
  // /xero command, alert buttons and App Home. Started once the HTTP server listens, so health,
  // metrics and the Xero callback answer while Slack is slow or unreachable: start() checks the
  // bot token (auth.test; a refused token stops the start with one line, an unreachable Slack only
  // logs) and, in Socket Mode, keeps trying to open the connection in the background. Its stop
  // waits for acked work.
  let slack: SlackSurface | undefined;
  if (config.slackEnabled) {
    const { createSlackSurface } = await import('./adapters/slack/index.ts');
    slack = createSlackSurface({ config, handlers, logger, app, metrics, afterAck });
  }
  const senders: Partial<Record<Platform, ChatSender>> = {
    ...(slack ? { slack: slack.sender } : {}),
    ...(teams ? { teams: teams.sender } : {}),
  };

  // 6. The workers: the outbox (chat messages), webhook deliveries, and the check scheduler.
  const workLog = logger.child({ component: 'workers' });
  const deliveries = metrics.counter('outbox_deliveries_total', 'Outbox delivery outcomes', ['platform', 'kind', 'outcome']);
  const outbox = createOutboxWorker({
    store,
    senders,
    clock,
    log: workLog,
    onUnreachable: handlers.onUnreachable,
    metrics: { delivered: (platform, kind, outcome) => deliveries.inc({ platform, kind, outcome }) },
  });
  workers.push(outbox);
  const webhooks =
    config.WEBHOOK_ENDPOINTS.length > 0
      ? createWebhookWorker({
          deliveries: store.eventDeliveries,
          events: store.events,
          endpoints: config.WEBHOOK_ENDPOINTS,
          clock,
          log: workLog,
          retryForMs: config.WEBHOOK_RETRY_FOR,
          timeoutMs: config.WEBHOOK_TIMEOUT,
          metrics,
        })
      : undefined;
  if (webhooks) workers.push(webhooks);
  const scheduler = createScheduler({ store, xero, handlers, clock, log: workLog, metrics, checkIntervalMs: config.CHECK_INTERVAL });

  // Stopped in reverse: the chat surfaces finish what they acked, then checking stops (checks in
  // flight finish and queue their messages), then the workers deliver what they hold.
  stoppers.push(async () => {
    await scheduler.stop();
    await outbox.stop();
    await webhooks?.stop();
  });
  const surfaces = [teams, slack].filter((surface): surface is TeamsSurface | SlackSurface => surface !== undefined);
  for (const surface of surfaces) stoppers.push(() => surface.stop());

  // 7. Start: every chat sender exists now, so messages left pending by the last run go out at
  // once instead of failing for want of a sender.
  outbox.start();
  webhooks?.start();
  scheduler.start();

  finishHttpApp(app, logger);
  const server = await listen(app, options.listen?.port ?? config.PORT, options.listen?.host);
  const port = (server.address() as AddressInfo).port;
  if (options.onListening) options.onListening(port);
  else logger.info({ port, slack: config.slackEnabled, teams: config.teamsEnabled }, 'xero guard listening');

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await closeServer(server);
    for (const stopper of stoppers.reverse()) await stopper();
    await storage.close();
  };
  try {
    await slack?.start();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    config,
    database: storage.database,
    logger,
    server,
    port,
    handlers,
    ...(slack?.mode === 'http' ? { slack } : {}),
    recordRequest: (request) => recordRequest({ logger, metrics }, request),
    stop,
  };
}

/** A check later than this past its time counts as overdue (xero_guard_checks_overdue). */
const CHECK_OVERDUE_AFTER_MS = 60_000;

/**
 * With no admin ids for a platform, everyone on it may connect, disconnect and pause organisations
 * (src/domain/permissions.ts: a first install must be usable). Fine for a first try, risky if
 * forgotten: one line per such platform at every start.
 */
function warnAboutOpenPlatforms(config: Config, logger: Logger): void {
  const platforms = [
    { platform: 'slack', enabled: config.slackEnabled, setting: 'SLACK_ADMIN_USER_IDS', admins: config.SLACK_ADMIN_USER_IDS },
    { platform: 'teams', enabled: config.teamsEnabled, setting: 'TEAMS_ADMIN_USER_IDS', admins: config.TEAMS_ADMIN_USER_IDS },
  ];
  for (const { platform, enabled, setting, admins } of platforms) {
    if (!enabled || admins.length > 0) continue;
    logger.warn(
      { platform, setting },
      `no admins configured for ${platform === 'slack' ? 'Slack' : 'Teams'}: everyone there may connect, disconnect, reconnect, pause and resume organisations until ${setting} is set`,
    );
  }
}

/**
 * One line at start about the stored tokens' keys: a warning when some cannot be decrypted (the
 * key changed), so the operator sees why checks fail before any alert does.
 */
async function reportStoredTokenKeys(xero: XeroAdapter, logger: Logger): Promise<void> {
  const keyId = xero.storedTokens.currentKeyId;
  try {
    const survey = await xero.storedTokens.survey();
    if (survey.unreadable > 0) {
      logger.warn(
        { keyId, grants: survey.grants, unreadable: survey.unreadable, organisations: survey.unreadableOrganisations },
        `${survey.unreadable} of ${survey.grants} stored Xero token sets (${plural(survey.unreadableOrganisations, 'organisation')}) cannot be decrypted with any key in TOKEN_ENCRYPTION_KEY: the encryption key changed since they were stored. ` +
          'Put the previous key back after the new one (new:<new key>,old:<previous key>) and restart, or reconnect those organisations.',
      );
    } else {
      logger.info(
        { keyId, grants: survey.grants, underOlderKeys: survey.underOlderKeys },
        survey.underOlderKeys > 0 ? 'stored tokens readable; some still under an older key (npm run keys:rotate moves them)' : 'stored tokens readable',
      );
    }
  } catch (error) {
    // Only a report: the checks meet the same database and say what is wrong there.
    logger.error({ err: error }, 'could not survey the stored tokens');
  }
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
