// A message in doubt (claimed, maybe sent, its worker gone) is taken over within one short lease
// term, and a live worker that keeps renewing while the platform is slow is never overtaken. The
// clock is injected; nothing here waits.
import { afterEach, describe, expect, it } from 'vitest';
import { createOutboxWorker } from '../../../src/adapters/outbox/worker.ts';
import { createStore, type DbStore } from '../../../src/adapters/db/store.ts';
import { openDatabase } from '../../../src/adapters/db/client.ts';
import { LEASE_RENEW_EVERY_MS, LEASE_TERM_MS } from '../../../src/domain/leases.ts';
import { textView } from '../../../src/domain/views/text.ts';
import type { ChatSender, Delivery, DeliveryOutcome } from '../../../src/handlers/ports.ts';
import { FixedClock, silentLog } from '../../builders/monitor.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../support/databases.ts';
import { MemoryNotifier } from '../../fakes/memory-notifier.ts';

/** A platform that never answers: the worker holding the row is stuck, or dies before it hears back. */
class SilentPlatform implements ChatSender {
  readonly platform = 'slack' as const;
  readonly calls: Delivery[] = [];
  deliver(delivery: Delivery): Promise<DeliveryOutcome> {
    this.calls.push(delivery);
    return new Promise(() => undefined);
  }
}

describe.each(DIALECTS)('outbox leases on %s', (dialect) => {
  let database: TestDatabase | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await database?.drop();
    database = undefined;
  });

  async function setUp() {
    database = await createTestDatabase(dialect);
    const store = createStore(database.db, database.dialect);
    let secondStore: DbStore = store;
    if (dialect === 'postgres') {
      const second = await openDatabase(database.url);
      closers.push(() => second.close());
      secondStore = createStore(second.db, second.dialect);
    }
    const clock = new FixedClock();
    await store.outbox.enqueue(
      [{ dedupeKey: 'post:lease', platform: 'slack', kind: 'post', address: { platform: 'slack', channel: 'C-ALERTS' }, view: textView('alert in doubt'), messageKey: 'alert:lease@t' }],
      clock.now(),
    );
    const silent = new SilentPlatform();
    const first = createOutboxWorker({ store, senders: { slack: silent }, clock, log: silentLog, owner: 'first' });
    // Its run never ends: the platform never answers. The row is now "sending", leased to `first`.
    void first.runOnce();
    await until(async () => silent.calls.length === 1);
    const slack = new MemoryNotifier('slack', { lookup: true });
    const second = createOutboxWorker({ store: secondStore, senders: { slack }, clock, log: silentLog, owner: 'second' });
    return { store, clock, first, second, slack };
  }

  it('a message whose worker died is delivered by another worker once the short lease runs out', async () => {
    const { store, clock, second, slack } = await setUp();
    clock.advance(LEASE_TERM_MS - 1_000);
    expect((await second.runOnce()).sent).toBe(0);
    clock.advance(2_000);
    const report = await second.runOnce();
    expect(report.sent).toBe(1);
    expect(slack.messages.map((m) => m.inDoubt)).toEqual([true]);
    const row = await store.db.outbox.findFirstOrThrow();
    expect(row).toMatchObject({ status: 'sent', leaseOwner: null });
  });

  it('a worker that keeps renewing while the platform is slow keeps its message; when it stops, the message moves within one term', async () => {
    const { clock, first, second, slack } = await setUp();
    for (let t = LEASE_RENEW_EVERY_MS; t <= 60_000; t += LEASE_RENEW_EVERY_MS) {
      clock.advance(LEASE_RENEW_EVERY_MS);
      expect(await first.renewLeases()).toBe(1);
      expect((await second.runOnce()).sent).toBe(0);
    }
    expect(slack.calls).toHaveLength(0);
    clock.advance(LEASE_TERM_MS + 1);
    expect((await second.runOnce()).sent).toBe(1);
    expect(await first.renewLeases()).toBe(0);
  });
});

async function until(done: () => Promise<boolean>): Promise<void> {
  // Polls the worker's progress (a few database round trips), not the clock under test.
  for (let i = 0; i < 1_000; i += 1) {
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('condition never became true');
}
