import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { openDatabase, type Database } from '../../../src/adapters/db/client.ts';
import { migrate, migrationsDir, readMigrations, splitStatements } from '../../../src/adapters/db/migrate.ts';
import { createPostgresDatabase, dropPostgresDatabase, POSTGRES_URL, sqliteUrl } from '../../support/databases.ts';

const run = promisify(execFile);
const opened: Database[] = [];
afterEach(async () => {
  while (opened.length) await opened.pop()!.close();
});

async function open(url: string) {
  const database = await openDatabase(url);
  opened.push(database);
  return database;
}

/** `prisma migrate status` run the way an operator would, offline, through prisma.config.ts. */
async function prismaMigrateStatus(dialect: 'sqlite' | 'postgres', url: string) {
  const result = await run('npx', ['prisma', 'migrate', 'status'], {
    env: { ...process.env, PRISMA_DIALECT: dialect, DATABASE_URL: url },
  }).catch((e: { stdout: string; stderr: string; code: number }) => e);
  return `${result.stdout}${result.stderr}`;
}

describe('migrations on SQLite', () => {
  it('creates the schema on first start, then finds nothing to do', async () => {
    const url = sqliteUrl();
    const first = await open(url);
    const migrations = readMigrations(migrationsDir('sqlite'));
    expect(await migrate(first.db, 'sqlite', migrations)).toEqual({ applied: migrations.map((m) => m.name), alreadyApplied: 0 });
    expect(await migrate(first.db, 'sqlite', migrations)).toEqual({ applied: [], alreadyApplied: migrations.length });
    expect(await first.db.connection.count()).toBe(0);
  });

  it('keeps Prisma\'s bookkeeping so prisma migrate status agrees', async () => {
    const url = sqliteUrl();
    const database = await open(url);
    await migrate(database.db, 'sqlite', readMigrations(migrationsDir('sqlite')));
    expect(await prismaMigrateStatus('sqlite', url)).toContain('Database schema is up to date');
  });

  it('refuses to run when an applied migration was edited', async () => {
    const database = await open(sqliteUrl());
    const migrations = readMigrations(migrationsDir('sqlite'));
    await migrate(database.db, 'sqlite', migrations);
    const edited = migrations.map((m, i) => (i === 0 ? { ...m, checksum: 'f'.repeat(64) } : m));
    await expect(migrate(database.db, 'sqlite', edited)).rejects.toThrow(/was edited after it was applied/);
  });

  it('applies nothing of a migration that fails half way', async () => {
    const database = await open(sqliteUrl());
    await migrate(database.db, 'sqlite', readMigrations(migrationsDir('sqlite')));
    const broken = { name: '29990101000000_broken', checksum: 'x', sql: 'CREATE TABLE "Half" ("id" TEXT);\nTHIS IS NOT SQL;' };
    await expect(migrate(database.db, 'sqlite', [...readMigrations(migrationsDir('sqlite')), broken])).rejects.toThrow();
    const tables = await database.db.$queryRawUnsafe<{ name: string }[]>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'Half'");
    expect(tables).toEqual([]);
  });
});

describe.runIf(POSTGRES_URL)('migrations on Postgres', () => {
  it('lets two replicas start at once without racing', async () => {
    const url = await createPostgresDatabase();
    try {
      const [a, b] = await Promise.all([open(url), open(url)]);
      const migrations = readMigrations(migrationsDir('postgres'));
      const reports = await Promise.all([migrate(a.db, 'postgres', migrations), migrate(b.db, 'postgres', migrations)]);
      expect(reports.map((r) => r.applied.length).sort()).toEqual([0, migrations.length]);
      const rows = await a.db.$queryRawUnsafe<{ n: bigint }[]>('SELECT count(*) AS n FROM "_prisma_migrations"');
      expect(Number(rows[0]!.n)).toBe(migrations.length);
      expect(await prismaMigrateStatus('postgres', url)).toContain('Database schema is up to date');
    } finally {
      while (opened.length) await opened.pop()!.close();
      await dropPostgresDatabase(url);
    }
  });
});

describe('splitting migration scripts', () => {
  it('drops comments and splits on statement ends', () => {
    expect(splitStatements('-- CreateTable\nCREATE TABLE "A" (\n  "x" TEXT\n);\n\n-- CreateIndex\nCREATE INDEX "i" ON "A"("x");\n')).toEqual([
      'CREATE TABLE "A" (\n  "x" TEXT\n)',
      'CREATE INDEX "i" ON "A"("x")',
    ]);
  });
});
