// The database, opened and brought up to date, with every repository the service uses: what the
// composition root (src/service.ts) asks of src/adapters/db, in one call. Nothing outside this
// folder sees Prisma; the rest of the service gets the handlers' repository interfaces.
import { createSharedAppWindow } from './app-budget.ts';
import { isReachable, openDatabase, type Database, type Dialect } from './client.ts';
import { createConnectionLog, type ConnectionLogRepo } from './connection-log.ts';
import type { EventRouting } from './events.ts';
import { migrate, migrationsDir, readMigrations } from './migrate.ts';
import { createStore, type DbStore } from './store.ts';
import { readServiceFigures, type ServiceFigures } from './service-figures.ts';
import type { SharedAppWindow } from '../xero/rate-budget.ts';

export type Storage = {
  /** The client itself: for tests and tools that look at rows directly. */
  database: Database;
  dialect: Dialect;
  /** Migrations this start applied. */
  applied: string[];
  /** Every repository the handlers, the workers and the adapters use, and its transaction. */
  store: DbStore;
  connectionLog: ConnectionLogRepo;
  /** Xero's app-wide budget shared by replicas: PostgreSQL only (SQLite runs one process). */
  sharedAppWindow?: SharedAppWindow;
  /** The figures behind the service's own gauges (src/adapters/observability/service-gauges.ts). */
  readFigures(now: Date, overdueAfterMs: number): Promise<ServiceFigures>;
  /** For /healthz: does the database answer? */
  isReachable(): Promise<boolean>;
  close(): Promise<void>;
};

/** `events`: which webhook endpoints take which events (none: events are not recorded). */
export async function createDatabase(url: string, options: { events: EventRouting }): Promise<Storage> {
  const database = await openDatabase(url);
  const { db, dialect } = database;
  const migrated = await migrate(db, dialect, readMigrations(migrationsDir(dialect)));
  return {
    database,
    dialect,
    applied: migrated.applied,
    store: createStore(db, dialect, { events: options.events }),
    connectionLog: createConnectionLog(db),
    ...(dialect === 'postgres' ? { sharedAppWindow: createSharedAppWindow(db) } : {}),
    readFigures: (now, overdueAfterMs) => readServiceFigures(db, now, overdueAfterMs),
    isReachable: () => isReachable(db),
    close: () => database.close(),
  };
}

export type { Database, Dialect } from './client.ts';
export type { EventRouting } from './events.ts';
export type { ServiceFigures } from './service-figures.ts';
