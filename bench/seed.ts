// Seeding for the large scenarios: a fresh PostgreSQL database per run, and 100,000 connections
// written in bulk through pg (one INSERT ... SELECT FROM json_populate_recordset per few thousand
// rows) rather than through Prisma. The grant rows still come from the service's own grant store
// and token cipher, so the tokens are encrypted exactly as the service expects.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Db } from '../src/adapters/db/client.ts';
import { createGrantTokens } from '../src/adapters/db/xero-repos.ts';
import { createGrantStore } from '../src/adapters/xero/grant-store.ts';
import { createTokenCipher, type EncryptionKey } from '../src/adapters/xero/token-cipher.ts';
import { phaseOf } from '../src/domain/schedule.ts';
import type { SeededGrant } from '../test/fakes/xero/core.ts';

/** The server the bench creates its databases on (BENCH_POSTGRES_URL, else TEST_POSTGRES_URL, else the local default). */
export function benchPostgresServer(): string {
  return process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
}

export async function createBenchPostgres(): Promise<string> {
  const name = `xg_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: benchPostgresServer() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(benchPostgresServer());
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropBenchPostgres(url: string): Promise<void> {
  if (process.env.BENCH_KEEP_DATABASE) return;
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: benchPostgresServer() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** The size of a database in bytes (PostgreSQL). */
export async function postgresSize(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ size: string }>('SELECT pg_database_size(current_database()) AS size');
    return Number(rows[0]!.size);
  } finally {
    await client.end();
  }
}

export type BulkSeedOptions = {
  platform: 'slack' | 'teams';
  connectedByUserId: string;
  connectedByName: string;
  alertTargetId: string;
  /**
   * The steady state of a running service: every connection first due a day from now (nothing due
   * until scheduleSteady moves them), checked and its tenant asked before; else a first start,
   * every connection new and due at once.
   */
  parked?: boolean;
};

const SCOPES = ['openid', 'profile', 'email', 'accounting.settings.read', 'offline_access'];
const CHUNK = 5_000;
const DAY_MS = 24 * 3_600_000;

export async function bulkSeedPostgres(url: string, keys: readonly EncryptionKey[], grants: readonly SeededGrant[], options: BulkSeedOptions): Promise<{ connectionIds: Map<string, string>; grantIds: string[] }> {
  const cipher = createTokenCipher(keys);
  const now = new Date();
  const grantRows: Record<string, unknown>[] = [];
  // The grant store decides what a grant row holds; its create() is captured, not sent.
  const capture = {
    grant: {
      create: async ({ data }: { data: Record<string, unknown> }) => {
        const row = { id: randomUUID(), createdAt: now, updatedAt: now, ...data };
        grantRows.push(row);
        return row;
      },
    },
  } as unknown as Db;
  const store = createGrantStore(createGrantTokens(capture), cipher);
  const connectionRows: Record<string, unknown>[] = [];
  const connectionIds = new Map<string, string>();
  const grantIds: string[] = [];
  for (const g of grants) {
    const grantId = await store.create(
      g.userId,
      { accessToken: g.accessToken, refreshToken: g.refreshToken, expiresAt: new Date(g.accessTokenExpiresAt), scopes: SCOPES },
      { email: g.email, name: g.name, authEventId: g.authEventId },
      now,
    );
    grantIds.push(grantId);
    const dueAt = options.parked ? new Date(now.getTime() + 24 * 3_600_000) : now;
    for (const t of g.tenants) {
      const id = randomUUID();
      connectionIds.set(t.tenantId, id);
      connectionRows.push({
        id,
        tenantId: t.tenantId,
        tenantName: t.tenantName,
        tenantType: t.tenantType,
        xeroConnectionId: t.connectionId,
        grantId,
        state: 'connected',
        stateSince: now,
        nextCheckAt: dueAt,
        connectedByPlatform: options.platform,
        connectedByUserId: options.connectedByUserId,
        connectedByName: options.connectedByName,
        xeroUserId: g.userId,
        alertTargetId: options.alertTargetId,
        createdAt: now,
        updatedAt: now,
        // What a running service leaves in the row: the last check was good, and the tenant itself
        // was asked at some point of the last TENANT_PROBE_INTERVAL (24 h), spread like the slots.
        ...(options.parked ? { lastCheckAt: now, lastGoodCheckAt: now, tenantProbedAt: new Date(now.getTime() - phaseOf(`${id}:probe`) * DAY_MS) } : {}),
      });
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await insertAll(client, 'Grant', grantRows);
    await insertAll(client, 'Connection', connectionRows);
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
  return { connectionIds, grantIds };
}

/**
 * Starts the steady state at `from`: each grant's connections due at the grant's own slot in the
 * interval (src/domain/schedule.ts phaseOf, the slots nextSlot keeps after every check), the first
 * slot at or after `from`. So each connection is due exactly once in [from, from + interval), and
 * next at its slot plus one interval. Returns each grant's first slot.
 */
export async function scheduleSteady(url: string, grantIds: readonly string[], from: number, intervalMs: number): Promise<Map<string, number>> {
  const due = new Map(grantIds.map((id) => [id, firstSlotFrom(from, intervalMs, phaseOf(id)).getTime()]));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `UPDATE "Connection" AS c SET "nextCheckAt" = v.due FROM (SELECT unnest($1::text[]) AS gid, unnest($2::timestamp[]) AS due) AS v WHERE c."grantId" = v.gid`,
      [[...due.keys()], [...due.values()].map((t) => new Date(t).toISOString())],
    );
  } finally {
    await client.end();
  }
  return due;
}

/** The grant's first slot at or after `from`. */
function firstSlotFrom(from: number, intervalMs: number, phase: number): Date {
  const offset = Math.floor(phase * intervalMs);
  return new Date(Math.ceil((from - offset) / intervalMs) * intervalMs + offset);
}

async function insertAll(client: pg.Client, table: string, rows: Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) return;
  // Only the columns the rows carry: the others take their defaults.
  const columns = Object.keys(rows[0]!).map((c) => `"${c}"`).join(', ');
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK);
    await client.query(`INSERT INTO "${table}" (${columns}) SELECT ${columns} FROM json_populate_recordset(NULL::"${table}", $1::json)`, [JSON.stringify(chunk)]);
  }
}
