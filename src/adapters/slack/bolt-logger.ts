// Bolt and its WebClient log through this: their free-text lines become pino lines tagged
// { component: 'bolt' }. Bolt's info chatter ("Now connected to Slack") is kept at debug so the
// service's own logs stay the readable story; warnings and errors pass through, except those the
// caller reports better itself (`quiet`), which are kept at debug.
import type { Logger as Pino } from 'pino';
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';

export function boltLogger(log: Pino, options: { quiet?: RegExp } = {}): BoltLogger {
  const child = log.child({ component: 'bolt' });
  let level: LogLevel = LogLevel.WARN;
  const text = (parts: unknown[]) => parts.map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
  return {
    debug: (...msg: unknown[]) => child.debug(text(msg)),
    info: (...msg: unknown[]) => child.debug(text(msg)),
    warn: (...msg: unknown[]) => (options.quiet?.test(text(msg)) ? child.debug(text(msg)) : child.warn(text(msg))),
    error: (...msg: unknown[]) => (options.quiet?.test(text(msg)) ? child.debug(text(msg)) : child.error(text(msg))),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
