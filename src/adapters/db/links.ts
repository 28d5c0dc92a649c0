// LinkToken rows (the connect/reconnect links) and ConsentAttempt rows (one per "Continue to
// Xero": its state, nonce and PKCE verifier, and the outcome the callback showed): the handlers'
// LinksRepo (src/handlers/xero-repos.ts). Opening a link reads it and changes nothing; a consent
// that bound everything the link was for uses it. Claims are compare-and-set updates, so two
// callbacks racing on one state let exactly one through, on SQLite and on Postgres alike.
import type { Client } from './connections.ts';
import { LINK_LIFETIME_MS, type NewLink } from '../../handlers/oauth/issue-link.ts';
import type { LinkRecord } from '../../handlers/rows.ts';
import { stateOf } from './rows.ts';
import type { LinksRepo } from '../../handlers/xero-repos.ts';

type RawLink = {
  id: string;
  purpose: string;
  platform: string;
  chatUserId: string;
  chatUserName: string | null;
  connectionId: string | null;
  connectionIds: string | null;
  incidentId: string | null;
  expiresAt: Date;
  usedAt: Date | null;
  renewedAt: Date | null;
};

function toRow(r: RawLink): LinkRecord {
  return {
    id: r.id,
    purpose: r.purpose === 'reconnect' ? 'reconnect' : 'connect',
    platform: r.platform === 'teams' ? 'teams' : 'slack',
    chatUserId: r.chatUserId,
    chatUserName: r.chatUserName,
    connectionIds: parseIds(r.connectionIds, r.connectionId),
    incidentId: r.incidentId,
    expiresAt: r.expiresAt,
    usedAt: r.usedAt,
    renewedAt: r.renewedAt,
  };
}

function parseIds(json: string | null, single: string | null): string[] {
  if (json) {
    try {
      const parsed: unknown = JSON.parse(json);
      if (Array.isArray(parsed)) return parsed.filter((x): x is string => typeof x === 'string');
    } catch {
      // Written by create() below; an unreadable value falls back to the single column.
    }
  }
  return single ? [single] : [];
}

export function createLinks(db: Client): LinksRepo {
  return {
    async create(link: NewLink) {
      const ids = link.connectionIds ?? [];
      const row = await db.linkToken.create({
        data: {
          tokenHash: link.tokenHash,
          purpose: link.purpose,
          platform: link.actor.platform,
          chatUserId: link.actor.userId,
          chatUserName: link.actor.name ?? null,
          connectionId: ids[0] ?? null,
          connectionIds: ids.length > 0 ? JSON.stringify(ids) : null,
          incidentId: link.incidentId ?? null,
          expiresAt: link.expiresAt,
        },
      });
      return { id: row.id };
    },
    async connectionExists(connectionId) {
      return (await db.connection.count({ where: { id: connectionId } })) === 1;
    },

    /** Reads a link: a GET, a HEAD or a link scanner changes nothing. */
    async find(tokenHash) {
      const row = await db.linkToken.findUnique({ where: { tokenHash } });
      return row ? toRow(row) : undefined;
    },

    async get(linkId) {
      const row = await db.linkToken.findUnique({ where: { id: linkId } });
      return row ? toRow(row) : undefined;
    },

    /** A new trip to Xero for a live link; several may be open (two tabs, a retry). */
    async startAttempt(linkId, attempt) {
      await db.consentAttempt.create({ data: { linkId, ...attempt } });
    },

    /**
     * Uses a state once. A second arrival (a reload of the result page) gets the attempt back with
     * `fresh: false` and the outcome stored by the first.
     */
    async claimAttempt(stateHash, now) {
      const claimed = await db.consentAttempt.updateMany({ where: { stateHash, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
      const row = await db.consentAttempt.findUnique({ where: { stateHash }, include: { link: true } });
      if (!row) return 'unknown';
      const attempt = { id: row.id, nonce: row.nonce, verifierEnc: row.verifierEnc, outcome: row.outcome };
      if (claimed.count === 1) return { attempt, link: toRow(row.link), fresh: true };
      if (row.usedAt) return { attempt, link: toRow(row.link), fresh: false };
      return 'expired';
    },

    /** The link behind a state, for the result page's buttons (retry, fresh link). */
    async linkOfState(stateHash) {
      const row = await db.consentAttempt.findUnique({ where: { stateHash }, include: { link: true } });
      return row ? toRow(row.link) : undefined;
    },

    async saveOutcome(attemptId, outcome) {
      await db.consentAttempt.update({ where: { id: attemptId }, data: { outcome: JSON.stringify(outcome) } });
    },

    /** Marks the link used (once): the consent bound everything it was for. */
    async markUsed(linkId, now) {
      return (await db.linkToken.updateMany({ where: { id: linkId, usedAt: null }, data: { usedAt: now } })).count === 1;
    },

    /** Records that its page sent a fresh link (once: a second click sends nothing more). */
    async markRenewed(linkId, now) {
      return (await db.linkToken.updateMany({ where: { id: linkId, renewedAt: null }, data: { renewedAt: now } })).count === 1;
    },

    /** Undoes markRenewed when the fresh link could not be sent, so the button works again. */
    async clearRenewed(linkId) {
      await db.linkToken.updateMany({ where: { id: linkId }, data: { renewedAt: null } });
    },

    async hasLiveLink(connectionId, person, since, now) {
      // Issued at or after `since` (a few seconds of slack: links are issued just before the
      // request is recorded), judged on expiresAt so the service's clock is the only clock.
      const issuedFrom = new Date(since.getTime() - 5_000 + LINK_LIFETIME_MS);
      const rows = await db.linkToken.findMany({
        where: { purpose: 'reconnect', platform: person.platform, chatUserId: person.userId, usedAt: null, expiresAt: { gt: now, gte: issuedFrom } },
        select: { connectionId: true, connectionIds: true },
      });
      return rows.some((r) => parseIds(r.connectionIds, r.connectionId).includes(connectionId));
    },

    /** The connections a reconnect link is for, as they are now. */
    async connectionsOf(ids) {
      if (ids.length === 0) return [];
      const rows = await db.connection.findMany({ where: { id: { in: [...ids] } }, select: { id: true, tenantId: true, tenantName: true, state: true } });
      return ids
        .map((id) => rows.find((r) => r.id === id))
        .filter((r): r is NonNullable<typeof r> => r !== undefined)
        .map((r) => ({ ...r, state: stateOf(r.state) }));
    },

    /** The alert channel of a platform, for a page's link back into chat. */
    async alertChannel(platform) {
      const row = await db.chatTarget.findFirst({ where: { platform, isAlertChannel: true }, orderBy: { updatedAt: 'desc' } });
      if (!row) return undefined;
      return { platform, externalId: row.externalId, name: row.name, teamId: row.teamId, tenantId: tenantOf(row.conversationReference) };
    },
  };
}

function tenantOf(reference: string | null): string | null {
  if (!reference) return null;
  try {
    const parsed = JSON.parse(reference) as { conversation?: { tenantId?: unknown } };
    return typeof parsed.conversation?.tenantId === 'string' ? parsed.conversation.tenantId : null;
  } catch {
    // A reference the Teams adapter could not have written; the link back then has no tenant.
    return null;
  }
}
