// The outbox: every outgoing chat message is a row here, written in the same transaction as the
// state change it reports, before anyone tries to send it. The delivery worker
// (src/adapters/outbox/worker.ts) claims rows with a lease, sends, and records the result.
import type { Prisma } from '../../generated/sqlite/client.ts';
import type { Db } from './client.ts';
import type { Client } from './connections.ts';
import type { ChatAddress } from '../../handlers/ports.ts';
import type { OutboxInput, OutboxMeta, OutboxRepo, PostedCopy } from '../../handlers/store.ts';
import type { View } from '../../domain/views/model.ts';

export type OutboxRow = Awaited<ReturnType<Db['outbox']['findFirstOrThrow']>>;

export type OutboxEnvelope = { view: View; meta?: OutboxMeta };

/** The handlers' repository, plus what the delivery worker needs: claims, results, lookups. */
export interface OutboxTable extends OutboxRepo {
  findClaimable(now: Date, limit: number): Promise<OutboxRow[]>;
  claim(row: OutboxRow, owner: string, now: Date, leaseMs: number): Promise<boolean>;
  /** Extends the leases `owner` still holds on rows `ids` to `now + leaseMs`; returns how many it holds. */
  renew(ids: readonly string[], owner: string, now: Date, leaseMs: number): Promise<number>;
  markSent(id: string, owner: string, result: { messageId: string; at: Date; payload?: string }): Promise<boolean>;
  reschedule(id: string, owner: string, data: { nextAttemptAt: Date; error?: string; refundAttempt?: boolean }): Promise<boolean>;
  finish(id: string, owner: string, status: 'dead' | 'superseded', error: string): Promise<boolean>;
  hasNewerUpdate(row: OutboxRow): Promise<boolean>;
  creatorOf(messageKey: string): Promise<OutboxRow | null>;
}

export function createOutbox(db: Client): OutboxTable {
  /** Ends the sender's lease with the attempt's result; false when the lease was lost meanwhile. */
  const endLease = async (id: string, owner: string, data: Prisma.OutboxUpdateManyMutationInput): Promise<boolean> => {
    const { count } = await db.outbox.updateMany({ where: { id, status: 'sending', leaseOwner: owner }, data: { ...data, leaseOwner: null, leaseUntil: null } });
    return count === 1;
  };
  /**
   * An edit is queued after every edit of the same message already queued, whatever the clocks say:
   * the outbox keeps only the newest edit (hasNewerUpdate), so the edit written last, which the
   * handlers compute under a lock on the message (src/handlers/messages.ts lockMessage) and which
   * therefore reads every earlier change, must also be the newest.
   */
  const afterLatestEdit = async (messageKey: string, at: Date): Promise<Date> => {
    const latest = await db.outbox.findFirst({ where: { kind: 'update', messageKey }, orderBy: { createdAt: 'desc' }, select: { createdAt: true } });
    return latest && latest.createdAt.getTime() >= at.getTime() ? new Date(latest.createdAt.getTime() + 1) : at;
  };
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
        const createdAt = input.kind === 'update' && input.messageKey ? await afterLatestEdit(input.messageKey, new Date(base + index)) : new Date(base + index);
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
            createdAt,
          },
        });
      }
      return fresh.length;
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
    async renew(ids: readonly string[], owner: string, now: Date, leaseMs: number): Promise<number> {
      const { count } = await db.outbox.updateMany({
        where: { id: { in: [...ids] }, status: 'sending', leaseOwner: owner },
        data: { leaseUntil: new Date(now.getTime() + leaseMs) },
      });
      return count;
    },
    markSent(id: string, owner: string, result: { messageId: string; at: Date; payload?: string }): Promise<boolean> {
      return endLease(id, owner, {
        status: 'sent',
        platformMessageId: result.messageId,
        sentAt: result.at,
        lastError: null,
        ...(result.payload ? { payload: result.payload } : {}),
      });
    },
    reschedule(id: string, owner: string, data: { nextAttemptAt: Date; error?: string; refundAttempt?: boolean }): Promise<boolean> {
      return endLease(id, owner, {
        status: 'pending',
        nextAttemptAt: data.nextAttemptAt,
        ...(data.error !== undefined ? { lastError: data.error.slice(0, 500) } : {}),
        ...(data.refundAttempt ? { attempts: { decrement: 1 } } : {}),
      });
    },
    finish(id: string, owner: string, status: 'dead' | 'superseded', error: string): Promise<boolean> {
      return endLease(id, owner, { status, lastError: error.slice(0, 500) });
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
    async postedCopies(prefix: string): Promise<PostedCopy[]> {
      const rows = await db.outbox.findMany({
        where: { kind: 'post', messageKey: { startsWith: prefix } },
        orderBy: { createdAt: 'asc' },
        select: { platform: true, messageKey: true, address: true, targetId: true },
      });
      return rows.map((row) => ({ platform: row.platform, messageKey: row.messageKey!, address: JSON.parse(row.address) as ChatAddress, targetId: row.targetId }));
    },
  };
}

export function readEnvelope(row: Pick<OutboxRow, 'payload'>): OutboxEnvelope {
  const parsed = JSON.parse(row.payload) as OutboxEnvelope | View;
  return 'view' in parsed && parsed.view ? (parsed as OutboxEnvelope) : { view: parsed as View };
}
