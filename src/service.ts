// Builds and starts the whole service from a Config. main.ts calls it for `npm start`; tests call
// it to run the real service in-process. Adapters are wired here and nowhere else.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.ts';
import { openDatabase, isReachable, type Database } from './adapters/db/client.ts';
import { createSharedAppWindow } from './adapters/db/app-budget.ts';
import { migrate, migrationsDir, readMigrations } from './adapters/db/migrate.ts';
import { createLogger, type Logger } from './adapters/observability/logger.ts';
import { createMetrics } from './adapters/observability/metrics.ts';
import { registerServiceGauges } from './adapters/observability/service-gauges.ts';
import { readServiceFigures } from './adapters/db/service-figures.ts';
import { createAfterAck } from './adapters/http/after-ack.ts';
import { createHttpApp, finishHttpApp, listen, closeServer } from './adapters/http/server.ts';
import { createConnectionLog } from './adapters/db/connection-log.ts';
import { createXeroConnections } from './adapters/db/xero-repos.ts';
import { createXeroAdapter, xeroSettingsFrom, type XeroAdapter } from './adapters/xero/index.ts';
import type { ConsentBoundHandler, ConsentRefusedHandler, FreshLinkHandler } from './handlers/ports.ts';
import type { SlackSurface } from './adapters/slack/index.ts';
import { createMonitor, type Monitor } from './adapters/scheduler/monitor.ts';
import { routingOf } from './adapters/events/worker.ts';
import { createApiRouter } from './adapters/http/api.ts';
import { getConnection, listConnections } from './handlers/read-api.ts';

export type RunningService = {
  config: Config;
  database: Database;
  logger: Logger;
  server: http.Server;
  port: number;
  /** Handlers, outbox worker and check scheduler. */
  monitor: Monitor;
  stop(): Promise<void>;
};

export type ServiceOptions = { logger?: Logger };

