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
// A lease is short (LEASE_TERM_MS) and renewed while its row is being delivered (a heartbeat), so
// a slow but alive worker is not overtaken, and the rows of a dead one, in doubt included, are taken
// over within one term.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DbStore } from '../db/store.ts';
import { readEnvelope, type OutboxRow } from '../db/outbox.ts';
import type { OutboxMeta } from '../../handlers/store.ts';
import type { ChatAddress, ChatSender, Clock, Delivery, DeliveryOutcome } from '../../handlers/ports.ts';
import type { Platform } from '../../domain/permissions.ts';
import type { Unreachable } from '../../handlers/unreachable.ts';
import type { View } from '../../domain/views/model.ts';
import { LEASE_RENEW_EVERY_MS, LEASE_TERM_MS } from '../../domain/leases.ts';
import { startHeartbeat, type Heartbeat } from '../../handlers/heartbeat.ts';

export type OutboxStep = 'claimed' | 'resolved' | 'sent' | 'recorded';

export type OutboxWorkerDeps = {
  store: DbStore;
  senders: Partial<Record<Platform, ChatSender>>;
  clock: Clock;
  log: Logger;
  onUnreachable?: (event: Unreachable) => Promise<void>;
  owner?: string;
  /** Term of a row's lease; renewed every `renewEveryMs` while the row is being delivered. */
  leaseMs?: number;
  renewEveryMs?: number;
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

export const OUTBOX_LEASE_MS = LEASE_TERM_MS;
const WAIT_FOR_PARENT_MS = 2_000;
const MAX_BACKOFF_MS = 5 * 60_000;

export function createOutboxWorker(deps: OutboxWorkerDeps) {
  const owner = deps.owner ?? `outbox:${randomUUID()}`;
  const leaseMs = deps.leaseMs ?? OUTBOX_LEASE_MS;
  const renewEveryMs = deps.renewEveryMs ?? LEASE_RENEW_EVERY_MS;
  /** Rows this worker holds while it delivers them: what the heartbeat renews. */
  const held = new Set<string>();
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
    held.add(row.id);
    try {
      return await deliverClaimed(row, startedAt);
    } finally {
      held.delete(row.id);
    }
  }

  /** Extends the leases of the rows being delivered; the heartbeat calls it every `renewEveryMs`. */
  async function renewLeases(): Promise<number> {
    if (held.size === 0) return 0;
    return deps.store.outbox.renew([...held], owner, deps.clock.now(), leaseMs);
  }

  async function deliverClaimed(row: OutboxRow, startedAt: Date): Promise<keyof OutboxRunReport> {
    await deps.afterStep?.('claimed', row);
    const sender = deps.senders[row.platform as Platform];
    if (!sender) return senderMissing(row, startedAt);

    const { view, meta } = readEnvelope(row);
    const inDoubt = row.status === 'sending';
    const delivery: Delivery = { id: row.id, kind: row.kind as Delivery['kind'], address: JSON.parse(row.address) as ChatAddress, view, ...(inDoubt ? { inDoubt } : {}) };
    const unresolved = await resolveReferences(row, delivery);
    if (unresolved) return unresolved;
    await deps.afterStep?.('resolved', row);

    const { outcome, recovered } = await send(sender, delivery, row);
    await deps.afterStep?.('sent', row);

    if (outcome.ok) return recordSent(row, delivery, outcome, recovered);
    if (outcome.unreachableUser) return unreachable(row, outcome.error, meta);
    return retryOrGiveUp(row, outcome);
  }

  async function senderMissing(row: OutboxRow, startedAt: Date): Promise<'waiting' | 'dead'> {
    // The platform's adapter may not be up yet (start-up order) or was switched off: keep the
    // message and look again in a minute, until the row is too old to matter.
    const error = `no ${row.platform} sender configured`;
    if (startedAt.getTime() - row.createdAt.getTime() > giveUpAfterMs) return finish(row, 'dead', error);
    await deps.store.outbox.reschedule(row.id, owner, { nextAttemptAt: new Date(startedAt.getTime() + 60_000), error, refundAttempt: true });
    return 'waiting';
  }

  /** Finds the message an edit targets and the thread a reply joins; or says why not now. */
  async function resolveReferences(row: OutboxRow, delivery: Delivery): Promise<'waiting' | 'dead' | 'superseded' | undefined> {
    if (row.kind === 'update') {
      if (await deps.store.outbox.hasNewerUpdate(row)) return finish(row, 'superseded', 'a newer edit of this message exists');
      const existing = await locate(row, row.messageKey, 'message');
      if (typeof existing === 'string') return existing;
      delivery.existing = existing;
    }
    if (row.kind === 'reply') {
      const parent = await locate(row, row.parentKey, 'thread parent');
      if (typeof parent === 'string') return parent;
      delivery.parent = parent;
    }
    return undefined;
  }

  /** The platform message a key names; if its post is still queued, wait for it; if it died, give up. */
  async function locate(row: OutboxRow, key: string | null, what: string): Promise<{ channelId: string; messageId: string } | 'waiting' | 'dead'> {
    if (key) {
      const message = await deps.store.messages.get(key);
      if (message) return { channelId: message.channelId, messageId: message.messageId };
      const creator = await deps.store.outbox.creatorOf(key);
      if (creator && creator.status !== 'dead') return waitForParent(row);
    }
    return finish(row, 'dead', `${what} ${key} was never posted`);
  }

  async function send(sender: ChatSender, delivery: Delivery, row: OutboxRow): Promise<{ outcome: DeliveryOutcome; recovered: boolean }> {
    // An earlier attempt may have posted it before the process stopped: look before posting again.
    if (delivery.inDoubt && row.kind !== 'update' && sender.findDelivered) {
      const found = await sender.findDelivered(delivery);
      if (found) return { outcome: { ok: true, ...found }, recovered: true };
    }
    try {
      return { outcome: await sender.deliver(delivery), recovered: false };
    } catch (error) {
      // Senders return failures as values; a throw is treated as a retryable failure.
      log.error({ err: error, outboxId: row.id }, 'sender threw');
      return { outcome: { ok: false, retry: true, error: error instanceof Error ? error.message : String(error) }, recovered: false };
    }
  }

  async function recordSent(row: OutboxRow, delivery: Delivery, sent: { channelId: string; messageId: string }, recovered: boolean): Promise<'sent' | 'recovered'> {
    const sentAt = deps.clock.now();
    await deps.store.transaction(async (tx) => {
      if (row.messageKey && row.kind !== 'update' && row.kind !== 'ephemeral') {
        await tx.messages.record(row.messageKey, { platform: row.platform, channelId: sent.channelId, messageId: sent.messageId, threadId: delivery.parent?.messageId ?? null });
      }
      await tx.outbox.markSent(row.id, owner, { messageId: sent.messageId, at: sentAt, ...scrubbed(row, delivery.view) });
    });
    await deps.afterStep?.('recorded', row);
    deps.metrics?.delivered?.(row.platform, row.kind, 'sent');
    log.debug({ outboxId: row.id, kind: row.kind, platform: row.platform, recovered }, 'message delivered');
    return recovered ? 'recovered' : 'sent';
  }

  async function unreachable(row: OutboxRow, error: string, meta: OutboxMeta | undefined): Promise<'dead'> {
    const result = await finish(row, 'dead', `recipient unreachable: ${error}`);
    try {
      await deps.onUnreachable?.({ outboxId: row.id, platform: row.platform, meta, error });
    } catch (failure) {
      // The row is already dead and logged; the fallback's own failure is logged here.
      log.error({ err: failure, outboxId: row.id }, 'unreachable fallback failed');
    }
    return result;
  }

  async function retryOrGiveUp(row: OutboxRow, failure: Extract<DeliveryOutcome, { ok: false }>): Promise<'retried' | 'dead'> {
    const now = deps.clock.now().getTime();
    if (!failure.retry || now - row.createdAt.getTime() > giveUpAfterMs) return finish(row, 'dead', failure.error);
    const backoff = Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** Math.min(row.attempts, 12));
    const delay = Math.max(failure.retryAfterMs ?? 0, Math.round(backoff / 2 + (random() * backoff) / 2));
    // Retry-After is about the channel, not this row: hold the channel's other messages too.
    if (failure.retryAfterMs) blocked.set(channelKey(row), now + failure.retryAfterMs);
    await deps.store.outbox.reschedule(row.id, owner, { nextAttemptAt: new Date(now + delay), error: failure.error });
    log.warn({ outboxId: row.id, kind: row.kind, platform: row.platform, attempts: row.attempts + 1, retryInMs: delay, error: failure.error }, 'delivery failed, will retry');
    deps.metrics?.delivered?.(row.platform, row.kind, 'retry');
    return 'retried';
  }

  async function waitForParent(row: OutboxRow): Promise<'waiting'> {
    // Waiting on another row is not a failed attempt: give the attempt back.
    await deps.store.outbox.reschedule(row.id, owner, { nextAttemptAt: new Date(deps.clock.now().getTime() + WAIT_FOR_PARENT_MS), refundAttempt: true });
    return 'waiting';
  }

  async function finish<S extends 'dead' | 'superseded'>(row: OutboxRow, status: S, reason: string): Promise<S> {
    await deps.store.outbox.finish(row.id, owner, status, reason);
    if (status === 'dead') log.error({ outboxId: row.id, kind: row.kind, platform: row.platform, reason }, 'message given up');
    deps.metrics?.delivered?.(row.platform, row.kind, status);
    return status;
  }

  let timer: NodeJS.Timeout | undefined;
  let heartbeat: Heartbeat | undefined;
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
    renewLeases,
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
      heartbeat ??= startHeartbeat(renewLeases, log, renewEveryMs);
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
      await heartbeat?.stop();
      heartbeat = undefined;
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
