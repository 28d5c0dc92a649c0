// `npm start`: read settings from the environment and a settings file (.env unless ENV_FILE says
// otherwise), then run the service until a signal, on two threads: this one, the front, owns the
// public port and acknowledges Slack's requests itself; the engine thread (src/engine.ts) runs
// everything else. An ack then costs what a bare Bolt app's does, whatever the handlers are doing:
// on one thread every ack waited behind the work queued before it (BENCHMARKS.md, Ack).
import { Worker } from 'node:worker_threads';
import dotenv from 'dotenv';
import { loadConfig, type Config } from './config.ts';
import { createLogger, type Logger } from './adapters/observability/logger.ts';
import { createFront, type Door } from './adapters/http/front.ts';
import { closeServer, listen } from './adapters/http/server.ts';
import { EVENTS_PATH } from './adapters/slack/app-facts.ts';
import { slackFrontDoor } from './adapters/slack/front-door.ts';
import { ENGINE_HOST, type FromEngine, type ToEngine } from './engine-messages.ts';

async function main(): Promise<void> {
  // An empty ENV_FILE reads no file at all: the tests set it so a developer's .env never reaches them.
  const envFile = process.env.ENV_FILE ?? '.env';
  if (envFile !== '') dotenv.config({ path: envFile, quiet: true });
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    for (const problem of loaded.problems) console.error(`xero-guard: ${problem}`);
    console.error('xero-guard: see the Configuration table in README.md (and .env.example) for every setting.');
    process.exit(1);
  }
  const config = loaded.config;
  const logger = createLogger({ level: config.LOG_LEVEL });

  // The engine gets this process's environment, the settings file's values included.
  const engine = new Worker(new URL('./engine.js', import.meta.url));
  const tell = (message: ToEngine) => engine.postMessage(message);
  let stopping = false;
  const heard = listenTo(engine, logger, () => stopping);
  const failed = (message: string) => {
    console.error('xero-guard: failed to start:', message);
    process.exit(1);
  };

  const listening = await heard.next(['listening', 'failed']);
  if (listening.type === 'failed') return failed(listening.message);
  const doors: Door[] = listening.slackHttp ? [{ path: EVENTS_PATH, handlers: slackDoor(config, tell) }] : [];
  const server = await listen(createFront({ upstream: { host: ENGINE_HOST, port: listening.port }, doors, logger }), config.PORT);
  logger.info({ port: config.PORT, slack: config.slackEnabled, teams: config.teamsEnabled }, 'xero guard listening');

  const started = await heard.next(['started', 'failed']);
  if (started.type === 'failed') return failed(started.message);

  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // The public port closes first (requests in progress finish); then the engine finishes what
    // was acknowledged, stops checking and delivers what it holds.
    void closeServer(server)
      .then(() => {
        tell({ type: 'stop' });
        return heard.next(['stopped', 'stop-failed']);
      })
      .then((outcome) => {
        if (outcome.type === 'stop-failed') logger.error({ err: outcome.message }, 'shutdown failed');
        process.exit(outcome.type === 'stopped' ? 0 : 1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

function slackDoor(config: Config, tell: (message: ToEngine) => void) {
  return slackFrontDoor({
    signingSecret: config.SLACK_SIGNING_SECRET!,
    take: (request) => tell({ type: 'slack', request }),
    refused: (decision) => tell({ type: 'slack-refused', decision }),
    record: (request) => tell({ type: 'record', request }),
  });
}

/** The engine's messages, awaited one kind at a time (kept until asked for); an error or exit in the engine stops the process. */
function listenTo(engine: Worker, logger: Logger, stopping: () => boolean) {
  const unread: FromEngine[] = [];
  const waiting: { types: FromEngine['type'][]; resolve(message: FromEngine): void }[] = [];
  engine.on('message', (message: FromEngine) => {
    const index = waiting.findIndex((w) => w.types.includes(message.type));
    if (index >= 0) waiting.splice(index, 1)[0]!.resolve(message);
    else unread.push(message);
  });
  engine.on('error', (error) => {
    console.error('xero-guard: the engine thread failed:', error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
  engine.on('exit', (code) => {
    if (stopping()) return;
    logger.error({ code }, 'engine thread stopped unexpectedly');
    process.exit(1);
  });
  return {
    next<T extends FromEngine['type']>(types: T[]): Promise<Extract<FromEngine, { type: T }>> {
      const index = unread.findIndex((m) => (types as FromEngine['type'][]).includes(m.type));
      if (index >= 0) return Promise.resolve(unread.splice(index, 1)[0] as Extract<FromEngine, { type: T }>);
      return new Promise((resolve) => waiting.push({ types, resolve: resolve as (message: FromEngine) => void }));
    },
  };
}

main().catch((error: unknown) => {
  console.error('xero-guard: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});


