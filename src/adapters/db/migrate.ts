// Brings the schema up to date at start, offline, for both dialects. Prisma's CLI cannot do this
// here (DESIGN.md section 6), so this applies the same migration folders Prisma writes and keeps
// Prisma's `_prisma_migrations` bookkeeping, so `prisma migrate status` agrees with it.
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db, Dialect, Tx } from './client.ts';

export type Migration = { name: string; sql: string; checksum: string };
export type MigrationReport = { applied: string[]; alreadyApplied: number };

/** Any fixed number: the Postgres advisory lock key every replica agrees on. */
const MIGRATION_LOCK_KEY = 72_707_301;

const BOOKKEEPING: Record<Dialect, string> = {
  sqlite: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "checksum" TEXT NOT NULL,
    "finished_at" DATETIME,
    "migration_name" TEXT NOT NULL,
    "logs" TEXT,
    "rolled_back_at" DATETIME,
    "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0
  )`,
  postgres: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
  )`,
};

export function migrationsDir(dialect: Dialect, root = packageRoot()): string {
  return path.join(root, 'prisma', dialect, 'migrations');
}

/**
 * The folder holding package.json and prisma/, found from this module's own place (src/ under
 * tsx, dist/ once bundled), so the service starts from any working directory.
 */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'prisma')) || !existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

export function readMigrations(dir: string): Migration[] {
  if (!existsSync(dir)) throw new Error(`migrations folder not found: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/** Splits a Prisma migration script into statements (Prisma's scripts hold no procedural blocks). */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter(Boolean);
}

export async function migrate(db: Db, dialect: Dialect, migrations: Migration[]): Promise<MigrationReport> {
  if (dialect === 'postgres') {
    // Two replicas starting at once: the second waits here, then finds nothing left to apply.
    // A transaction-scoped lock is released by Postgres even if this process dies.
    return db.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
        return applyPending(tx, dialect, migrations, (work) => work(tx));
      },
      { timeout: 120_000, maxWait: 120_000 },
    );
  }
  // Postgres runs inside the lock's transaction above; SQLite gives each migration one of its own,
  // so a crash mid-migration leaves nothing half-applied.
  return applyPending(db, dialect, migrations, (work) => db.$transaction(work, { timeout: 120_000 }));
}

/** `transact` runs one migration whole or not at all (on Postgres the caller's lock transaction already does). */
async function applyPending(db: Tx, dialect: Dialect, migrations: Migration[], transact: (work: (tx: Tx) => Promise<void>) => Promise<void>): Promise<MigrationReport> {
  await db.$executeRawUnsafe(BOOKKEEPING[dialect]);
  const rows = await db.$queryRawUnsafe<{ migration_name: string; checksum: string; finished_at: unknown; rolled_back_at: unknown }[]>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"',
  );
  const done = new Map(rows.filter((r) => r.finished_at !== null && r.rolled_back_at === null).map((r) => [r.migration_name, r.checksum]));
  const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
  if (failed) {
    throw new Error(`migration ${failed.migration_name} failed earlier and needs attention (see _prisma_migrations.logs)`);
  }
  const applied: string[] = [];
  for (const migration of migrations) {
    const known = done.get(migration.name);
    if (known !== undefined) {
      if (known !== migration.checksum) throw new Error(`migration ${migration.name} was edited after it was applied`);
      continue;
    }
    await applyOne(db, dialect, migration, transact);
    applied.push(migration.name);
  }
  return { applied, alreadyApplied: done.size };
}

async function applyOne(db: Tx, dialect: Dialect, migration: Migration, transact: (work: (tx: Tx) => Promise<void>) => Promise<void>): Promise<void> {
  const id = randomUUID();
  const now = dialect === 'sqlite' ? Date.now() : new Date();
  const statements = splitStatements(migration.sql);
  const p = (n: number) => (dialect === 'sqlite' ? '?' : `$${n}`);
  const run = async (tx: Tx) => {
    await tx.$executeRawUnsafe(
      `INSERT INTO "_prisma_migrations" ("id", "checksum", "migration_name", "started_at", "applied_steps_count") VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, 0)`,
      id,
      migration.checksum,
      migration.name,
      now,
    );
    for (const statement of statements) await tx.$executeRawUnsafe(statement);
    await tx.$executeRawUnsafe(
      `UPDATE "_prisma_migrations" SET "finished_at" = ${p(1)}, "applied_steps_count" = 1 WHERE "id" = ${p(2)}`,
      dialect === 'sqlite' ? Date.now() : new Date(),
      id,
    );
  };
  await transact(run);
}
