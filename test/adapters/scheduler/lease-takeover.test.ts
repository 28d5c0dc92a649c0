// A worker that dies mid-check leaves its lease behind. Leases are short and renewed while the work
// runs, so another replica (or the process restarted) takes the check over within one lease term,
// and never while the holder is alive and renewing. The clock is injected; nothing here waits.
import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler } from '../../../src/adapters/scheduler/scheduler.ts';
import { createStore } from '../../../src/adapters/db/store.ts';
import { openDatabase } from '../../../src/adapters/db/client.ts';
import { createHandlers, type Handlers } from '../../../src/handlers/index.ts';
import { LEASE_RENEW_EVERY_MS, LEASE_TERM_MS } from '../../../src/domain/leases.ts';
import type { DbStore } from '../../../src/adapters/db/store.ts';
import { DIALECTS } from '../../support/databases.ts';
import { aConnection, ADMIN, createMonitorHarness, ScriptedXero, silentLog, T0, type MonitorHarness } from '../../builders/monitor.ts';

const INTERVAL = 5 * 60_000;

describe.each(DIALECTS)('check leases on %s', (dialect) => {
  let h: MonitorHarness | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await h?.close();
    h = undefined;
  });

  /** Replica A: its Xero never answers (the process is stuck or about to die mid-check). */
  async function replicas(harness: MonitorHarness) {
    const stuck = new ScriptedXero();
    stuck.whileChecking = () => new Promise<void>(() => undefined);
    const aHandlers = createHandlers({ ...harness.deps, xero: stuck });
    const a = createScheduler({ store: harness.store, xero: stuck, handlers: aHandlers, clock: harness.clock, log: silentLog, checkIntervalMs: INTERVAL, owner: 'replica-a' });
    // Replica B: on Postgres its own client, as another process would have.
    let bStore: DbStore = harness.store;
    let bHandlers: Handlers = harness.handlers;
    if (dialect === 'postgres') {
      const second = await openDatabase(harness.database.url);
      closers.push(() => second.close());
      bStore = createStore(second.db, second.dialect);
      bHandlers = createHandlers({ ...harness.deps, store: bStore });
    }
    const b = createScheduler({ store: bStore, xero: harness.xero, handlers: bHandlers, clock: harness.clock, log: silentLog, checkIntervalMs: INTERVAL, owner: 'replica-b' });
    return { a, b, stuck, bHandlers };
  }

  it('a lease that is not renewed is taken over after its short term, well within 20 s', async () => {
    h = await createMonitorHarness(dialect, { settings: { checkIntervalMs: INTERVAL } });
    const connection = await aConnection(h.store, { nextCheckAt: T0 });
    const { a, b, stuck } = await replicas(h);

    expect((await a.tick()).claimed).toBe(1);
    // The claimed check runs after the tick returns; wait until A is stuck inside it.
    await expect.poll(() => stuck.checks).toEqual([connection.id]);

    // A dies here: nothing renews its lease. Just before the term ends B finds nothing to take.
    h.clock.advance(LEASE_TERM_MS - 1_000);
    expect((await b.tick()).claimed).toBe(0);
    h.clock.advance(2_000);
    const takeover = await b.tick();
    await takeover.done;
    expect(takeover.claimed).toBe(1);
    expect(h.xero.checks).toEqual([connection.id]);
    expect(h.clock.now().getTime() - T0.getTime()).toBeLessThanOrEqual(20_000);
    const row = await h.store.db.connection.findUniqueOrThrow({ where: { id: connection.id } });
    expect(row.checkLeaseOwner).toBeNull();
    expect(row.lastCheckAt?.getTime()).toBe(h.clock.now().getTime());
  });

  it('a lease renewed while the check runs is never taken over; once renewals stop, it is', async () => {
    h = await createMonitorHarness(dialect, { settings: { checkIntervalMs: INTERVAL } });
    const connection = await aConnection(h.store, { nextCheckAt: T0 });
    const { a, b } = await replicas(h);
    expect((await a.tick()).claimed).toBe(1);

    // A is alive but Xero is slow: a minute of heartbeats, B looks every second and takes nothing.
    for (let t = 0; t < 60_000; t += 1_000) {
      h.clock.advance(1_000);
      if ((t + 1_000) % LEASE_RENEW_EVERY_MS === 0) expect(await a.renewLeases()).toBe(1);
      expect((await b.tick()).claimed).toBe(0);
    }
    expect(h.xero.checks).toEqual([]);

    // Then A dies: B takes the check over once the last renewal's term has run out.
    const lastRenewal = h.clock.now().getTime();
    let takenAt: number | undefined;
    for (let s = 0; s < 20 && takenAt === undefined; s += 1) {
      h.clock.advance(1_000);
      const tick = await b.tick();
      await tick.done;
      if (tick.claimed > 0) takenAt = h.clock.now().getTime();
    }
    expect(takenAt).toBeDefined();
    expect(takenAt! - lastRenewal).toBeGreaterThan(LEASE_TERM_MS - LEASE_RENEW_EVERY_MS);
    expect(takenAt! - lastRenewal).toBeLessThanOrEqual(LEASE_TERM_MS + 1_000);
    expect(h.xero.checks).toEqual([connection.id]);
    // A's renewals stop counting once B holds the connection: A no longer holds its lease.
    expect(await a.renewLeases()).toBe(0);
  });

  it('"/xero check" refuses a connection a live check holds, and checks it once the dead holder\'s lease runs out', async () => {
    h = await createMonitorHarness(dialect, { settings: { checkIntervalMs: INTERVAL } });
    const connection = await aConnection(h.store, { nextCheckAt: T0, tenantName: 'Lease Test Ltd' });
    const { a, bHandlers } = await replicas(h);
    expect((await a.tick()).claimed).toBe(1);

    h.clock.advance(LEASE_RENEW_EVERY_MS);
    await a.renewLeases();
    const busy = await bHandlers.runCommand(ADMIN, 'check Lease Test', { platform: 'slack', channelId: 'C-ALERTS' });
    expect(busy.ok).toBe(false);

    h.clock.advance(LEASE_TERM_MS + 1_000);
    const checked = await bHandlers.runCommand(ADMIN, 'check Lease Test', { platform: 'slack', channelId: 'C-ALERTS' });
    expect(checked.ok).toBe(true);
    expect(h.xero.checks).toEqual([connection.id]);
  });
});
