// Delivers the outbox: claim a row (lease), work out where it goes (the message an edit targets,
// the thread a reply joins), send it through the platform's ChatSender, record the platform's
// message id. Replicas share the work through the row leases; each row is sent by one of them.
//
// Crash safety, step by step (test/adapters/outbox/worker-crash.test.ts stops the worker at each):
//   1. claimed   status=sending, lease held. Crash → the lease expires, another worker takes it.
//   2. resolved  nothing written. Crash → same as 1.
//   3. sent      the platform has the message; we have not written that down. Crash → the row is
//                "in doubt" when re-claimed. If the sender can look the message up by the row id
//                (ChatSender.findDelivered; Slack can, through message metadata), it is recorded
//                without sending again. Otherwise it is sent again: the residual window is the few
//                milliseconds between the platform's answer and our commit, and its worst case is
//                one duplicate post, never a lost one. Edits (update) are idempotent and simply
//                repeated.
//   4. recorded  ChatMessage and status=sent commit in one transaction. Crash after → nothing to do.
// A lease (2 min) is longer than any sender call (their HTTP timeouts are shorter), so a slow but
// alive worker is not overtaken; only a dead one is.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DbMonitorStore } from '../db/monitor-store.ts';
import { readEnvelope, type OutboxRow } from '../db/outbox.ts';
import type { ChatAddress, ChatSender, Clock, Delivery, DeliveryOutcome } from '../../handlers/ports.ts';
import type { Platform } from '../../domain/permissions.ts';
import type { Unreachable } from '../../handlers/unreachable.ts';
import type { View } from '../../domain/views/model.ts';

export type OutboxStep = 'claimed' | 'resolved' | 'sent' | 'recorded';

export type OutboxWorkerDeps = {
  store: DbMonitorStore;
  senders: Partial<Record<Platform, ChatSender>>;
  clock: Clock;
  log: Logger;
  onUnreachable?: (event: Unreachable) => Promise<void>;
  owner?: string;
  leaseMs?: number;
  batchSize?: number;
  /** Rows for different channels go in parallel, up to this many; one channel's rows go in order. */
  concurrency?: number;
  /** Retryable failures are retried until the row is this old, then given up (dead). */
  giveUpAfterMs?: number;
  random?: () => number;
  /** Tests only: runs after each step; throwing there stops this worker as a crash would. */
  afterStep?: (step: OutboxStep, row: OutboxRow) => void | Promise<void>;
  metrics?: { delivered?: (platform: string, kind: string, outcome: string) => void };
};

export type OutboxRunReport = { sent: number; retried: number; dead: number; waiting: number; superseded: number; recovered: number };

export const OUTBOX_LEASE_MS = 120_000;
const WAIT_FOR_PARENT_MS = 2_000;
const MAX_BACKOFF_MS = 5 * 60_000;

