// Two service instances on one PostgreSQL database spend one app-wide Xero budget between them:
// together they never make more calls in a minute than the budget allows (each alone would make up
// to the whole budget), Xero never answers 429, and both get their share.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../src/adapters/db/client.ts';
import { createSharedAppWindow } from '../../../src/adapters/db/app-budget.ts';
import { createTestDatabase, POSTGRES_URL, type TestDatabase } from '../../support/databases.ts';
import { FakeXero, interceptXeroOnly, ORGS, resetNock } from './fake-xero.ts';
import { buildAdapter, newKeys, seedGrant } from './harness.ts';

const BUDGET = 30;

describe.runIf(POSTGRES_URL)('the app-wide Xero budget shared by two instances on Postgres', () => {
  let database: TestDatabase;
  let second: Database;
  let fake: FakeXero;
  const keys = newKeys();

  beforeEach(async () => {
    interceptXeroOnly();
    // Xero's own limit just above our budget (ours is 90% of it): one call too many would be a 429.
    fake = await FakeXero.start({ limits: { appMinute: Math.ceil(BUDGET / 0.9) } });
    database = await createTestDatabase('postgres');
    second = await openDatabase(database.url);
  });
  afterEach(async () => {
    resetNock();
    await second.close();
    await database.drop();
  });

  function instance(db: Database) {
    return buildAdapter(db.db, fake, keys, {
      limits: { appPerMinute: BUDGET },
      sharedBudget: createSharedAppWindow(db.db),
      settings: { timeoutMs: 10_000, maxBudgetWaitMs: 300 },
    }).adapter;
  }

  it('never spends more than the budget between them, with no 429', async () => {
    const seeded = await seedGrant(database.db, fake, keys, 'xero-user-1', [ORGS.demoNz]);
    const a = instance(database);
    const b = instance(second);
    expect(a.budget.appSpare()).toBe(BUDGET);

    const calls = [...Array.from({ length: 25 }, () => a), ...Array.from({ length: 25 }, () => b)].map((adapter) => adapter.gateway.connections(seeded.accessToken));
    const results = await Promise.all(calls);
    const okA = results.slice(0, 25).filter((r) => r.ok).length;
    const okB = results.slice(25).filter((r) => r.ok).length;

    expect(okA + okB).toBeLessThanOrEqual(BUDGET);
    expect(okA + okB).toBeGreaterThanOrEqual(BUDGET - 5);
    // Which instance gets the calls depends on who reserves the second first; the budget is one.
    expect(fake.apiCalls.length).toBe(okA + okB);
    expect(fake.stats().rateLimited.total).toBe(0);
    // The rest were held back by our own budget, not sent.
    const refused = results.filter((r) => !r.ok);
    expect(refused.every((r) => !r.ok && r.error.cause === 'rate_limited' && r.error.status === undefined)).toBe(true);
    // The window in the database holds every call made (and at most the blocks not yet spent).
    const window = (await database.db.xeroAppBudget.findMany({ select: { calls: true } })).reduce((sum, row) => sum + row.calls, 0);
    expect(window).toBeGreaterThanOrEqual(okA + okB);
    expect(window).toBeLessThanOrEqual(BUDGET);
  });
});
