// Cheap probes (Xero bills API egress): over a day and more of checks, GET /connections is called
// once per grant per cycle and the tenant probe (GET /api.xro/2.0/Organisation) only on the first
// check, once per TENANT_PROBE_INTERVAL, after /connections shows a change, and while a connection
// is not healthy. The real Xero adapter against the nock fake, the real handlers and database.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeXero, interceptXeroOnly, resetNock } from '../adapters/xero/fake-xero.ts';
import { buildAdapter, newKeys, seedGrant } from '../adapters/xero/harness.ts';
import { anAlertChannel, createMonitorHarness, silentLog, type MonitorHarness } from '../builders/monitor.ts';
import type { XeroAdapter } from '../../src/adapters/xero/index.ts';

// CHECK_INTERVAL of 30 minutes (default 5) keeps a day of cycles quick; the rules are the same.
const INTERVAL = 30 * 60_000;
const DAY = 24 * 3_600_000;

let fake: FakeXero;
let h: MonitorHarness;
let adapter: XeroAdapter;

/** Builds the world; `busyShare` is TENANT_PROBE_BUSY_SHARE (unset: the interval always applies). */
async function setUp(busyShare?: number) {
  interceptXeroOnly();
  fake = await FakeXero.start();
  const keys = newKeys();
  h = await createMonitorHarness('sqlite', {
    settings: { checkIntervalMs: INTERVAL },
    build: (database, clock) => {
      const built = buildAdapter(database.db, fake, keys, { clock, log: silentLog, settings: { timeoutMs: 5_000, tenantProbeIntervalMs: DAY, ...(busyShare !== undefined ? { tenantProbeBusyShare: busyShare } : {}) } });
      adapter = built.adapter;
      return { xero: adapter, links: built.links };
    },
  });
  // The adapter dates a refreshed token by the wall clock (openid-client's expires_at): starting the
  // test's clock at the wall clock keeps the fake's idea of a token's expiry in line with ours, so no
  // check meets an expired token and retries GET /connections after the forced refresh.
  h.clock.set(new Date());
  fake.now = () => h.clock.now().getTime();
  await anAlertChannel(h.store, 'slack');
  // One grant with three organisations, one with one.
  const orgs = (names: string[]) => names.map((tenantName) => ({ tenantId: randomUUID(), tenantName }));
  for (const [user, names] of [['user-a', ['Alpha', 'Bravo', 'Charlie']], ['user-b', ['Delta']]] as const) {
    const seeded = await seedGrant(h.store.db, fake, keys, user, orgs([...names]), { accessExpiresAt: new Date(h.clock.now().getTime() + 25 * 60_000), refreshedAt: h.clock.now() });
    await h.store.db.connection.updateMany({ where: { id: { in: seeded.connectionIds } }, data: { nextCheckAt: h.clock.now(), stateSince: h.clock.now() } });
  }
}

afterEach(async () => {
  resetNock();
  await h.close();
});

/** One check cycle as the scheduler runs it: every connection, one shared cycle; then the monitor tick. */
async function cycle() {
  const shared = h.deps.xero.newCycle();
  for (const c of await h.store.db.connection.findMany({ orderBy: { tenantName: 'asc' } })) {
    const owner = `test:${randomUUID()}`;
    expect(await h.store.connections.claim(c.id, owner, h.clock.now(), 60_000, false)).toBe(true);
    await h.handlers.recordCheck(c.id, shared, owner);
  }
  await h.handlers.runMonitorTick();
  h.clock.advance(INTERVAL);
}

const tenantOf = async (name: string) => (await h.store.db.connection.findFirstOrThrow({ where: { tenantName: name } })).tenantId;
const probesOf = (tenantId: string) => fake.apiCalls.filter((c) => c.route === 'organisation' && c.tenantId === tenantId).length;
const listings = () => fake.apiCalls.filter((c) => c.route === 'connections').length;

describe('cheap probes', () => {
  beforeEach(() => setUp());

  it('over 50 cycles (25 hours): one GET /connections per grant per cycle, and each tenant asked itself twice (first check, then a day later)', async () => {
    for (let n = 1; n <= 50; n += 1) {
      await cycle();
      expect(listings()).toBe(2 * n);
    }
    for (const name of ['Alpha', 'Bravo', 'Charlie', 'Delta']) expect(probesOf(await tenantOf(name))).toBe(2);
    expect(fake.apiCalls.map((c) => c.route).filter((r) => r !== 'connections' && r !== 'organisation')).toEqual([]);
    expect(await h.store.db.connection.count({ where: { state: 'connected' } })).toBe(4);
  }, 60_000);

  it('asks the tenant again when /connections shows it changed, and at every check while it is broken, until it recovers', async () => {
    await cycle();
    const bravo = await tenantOf('Bravo');
    const charlie = await tenantOf('Charlie');
    // Renamed in Xero: /connections says so, and the next check asks Bravo itself once.
    fake.connectionsOf('user-a').find((c) => c.tenantId === bravo)!.tenantName = 'Bravo Renamed';
    await cycle();
    await cycle();
    expect(probesOf(bravo)).toBe(2);
    expect(probesOf(charlie)).toBe(1);

    // Charlie's user loses access: found at the tenant probe a day after the last one (the trade-off
    // README states), then asked at every check while broken, and back to daily once it works again.
    fake.forbidTenant(charlie);
    while ((await h.store.db.connection.findFirstOrThrow({ where: { tenantId: charlie } })).state !== 'broken') await cycle();
    expect(probesOf(charlie)).toBe(2);
    expect(await h.store.db.incident.count({ where: { cause: 'access_lost', status: 'open' } })).toBe(1);
    for (let n = 0; n < 3; n += 1) await cycle();
    expect(probesOf(charlie)).toBe(5);
    fake.forbidTenant(charlie, false);
    await cycle();
    expect(await h.store.db.incident.count({ where: { status: 'resolved' } })).toBe(1);
    for (let n = 0; n < 10; n += 1) await cycle();
    expect(probesOf(charlie)).toBe(6);
  }, 120_000);

  it('asks the tenant on the first check after a reconnect', async () => {
    await cycle();
    const delta = await h.store.db.connection.findFirstOrThrow({ where: { tenantName: 'Delta' } });
    await cycle();
    expect(probesOf(delta.tenantId)).toBe(1);
    // What the consent callback does on a reconnect (src/adapters/xero/oauth/consent.ts): new tokens, probe again.
    await h.store.db.connection.update({ where: { id: delta.id }, data: { tenantProbedAt: null } });
    await cycle();
    expect(probesOf(delta.tenantId)).toBe(2);
  });
});

describe('cheap probes while the app-wide budget has room (TENANT_PROBE_BUSY_SHARE)', () => {
  it('asks every tenant at every check while under the share, so lost access is found at the next check', async () => {
    await setUp(0.5);
    for (let n = 1; n <= 3; n += 1) await cycle();
    for (const name of ['Alpha', 'Bravo', 'Charlie', 'Delta']) expect(probesOf(await tenantOf(name))).toBe(3);
    expect(listings()).toBe(6);
    const charlie = await tenantOf('Charlie');
    fake.forbidTenant(charlie);
    await cycle();
    expect(await h.store.db.incident.count({ where: { cause: 'access_lost', status: 'open' } })).toBe(1);
  });

  it('keeps to the interval with a share of 0', async () => {
    await setUp(0);
    for (let n = 1; n <= 3; n += 1) await cycle();
    for (const name of ['Alpha', 'Bravo', 'Charlie', 'Delta']) expect(probesOf(await tenantOf(name))).toBe(1);
  });
});
