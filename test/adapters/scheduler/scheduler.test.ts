// The scheduler on a real database: every watched connection checked once per interval, spread
// over it, paused ones never; on Postgres two replicas share the work and never check one
// connection twice in a slot.
import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler } from '../../../src/adapters/scheduler/scheduler.ts';
import { createStore } from '../../../src/adapters/db/store.ts';
import { openDatabase } from '../../../src/adapters/db/client.ts';
import { createHandlers } from '../../../src/handlers/index.ts';
import type { CheckCycle, CheckTarget } from '../../../src/handlers/ports.ts';
import { POSTGRES_URL } from '../../support/databases.ts';
import { aConnection, aGrant, createMonitorHarness, silentLog, T0, type MonitorHarness } from '../../builders/monitor.ts';

const INTERVAL = 60_000;

/** The shortest time between two checks of the same connection. */
function minimumGap(checks: { id: string; at: number }[]): number {
  const last = new Map<string, number>();
  let min = Infinity;
  for (const c of checks) {
    const previous = last.get(c.id);
    if (previous !== undefined) min = Math.min(min, c.at - previous);
    last.set(c.id, c.at);
  }
  return min;
}

describe('check scheduler', () => {
  let h: MonitorHarness | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await h?.close();
    h = undefined;
  });

  async function run(harness: MonitorHarness, seconds: number, schedulers: ReturnType<typeof createScheduler>[]) {
    const checkedAt: { id: string; at: number }[] = [];
    const original = harness.xero.probeConnection.bind(harness.xero);
    harness.xero.probeConnection = async (target: CheckTarget, cycle?: CheckCycle) => {
      checkedAt.push({ id: target.id, at: harness.clock.now().getTime() });
      return original(target, cycle);
    };
    for (let s = 0; s < seconds; s += 1) {
      const ticks = await Promise.all(schedulers.map((scheduler) => scheduler.tick()));
      await Promise.all(ticks.map((t) => t.done));
      harness.clock.advance(1_000);
    }
    return checkedAt;
  }

  it('checks each watched connection once per interval, spread over it, and never a paused one', async () => {
    h = await createMonitorHarness('sqlite', { settings: { checkIntervalMs: INTERVAL } });
    const ids: string[] = [];
    for (let i = 0; i < 60; i += 1) ids.push((await aConnection(h.store, { nextCheckAt: T0 })).id);
    const paused = await aConnection(h.store, { state: 'paused' });
    const scheduler = createScheduler({ store: h.store, xero: h.xero, handlers: h.handlers, clock: h.clock, log: silentLog, checkIntervalMs: INTERVAL });
    // First interval: the backlog of a first start drains; then the steady state.
    const checks = await run(h, 3 * 60, [scheduler]);
    const steady = checks.filter((c) => c.at >= T0.getTime() + INTERVAL && c.at < T0.getTime() + 3 * INTERVAL);
    const perConnection = new Map<string, number>();
    for (const c of steady) perConnection.set(c.id, (perConnection.get(c.id) ?? 0) + 1);
    expect([...perConnection.keys()].sort()).toEqual([...ids].sort());
    expect([...perConnection.values()].every((n) => n === 2)).toBe(true);
    expect(minimumGap(checks)).toBeGreaterThanOrEqual(INTERVAL / 2);
    expect(checks.some((c) => c.id === paused.id)).toBe(false);
    // Spread: no 10-second slice holds more than a third of an interval's checks.
    const buckets = new Map<number, number>();
    for (const c of steady) buckets.set(Math.floor((c.at - T0.getTime()) / 10_000), (buckets.get(Math.floor((c.at - T0.getTime()) / 10_000)) ?? 0) + 1);
    expect(Math.max(...buckets.values())).toBeLessThanOrEqual(20);
    // The schedule is in the database: a new scheduler (a restart) continues it.
    const restarted = createScheduler({ store: h.store, xero: h.xero, handlers: h.handlers, clock: h.clock, log: silentLog, checkIntervalMs: INTERVAL });
    const after = await run(h, 60, [restarted]);
    expect(new Set(after.map((c) => c.id)).size).toBe(60);
    expect(after).toHaveLength(60);
  });

  it('starts no more checks than Xero\'s app-wide budget can pay for, and catches up once it can', async () => {
    h = await createMonitorHarness('sqlite', { settings: { checkIntervalMs: INTERVAL } });
    for (let i = 0; i < 30; i += 1) await aConnection(h.store, { nextCheckAt: T0 });
    const scheduler = createScheduler({ store: h.store, xero: h.xero, handlers: h.handlers, clock: h.clock, log: silentLog, checkIntervalMs: INTERVAL });
    h.xero.capacity = 4;
    const starved = await run(h, 3, [scheduler]);
    expect(starved).toHaveLength(12);
    h.xero.capacity = 0;
    expect(await run(h, 5, [scheduler])).toHaveLength(0);
    // Nothing was refused or deferred while waiting: the rest are still due and go as soon as the budget frees.
    h.xero.capacity = Number.POSITIVE_INFINITY;
    const rest = await run(h, 5, [scheduler]);
    expect(new Set([...starved, ...rest].map((c) => c.id)).size).toBe(30);
  });

  it('claims the tenants of one grant together from a backlog, so they share one cycle', async () => {
    h = await createMonitorHarness('sqlite', { settings: { checkIntervalMs: INTERVAL } });
    // Created interleaved (a, b, c, a, b, c, ...), all due at the same instant: a first start.
    const grants = [await aGrant(h.store), await aGrant(h.store), await aGrant(h.store)];
    const grantOf = new Map<string, string>();
    for (let i = 0; i < 12; i += 1) grantOf.set((await aConnection(h.store, { grantId: grants[i % 3]!.id, nextCheckAt: T0 })).id, grants[i % 3]!.id);
    const cycles = new Map<string, Set<string>>();
    const original = h.xero.probeConnection.bind(h.xero);
    h.xero.probeConnection = async (target: CheckTarget, cycle?: CheckCycle) => {
      const grant = grantOf.get(target.id)!;
      cycles.set(grant, (cycles.get(grant) ?? new Set()).add(cycle!.id));
      return original(target);
    };
    const scheduler = createScheduler({ store: h.store, xero: h.xero, handlers: h.handlers, clock: h.clock, log: silentLog, checkIntervalMs: INTERVAL, maxInFlight: 4 });
    await run(h, 3, [scheduler]);
    expect([...cycles.values()].map((c) => c.size)).toEqual([1, 1, 1]);
  });

  it('keeps claiming due checks while a long monitor tick runs, and runs one monitor tick at a time', async () => {
    h = await createMonitorHarness('sqlite', { settings: { checkIntervalMs: INTERVAL } });
    for (let i = 0; i < 10; i += 1) await aConnection(h.store, { nextCheckAt: T0 });
    // The monitor tick of a mass revocation: it announces for a while.
    let finishAnnouncing = () => undefined as void;
    const announcing = new Promise<void>((resolve) => (finishAnnouncing = resolve));
    let monitorTicks = 0;
    const handlers = {
      ...h.handlers,
      runMonitorTick: async () => {
        monitorTicks += 1;
        await announcing;
        return h!.handlers.runMonitorTick();
      },
    };
    const scheduler = createScheduler({ store: h.store, xero: h.xero, handlers, clock: h.clock, log: silentLog, checkIntervalMs: INTERVAL, monitorEveryMs: 1_000 });
    const first = await scheduler.tick();
    expect(first).toMatchObject({ claimed: 5, monitor: true });
    h.clock.advance(1_000);
    const second = await scheduler.tick();
    expect(second).toMatchObject({ claimed: 5, monitor: false });
    await expect.poll(() => h!.xero.checks.length).toBe(10);
    expect(monitorTicks).toBe(1);
    finishAnnouncing();
    await Promise.all([first.done, second.done]);
    h.clock.advance(1_000);
    const third = await scheduler.tick();
    await third.done;
    expect(third.monitor).toBe(true);
    expect(monitorTicks).toBe(2);
  });

  it.runIf(POSTGRES_URL)('two replicas on Postgres share the checks and never check one connection twice in a slot', async () => {
    h = await createMonitorHarness('postgres', { settings: { checkIntervalMs: INTERVAL } });
    for (let i = 0; i < 40; i += 1) await aConnection(h.store, { nextCheckAt: T0 });
    const second = await openDatabase(h.database.url);
    closers.push(() => second.close());
    const secondStore = createStore(second.db, second.dialect);
    const secondHandlers = createHandlers({ ...h.deps, store: secondStore });
    const a = createScheduler({ store: h.store, xero: h.xero, handlers: h.handlers, clock: h.clock, log: silentLog, checkIntervalMs: INTERVAL, owner: 'replica-a' });
    const b = createScheduler({ store: secondStore, xero: h.xero, handlers: secondHandlers, clock: h.clock, log: silentLog, checkIntervalMs: INTERVAL, owner: 'replica-b' });
    const checks = await run(h, 3 * 60, [a, b]);
    for (const window of [1, 2]) {
      const inWindow = checks.filter((c) => c.at >= T0.getTime() + window * INTERVAL && c.at < T0.getTime() + (window + 1) * INTERVAL);
      expect(inWindow).toHaveLength(40);
      expect(new Set(inWindow.map((c) => c.id)).size).toBe(40);
    }
    expect(minimumGap(checks)).toBeGreaterThanOrEqual(INTERVAL / 2);
    const leases = await h.store.db.connection.count({ where: { checkLeaseOwner: { not: null } } });
    expect(leases).toBe(0);
  });
});
