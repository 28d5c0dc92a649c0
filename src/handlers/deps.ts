// Everything the handlers need, passed in once by the composition root (service.ts).
import type { Logger } from 'pino';
import type { Admins } from '../domain/permissions.ts';
import type { Store } from './store.ts';
import type { Clock, GrantKeeper, LinkIssuer, XeroPort } from './ports.ts';
import type { TroubleRules } from '../domain/xero-trouble.ts';
import type { FreshRead } from './fresh-reads.ts';

export type HandlerSettings = {
  /** CHECK_INTERVAL: every watched connection is checked once per interval. */
  checkIntervalMs: number;
  /** REPEAT_INTERVAL: reminders of an unresolved incident. */
  repeatIntervalMs: number;
  /** TRANSIENT_ALERT_AFTER: transient trouble older than this raises the grouped notice. */
  transientAlertAfterMs: number;
  /** GROUP_WINDOW: definite breaks this close together share one summary message. */
  groupWindowMs: number;
  /** XERO_TROUBLE_*: when many definite failures at once are held as likely trouble at Xero. */
  trouble: TroubleRules;
};

export type HandlerDeps = {
  store: Store;
  xero: XeroPort;
  links: LinkIssuer;
  /** Refreshes grants nothing checks (all their connections paused); without it they are left alone. */
  grants?: GrantKeeper;
  clock: Clock;
  log: Logger;
  admins: Admins;
  settings: HandlerSettings;
  /** Wakes the outbox worker after something was queued (optional: it also polls). */
  wakeOutbox?: () => void;
  /** Jitter source; tests pass a fixed one. */
  random?: () => number;
  /** Shares reads asked for at once (createHandlers makes one; without it each request reads alone). */
  freshRead?: FreshRead;
};

export function settingsFromConfig(config: {
  CHECK_INTERVAL: number;
  REPEAT_INTERVAL: number;
  TRANSIENT_ALERT_AFTER: number;
  GROUP_WINDOW: number;
  XERO_TROUBLE_SHARE: number;
  XERO_TROUBLE_MIN_GRANTS: number;
  XERO_TROUBLE_WINDOW: number;
  XERO_TROUBLE_RECHECK_AFTER: number;
}): HandlerSettings {
  return {
    checkIntervalMs: config.CHECK_INTERVAL,
    repeatIntervalMs: config.REPEAT_INTERVAL,
    transientAlertAfterMs: config.TRANSIENT_ALERT_AFTER,
    groupWindowMs: config.GROUP_WINDOW,
    trouble: {
      share: config.XERO_TROUBLE_SHARE,
      minGrants: config.XERO_TROUBLE_MIN_GRANTS,
      windowMs: config.XERO_TROUBLE_WINDOW,
      recheckAfterMs: config.XERO_TROUBLE_RECHECK_AFTER,
    },
  };
}
