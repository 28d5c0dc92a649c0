// The outbox: every outgoing chat message is a row here, written in the same transaction as the
// state change it reports, before anyone tries to send it. The delivery worker
// (src/adapters/outbox/worker.ts) claims rows with a lease, sends, and records the result.
import type { Prisma } from '../../generated/sqlite/client.ts';
import type { Db } from './client.ts';
import type { Client } from './connections.ts';
import type { ChatAddress, OutboxKind } from '../../handlers/ports.ts';
import type { View } from '../../domain/views/model.ts';

export type OutboxRow = Awaited<ReturnType<Db['outbox']['findFirstOrThrow']>>;

/** Why a message exists, so the worker can act when it cannot be delivered (unreachable user). */
export type OutboxMeta = {
  incidentId?: string;
  connectionId?: string;
  /** connector: the person who connected the org; admin: a configured admin; asker: whoever clicked or typed. */
  recipient?: 'connector' | 'admin' | 'asker';
  purpose?: 'alert' | 'reconnect' | 'reminder' | 'connected' | 'notice' | 'step' | 'answer';
};

export type OutboxInput = {
  dedupeKey: string;
  platform: string;
  kind: OutboxKind;
  address: ChatAddress;
  view: View;
  /** ChatMessage key this row creates (post, reply, dm) or edits (update). */
  messageKey?: string;
  /** For replies: the thread parent's ChatMessage key. */
  parentKey?: string;
  targetId?: string;
  meta?: OutboxMeta;
  notBefore?: Date;
};

export type OutboxEnvelope = { view: View; meta?: OutboxMeta };

export const OUTBOX_STATUS = ['pending', 'sending', 'sent', 'dead', 'superseded'] as const;

export function createOutbox(db: Client) {
  return {
    /**
     * Queues each message once: a dedupe key already present (a retried handler, a double click)
     * is skipped. Returns how many were new.
     */
    async enqueue(inputs: readonly OutboxInput[], now: Date): Promise<number> {
      if (inputs.length === 0) return 0;
      const unique = [...new Map(inputs.map((i) => [i.dedupeKey, i])).values()];
      const existing = await db.outbox.findMany({ where: { dedupeKey: { in: unique.map((i) => i.dedupeKey) } }, select: { dedupeKey: true } });
      const known = new Set(existing.map((e) => e.dedupeKey));
      const fresh = unique.filter((i) => !known.has(i.dedupeKey));
      // createdAt orders deliveries (an edit never overtakes its post); one millisecond apart keeps
      // the order of this batch even on a fast machine.
      const base = now.getTime();
      for (const [index, input] of fresh.entries()) {
        const envelope: OutboxEnvelope = { view: input.view, ...(input.meta ? { meta: input.meta } : {}) };
        await db.outbox.create({
          data: {
            dedupeKey: input.dedupeKey,
            platform: input.platform,
            kind: input.kind,
            messageKey: input.messageKey ?? null,
            parentKey: input.parentKey ?? null,
            targetId: input.targetId ?? null,
            address: JSON.stringify(input.address),
            payload: JSON.stringify(envelope),
            nextAttemptAt: input.notBefore ?? now,
            createdAt: new Date(base + index),
          },
        });
      }
      return fresh.length;
    },
    get(id: string): Promise<OutboxRow | null> {
      return db.outbox.findUnique({ where: { id } });
    },
    /** Rows ready to go, and rows whose sender died mid-flight (lease expired): oldest first. */
    findClaimable(now: Date, limit: number): Promise<OutboxRow[]> {
      return db.outbox.findMany({
        where: { OR: [{ status: 'pending', nextAttemptAt: { lte: now } }, { status: 'sending', leaseUntil: { lt: now } }] },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take: limit,
      });
    },
    /** Compare-and-set claim on the row as it was read: exactly one worker wins. */
    async claim(row: OutboxRow, owner: string, now: Date, leaseMs: number): Promise<boolean> {
      const { count } = await db.outbox.updateMany({
        where: { id: row.id, status: row.status, attempts: row.attempts, leaseOwner: row.leaseOwner },
        data: { status: 'sending', leaseOwner: owner, leaseUntil: new Date(now.getTime() + leaseMs), attempts: row.attempts + 1 },
      });
      return count === 1;
    },
    async markSent(id: string, owner: string, result: { messageId: string; at: Date; payload?: string }): Promise<boolean> {
      const { count } = await db.outbox.updateMany({
        where: { id, status: 'sending', leaseOwner: owner },
        data: {
          status: 'sent',
          platformMessageId: result.messageId,
          sentAt: result.at,
          leaseOwner: null,
          leaseUntil: null,
          lastError: null,
          ...(result.payload ? { payload: result.payload } : {}),
        },
      });
      return count === 1;
    },
    async reschedule(id: string, owner: string, data: { nextAttemptAt: Date; error?: string; refundAttempt?: boolean }): Promise<boolean> {
      const { count } = await db.outbox.updateMany({
        where: { id, status: 'sending', leaseOwner: owner },
        data: {
          status: 'pending',
          nextAttemptAt: data.nextAttemptAt,
          leaseOwner: null,
          leaseUntil: null,
          ...(data.error !== undefined ? { lastError: data.error.slice(0, 500) } : {}),
          ...(data.refundAttempt ? { attempts: { decrement: 1 } } : {}),
        },
      });
      return count === 1;
    },
    async finish(id: string, owner: string, status: 'dead' | 'superseded', error: string): Promise<boolean> {
      const { count } = await db.outbox.updateMany({
        where: { id, status: 'sending', leaseOwner: owner },
        data: { status, lastError: error.slice(0, 500), leaseOwner: null, leaseUntil: null },
      });
      return count === 1;
    },
    /** An edit is pointless when a newer edit of the same message exists (and harmful if it overtook it). */
    async hasNewerUpdate(row: OutboxRow): Promise<boolean> {
      if (!row.messageKey) return false;
      const newer = await db.outbox.count({
        where: {
          kind: 'update',
          messageKey: row.messageKey,
          status: { in: ['pending', 'sending', 'sent'] },
          id: { not: row.id },
          OR: [{ createdAt: { gt: row.createdAt } }, { createdAt: row.createdAt, id: { gt: row.id } }],
        },
      });
      return newer > 0;
    },
    /** The post or DM that creates a message key (updates and replies reuse its address). */
    creatorOf(messageKey: string): Promise<OutboxRow | null> {
      return db.outbox.findFirst({ where: { messageKey, kind: { in: ['post', 'dm', 'reply'] } }, orderBy: { createdAt: 'asc' } });
    },
    /** Message keys already posted (or queued) under a prefix, e.g. every channel copy of one alert. */
    async postedKeys(prefix: string): Promise<OutboxRow[]> {
      return db.outbox.findMany({ where: { kind: 'post', messageKey: { startsWith: prefix } }, orderBy: { createdAt: 'asc' } });
    },
    countByStatus(where: Prisma.OutboxWhereInput = {}) {
      return db.outbox.groupBy({ by: ['status'], where, _count: { _all: true } });
    },
  };
}

export type OutboxRepo = ReturnType<typeof createOutbox>;

export function readEnvelope(row: Pick<OutboxRow, 'payload'>): OutboxEnvelope {
  const parsed = JSON.parse(row.payload) as OutboxEnvelope | View;
  return 'view' in parsed && parsed.view ? (parsed as OutboxEnvelope) : { view: parsed as View };
}