export function createOutboxWorker(deps: OutboxWorkerDeps) {
  const owner = deps.owner ?? `outbox:${randomUUID()}`;
  const leaseMs = deps.leaseMs ?? OUTBOX_LEASE_MS;
  const batchSize = deps.batchSize ?? 100;
  const concurrency = deps.concurrency ?? 8;
  const giveUpAfterMs = deps.giveUpAfterMs ?? 24 * 3_600_000;
  const random = deps.random ?? Math.random;
  /** Channels a platform asked us to leave alone (429 Retry-After), until when. */
  const blocked = new Map<string, number>();
  const log = deps.log.child({ component: 'outbox', owner });

  async function runOnce(): Promise<OutboxRunReport> {
    const report: OutboxRunReport = { sent: 0, retried: 0, dead: 0, waiting: 0, superseded: 0, recovered: 0 };
    const now = deps.clock.now();
    const rows = (await deps.store.outbox.findClaimable(now, batchSize)).filter((row) => (blocked.get(channelKey(row)) ?? 0) <= now.getTime());
    const lanes = new Map<string, OutboxRow[]>();
    for (const row of rows) lanes.set(channelKey(row), [...(lanes.get(channelKey(row)) ?? []), row]);
    const queue = [...lanes.values()];
    const runLane = async () => {
      for (let lane = queue.shift(); lane; lane = queue.shift()) {
        for (const row of lane) {
          if ((blocked.get(channelKey(row)) ?? 0) > deps.clock.now().getTime()) break;
          const result = await deliverOne(row);
          report[result] += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, runLane));
    return report;
  }

  async function deliverOne(row: OutboxRow): Promise<keyof OutboxRunReport> {
    const startedAt = deps.clock.now();
    if (!(await deps.store.outbox.claim(row, owner, startedAt, leaseMs))) return 'waiting';
    const inDoubt = row.status === 'sending';
    await deps.afterStep?.('claimed', row);

    const sender = deps.senders[row.platform as Platform];
    if (!sender) {
      // The platform's adapter may not be up yet (start-up order) or was switched off: keep the
      // message and look again in a minute, until the row is too old to matter.
      if (startedAt.getTime() - row.createdAt.getTime() > giveUpAfterMs) return finish(row, 'dead', `no ${row.platform} sender configured`);
      await deps.store.outbox.reschedule(row.id, owner, { nextAttemptAt: new Date(startedAt.getTime() + 60_000), error: `no ${row.platform} sender configured`, refundAttempt: true });
      return 'waiting';
    }
    const { view, meta } = readEnvelope(row);
    const address = JSON.parse(row.address) as ChatAddress;
    const delivery: Delivery = { id: row.id, kind: row.kind as Delivery['kind'], address, view, ...(inDoubt ? { inDoubt } : {}) };

    if (row.kind === 'update') {
      if (await deps.store.outbox.hasNewerUpdate(row)) return finish(row, 'superseded', 'a newer edit of this message exists');
      const target = await located(row.messageKey);
      if (target !== 'ready') return target === 'wait' ? waitForParent(row) : finish(row, 'dead', `message ${row.messageKey} was never posted`);
      const existing = (await deps.store.messages.get(row.messageKey!))!;
      delivery.existing = { channelId: existing.channelId, messageId: existing.messageId };
    }
    if (row.kind === 'reply') {
      const parent = await located(row.parentKey);
      if (parent !== 'ready') return parent === 'wait' ? waitForParent(row) : finish(row, 'dead', `thread parent ${row.parentKey} was never posted`);
      const message = (await deps.store.messages.get(row.parentKey!))!;
      delivery.parent = { channelId: message.channelId, messageId: message.messageId };
    }
    await deps.afterStep?.('resolved', row);

    let outcome: DeliveryOutcome | undefined;
    let recovered = false;
    if (inDoubt && row.kind !== 'update' && sender.findDelivered) {
      const found = await sender.findDelivered(delivery);
      if (found) {
        outcome = { ok: true, ...found };
        recovered = true;
      }
    }
    if (!outcome) {
      try {
        outcome = await sender.deliver(delivery);
      } catch (error) {
        // Senders return failures as values; a throw is treated as a retryable failure.
        log.error({ err: error, outboxId: row.id }, 'sender threw');
        outcome = { ok: false, retry: true, error: error instanceof Error ? error.message : String(error) };
      }
    }
    await deps.afterStep?.('sent', row);

    if (outcome.ok) {
      const sentAt = deps.clock.now();
      await deps.store.transaction(async (tx) => {
        if (row.messageKey && row.kind !== 'update' && row.kind !== 'ephemeral') {
          await tx.messages.record(row.messageKey, { platform: row.platform, channelId: outcome.channelId, messageId: outcome.messageId, threadId: delivery.parent?.messageId ?? null });
        }
        await tx.outbox.markSent(row.id, owner, { messageId: outcome.messageId, at: sentAt, ...scrubbed(row, view) });
      });
      await deps.afterStep?.('recorded', row);
      deps.metrics?.delivered?.(row.platform, row.kind, 'sent');
      log.debug({ outboxId: row.id, kind: row.kind, platform: row.platform, recovered }, 'message delivered');
      return recovered ? 'recovered' : 'sent';
    }

    if (outcome.unreachableUser) {
      const result = await finish(row, 'dead', `recipient unreachable: ${outcome.error}`);
      if (deps.onUnreachable) {
        try {
          await deps.onUnreachable({ outboxId: row.id, platform: row.platform, meta, error: outcome.error });
        } catch (error) {
          // The row is already dead and logged; the fallback's own failure is logged here.
          log.error({ err: error, outboxId: row.id }, 'unreachable fallback failed');
        }
      }
      return result;
    }
    const age = deps.clock.now().getTime() - row.createdAt.getTime();
    if (!outcome.retry || age > giveUpAfterMs) return finish(row, 'dead', outcome.error);
    const backoff = Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** Math.min(row.attempts, 12));
    const delay = Math.max(outcome.retryAfterMs ?? 0, Math.round(backoff / 2 + (random() * backoff) / 2));
    if (outcome.retryAfterMs) blocked.set(channelKey(row), deps.clock.now().getTime() + outcome.retryAfterMs);
    await deps.store.outbox.reschedule(row.id, owner, { nextAttemptAt: new Date(deps.clock.now().getTime() + delay), error: outcome.error });
    log.warn({ outboxId: row.id, kind: row.kind, platform: row.platform, attempts: row.attempts + 1, retryInMs: delay, error: outcome.error }, 'delivery failed, will retry');
    deps.metrics?.delivered?.(row.platform, row.kind, 'retry');
    return 'retried';
  }

  /** ready: the message exists; wait: its post is still queued; gone: its post died. */
  async function located(key: string | null): Promise<'ready' | 'wait' | 'gone'> {
    if (!key) return 'gone';
    if (await deps.store.messages.get(key)) return 'ready';
    const creator = await deps.store.outbox.creatorOf(key);
    if (!creator || creator.status === 'dead') return 'gone';
    return 'wait';
  }

  async function waitForParent(row: OutboxRow): Promise<'waiting'> {
    // Waiting on another row is not a failed attempt: give the attempt back.
    await deps.store.outbox.reschedule(row.id, owner, { nextAttemptAt: new Date(deps.clock.now().getTime() + WAIT_FOR_PARENT_MS), refundAttempt: true });
    return 'waiting';
  }

  async function finish(row: OutboxRow, status: 'dead' | 'superseded', reason: string): Promise<'dead' | 'superseded'> {
    await deps.store.outbox.finish(row.id, owner, status, reason);
    if (status === 'dead') log.error({ outboxId: row.id, kind: row.kind, platform: row.platform, reason }, 'message given up');
    deps.metrics?.delivered?.(row.platform, row.kind, status);
    return status;
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;
  let again = false;

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
      .then((report) => (report.sent + report.recovered + report.retried + report.dead > 0 ? 'busy' : 'idle'))
      .catch((error: unknown) => {
        // A database hiccup: logged, and the next poll tries again; rows stay leased or pending.
        log.error({ err: error }, 'outbox run failed');
        return 'idle';
      })
      .then((state) => {
        running = undefined;
        const busy = state === 'busy' || again;
        again = false;
        schedule(busy ? 0 : pollMs);
      });
  }

  let pollMs = 1_000;
  return {
    owner,
    runOnce,
    /** Runs until nothing is ready to send now (tests, and the shutdown flush). */
    async drain(maxRuns = 100): Promise<OutboxRunReport> {
      const total: OutboxRunReport = { sent: 0, retried: 0, dead: 0, waiting: 0, superseded: 0, recovered: 0 };
      for (let i = 0; i < maxRuns; i += 1) {
        const report = await runOnce();
        for (const key of Object.keys(total) as (keyof OutboxRunReport)[]) total[key] += report[key];
        if (report.sent + report.recovered + report.retried + report.dead + report.superseded + report.waiting === 0) break;
      }
      return total;
    },
    start(options: { pollMs?: number } = {}) {
      pollMs = options.pollMs ?? 1_000;
      stopped = false;
      schedule(0);
    },
    /** Something was queued: look now instead of at the next poll. */
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

export type OutboxWorker = ReturnType<typeof createOutboxWorker>;

/** One lane per destination: a channel's messages go in order and one 429 pauses only that channel. */
function channelKey(row: Pick<OutboxRow, 'platform' | 'address'>): string {
  return `${row.platform}:${row.address}`;
}

/** A sent link is single-use and already delivered: keep no copy of its URL in the outbox. */
function scrubbed(row: OutboxRow, view: View): { payload?: string } {
  if (view.type !== 'link') return {};
  const envelope = readEnvelope(row);
  return { payload: JSON.stringify({ ...envelope, view: { ...view, url: '(sent; not kept)' } }) };
}
