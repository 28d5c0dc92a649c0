// Stops the outbox worker between every pair of steps of every message (a crash: no cleanup, the
// lease left behind), then starts a new worker: nothing is lost, nothing is sent twice. The one
// window the platforms cannot close (sent, not yet recorded) is covered twice: with a sender that
// can look the message up (Slack metadata) it is exactly once; without, at most one duplicate.
import { afterEach, describe, expect, it } from 'vitest';
import { createOutboxWorker, OUTBOX_LEASE_MS, type OutboxStep } from '../../../src/adapters/outbox/worker.ts';
import type { OutboxInput } from '../../../src/handlers/store.ts';
import { textView } from '../../../src/domain/views/text.ts';
import { FixedClock, silentLog } from '../../builders/monitor.ts';
import { createStore } from '../../../src/adapters/db/store.ts';
import { createTestDatabase, type TestDatabase } from '../../support/databases.ts';
import { MemoryNotifier } from '../../fakes/memory-notifier.ts';

const STEPS: OutboxStep[] = ['claimed', 'resolved', 'sent', 'recorded'];
const ROWS = 4;

class Crash extends Error {}

function messages(): OutboxInput[] {
  const channel = { platform: 'slack' as const, channel: 'C-ALERTS' };
  return [
    { dedupeKey: 'post:a', platform: 'slack', kind: 'post', address: channel, view: textView('alert v1'), messageKey: 'alert:1@t' },
    { dedupeKey: 'update:a', platform: 'slack', kind: 'update', address: channel, view: textView('alert v2'), messageKey: 'alert:1@t' },
    { dedupeKey: 'reply:a', platform: 'slack', kind: 'reply', address: channel, view: textView('thread reply'), parentKey: 'alert:1@t' },
    { dedupeKey: 'dm:a', platform: 'slack', kind: 'dm', address: { platform: 'slack', user: 'UCONN' }, view: textView('direct message') },
  ];
}

describe('outbox worker stopped at every step', () => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  const cases = STEPS.flatMap((step) => Array.from({ length: ROWS }, (_, row) => ({ step, row })));

  it.each(cases)('crash after "$step" of message $row: restart delivers each message exactly once (sender can look up)', async ({ step, row }) => {
    const result = await crashAndRestart(step, row, true);
    expect(result.copies).toEqual({ 'alert v1': 1, 'thread reply': 1, 'direct message': 1 });
    // An edit is idempotent: after a crash right after it was sent it may be applied again, same content.
    expect(new Set(result.edits)).toEqual(new Set(['alert v2']));
    expect(result.replyThreaded).toBe(true);
    expect(result.statuses).toEqual(['sent', 'sent', 'sent', 'sent']);
  });

  it.each(cases.filter((c) => c.step === 'sent'))('crash after "sent" of message $row without a lookup: nothing lost, at most that one message twice', async ({ step, row }) => {
    const result = await crashAndRestart(step, row, false);
    // Three distinct messages; the one in flight at the crash may arrive twice, no other.
    expect(Object.keys(result.copies).sort()).toEqual(['alert v1', 'direct message', 'thread reply']);
    const total = Object.values(result.copies).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(4);
    expect(result.edits.at(-1)).toBe('alert v2');
    expect(result.statuses).toEqual(['sent', 'sent', 'sent', 'sent']);
  });

  async function crashAndRestart(crashStep: OutboxStep, crashRow: number, lookup: boolean) {
    database = await createTestDatabase('sqlite');
    const store = createStore(database.db, database.dialect);
    const clock = new FixedClock();
    // One platform, shared by both worker lives: the messages it received survive the crash.
    const slack = new MemoryNotifier('slack', { lookup });
    await store.outbox.enqueue(messages(), clock.now());

    let seen = 0;
    let dead = false;
    const first = createOutboxWorker({
      store,
      senders: { slack },
      clock,
      log: silentLog,
      concurrency: 1,
      owner: 'first-life',
      afterStep(step) {
        if (dead) throw new Crash('process is gone');
        if (step === crashStep) {
          if (seen === crashRow) {
            dead = true;
            throw new Crash(`stopped after ${step}`);
          }
          seen += 1;
        }
      },
    });
    // The first life runs until it dies (several passes: a reply may wait for its parent).
    for (let i = 0; i < 5 && !dead; i += 1) {
      await first.runOnce().catch((error: unknown) => {
        if (!(error instanceof Crash)) throw error;
      });
      clock.advance(2_500);
    }
    expect(dead).toBe(true);

    // The second life starts after the first one's lease has run out.
    clock.advance(OUTBOX_LEASE_MS + 1_000);
    const second = createOutboxWorker({ store, senders: { slack }, clock, log: silentLog, owner: 'second-life' });
    for (let i = 0; i < 5; i += 1) {
      await second.drain();
      clock.advance(2_500);
    }

    const copies: Record<string, number> = {};
    for (const message of slack.messages) {
      const text = (message.view as { text: string }).text;
      copies[text] = (copies[text] ?? 0) + 1;
    }
    const post = slack.messages.find((m) => (m.view as { text: string }).text === 'alert v1')!;
    const posts = slack.messages.filter((m) => (m.view as { text: string }).text === 'alert v1');
    const edits = posts.flatMap((p) => p.edits.map((e) => (e as { text: string }).text));
    const reply = slack.messages.find((m) => (m.view as { text: string }).text === 'thread reply');
    const recorded = await store.messages.get('alert:1@t');
    const rows = await store.db.outbox.findMany({ orderBy: { createdAt: 'asc' } });
    return {
      copies,
      edits,
      replyThreaded: reply?.threadOf === recorded?.messageId && posts.some((p) => p.messageId === recorded?.messageId) && post !== undefined,
      statuses: rows.map((r) => r.status),
    };
  }
});
