// Captures the service's JSON log lines in memory, as probot's MockLoggerTarget does.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/adapters/observability/logger.ts';

export type CapturedLogs = { logger: Logger; lines: () => Record<string, unknown>[]; text: () => string };

export function captureLogs(level = 'debug'): CapturedLogs {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  const logger = createLogger({ level, destination });
  return {
    logger,
    text: () => chunks.join(''),
    lines: () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
