// Delivers the host app's events to the webhook endpoints: claim the first unfinished delivery of
// each endpoint and connection (lease), sign it, POST it, record the answer. Replicas share the work
// through the leases. Per connection and endpoint, event N+1 waits until event N was accepted (or
// given up on after WEBHOOK_RETRY_FOR).
//
// Crash safety, step by step (test/adapters/events/worker-crash.test.ts stops the worker at each):
//   1. claimed   status=sending, lease held. Crash → the lease expires, another worker sends it.
//   2. sent      the endpoint has it; we have not written that down. Crash → sent again after the
//                lease, with the same webhook-id: the one duplicate Standard Webhooks receivers
//                are told to expect and drop by id.
//   3. recorded  status=sent. Crash after → nothing to do.
import { LEASE_TERM_MS } from '../../domain/leases.ts';
import { startHeartbeat } from '../../handlers/heartbeat.ts';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { parseRetryAfter, retryDelayMs, type EndpointHealth } from '../../domain/events.ts';
import type { Clock } from '../../handlers/ports.ts';
import type { EventDeliveriesRepo, EventDeliveryRow, EventRouting, EventsRepo } from '../../handlers/store.ts';
import type { Metrics } from '../observability/metrics.ts';
import { createSigner } from './sign.ts';

export type WebhookEndpointSettings = { name: string; url: string; secrets: readonly string[]; events?: readonly string[] | undefined };

export type WebhookStep = 'claimed' | 'sent' | 'recorded';

export type WebhookWorkerDeps = {
  deliveries: EventDeliveriesRepo;
  /** The event store, for the endpoints' health (its routing names the same endpoints). */
  events: Pick<EventsRepo, 'health'>;
  endpoints: readonly WebhookEndpointSettings[];
  clock: Clock;
  log: Logger;
  /** WEBHOOK_RETRY_FOR: a delivery still failing this long after its event is given up. */
  retryForMs: number;
  /** WEBHOOK_TIMEOUT: one attempt's limit. */
  timeoutMs: number;
  metrics?: Metrics;
  owner?: string;
  leaseMs?: number;
  batchSize?: number;
  concurrency?: number;
  random?: () => number;
  /** Tests only: runs after each step; throwing there stops this worker as a crash would. */
  afterStep?: (step: WebhookStep, row: EventDeliveryRow) => void | Promise<void>;
};

export type WebhookRunReport = { sent: number; retried: number; dead: number };

/** Short and renewed while the POST runs, like every lease: a dead worker's delivery is taken over within one term. */
export const WEBHOOK_LEASE_MS = LEASE_TERM_MS;
const KEEP_FINISHED_MS = 7 * 86_400_000;
const HEALTH_EVERY_MS = 15_000;

export function routingOf(endpoints: readonly WebhookEndpointSettings[]): EventRouting {
  return { endpoints: endpoints.map((e) => ({ name: e.name, events: e.events ? (e.events as EventRouting['endpoints'][number]['events']) : 'all' })) };
}

