// The service's own gauges, scraped through /metrics as Prometheus does, over a real database
// (SQLite, and Postgres when TEST_POSTGRES_URL is set) and the real Xero rate budget.
import { afterEach, describe, expect, it } from 'vitest';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpApp, finishHttpApp, listen, closeServer } from '../../../src/adapters/http/server.ts';
import { createMetrics } from '../../../src/adapters/observability/metrics.ts';
import { registerServiceGauges } from '../../../src/adapters/observability/service-gauges.ts';
import { readServiceFigures } from '../../../src/adapters/db/service-figures.ts';
import { RateBudget } from '../../../src/adapters/xero/rate-budget.ts';
import type { Db } from '../../../src/adapters/db/client.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../support/databases.ts';
import { captureLogs } from '../../support/log-capture.ts';

const NOW = new Date('2026-12-02T10:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function scrapeService(database: TestDatabase, budget = new RateBudget(), xeroCallsPerDay?: () => number) {
  const logs = captureLogs();
  const metrics = createMetrics();
  const app = createHttpApp({ logger: logs.logger, metrics, health: async () => ({ database: true }) });
  registerServiceGauges(metrics, {
    readFigures: (now) => readServiceFigures(database.db, now, 60_000),
    xeroCallsLeft: () => budget.appSpare(),
    ...(xeroCallsPerDay ? { xeroCallsPerDay } : {}),
    log: logs.logger,
    now: () => NOW,
    minIntervalMs: 0,
  });
  finishHttpApp(app, logs.logger);
  const server: http.Server = await listen(app, 0);
  cleanups.push(() => closeServer(server));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    logs,
    async scrape(): Promise<Map<string, number>> {
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      const values = new Map<string, number>();
      for (const line of (await res.text()).split('\n')) {
        const m = /^(xero_guard_[a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
        if (m && !m[1]!.includes('_http_')) values.set(m[1]!, Number(m[2]));
      }
      return values;
    },
  };
}

let seq = 0;
async function aConnection(db: Db, state: string, fields: { nextCheckAt?: Date; leasedByAnother?: boolean } = {}) {
  seq += 1;
  return db.connection.create({
    data: {
      tenantId: `tenant-${seq}`,
      tenantName: `Org ${seq}`,
      state,
      connectedByPlatform: 'slack',
      connectedByUserId: 'U0ALICE01',
      nextCheckAt: fields.nextCheckAt ?? new Date(NOW.getTime() + 60_000),
      ...(fields.leasedByAnother ? { checkLeaseOwner: 'replica-b', checkLeaseUntil: new Date(NOW.getTime() + 60_000) } : {}),
    },
  });
}

describe.each(DIALECTS)('service gauges on %s', (dialect) => {
  it('reports connections by state, open incidents, the outbox backlog, overdue checks and Xero calls left', async () => {
    const database = await createTestDatabase(dialect);
    cleanups.push(() => database.drop());
    const db = database.db;
    await aConnection(db, 'connected');
    await aConnection(db, 'connected');
    // Due two minutes ago: overdue. Due 30 s ago: late, but within the minute's grace.
    await aConnection(db, 'connected', { nextCheckAt: ago(120_000), leasedByAnother: true });
    await aConnection(db, 'degraded', { nextCheckAt: ago(30_000) });
    const broken = await aConnection(db, 'broken', { nextCheckAt: ago(90_000) });
    // Paused connections are not checked, so they are never overdue.
    await aConnection(db, 'paused', { nextCheckAt: ago(600_000) });
    const gone = await aConnection(db, 'disconnected');
    await db.incident.create({ data: { connectionId: broken.id, cause: 'token_revoked', status: 'open', openKey: broken.id, openedAt: ago(1_000), brokenSince: ago(1_000), lastDetectedAt: ago(1_000) } });
    await db.incident.create({ data: { connectionId: gone.id, cause: 'access_lost', status: 'resolved', openedAt: ago(9_000), brokenSince: ago(9_000), lastDetectedAt: ago(9_000), resolvedAt: ago(5_000) } });
    const outbox = (key: string, status: string, createdAt: Date) =>
      db.outbox.create({ data: { dedupeKey: key, platform: 'slack', kind: 'post', address: '{}', payload: '{}', status, createdAt } });
    await outbox('a', 'pending', ago(95_000));
    await outbox('b', 'sending', ago(20_000));
    await outbox('c', 'sent', ago(600_000));
    await outbox('d', 'dead', ago(700_000));

    const budget = new RateBudget();
    for (let i = 0; i < 25; i++) expect((await budget.acquire(null, 0)).ok).toBe(true);
    const { scrape } = await scrapeService(database, budget);
    const values = await scrape();

    expect(Object.fromEntries(values)).toEqual({
      'xero_guard_connections{state="connected"}': 3,
      'xero_guard_connections{state="degraded"}': 1,
      'xero_guard_connections{state="broken"}': 1,
      'xero_guard_connections{state="disconnected"}': 1,
      'xero_guard_connections{state="reconnecting"}': 0,
      'xero_guard_connections{state="paused"}': 1,
      xero_guard_incidents_open: 1,
      xero_guard_outbox_pending_messages: 2,
      xero_guard_outbox_oldest_pending_age_seconds: 95,
      xero_guard_checks_overdue: 2,
      xero_guard_xero_app_calls_left: 9_000 - 25,
    });

    // Computed at each scrape: what changed in between shows at once.
    await db.outbox.updateMany({ where: { status: { in: ['pending', 'sending'] } }, data: { status: 'sent' } });
    await db.incident.updateMany({ where: { status: 'open' }, data: { status: 'resolved', openKey: null } });
    const after = await scrape();
    expect(after.get('xero_guard_outbox_pending_messages')).toBe(0);
    expect(after.get('xero_guard_outbox_oldest_pending_age_seconds')).toBe(0);
    expect(after.get('xero_guard_incidents_open')).toBe(0);
  });
});

describe.each(DIALECTS)('Xero calls per connection per day on %s', (dialect) => {
  it('divides the daily call rate by the connections the scheduler checks (not paused or disconnected ones)', async () => {
    const database = await createTestDatabase(dialect);
    cleanups.push(() => database.drop());
    for (const state of ['connected', 'connected', 'degraded', 'broken', 'paused', 'disconnected']) await aConnection(database.db, state);
    let perDay = 1_152;
    const { scrape } = await scrapeService(database, new RateBudget(), () => perDay);
    expect((await scrape()).get('xero_guard_xero_calls_per_connection_per_day')).toBe(1_152 / 4);
    perDay = 0;
    expect((await scrape()).get('xero_guard_xero_calls_per_connection_per_day')).toBe(0);
    await database.db.connection.updateMany({ data: { state: 'paused' } });
    expect(Number.isNaN((await scrape()).get('xero_guard_xero_calls_per_connection_per_day'))).toBe(true);
  });
});

describe('service gauges while the database is away', () => {
  it('still serves the scrape, shows the database figures as unknown and logs it once', async () => {
    const database = await createTestDatabase('sqlite');
    cleanups.push(() => database.drop());
    await aConnection(database.db, 'connected');
    const { scrape, logs } = await scrapeService(database);
    expect((await scrape()).get('xero_guard_connections{state="connected"}')).toBe(1);

    // A database that answers no more (here: a table gone) fails the figures' read.
    await database.db.$executeRawUnsafe('DROP TABLE "Incident"');
    const first = await scrape();
    await scrape();
    expect(first.get('xero_guard_incidents_open')).toBeNaN();
    expect(first.has('xero_guard_connections{state="connected"}')).toBe(false);
    expect(first.get('xero_guard_xero_app_calls_left')).toBe(9_000);
    expect(logs.lines().filter((l) => l.msg === 'metrics: database figures unavailable')).toHaveLength(1);
  });
});
