// Paused grants: nothing checks them, so nothing refreshes their tokens; the monitor refreshes
// them once a day (under a per-grant lease, so replicas do it once), and leaves grants with a
// watched connection to the checks.
import { afterEach, describe, expect, it } from 'vitest';
import { createScheduler } from '../../src/adapters/scheduler/scheduler.ts';
import { grantKeeper } from '../../src/adapters/xero/grant-keeper.ts';
import { createHandlers } from '../../src/handlers/index.ts';
import type { ErrorsView } from '../../src/domain/views/model.ts';
import { FakeXero, interceptXeroOnly, resetNock } from '../adapters/xero/fake-xero.ts';
import { buildAdapter, newKeys, seedGrant } from '../adapters/xero/harness.ts';
import { DIALECTS } from '../support/databases.ts';
import { ADMIN, aConnection, aGrant, createMonitorHarness, silentLog, T0, type MonitorHarness } from '../builders/monitor.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe.each(DIALECTS)('keep-alive of paused grants (%s)', (dialect) => {
  let h: MonitorHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function grantWith(harness: MonitorHarness, states: string[], grant: Parameters<typeof aGrant>[1] = {}) {
    const row = await aGrant(harness.store, grant);
    for (const state of states) await aConnection(harness.store, { grantId: row.id, state });
    return row.id;
  }

  it('refreshes a grant whose connections are all paused once it has been idle a day, and only then', async () => {
    h = await createMonitorHarness(dialect);
    const paused = await grantWith(h, ['paused', 'paused']);
    const pausedAndGone = await grantWith(h, ['paused', 'disconnected']);
    const watched = await grantWith(h, ['paused', 'connected']);
    const broken = await grantWith(h, ['broken']);
    await grantWith(h, ['disconnected']);
    await grantWith(h, ['paused'], { revokedAt: T0 });
    await grantWith(h, ['paused'], { tokens: false });

    h.clock.advance(DAY - 60_000);
    expect(await h.handlers.keepGrantsAlive()).toMatchObject({ due: 0 });
    expect(h.keeper.calls).toEqual([]);

    h.clock.advance(60_000);
    expect(await h.handlers.keepGrantsAlive()).toEqual({ due: 2, refreshed: 2, failed: 0, skipped: 0 });
    expect(h.keeper.calls.sort()).toEqual([paused, pausedAndGone].sort());
    expect(h.keeper.calls).not.toContain(watched);
    expect(h.keeper.calls).not.toContain(broken);

    // Refreshed now: not again until another day has passed.
    h.clock.advance(DAY - 60_000);
    await h.handlers.keepGrantsAlive();
    expect(h.keeper.calls).toHaveLength(2);
    h.clock.advance(60_000);
    await h.handlers.keepGrantsAlive();
    expect(h.keeper.calls).toHaveLength(4);

    const rows = await h.store.db.connectionLog.findMany({ where: { operation: 'keep_alive' } });
    expect(rows).toHaveLength(2 * 3);
    expect(rows.every((r) => r.kind === 'refresh' && r.outcome === 'ok')).toBe(true);
  });

  it('grants that keep failing come last, so they never crowd a healthy grant out of a batch', async () => {
    h = await createMonitorHarness(dialect);
    for (let i = 0; i < 3; i += 1) await grantWith(h, ['paused'], { refreshedAt: new Date(T0.getTime() - 30 * DAY), refreshFailures: 4 });
    const healthy = await grantWith(h, ['paused']);
    h.clock.advance(DAY);
    const batch = await h.store.grants.pausedIdle(new Date(h.clock.now().getTime() - DAY), 1);
    expect(batch.map((g) => g.id)).toEqual([healthy]);
  });

  it('two replicas at the same moment refresh each paused grant once', async () => {
    h = await createMonitorHarness(dialect);
    for (let i = 0; i < 5; i += 1) await grantWith(h, ['paused']);
    const other = createHandlers(h.deps);
    h.clock.advance(DAY);
    const reports = await Promise.all([h.handlers.keepGrantsAlive(), other.keepGrantsAlive()]);
    expect(reports[0]!.refreshed + reports[1]!.refreshed).toBe(5);
    expect(new Set(h.keeper.calls).size).toBe(5);
    expect(h.keeper.calls).toHaveLength(5);
  });

  it('a failed refresh shows in /xero errors and is retried after an hour, then after two', async () => {
    h = await createMonitorHarness(dialect);
    const grantId = await grantWith(h, ['paused']);
    h.keeper.failing.set(grantId, 'token_revoked');
    h.clock.advance(DAY);
    expect(await h.handlers.keepGrantsAlive()).toMatchObject({ due: 1, failed: 1 });

    const errors = await h.handlers.runCommand(ADMIN, 'errors', { platform: 'slack', channelId: 'C1' });
    const view = (errors.ok ? errors.value.reply : undefined) as ErrorsView;
    expect(view.rows[0]).toMatchObject({ operation: 'keep_alive', cause: 'token_revoked', httpStatus: 400 });

    const attemptsAfter = async (ms: number) => {
      h!.clock.advance(ms);
      await h!.handlers.keepGrantsAlive();
      return h!.keeper.calls.length;
    };
    expect(await attemptsAfter(HOUR)).toBe(1);
    expect(await attemptsAfter(1_000)).toBe(2);
    expect(await attemptsAfter(2 * HOUR - 1_000)).toBe(2);
    expect(await attemptsAfter(2_000)).toBe(3);
    // Fixed (e.g. Xero was down): refreshed, and back to once a day.
    h.keeper.failing.delete(grantId);
    expect(await attemptsAfter(4 * HOUR + 1_000)).toBe(4);
    expect(await attemptsAfter(DAY - 1_000)).toBe(4);
  });
});