export function createWebhookWorker(deps: WebhookWorkerDeps) {
  const owner = deps.owner ?? `webhooks:${randomUUID()}`;
  const leaseMs = deps.leaseMs ?? WEBHOOK_LEASE_MS;
  const random = deps.random ?? Math.random;
  const { deliveries, events } = deps;
  const endpoints = new Map(deps.endpoints.map((e) => [e.name, { ...e, signer: createSigner(e.secrets) }]));
  const log = deps.log.child({ component: 'webhooks', owner });
  /** Endpoints that asked us to wait (Retry-After), until when. */
  const blocked = new Map<string, number>();
  const outcomes = deps.metrics?.counter('webhook_deliveries_total', 'Webhook delivery attempts by outcome', ['endpoint', 'outcome']);
  const up = deps.metrics?.gauge('webhook_endpoint_up', '1 while a webhook endpoint accepts events, 0 while it is failing or events to it were given up', ['endpoint']);
  const waiting = deps.metrics?.gauge('webhook_events_waiting', 'Events not yet accepted by a webhook endpoint', ['endpoint']);
  let healthAt = 0;
  let prunedAt = 0;

  async function runOnce(): Promise<WebhookRunReport> {
    const report: WebhookRunReport = { sent: 0, retried: 0, dead: 0 };
    const now = deps.clock.now();
    await housekeeping(now);
    const skip = [...blocked].filter(([, until]) => until > now.getTime()).map(([name]) => name);
    const rows = await deliveries.findReady(now, deps.batchSize ?? 100, skip);
    const queue = [...rows];
    const worker = async () => {
      for (let row = queue.shift(); row; row = queue.shift()) {
        if ((blocked.get(row.endpoint) ?? 0) > deps.clock.now().getTime()) continue;
        const result = await deliverOne(row);
        if (result) report[result] += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(deps.concurrency ?? 8, queue.length) }, worker));
    if (report.sent + report.retried + report.dead > 0) healthAt = 0;
    return report;
  }

  async function deliverOne(row: EventDeliveryRow): Promise<keyof WebhookRunReport | undefined> {
    const startedAt = deps.clock.now();
    if (!(await deliveries.claim(row, owner, startedAt, leaseMs))) return undefined;
    await deps.afterStep?.('claimed', row);
    const endpoint = endpoints.get(row.endpoint);
    const payload = await deliveries.payloadOf(row.eventId);
    if (!endpoint || payload === null) return giveUp(row, endpoint ? 'event missing' : 'endpoint no longer configured');

    const heartbeat = startHeartbeat(() => deliveries.renew(row.id, owner, deps.clock.now(), leaseMs), log);
    const answer = await post(endpoint.url, endpoint.signer.headers(row.eventId, deps.clock.now(), payload), payload).finally(() => heartbeat.stop());
    await deps.afterStep?.('sent', row);
    if (answer.ok) {
      await deliveries.markSent(row.id, owner, deps.clock.now());
      await deps.afterStep?.('recorded', row);
      outcomes?.inc({ endpoint: row.endpoint, outcome: 'sent' });
      log.debug({ eventId: row.eventId, endpoint: row.endpoint, attempts: row.attempts + 1 }, 'event delivered');
      return 'sent';
    }
    const now = deps.clock.now();
    if (now.getTime() - row.createdAt.getTime() >= deps.retryForMs) return giveUp(row, answer.error);
    const retryAfterMs = parseRetryAfter(answer.retryAfter, now);
    // Retry-After speaks for the endpoint, not only this event: hold its other deliveries too.
    if (retryAfterMs) blocked.set(row.endpoint, now.getTime() + retryAfterMs);
    const delay = retryDelayMs(row.attempts + 1, random(), retryAfterMs);
    await deliveries.reschedule(row.id, owner, new Date(now.getTime() + delay), answer.error);
    outcomes?.inc({ endpoint: row.endpoint, outcome: 'retry' });
    log.warn({ eventId: row.eventId, endpoint: row.endpoint, attempts: row.attempts + 1, retryInMs: delay, error: answer.error }, 'event delivery failed, will retry');
    return 'retried';
  }

  async function giveUp(row: EventDeliveryRow, error: string): Promise<'dead'> {
    await deliveries.giveUp(row.id, owner, error);
    outcomes?.inc({ endpoint: row.endpoint, outcome: 'dead' });
    log.error({ eventId: row.eventId, endpoint: row.endpoint, attempts: row.attempts + 1, error }, 'event given up');
    return 'dead';
  }

  async function post(url: string, headers: Record<string, string>, body: string): Promise<{ ok: true } | { ok: false; error: string; retryAfter?: string | null }> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'xero-guard-webhooks', ...headers },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(deps.timeoutMs),
      });
      // The body is not read for anything; drain it so the socket is reused.
      await response.arrayBuffer().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return { ok: true };
      return { ok: false, error: `answered ${response.status}`, retryAfter: response.headers.get('retry-after') };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      const name = (error as { name?: string }).name;
      return { ok: false, error: name === 'TimeoutError' ? 'timed out' : (cause ?? (error instanceof Error ? error.message : String(error))) };
    }
  }

  /** Gauges for /metrics (at most every 15 s) and, once an hour, old finished deliveries removed. */
  async function housekeeping(now: Date): Promise<void> {
    if (now.getTime() - healthAt >= HEALTH_EVERY_MS) {
      healthAt = now.getTime();
      for (const health of await events.health()) {
        up?.set({ endpoint: health.endpoint }, health.down ? 0 : 1);
        waiting?.set({ endpoint: health.endpoint }, health.waiting);
      }
    }
    if (now.getTime() - prunedAt >= 3_600_000) {
      prunedAt = now.getTime();
      await deliveries.abandon([...endpoints.keys()], now);
      await deliveries.prune(new Date(now.getTime() - KEEP_FINISHED_MS));
    }
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;
  let again = false;
  let pollMs = 1_000;

  function schedule(delayMs: number) {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(loop, delayMs);
  }

  function loop() {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = runOnce()
      .then((report) => report.sent + report.retried + report.dead > 0)
      .catch((error: unknown) => {
        // A database hiccup: logged, and the next poll tries again; deliveries stay pending or leased.
        log.error({ err: error }, 'webhook run failed');
        return false;
      })
      .then((busy) => {
        running = undefined;
        const more = busy || again;
        again = false;
        schedule(more ? 0 : pollMs);
      });
  }

  return {
    owner,
    runOnce,
    /** Runs until nothing is ready now (tests). */
    async drain(maxRuns = 100): Promise<WebhookRunReport> {
      const total: WebhookRunReport = { sent: 0, retried: 0, dead: 0 };
      for (let i = 0; i < maxRuns; i += 1) {
        const report = await runOnce();
        total.sent += report.sent;
        total.retried += report.retried;
        total.dead += report.dead;
        if (report.sent + report.retried + report.dead === 0) break;
      }
      return total;
    },
    health(): Promise<EndpointHealth[]> {
      return events.health();
    },
    start(options: { pollMs?: number } = {}) {
      pollMs = options.pollMs ?? 1_000;
      stopped = false;
      schedule(0);
    },
    wake() {
      schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

export type WebhookWorker = ReturnType<typeof createWebhookWorker>;
