// Builds and starts the whole service from a Config. main.ts calls it for `npm start`; tests call
// it to run the real service in-process. Adapters are wired here and nowhere else.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.ts';
import { openDatabase, isReachable, type Database } from './adapters/db/client.ts';
import { migrate, migrationsDir, readMigrations } from './adapters/db/migrate.ts';
import { createLogger, type Logger } from './adapters/observability/logger.ts';
import { createMetrics } from './adapters/observability/metrics.ts';
import { createAfterAck } from './adapters/http/after-ack.ts';
import { createHttpApp, finishHttpApp, listen, closeServer } from './adapters/http/server.ts';
import { createConnectionLog } from './adapters/db/connection-log.ts';
import { createXeroAdapter, xeroSettingsFrom } from './adapters/xero/index.ts';
import type { ConsentBoundHandler } from './handlers/ports.ts';
import { createMonitor, type Monitor } from './adapters/scheduler/monitor.ts';

export type RunningService = {
  config: Config;
  database: Database;
  logger: Logger;
  server: http.Server;
  port: number;
  /** Handlers, outbox worker and check scheduler (issue 4). */
  monitor: Monitor;
  stop(): Promise<void>;
};

export type ServiceOptions = { logger?: Logger };

export async function startService(config: Config, options: ServiceOptions = {}): Promise<RunningService> {
  const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL });
  const metrics = createMetrics();

  const database = await openDatabase(config.DATABASE_URL);
  const migrated = await migrate(database.db, database.dialect, readMigrations(migrationsDir(database.dialect)));
  logger.info({ dialect: database.dialect, applied: migrated.applied }, 'database ready');

  const app = createHttpApp({ logger, metrics, health: async () => ({ database: await isReachable(database.db) }) });
  const stoppers: (() => Promise<void>)[] = [];

  // --- platform and Xero wiring (added as the adapters land) ---

  // Xero (issue 3): /xero/connect and /xero/callback, checks, disconnect, single-use links.
  // `xero` is the XeroPort and `xero.linkIssuer` the LinkIssuer for createHandlers(); set
  // `xeroConsentBound.handler = handlers.onConsentBound` once the handlers exist.
  const xeroConsentBound: { handler?: ConsentBoundHandler } = {};
  const xero = createXeroAdapter({
    db: database.db,
    settings: xeroSettingsFrom(config),
    encryptionKeys: config.TOKEN_ENCRYPTION_KEY,
    publicUrl: config.PUBLIC_URL,
    connectionLog: createConnectionLog(database.db),
    log: logger,
    metrics,
    onConsentBound: async (result) => xeroConsentBound.handler?.(result),
  });
  app.use(xero.router);

  // Monitor (issue 4): platform-neutral handlers, the outbox worker and the check scheduler. Chat
  // adapters set `monitor.senders.slack|teams` (their ChatSender) and route commands and clicks to
  // `monitor.handlers`; messages queued before a sender is set wait for it.
  const monitor = createMonitor({ database, config, xero, links: xero.linkIssuer, log: logger, metrics });
  xeroConsentBound.handler = monitor.handlers.onConsentBound;
  monitor.start();
  // One bound per process on the work that follows an ack, shared by both platforms.
  const afterAck = createAfterAck();
  stoppers.push(() => monitor.stop());

  // Microsoft Teams (issue 6): POST /api/messages through CloudAdapter (JWT checked when
  // MicrosoftAppId is set), commands and Action.Execute clicks to the handlers, and the ChatSender
  // the outbox uses for Teams. Its stop waits for commands still being answered.
  if (config.teamsEnabled) {
    // Loaded only when used: botbuilder alone is ~25 MB of resident memory.
    const { createTeamsSurface } = await import('./adapters/teams/surface.ts');
    const teams = createTeamsSurface({ config, handlers: monitor.handlers, logger, app, db: database.db, metrics, afterAck });
    monitor.senders.teams = teams.sender;
    stoppers.push(() => teams.stop());
  }

  // Slack (issue 5): POST /slack/events on this app (Socket Mode instead when SLACK_APP_TOKEN is
  // set), the /xero command, alert buttons and App Home to the handlers, and the ChatSender the
  // outbox uses for Slack. start() checks the bot token (auth.test): a refused token stops the
  // start with one line; an unreachable Slack only logs a warning. Its stop waits for acked work.
  if (config.slackEnabled) {
    const { createSlackSurface } = await import('./adapters/slack/index.ts');
    const slack = createSlackSurface({ config, handlers: monitor.handlers, logger, app, metrics, afterAck });
    monitor.senders.slack = slack.sender;
    await slack.start();
    stoppers.push(() => slack.stop());
  }

  finishHttpApp(app, logger);
  const server = await listen(app, config.PORT);
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, slack: config.slackEnabled, teams: config.teamsEnabled }, 'xero guard listening');

  let stopped = false;
  return {
    config,
    database,
    logger,
    server,
    port,
    monitor,
    async stop() {
      if (stopped) return;
      stopped = true;
      await closeServer(server);
      for (const stop of stoppers.reverse()) await stop();
      await database.close();
    },
  };
}
