// The monitor, assembled for the composition root: the handlers, the outbox worker and the check
// scheduler over one database. Chat adapters put their ChatSender into `senders` (read at each
// delivery, so registering after start is fine) and route commands and clicks to `handlers`.
import type { Logger } from 'pino';
import type { Database } from '../db/client.ts';
import { createMonitorStore } from '../db/monitor-store.ts';
import { createOutboxWorker, type OutboxWorker } from '../outbox/worker.ts';
import { createScheduler } from './scheduler.ts';
import { createWebhookWorker, routingOf, type WebhookEndpointSettings } from '../events/worker.ts';
import { createHandlers, settingsFromConfig } from '../../handlers/index.ts';
import type { ChatSender, Clock, GrantKeeper, LinkIssuer, XeroPort } from '../../handlers/ports.ts';
import type { Refresher } from '../xero/refresh-grant.ts';
import type { Platform } from '../../domain/permissions.ts';
import type { Metrics } from '../observability/metrics.ts';

export type MonitorConfig = {
  CHECK_INTERVAL: number;
  REPEAT_INTERVAL: number;
  TRANSIENT_ALERT_AFTER: number;
  GROUP_WINDOW: number;
  XERO_TROUBLE_SHARE: number;
  XERO_TROUBLE_MIN_GRANTS: number;
  XERO_TROUBLE_WINDOW: number;
  XERO_TROUBLE_RECHECK_AFTER: number;
  SLACK_ADMIN_USER_IDS: readonly string[];
  TEAMS_ADMIN_USER_IDS: readonly string[];
};

export type MonitorDeps = {
  database: Database;
  config: MonitorConfig;
  /** The Xero adapter; its refresher (when given) keeps grants with only paused connections alive. */
  xero: XeroPort & { refresher?: Pick<Refresher, 'ensureFresh'> };
  links: LinkIssuer;
  log: Logger;
  metrics?: Metrics;
  clock?: Clock;
  /** Webhook endpoints for the host app (WEBHOOK_*); without any, no event is recorded or sent. */
  webhooks?: { endpoints: readonly WebhookEndpointSettings[]; retryForMs: number; timeoutMs: number };
};

export function createMonitor(deps: MonitorDeps) {
  const clock = deps.clock ?? { now: () => new Date() };
  const log = deps.log.child({ component: 'monitor' });
  const endpoints = deps.webhooks?.endpoints ?? [];
  const store = createMonitorStore(deps.database.db, deps.database.dialect, { events: routingOf(endpoints) });
  const webhooks =
    deps.webhooks && endpoints.length > 0
      ? createWebhookWorker({ db: deps.database.db, endpoints, clock, log, retryForMs: deps.webhooks.retryForMs, timeoutMs: deps.webhooks.timeoutMs, ...(deps.metrics ? { metrics: deps.metrics } : {}) })
      : undefined;
  const senders: Partial<Record<Platform, ChatSender>> = {};
  const deliveries = deps.metrics?.counter('outbox_deliveries_total', 'Outbox delivery outcomes', ['platform', 'kind', 'outcome']);
  let worker: OutboxWorker | undefined;
  const handlers = createHandlers({
    store,
    xero: deps.xero,
    links: deps.links,
    ...(deps.xero.refresher ? { grants: grantKeeper(deps.xero.refresher) } : {}),
    clock,
    log,
    admins: { slack: deps.config.SLACK_ADMIN_USER_IDS, teams: deps.config.TEAMS_ADMIN_USER_IDS },
    settings: settingsFromConfig(deps.config),
    wakeOutbox: () => {
      worker?.wake();
      webhooks?.wake();
    },
  });
  worker = createOutboxWorker({
    store,
    senders,
    clock,
    log,
    onUnreachable: handlers.onUnreachable,
    metrics: { delivered: (platform, kind, outcome) => deliveries?.inc({ platform, kind, outcome }) },
  });
  const scheduler = createScheduler({ store, xero: deps.xero, handlers, clock, log, checkIntervalMs: deps.config.CHECK_INTERVAL });
  const outbox = worker;
  return {
    store,
    handlers,
    senders,
    worker: outbox,
    /** The webhook delivery worker, when endpoints are configured. */
    webhooks,
    scheduler,
    start() {
      outbox.start();
      webhooks?.start();
      scheduler.start();
    },
    /** Stops checking first (checks in flight finish and queue their messages), then the workers. */
    async stop() {
      await scheduler.stop();
      await outbox.stop();
      await webhooks?.stop();
    },
  };
}

export type Monitor = ReturnType<typeof createMonitor>;

/** The refresher's answer without the access token: the handlers need only the outcome. */
export function grantKeeper(refresher: Pick<Refresher, 'ensureFresh'>): GrantKeeper {
  return {
    async ensureFresh(grantId) {
      const result = await refresher.ensureFresh(grantId);
      if (result.ok) return { ok: true, refreshed: result.value.refreshed, reason: result.value.reason };
      const { cause, status, xeroError } = result.error;
      return { ok: false, cause, ...(status !== undefined ? { httpStatus: status } : {}), ...(xeroError !== undefined ? { xeroError } : {}) };
    },
  };
}