export async function startService(config: Config, options: ServiceOptions = {}): Promise<RunningService> {
  const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL });
  const metrics = createMetrics();
  warnAboutOpenPlatforms(config, logger);

  const database = await openDatabase(config.DATABASE_URL);
  const migrated = await migrate(database.db, database.dialect, readMigrations(migrationsDir(database.dialect)));
  logger.info({ dialect: database.dialect, applied: migrated.applied }, 'database ready');

  const app = createHttpApp({
    logger,
    metrics,
    health: async () => ({ database: await isReachable(database.db) }),
    ...(config.METRICS_TOKEN ? { metricsToken: config.METRICS_TOKEN } : {}),
  });
  const stoppers: (() => Promise<void>)[] = [];

  // --- platform and Xero wiring (added as the adapters land) ---

  // Xero: /xero/connect and /xero/callback, checks, disconnect, single-use links.
  // `xero` is the XeroPort and `xero.linkIssuer` the LinkIssuer for createHandlers(); set
  // `xeroConsentBound.handler = handlers.onConsentBound` once the handlers exist.
  const xeroConsentBound: { handler?: ConsentBoundHandler; fresh?: FreshLinkHandler; refused?: ConsentRefusedHandler } = {};
  const xero = createXeroAdapter({
    db: database.db,
    connections: createXeroConnections(database.db),
    settings: xeroSettingsFrom(config),
    encryptionKeys: config.TOKEN_ENCRYPTION_KEY,
    publicUrl: config.PUBLIC_URL,
    connectionLog: createConnectionLog(database.db),
    log: logger,
    metrics,
    // Replicas on PostgreSQL spend one app-wide Xero budget between them.
    ...(database.dialect === 'postgres' ? { sharedBudget: createSharedAppWindow(database.db) } : {}),
    onConsentBound: async (result) => xeroConsentBound.handler?.(result),
    onFreshLink: async (request) => (xeroConsentBound.fresh ? xeroConsentBound.fresh(request) : { ok: false }),
    onConsentRefused: async (event) => xeroConsentBound.refused?.(event),
    events: routingOf(config.WEBHOOK_ENDPOINTS),
  });
  app.use(xero.router);
  registerServiceGauges(metrics, {
    readFigures: (now) => readServiceFigures(database.db, now, CHECK_OVERDUE_AFTER_MS),
    xeroCallsLeft: () => xero.budget.appSpare(),
    xeroCallsPerDay: () => xero.callRate.perDay(),
    log: logger,
  });
  await reportStoredTokenKeys(xero, logger);

  // Monitor: platform-neutral handlers, the outbox worker and the check scheduler. Chat
  // adapters set `monitor.senders.slack|teams` (their ChatSender) and route commands and clicks to
  // `monitor.handlers`; messages queued before a sender is set wait for it.
  const monitor = createMonitor({
    database,
    config,
    xero,
    links: xero.linkIssuer,
    log: logger,
    metrics,
    // Events for the host app (webhooks): recorded with each state change, delivered by their own worker.
    webhooks: { endpoints: config.WEBHOOK_ENDPOINTS, retryForMs: config.WEBHOOK_RETRY_FOR, timeoutMs: config.WEBHOOK_TIMEOUT },
  });
  xeroConsentBound.handler = monitor.handlers.onConsentBound;
  // The read API for the host app (bearer keys from API_KEYS).
  app.use(
    createApiRouter({
      keys: config.API_KEYS,
      revoked: config.API_KEYS_REVOKED,
      listConnections: () => listConnections(monitor),
      getConnection: (tenantId) => getConnection(monitor, tenantId),
    }),
  );
  xeroConsentBound.fresh = monitor.handlers.sendFreshLink;
  xeroConsentBound.refused = monitor.handlers.onConsentRefused;
  // One bound per process on the work that follows an ack, shared by both platforms.
  const afterAck = createAfterAck();
  stoppers.push(() => monitor.stop());

  // Microsoft Teams: POST /api/messages through CloudAdapter (JWT checked when
  // MicrosoftAppId is set), commands and Action.Execute clicks to the handlers, and the ChatSender
  // the outbox uses for Teams. Its stop waits for commands still being answered.
  if (config.teamsEnabled) {
    // Loaded only when used: botbuilder alone is ~25 MB of resident memory.
    const { createTeamsSurface } = await import('./adapters/teams/surface.ts');
    const teams = createTeamsSurface({ config, handlers: monitor.handlers, logger, app, db: database.db, metrics, afterAck });
    monitor.senders.teams = teams.sender;
    stoppers.push(() => teams.stop());
  }

  // Slack: POST /slack/events on this app (Socket Mode instead when SLACK_APP_TOKEN is
  // set), the /xero command, alert buttons and App Home to the handlers, and the ChatSender the
  // outbox uses for Slack. Started once the HTTP server listens, so health, metrics and the Xero
  // callback answer while Slack is slow or unreachable: start() checks the bot token (auth.test; a
  // refused token stops the start with one line, an unreachable Slack only logs) and, in Socket
  // Mode, keeps trying to open the connection in the background. Its stop waits for acked work.
  let slack: SlackSurface | undefined;
  if (config.slackEnabled) {
    const { createSlackSurface } = await import('./adapters/slack/index.ts');
    slack = createSlackSurface({ config, handlers: monitor.handlers, logger, app, metrics, afterAck });
    monitor.senders.slack = slack.sender;
    const surface = slack;
    stoppers.push(() => surface.stop());
  }

  // The scheduler and the outbox worker start only now that every chat sender exists: messages
  // left pending by the last run go out at once instead of failing for want of a sender.
  monitor.start();

  finishHttpApp(app, logger);
  const server = await listen(app, config.PORT);
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, slack: config.slackEnabled, teams: config.teamsEnabled }, 'xero guard listening');

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await closeServer(server);
    for (const stopper of stoppers.reverse()) await stopper();
    await database.close();
  };
  try {
    await slack?.start();
  } catch (error) {
    await stop();
    throw error;
  }
  return { config, database, logger, server, port, monitor, stop };
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