describe('keep-alive through the scheduler, with the real Xero adapter (nock)', () => {
  let h: MonitorHarness | undefined;
  afterEach(async () => {
    resetNock();
    await h?.close();
    h = undefined;
  });

  it('a paused-only grant gets its refresh token rotated after a day; a watched grant is refreshed by its checks', async () => {
    interceptXeroOnly();
    const fake = await FakeXero.start();
    const keys = newKeys();
    h = await createMonitorHarness('sqlite', {
      build: (database, clock) => {
        const { adapter, links } = buildAdapter(database.db, fake, keys, { clock, log: silentLog });
        return { xero: adapter, links, grants: grantKeeper(adapter.refresher) };
      },
    });
    fake.now = () => h!.clock.now().getTime();
    const seedOptions = { accessExpiresAt: new Date(T0.getTime() + 25 * 60_000), refreshedAt: T0 };
    const paused = await seedGrant(h.store.db, fake, keys, 'U_PAUSED', [{ tenantId: 'tenant-paused', tenantName: 'Paused Ltd' }], seedOptions);
    const watched = await seedGrant(h.store.db, fake, keys, 'U_WATCHED', [{ tenantId: 'tenant-watched', tenantName: 'Watched Ltd' }], seedOptions);
    await h.store.db.connection.update({ where: { id: paused.connectionIds[0] }, data: { state: 'paused' } });
    await h.store.db.connection.update({ where: { id: watched.connectionIds[0] }, data: { nextCheckAt: T0 } });
    const scheduler = createScheduler({ store: h.store, xero: h.deps.xero, handlers: h.handlers, clock: h.clock, log: silentLog, checkIntervalMs: 5 * 60_000 });
    const run = async (seconds: number) => {
      for (let s = 0; s < seconds; s += 1) {
        await (await scheduler.tick()).done;
        h!.clock.advance(1_000);
      }
    };
    const refreshesWith = (token: string) => fake.tokenCalls.filter((c) => c.grantType === 'refresh_token' && c.refreshToken === token).length;

    await run(10);
    expect(refreshesWith(paused.refreshToken)).toBe(0);

    h.clock.advance(DAY);
    await run(10);
    expect(refreshesWith(paused.refreshToken)).toBe(1);
    const grant = await h.store.db.grant.findUniqueOrThrow({ where: { id: paused.grantId } });
    expect(grant.refreshedAt!.getTime()).toBeGreaterThanOrEqual(T0.getTime() + DAY);
    expect(grant.refreshFailures).toBe(0);
    // The watched grant's token was refreshed by its check (access token expired), not here.
    expect(refreshesWith(watched.refreshToken)).toBe(1);
    const keepAlive = await h.store.db.connectionLog.findMany({ where: { operation: 'keep_alive' } });
    expect(keepAlive.map((r) => [r.connectionId, r.outcome])).toEqual([[paused.connectionIds[0], 'ok']]);
    // Still paused, never checked.
    expect(await h.store.db.connectionLog.count({ where: { connectionId: paused.connectionIds[0], kind: 'check' } })).toBe(0);

    // The next sweeps leave it alone until another day has passed.
    h.clock.advance(HOUR);
    await run(10);
    const later = await h.store.db.grant.findUniqueOrThrow({ where: { id: paused.grantId } });
    expect([later.version, later.refreshedAt]).toEqual([grant.version, grant.refreshedAt]);
    await scheduler.stop();
  });
});
