// The Xero side's repositories (src/handlers/xero-repos.ts) over Prisma: grants with their sealed
// tokens, and connections as Xero knows them.
import type { Client } from './connections.ts';
import { stateOf } from './rows.ts';
import type { CheckTarget } from '../../handlers/ports.ts';
import type { GrantRecord } from '../../handlers/rows.ts';
import type { GrantEnvelopes, GrantTokensRepo, TenantBinding, XeroConnectionsRepo } from '../../handlers/xero-repos.ts';

const TARGET = { id: true, tenantId: true, tenantName: true, grantId: true, xeroConnectionId: true, state: true, tenantProbedAt: true } as const;

export function createXeroConnections(db: Client): XeroConnectionsRepo {
  return {
    target(id: string): Promise<CheckTarget | null> {
      return db.connection.findUnique({ where: { id }, select: TARGET }).then((row) => (row ? { ...row, state: stateOf(row.state) } : null));
    },
    async recordXeroIdentity(id, identity) {
      await db.connection.update({
        where: { id },
        data: { xeroConnectionId: identity.xeroConnectionId, ...(identity.tenantName ? { tenantName: identity.tenantName } : {}) },
      });
    },
    countOthersOnGrant(grantId, exceptId) {
      return db.connection.count({ where: { grantId, id: { not: exceptId } } });
    },
    async detachGrant(id) {
      await db.connection.update({ where: { id }, data: { grantId: null, xeroConnectionId: null } });
    },
    countLiveOnGrants(grantIds) {
      return db.connection.count({ where: { grantId: { in: [...grantIds] }, state: { not: 'disconnected' } } });
    },
    async byTenant(tenantId) {
      const row = await db.connection.findUnique({ where: { tenantId }, select: { id: true, state: true, grantId: true } });
      return row ? { ...row, state: stateOf(row.state) } : null;
    },
    async knownTenants(tenantIds) {
      if (tenantIds.length === 0) return [];
      const rows = await db.connection.findMany({ where: { tenantId: { in: [...tenantIds] } }, select: { tenantId: true } });
      return rows.map((r) => r.tenantId);
    },
    async createBound(tenantId, binding) {
      const { now } = binding;
      const created = await db.connection.create({
        data: { tenantId, tenantType: binding.tenantType ?? 'ORGANISATION', state: 'connected', stateSince: now, ...bindingColumns(binding) },
      });
      return created.id;
    },
    async rebind(id, binding, toState) {
      await db.connection.update({
        where: { id },
        data: {
          ...bindingColumns(binding),
          ...(binding.tenantType ? { tenantType: binding.tenantType } : {}),
          ...(toState ? { state: toState, stateSince: binding.now } : {}),
          consecutiveFailures: 0,
          // New tokens, maybe another user or role: the first check asks the tenant itself.
          tenantProbedAt: null,
        },
      });
    },
    countOnGrant(grantId) {
      return db.connection.count({ where: { grantId } });
    },
  };
}

/** The columns every binding writes: the grant, Xero's ids, who connected it, checked now. */
function bindingColumns(binding: TenantBinding) {
  return {
    grantId: binding.grantId,
    xeroConnectionId: binding.xeroConnectionId,
    tenantName: binding.tenantName,
    connectedByPlatform: binding.connectedBy.platform,
    connectedByUserId: binding.connectedBy.userId,
    connectedByName: binding.connectedBy.name ?? null,
    xeroUserId: binding.xeroUserId,
    nextCheckAt: binding.now,
  };
}

const ENVELOPES = { id: true, version: true, accessTokenEnc: true, refreshTokenEnc: true, previousRefreshTokenEnc: true } as const;

