// `npm start`: read settings from the environment and a settings file (.env unless ENV_FILE says
// otherwise), then run the service until a signal.
import dotenv from 'dotenv';
import { loadConfig } from './config.ts';
import { startService } from './service.ts';

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
  const service = await startService(loaded.config);
  const shutdown = (signal: string) => {
    service.logger.info({ signal }, 'shutting down');
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        service.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('xero-guard: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
