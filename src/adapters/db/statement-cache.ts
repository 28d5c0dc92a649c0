// Prisma's SQLite adapter (@prisma/adapter-better-sqlite3, pinned) prepares every query anew,
// `client.prepare(sql).bind(args)`, and SQLite's prepare was a fifth of the CPU of a repeated button
// click. Prisma writes the same SQL text for the same query shape, so prepared statements are kept
// here (the least recently used leave first) and bound per call instead of once for good:
// better-sqlite3's own bind() fixes a statement's parameters for its whole life.
import type BetterSqlite3 from 'better-sqlite3';

/** Distinct query shapes kept; the service has about a hundred, lists of ids add a few per length. */
export const STATEMENT_CACHE_SIZE = 500;

/** The part of a statement the adapter uses: bind once, then run, or read the columns and all rows. */
type Bound = {
  readonly reader: boolean;
  run(): BetterSqlite3.RunResult;
  columns(): BetterSqlite3.ColumnDefinition[];
  raw(): { all(): unknown[][] };
};
type Reusable = Bound & { bind(args: unknown[]): Bound };

/** Makes `db.prepare` hand out cached statements; returns how many were prepared (for tests). */
export function cacheStatements(db: BetterSqlite3.Database, size = STATEMENT_CACHE_SIZE): { prepared(): number } {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, BetterSqlite3.Statement<unknown[]>>();
  let prepared = 0;
  const statement = (sql: string) => {
    const kept = cache.get(sql);
    if (kept) {
      cache.delete(sql);
      cache.set(sql, kept);
      return kept;
    }
    const fresh = prepare<unknown[]>(sql);
    prepared += 1;
    cache.set(sql, fresh);
    if (cache.size > size) cache.delete(cache.keys().next().value!);
    return fresh;
  };
  const bound = (stmt: BetterSqlite3.Statement<unknown[]>, args: unknown[]): Bound => ({
    reader: stmt.reader,
    run: () => stmt.run(...args),
    columns: () => stmt.columns(),
    raw: () => ({ all: () => stmt.raw(true).all(...args) as unknown[][] }),
  });
  const reusable = (sql: string): Reusable => {
    const stmt = statement(sql);
    return { ...bound(stmt, []), bind: (args) => bound(stmt, args) };
  };
  // The adapter reads only the members of Reusable; a full Statement cannot be reused once bound.
  db.prepare = reusable as unknown as typeof db.prepare;
  return { prepared: () => prepared };
}

type Factory<A> = { connect(): Promise<A> };

/** The adapter factory, with the statements of each connection it opens cached. */
export function cachingStatementsFactory<F extends Factory<object>>(factory: F): F {
  return new Proxy(factory, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (property === 'connect') {
        return async () => {
          const adapter = await target.connect();
          const client = (adapter as { client?: BetterSqlite3.Database }).client;
          // An adapter version that keeps its connection elsewhere simply goes uncached.
          if (client && typeof client.prepare === 'function') cacheStatements(client);
          return adapter;
        };
      }
      // The factory keeps its settings in private fields: its own methods must see the real object.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