export function createGrantTokens(db: Client): GrantTokensRepo {
  return {
    get(id: string): Promise<GrantRecord | null> {
      return db.grant.findUnique({ where: { id } });
    },

    async tryLease(id, owner, now, ms) {
      const taken = await db.grant.updateMany({
        where: { id, OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }, { leaseOwner: owner }] },
        data: { leaseOwner: owner, leaseUntil: new Date(now.getTime() + ms) },
      });
      return taken.count === 1;
    },

    async releaseLease(id, owner) {
      await db.grant.updateMany({ where: { id, leaseOwner: owner }, data: { leaseOwner: null, leaseUntil: null } });
    },

    async saveRefreshed(id, expectedVersion, tokens, now) {
      const saved = await db.grant.updateMany({
        where: { id, version: expectedVersion },
        data: {
          accessTokenEnc: tokens.accessTokenEnc,
          refreshTokenEnc: tokens.refreshTokenEnc,
          previousRefreshTokenEnc: tokens.previousRefreshTokenEnc,
          accessTokenExpiresAt: tokens.accessTokenExpiresAt,
          refreshedAt: now,
          ...(tokens.scopes.length > 0 ? { scopes: tokens.scopes.join(' ') } : {}),
          refreshFailures: 0,
          version: { increment: 1 },
        },
      });
      return saved.count === 1;
    },

    async recordRefreshFailure(id) {
      await db.grant.updateMany({ where: { id }, data: { refreshFailures: { increment: 1 } } });
    },

    async recordRefusal(id, version, now) {
      await db.grant.updateMany({ where: { id, version }, data: { refusedAt: now, refreshFailures: { increment: 1 } } });
    },

    async replaceTokens(id, tokens, identity, now) {
      await db.grant.update({
        where: { id },
        data: {
          accessTokenEnc: tokens.accessTokenEnc,
          refreshTokenEnc: tokens.refreshTokenEnc,
          previousRefreshTokenEnc: null,
          accessTokenExpiresAt: tokens.accessTokenExpiresAt,
          refreshedAt: now,
          scopes: tokens.scopes.join(' '),
          authEventId: identity.authEventId ?? null,
          xeroUserEmail: identity.email ?? null,
          xeroUserName: identity.name ?? null,
          refreshFailures: 0,
          refusedAt: null,
          revokedAt: null,
          version: { increment: 1 },
        },
      });
    },

    async create(xeroUserId, tokens, identity, now) {
      const row = await db.grant.create({
        data: {
          xeroUserId,
          xeroUserEmail: identity.email ?? null,
          xeroUserName: identity.name ?? null,
          accessTokenEnc: tokens.accessTokenEnc,
          refreshTokenEnc: tokens.refreshTokenEnc,
          accessTokenExpiresAt: tokens.accessTokenExpiresAt,
          refreshedAt: now,
          scopes: tokens.scopes.join(' '),
          authEventId: identity.authEventId ?? null,
        },
      });
      return row.id;
    },

    async findLiveByXeroUser(xeroUserId) {
      const row = await db.grant.findFirst({ where: { xeroUserId, revokedAt: null, refreshTokenEnc: { not: null } }, orderBy: { createdAt: 'desc' } });
      return row?.id;
    },

    async erase(id, now, revoked) {
      await db.grant.update({
        where: { id },
        data: {
          accessTokenEnc: null,
          refreshTokenEnc: null,
          previousRefreshTokenEnc: null,
          accessTokenExpiresAt: null,
          ...(revoked ? { revokedAt: now } : {}),
          leaseOwner: null,
          leaseUntil: null,
          version: { increment: 1 },
        },
      });
    },

    withTokens(after, limit): Promise<GrantEnvelopes[]> {
      return db.grant.findMany({
        where: {
          ...(after !== undefined ? { id: { gt: after } } : {}),
          OR: [{ accessTokenEnc: { not: null } }, { refreshTokenEnc: { not: null } }, { previousRefreshTokenEnc: { not: null } }],
        },
        orderBy: { id: 'asc' },
        take: limit,
        select: ENVELOPES,
      });
    },

    envelopes(id) {
      return db.grant.findUnique({ where: { id }, select: ENVELOPES });
    },

    async rewriteEnvelopes(row, data) {
      const written = await db.grant.updateMany({
        where: { id: row.id, version: row.version, accessTokenEnc: row.accessTokenEnc, refreshTokenEnc: row.refreshTokenEnc, previousRefreshTokenEnc: row.previousRefreshTokenEnc },
        data,
      });
      return written.count === 1;
    },
  };
}
