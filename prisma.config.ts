// Prisma CLI config. PRISMA_DIALECT picks the schema (sqlite by default); the CLI runs offline
// only with the JS engine and a driver adapter (DESIGN.md section 6).
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';

const dialect = process.env.PRISMA_DIALECT === 'postgres' ? 'postgres' : 'sqlite';
const url = process.env.DATABASE_URL ?? (dialect === 'sqlite' ? 'file:./data/xero-guard.db' : '');

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', dialect, 'schema.prisma'),
  migrations: { path: path.join('prisma', dialect, 'migrations') },
  async adapter() {
    return dialect === 'sqlite' ? new PrismaBetterSQLite3({ url }) : new PrismaPg({ connectionString: url });
  },
});
