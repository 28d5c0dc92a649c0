// The outbox worker's delivery rules: Retry-After, permanent failures, edits that wait for their
// post, stale edits, unreachable people (fallback to the admins), link URLs not kept after sending.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, POSTGRES_URL } from '../../support/databases.ts';
import { openDatabase } from '../../../src/adapters/db/client.ts';
import { createStore } from '../../../src/adapters/db/store.ts';
import { createOutboxWorker } from '../../../src/adapters/outbox/worker.ts';
import { textView, linkView } from '../../../src/domain/views/text.ts';
import { ADMIN, CONNECTOR, silentLog, aConnection, anAlertChannel, checkNowAsScheduler, createMonitorHarness, type MonitorHarness } from '../../builders/monitor.ts';

const channel = { platform: 'slack' as const, channel: 'C-ALERTS' };

describe.each(DIALECTS)('outbox worker (%s)', (dialect) => {
  let h: MonitorHarness;
  beforeEach(async () => {
    h = await createMonitorHarness(dialect);
  });
  afterEach(async () => h.close());

  it('honours Retry-After: nothing is sent to that channel before it, then the message goes once', async () => {
    await h.store.outbox.enqueue([{ dedupeKey: 'p1', platform: 'slack', kind: 'post', address: channel, view: textView('hello'), messageKey: 'm1' }], h.clock.now());
    h.slack.failures.push({ ok: false, retry: true, retryAfterMs: 30_000, error: 'ratelimited' });
    expect((await h.worker.runOnce()).retried).toBe(1);
    h.clock.advance(29_000);
    expect((await h.worker.runOnce()).sent).toBe(0);
    h.clock.advance(1_000);
    expect((await h.worker.runOnce()).sent).toBe(1);
    expect(h.slack.calls).toHaveLength(2);
    expect(h.slack.messages).toHaveLength(1);
    const row = await h.store.db.outbox.findUniqueOrThrow({ where: { dedupeKey: 'p1' } });
    expect(row).toMatchObject({ status: 'sent', attempts: 2, platformMessageId: h.slack.messages[0]!.messageId });
  });

  it('gives up on a permanent failure and keeps the reason', async () => {
    await h.store.outbox.enqueue([{ dedupeKey: 'p1', platform: 'slack', kind: 'post', address: channel, view: textView('hello'), messageKey: 'm1' }], h.clock.now());
    h.slack.failures.push({ ok: false, retry: false, error: 'channel_not_found' });
    expect((await h.worker.runOnce()).dead).toBe(1);
    expect(await h.store.db.outbox.findUniqueOrThrow({ where: { dedupeKey: 'p1' } })).toMatchObject({ status: 'dead', lastError: 'channel_not_found' });
  });

  it('an edit waits for its post, and an older edit never overwrites a newer one', async () => {
    h.slack.failures.push({ ok: false, retry: true, error: 'internal_error' });
    await h.store.outbox.enqueue(
      [
        { dedupeKey: 'p1', platform: 'slack', kind: 'post', address: channel, view: textView('v1'), messageKey: 'm1' },
        { dedupeKey: 'u2', platform: 'slack', kind: 'update', address: channel, view: textView('v2'), messageKey: 'm1' },
        { dedupeKey: 'u3', platform: 'slack', kind: 'update', address: channel, view: textView('v3'), messageKey: 'm1' },
      ],
      h.clock.now(),
    );
    await h.worker.runOnce();
    expect(h.slack.messages).toHaveLength(0);
    h.clock.advance(60_000);
    await h.worker.drain();
    expect(h.slack.messages).toHaveLength(1);
    expect(h.slack.messages[0]!.edits.map((e) => (e as { text: string }).text)).toEqual(['v3']);
    const statuses = await h.store.db.outbox.findMany({ orderBy: { createdAt: 'asc' }, select: { status: true } });
    expect(statuses.map((s) => s.status)).toEqual(['sent', 'superseded', 'sent']);
  });

  it('does not keep a sent link in the outbox', async () => {
    await h.store.outbox.enqueue(
      [{ dedupeKey: 'dm1', platform: 'slack', kind: 'dm', address: { platform: 'slack', user: 'U1' }, view: linkView('connect', 'hi', 'https://guard.example/xero/connect?t=secret', h.clock.now()) }],
      h.clock.now(),
    );
    await h.worker.drain();
    const row = await h.store.db.outbox.findUniqueOrThrow({ where: { dedupeKey: 'dm1' } });
    expect(row.status).toBe('sent');
    expect(row.payload).not.toContain('secret');
  });

  it('when the connector cannot be reached, says so in the thread and sends the link to the admins', async () => {
    await anAlertChannel(h.store, 'slack');
    const connection = await aConnection(h.store, { tenantName: 'Gone Ltd' });
    h.xero.fail(connection.id, 'app_disconnected_in_xero');
    h.slack.unreachable.add(CONNECTOR.userId);
    await checkNowAsScheduler(h, connection.id);
    await h.handlers.runMonitorTick();
    await h.worker.drain();
    h.clock.advance(3_000);
    await h.worker.drain();
    const alert = h.slack.posts('C-ALERTS')[0]!;
    const replies = h.slack.replies(alert).map((r) => (r.view as { text: string }).text);
    expect(replies).toEqual([expect.stringContaining('could not send Connie Connector a direct message')]);
    const adminDms = h.slack.dms(ADMIN.userId);
    expect(adminDms).toHaveLength(1);
    expect(adminDms[0]!.view).toMatchObject({ type: 'link', purpose: 'reconnect' });
    expect(h.links.issued.at(-1)).toMatchObject({ actor: { userId: ADMIN.userId }, connectionId: connection.id });
    const log = await h.store.db.connectionLog.findFirst({ where: { operation: 'dm_unreachable' } });
    expect(log?.detail).toContain('link sent to 1 admin');
  });
});

describe.runIf(POSTGRES_URL)('two outbox workers on one Postgres database', () => {
  it('share the rows through leases and send each message once', async () => {
    const h = await createMonitorHarness('postgres');
    const second = await openDatabase(h.database.url);
    try {
      const rows = Array.from({ length: 60 }, (_, i) => ({
        dedupeKey: `p${i}`,
        platform: 'slack',
        kind: 'post' as const,
        address: { platform: 'slack' as const, channel: `C${i % 6}` },
        view: textView(`message ${i}`),
        messageKey: `m${i}`,
      }));
      await h.store.outbox.enqueue(rows, h.clock.now());
      const other = createOutboxWorker({ store: createStore(second.db, second.dialect), senders: { slack: h.slack }, clock: h.clock, log: silentLog, owner: 'replica-b' });
      await Promise.all([h.worker.drain(), other.drain(), h.worker.drain(), other.drain()]);
      const texts = h.slack.messages.map((m) => (m.view as { text: string }).text);
      expect(texts).toHaveLength(60);
      expect(new Set(texts).size).toBe(60);
      expect(await h.store.db.outbox.count({ where: { status: 'sent' } })).toBe(60);
      expect(await h.store.db.chatMessage.count()).toBe(60);
    } finally {
      await second.close();
      await h.close();
    }
  });
});
