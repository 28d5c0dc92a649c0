// Seeds the SERVICE's database to match what the Xero fake holds, as past consents would have
// left it: one Grant per Xero user (tokens encrypted through the adapter's own grant store and
// token cipher, so the service decrypts them with the same TOKEN_ENCRYPTION_KEY) and one
// Connection per tenant, in the shape consent.ts binds them. Benchmarks seed 10,000 this way.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../../src/adapters/db/client.ts';
import { createGrantTokens } from '../../../src/adapters/db/xero-repos.ts';
import { createGrantStore } from '../../../src/adapters/xero/grant-store.ts';
import { createTokenCipher, type EncryptionKey } from '../../../src/adapters/xero/token-cipher.ts';
import type { SeededGrant, XeroFakeCore } from './core.ts';

export type ServiceSeedOptions = {
  /** Who connected them in chat (the Connection's connectedBy* columns). */
  platform?: 'slack' | 'teams';
  connectedByUserId?: string;
  connectedByName?: string;
  /** A ChatTarget id every connection alerts to (it must exist), or none. */
  alertTargetId?: string;
  /** When each connection is first due (index over all connections); default now. */
  nextCheckAt?: (index: number) => Date;
  now?: Date;
  /** Grants per transaction. */
  batch?: number;
};

export type ServiceSeed = { grantIds: Map<string, string>; connectionIds: Map<string, string> };

/** Writes the grants and connections the fake seeded (fake.seed/seedMany or POST /_fake/seed). */
export async function seedServiceDatabase(db: Db, keys: readonly EncryptionKey[], grants: readonly SeededGrant[], options: ServiceSeedOptions = {}): Promise<ServiceSeed> {
  const cipher = createTokenCipher(keys);
  const now = options.now ?? new Date();
  const batch = options.batch ?? 1_000;
  const grantIds = new Map<string, string>();
  const connectionIds = new Map<string, string>();
  let index = 0;
  for (let start = 0; start < grants.length; start += batch) {
    // The grant store decides what a grant row holds (encrypted tokens, identity, times); its
    // inserts are captured here and written in bulk, which is ~20x faster than one by one.
    const grantRows: Record<string, unknown>[] = [];
    const capture = {
      grant: {
        create: async ({ data }: { data: Record<string, unknown> }) => {
          const row = { id: randomUUID(), ...data };
          grantRows.push(row);
          return row;
        },
      },
    } as unknown as Db;
    const store = createGrantStore(createGrantTokens(capture), cipher);
    const connectionRows: Extract<NonNullable<Parameters<Db['connection']['createMany']>[0]>['data'], unknown[]> = [];
    for (const g of grants.slice(start, start + batch)) {
      const grantId = await store.create(
        g.userId,
        { accessToken: g.accessToken, refreshToken: g.refreshToken, expiresAt: new Date(g.accessTokenExpiresAt), scopes: SCOPES },
        { email: g.email, name: g.name, authEventId: g.authEventId },
        now,
      );
      grantIds.set(g.userId, grantId);
      for (const t of g.tenants) {
        const id = randomUUID();
        connectionIds.set(t.tenantId, id);
        // As consent.ts binds a new tenant.
        connectionRows.push({
          id,
          tenantId: t.tenantId,
          tenantName: t.tenantName,
          tenantType: t.tenantType,
          xeroConnectionId: t.connectionId,
          grantId,
          state: 'connected',
          stateSince: now,
          nextCheckAt: options.nextCheckAt?.(index++) ?? now,
          connectedByPlatform: options.platform ?? 'slack',
          connectedByUserId: options.connectedByUserId ?? 'U_BENCH',
          connectedByName: options.connectedByName ?? 'Bench',
          xeroUserId: g.userId,
          alertTargetId: options.alertTargetId ?? null,
        });
      }
    }
    await db.$transaction(async (tx) => {
      await tx.grant.createMany({ data: grantRows as Parameters<Db['grant']['createMany']>[0] extends { data: infer D } ? D : never });
      await tx.connection.createMany({ data: connectionRows });
    });
  }
  return { grantIds, connectionIds };
}

const SCOPES = ['openid', 'profile', 'email', 'accounting.settings.read', 'offline_access'];

/** Seeds the fake with `connections` tenants over grants of 1-5 and writes the matching rows. */
export async function seedFakeAndService(
  fake: XeroFakeCore,
  db: Db,
  keys: readonly EncryptionKey[],
  spec: Parameters<XeroFakeCore['seedMany']>[0],
  options: ServiceSeedOptions = {},
): Promise<{ grants: SeededGrant[] } & ServiceSeed> {
  const grants = fake.seedMany(spec);
  return { grants, ...(await seedServiceDatabase(db, keys, grants, options)) };
}
