// Real databases for tests: a fresh SQLite file per call, and a fresh Postgres database when
// TEST_POSTGRES_URL is set (.ci/run sets it). The same repository suites run on both.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database, type Dialect } from '../../src/adapters/db/client.ts';
import { migrate, migrationsDir, readMigrations } from '../../src/adapters/db/migrate.ts';

export const POSTGRES_URL = process.env.TEST_POSTGRES_URL;

/** `url`: open it again for a second replica or a restarted process. */
export type TestDatabase = Database & { drop(): Promise<void>; file?: string; url: string };

/** The dialects this run covers: SQLite always; Postgres only when a URL is configured. */
export const DIALECTS: Dialect[] = POSTGRES_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const url = dialect === 'sqlite' ? sqliteUrl() : await createPostgresDatabase();
  const database = await openDatabase(url);
  await migrate(database.db, database.dialect, readMigrations(migrationsDir(database.dialect)));
  return {
    ...database,
    url,
    file: dialect === 'sqlite' ? url.replace(/^file:/, '') : undefined,
    async drop() {
      await database.close();
      if (dialect === 'sqlite') rmSync(path.dirname(url.replace(/^file:/, '')), { recursive: true, force: true });
      else await dropPostgresDatabase(url);
    },
  };
}

export function sqliteUrl(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'xero-guard-test-'));
  return `file:${path.join(dir, 'test.db')}`;
}

/** A new empty database on the configured server, so parallel test files never share tables. */
export async function createPostgresDatabase(): Promise<string> {
  if (!POSTGRES_URL) throw new Error('TEST_POSTGRES_URL is not set');
  const name = `xg_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropPostgresDatabase(url: string): Promise<void> {
  if (!POSTGRES_URL) return;
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
