// Opens the database named by DATABASE_URL: SQLite (default, a file under ./data) or PostgreSQL.
// Both dialects share one model (prisma/models.prisma), so both clients have the same API; the
// rest of the code sees one `Db` type.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { PrismaClient as SqliteClient } from '../../generated/sqlite/client.ts';
import { yieldingFactory } from './yielding-sqlite.ts';

export type Db = SqliteClient;
export type Dialect = 'sqlite' | 'postgres';

export type Database = {
  db: Db;
  dialect: Dialect;
  url: string;
  close(): Promise<void>;
};

export function dialectOf(url: string): Dialect {
  return /^postgres(ql)?:\/\//.test(url) ? 'postgres' : 'sqlite';
}

/** `file:./data/x.db` → absolute path; the folder is created on first start. */
export function sqliteFilePath(url: string): string {
  const raw = url.replace(/^file:/, '').replace(/\?.*$/, '');
  return raw === ':memory:' ? raw : path.resolve(raw);
}

export async function openDatabase(url: string): Promise<Database> {
  const dialect = dialectOf(url);
  // Only the dialect in use is loaded: each generated client brings its own query compiler.
  if (dialect === 'postgres') {
    const [{ PrismaPg }, { PrismaClient: PostgresClient }] = await Promise.all([import('@prisma/adapter-pg'), import('../../generated/postgres/client.ts')]);
    const db = new PostgresClient({ adapter: new PrismaPg({ connectionString: url, max: 10 }) }) as unknown as Db;
    await db.$connect();
    return { db, dialect, url, close: () => db.$disconnect() };
  }
  const file = sqliteFilePath(url);
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  // One writer at a time is SQLite's rule; WAL lets readers go on and busy_timeout queues writers
  // instead of failing them with SQLITE_BUSY.
  const [{ PrismaBetterSQLite3 }, { PrismaClient: SqliteClient }] = await Promise.all([
    import('@prisma/adapter-better-sqlite3'),
    import('../../generated/sqlite/client.ts'),
  ]);
  const db = new SqliteClient({ adapter: yieldingFactory(new PrismaBetterSQLite3({ url: file, timeout: 10_000 })) });
  await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await db.$queryRawUnsafe('PRAGMA busy_timeout = 10000');
  await db.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
  await db.$queryRawUnsafe('PRAGMA foreign_keys = ON');
  return { db, dialect, url, close: () => db.$disconnect() };
}

export async function isReachable(db: Db): Promise<boolean> {
  try {
    await db.$queryRawUnsafe('SELECT 1');
    return true;
  } catch {
    // Reported by /healthz as "unreachable"; the caller logs nothing here on purpose (probes are frequent).
    return false;
  }
}
