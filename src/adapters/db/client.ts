// Opens the database named by DATABASE_URL: SQLite (default, a file under ./data) or PostgreSQL.
// Both dialects share one model (prisma/models.prisma), so both clients have the same API; the
// rest of src/adapters/db sees one `Db` type, which each dialect's client is without a cast.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { PrismaClient as SqliteClient } from '../../generated/sqlite/client.ts';
import { yieldingFactory } from './yielding-sqlite.ts';
import { cachingStatementsFactory } from './statement-cache.ts';

/** The client methods that differ between dialects or do not exist inside a transaction. */
type ClientOnly = '$on' | '$connect' | '$disconnect' | '$transaction' | '$extends';

/**
 * A client bound to one transaction: the models and raw queries both dialects share (the same
 * model file generates both; only the generated code's dialect tag differs).
 */
export type Tx = {
  [K in Exclude<keyof SqliteClient, ClientOnly>]: K extends `$${string}` ? SqliteClient[K] : Shared<SqliteClient[K]>;
};

/** A model's delegate without its dialect-typed methods and its dialect-tagged type metadata. */
type Shared<Delegate> = { [M in keyof Delegate as M extends DialectTyped | symbol ? never : M]: Delegate[M] };

/** Delegate methods whose result types each dialect's generated code spells differently. */
type DialectTyped = 'aggregate' | 'groupBy';

/**
 * Either dialect's client. `$transaction` takes only what both accept: the interactive form with
 * its time limits (isolation levels differ: SQLite knows only Serializable).
 */
export type Db = Tx & {
  $connect(): Promise<void>;
  $disconnect(): Promise<void>;
  $transaction<R>(work: (tx: Tx) => Promise<R>, options?: { maxWait?: number; timeout?: number }): Promise<R>;
};
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
    const db: Db = new PostgresClient({ adapter: new PrismaPg({ connectionString: url, max: 10 }) });
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
  const db: Db = new SqliteClient({ adapter: yieldingFactory(cachingStatementsFactory(new PrismaBetterSQLite3({ url: file, timeout: 10_000 }))) });
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
