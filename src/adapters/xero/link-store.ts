// LinkToken rows: the single-use connect/reconnect links and the OAuth state each one turns into.
// Claims are compare-and-set updates, so two clicks racing on one link (or one state) let exactly
// one through, on SQLite and on Postgres alike.
import type { Db } from '../db/client.ts';
import type { LinkTokens, NewLink, LinkPurpose } from '../../handlers/oauth/issue-link.ts';
import type { Platform } from '../../domain/permissions.ts';

export type LinkRow = {
  id: string;
  purpose: LinkPurpose;
  platform: Platform;
  chatUserId: string;
  chatUserName: string | null;
  connectionId: string | null;
  incidentId: string | null;
};

export type ClaimRefusal = 'unknown' | 'expired' | 'used';

export function createLinkStore(db: Db) {
  const toRow = (r: { id: string; purpose: string; platform: string; chatUserId: string; chatUserName: string | null; connectionId: string | null; incidentId: string | null }): LinkRow => ({
    id: r.id,
    purpose: r.purpose === 'reconnect' ? 'reconnect' : 'connect',
    platform: r.platform === 'teams' ? 'teams' : 'slack',
    chatUserId: r.chatUserId,
    chatUserName: r.chatUserName,
    connectionId: r.connectionId,
    incidentId: r.incidentId,
  });

  const links: LinkTokens = {
    async create(link: NewLink) {
      const row = await db.linkToken.create({
        data: {
          tokenHash: link.tokenHash,
          purpose: link.purpose,
          platform: link.actor.platform,
          chatUserId: link.actor.userId,
          chatUserName: link.actor.name ?? null,
          connectionId: link.connectionId ?? null,
          incidentId: link.incidentId ?? null,
          expiresAt: link.expiresAt,
        },
      });
      return { id: row.id };
    },
    async connectionExists(connectionId) {
      return (await db.connection.count({ where: { id: connectionId } })) === 1;
    },
  };

  return {
    links,

    /** Uses the link (once) and attaches the OAuth state it turns into. */
    async claimLink(tokenHash: string, now: Date, state: { hash: string; expiresAt: Date }): Promise<LinkRow | ClaimRefusal> {
      const claimed = await db.linkToken.updateMany({
        where: { tokenHash, usedAt: null, expiresAt: { gt: now } },
        data: { usedAt: now, stateHash: state.hash, stateExpiresAt: state.expiresAt },
      });
      const row = await db.linkToken.findUnique({ where: { tokenHash } });
      if (!row) return 'unknown';
      if (claimed.count === 1) return toRow(row);
      return row.usedAt ? 'used' : 'expired';
    },

    /** Uses the OAuth state (once): the callback may run only one time per consent. */
    async claimState(stateHash: string, now: Date): Promise<LinkRow | ClaimRefusal> {
      const claimed = await db.linkToken.updateMany({
        where: { stateHash, stateUsedAt: null, stateExpiresAt: { gt: now } },
        data: { stateUsedAt: now },
      });
      const row = await db.linkToken.findUnique({ where: { stateHash } });
      if (!row) return 'unknown';
      if (claimed.count === 1) return toRow(row);
      if (row.stateUsedAt) return 'used';
      return 'expired';
    },
  };
}

export type LinkStore = ReturnType<typeof createLinkStore>;
