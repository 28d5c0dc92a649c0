// Grouping, reminders, transient notices and pause, through the monitor tick.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertView, NoticeView, SummaryView } from '../../src/domain/views/model.ts';
import { MAX_SUMMARY_ROWS } from '../../src/domain/views/summary.ts';
import { DIALECTS } from '../support/databases.ts';
import { ADMIN, CONNECTOR, aConnection, anAlertChannel, checkNowAsScheduler, createMonitorHarness, slackContext, type MonitorHarness } from '../builders/monitor.ts';

describe.each(DIALECTS)('monitor tick (%s)', (dialect) => {
  let h: MonitorHarness;
  beforeEach(async () => {
    h = await createMonitorHarness(dialect);
    await anAlertChannel(h.store, 'slack');
  });
  afterEach(async () => h.close());

  /** A connection whose token was revoked, checked and alerted. */
  async function alerted(tenantName: string) {
    const c = await aConnection(h.store, { tenantName });
    h.xero.fail(c.id, 'token_revoked');
    await checkNowAsScheduler(h, c.id);
    await h.handlers.runMonitorTick();
    return c;
  }

  /** A connection found broken by a check (announced by the next monitor tick). */
  async function broken(tenantName: string, cause: 'token_revoked' | 'access_lost' = 'token_revoked') {
    const c = await aConnection(h.store, { tenantName });
    h.xero.fail(c.id, cause);
    await checkNowAsScheduler(h, c.id);
    return c;
  }
  const names = (view: SummaryView) => view.rows.map((r) => r.tenantName);

  it('breaks within the group window after a first alert are announced at once, in one summary message that grows', async () => {
    await broken('Alpha');
    expect((await h.handlers.runMonitorTick()).alerts).toBe(1);

    // Nothing waits for the window to end: the next tick posts a summary of the one new break.
    h.clock.advance(5_000);
    await broken('Bravo');
    expect(await h.handlers.runMonitorTick()).toMatchObject({ alerts: 0, summaries: 1 });
    await h.worker.drain();
    expect(h.slack.posts('C-ALERTS').map((p) => p.view.type)).toEqual(['alert', 'summary']);
    expect(names(h.slack.posts('C-ALERTS')[1]!.view as SummaryView)).toEqual(['Bravo']);

    // More breaks in the window are added to that message at once (an edit, not a new post).
    h.clock.advance(5_000);
    await broken('Delta');
    await broken('Charlie', 'access_lost');
    expect(await h.handlers.runMonitorTick()).toMatchObject({ alerts: 0, summaries: 1 });
    await h.worker.drain();
    const posts = h.slack.posts('C-ALERTS');
    expect(posts).toHaveLength(2);
    const summary = h.slack.current(posts[1]!) as SummaryView;
    expect(summary.rows.map((r) => [r.tenantName, r.cause])).toEqual([
      ['Bravo', 'token_revoked'],
      ['Charlie', 'access_lost'],
      ['Delta', 'token_revoked'],
    ]);
    expect(summary.more).toBe(0);
    // One DM for the person who connected all three, edited as the list grows, not three, with
    // one link that repairs them and Alpha, whose alert opened the window; no link in the channel.
    const dms = h.slack.dms(CONNECTOR.userId);
    expect(dms.map((d) => d.view.type)).toEqual(['link', 'link']);
    const dm = h.slack.current(dms[1]!) as { text: string; url: string };
    expect(dm.text).toContain('4 organisations you connected need reconnecting: Alpha, Bravo, Charlie, Delta.');
    const link = h.links.issued.find((l) => l.url === dm.url)!;
    expect(link).toMatchObject({ purpose: 'reconnect', actor: expect.objectContaining({ userId: CONNECTOR.userId }) });
    expect([link.connectionId, ...(link.connectionIds ?? [])]).toHaveLength(4);
    expect(JSON.stringify(h.slack.messages.filter((m) => m.kind !== 'dm'))).not.toContain('http');

    // The window closes 30 s after the last announcement: the next break is alone again.
    h.clock.advance(31_000);
    await broken('Echo');
    expect(await h.handlers.runMonitorTick()).toMatchObject({ alerts: 1, summaries: 0 });
  });

  it('a full summary starts a new message; every organisation is named in one of them', async () => {
    // 108 grants failing within seconds is what the Xero-trouble hold takes (xero-trouble.test.ts);
    // set aside here, this is the grouping that follows it, or that a smaller install meets.
    h.deps.settings.trouble = { ...h.deps.settings.trouble, minGrants: Number.MAX_SAFE_INTEGER };
    await broken('First');
    await h.handlers.runMonitorTick();
    h.clock.advance(1_000);
    const all: string[] = [];
    for (let i = 0; i < MAX_SUMMARY_ROWS + 7; i += 1) {
      const name = `Org ${String(i).padStart(3, '0')}`;
      all.push(name);
      await broken(name);
      // A few per tick, as a mass revocation arrives over a check interval.
      if (i % 10 === 9) {
        await h.handlers.runMonitorTick();
        h.clock.advance(1_000);
      }
    }
    await h.handlers.runMonitorTick();
    await h.worker.drain();
    const summaries = h.slack.posts('C-ALERTS').slice(1).map((p) => h.slack.current(p) as SummaryView);
    expect(summaries.map((s) => [s.rows.length, s.more])).toEqual([
      [MAX_SUMMARY_ROWS, 0],
      [7, 0],
    ]);
    expect(summaries.flatMap(names).sort()).toEqual(all);
    // The person who connected them all has one DM per summary message, each with one link.
    expect(h.slack.dms(CONNECTOR.userId).map((d) => d.view.type)).toEqual(['link', 'link', 'link']);
  }, 90_000); // 108 breaks, each checked and announced: a timeout a loaded machine meets

  it('edits queued faster than they are delivered collapse into one chat.update carrying the newest view', async () => {
    await broken('Alpha');
    await h.handlers.runMonitorTick();
    h.clock.advance(1_000);
    await broken('Bravo');
    await h.handlers.runMonitorTick();
    await h.worker.drain();
    const before = h.slack.calls.length;
    for (const name of ['Charlie', 'Delta', 'Echo', 'Foxtrot', 'Golf']) {
      h.clock.advance(1_000);
      await broken(name);
      await h.handlers.runMonitorTick();
    }
    const report = await h.worker.drain();
    const calls = h.slack.calls.slice(before);
    const summaryEdits = calls.filter((c) => c.kind === 'update' && c.view.type === 'summary');
    expect(summaryEdits).toHaveLength(1);
    expect(names(summaryEdits[0]!.view as SummaryView)).toEqual(['Bravo', 'Charlie', 'Delta', 'Echo', 'Foxtrot', 'Golf']);
    // The connector's DM for the summary is edited once as well, to the whole list.
    // It holds one link that repairs them all (one consent for the six).
    const dmEdits = calls.filter((c) => c.kind === 'update' && c.view.type === 'link');
    expect(dmEdits.map((c) => (c.view as { text: string }).text)).toEqual([expect.stringContaining('7 organisations you connected need reconnecting: Alpha, Bravo, Charlie, Delta, Echo, Foxtrot, Golf.')]);
    const url = (dmEdits[0]!.view as { url: string }).url;
    const link = h.links.issued.find((l) => l.url === url)!;
    expect([link.connectionId, ...(link.connectionIds ?? [])]).toHaveLength(7);
    expect(report.superseded).toBe(8);
    expect(calls.filter((c) => c.kind === 'post')).toHaveLength(0);
  });

  it('a row resolved while a break is being added: the summary as delivered shows both', async () => {
    await broken('Alpha');
    await h.handlers.runMonitorTick();
    h.clock.advance(1_000);
    const bravo = await broken('Bravo');
    await h.handlers.runMonitorTick();
    await h.worker.drain();
    for (const [i, name] of ['Charlie', 'Delta', 'Echo'].entries()) {
      h.clock.advance(1_000);
      await broken(name);
      // Bravo heals on the first round; the monitor tick adds a break at the same time.
      if (i === 0) h.xero.heal(bravo.id);
      await Promise.all([h.handlers.runMonitorTick(), i === 0 ? checkNowAsScheduler(h, bravo.id) : Promise.resolve()]);
    }
    await h.worker.drain();
    const summary = h.slack.current(h.slack.posts('C-ALERTS')[1]!) as SummaryView;
    expect(summary.rows.map((r) => [r.tenantName, r.resolved])).toEqual([
      ['Bravo', true],
      ['Charlie', false],
      ['Delta', false],
      ['Echo', false],
    ]);
  });

  it('the edit queued last is the one delivered, even when its clock reads earlier than a queued one', async () => {
    await broken('Alpha');
    await h.handlers.runMonitorTick();
    await h.worker.drain();
    const [post] = h.slack.posts('C-ALERTS');
    const copy = (await h.store.outbox.postedCopies('alert:'))[0]!;
    const edit = (title: string, at: number) =>
      h.store.outbox.enqueue([{ dedupeKey: `test:${title}`, platform: 'slack', kind: 'update', address: copy.address, messageKey: copy.messageKey, view: { type: 'text', tone: 'info', text: title, lines: [] } }], new Date(at));
    const now = h.clock.now().getTime();
    await edit('first, clock ahead', now + 5_000);
    await edit('second, clock behind', now);
    await h.worker.drain();
    expect((h.slack.current(post!) as { text: string }).text).toBe('second, clock behind');
    expect(post!.edits).toHaveLength(1);
  });

  it('clicking a button of a summary row edits the summary and marks the row when resolved', async () => {
    const a = await aConnection(h.store, { tenantName: 'Alpha' });
    h.xero.fail(a.id, 'token_revoked');
    await checkNowAsScheduler(h, a.id);
    await h.handlers.runMonitorTick();
    const rows = [];
    for (const name of ['Bravo', 'Charlie']) {
      const c = await aConnection(h.store, { tenantName: name });
      h.xero.fail(c.id, 'token_revoked');
      await checkNowAsScheduler(h, c.id);
      rows.push(c);
    }
    h.clock.advance(30_000);
    await h.handlers.runMonitorTick();
    await h.worker.drain();
    const bravo = rows[0]!;
    h.xero.heal(bravo.id);
    h.clock.advance(5 * 60_000);
    await checkNowAsScheduler(h, bravo.id);
    await h.worker.drain();
    const summaryPost = h.slack.posts('C-ALERTS')[1]!;
    const current = h.slack.current(summaryPost) as SummaryView;
    expect(current.rows.find((r) => r.tenantName === 'Bravo')!.resolved).toBe(true);
    expect(current.rows.find((r) => r.tenantName === 'Charlie')!.resolved).toBe(false);
    expect(h.slack.replies(summaryPost).map((r) => (r.view as { text: string }).text)).toEqual([expect.stringContaining('Bravo works again')]);
  });

  it('reminds in the thread and the connector every REPEAT_INTERVAL while unresolved, and not while paused', async () => {
    const c = await alerted('Sleepy');
    await h.worker.drain();
    h.clock.advance(24 * 3_600_000);
    expect((await h.handlers.runMonitorTick()).reminders).toBe(1);
    expect((await h.handlers.runMonitorTick()).reminders).toBe(0);
    await h.worker.drain();
    const alert = h.slack.posts('C-ALERTS')[0]!;
    expect(h.slack.replies(alert).map((r) => (r.view as { text: string }).text)).toEqual([expect.stringContaining('Reminder 1: Sleepy is still broken')]);
    expect(h.slack.dms(CONNECTOR.userId).map((d) => d.view.type)).toEqual(['link', 'link']);

    await h.handlers.runCommand(ADMIN, 'pause Sleepy', slackContext);
    h.clock.advance(24 * 3_600_000);
    expect((await h.handlers.runMonitorTick()).reminders).toBe(0);
  });

  it('resuming a paused, still-broken connection checks it at once and restarts the reminder clock instead of reminding', async () => {
    const c = await alerted('Sleepy');
    await h.handlers.runCommand(ADMIN, 'pause Sleepy', slackContext);
    h.clock.advance(3 * 24 * 3_600_000);
    await h.handlers.runCommand(ADMIN, 'resume Sleepy', slackContext);
    await h.worker.drain();
    const sent = h.slack.messages.length;

    // Due for a check now; the check finds it still broken, which changes nothing but the log.
    const resumed = (await h.store.connections.get(c.id))!;
    expect(resumed.state).toBe('broken');
    expect(resumed.nextCheckAt.getTime()).toBeLessThanOrEqual(h.clock.now().getTime());
    expect((await h.handlers.runMonitorTick()).reminders).toBe(0);
    expect((await checkNowAsScheduler(h, c.id)).decision).toBe('redetected');

    // The next reminder is one REPEAT_INTERVAL after the resume.
    h.clock.advance(24 * 3_600_000 - 60_000);
    expect((await h.handlers.runMonitorTick()).reminders).toBe(0);
    await h.worker.drain();
    expect(h.slack.messages).toHaveLength(sent);
    h.clock.advance(60_000);
    expect((await h.handlers.runMonitorTick()).reminders).toBe(1);
    await h.worker.drain();
    const alert = h.slack.posts('C-ALERTS')[0]!;
    expect(h.slack.replies(alert).map((r) => (r.view as { text: string }).text)).toEqual([expect.stringContaining('Reminder 1: Sleepy is still broken')]);
  });

  it('a connection that healed while paused is resolved by the check that follows the resume, with no reminder', async () => {
    const c = await alerted('Sleepy');
    await h.handlers.runCommand(ADMIN, 'pause Sleepy', slackContext);
    h.clock.advance(2 * 24 * 3_600_000);
    h.xero.heal(c.id);
    await h.handlers.runCommand(ADMIN, 'resume Sleepy', slackContext);
    // The monitor tick may well run before the check does.
    expect((await h.handlers.runMonitorTick()).reminders).toBe(0);
    expect((await checkNowAsScheduler(h, c.id)).decision).toBe('resolve');
    await h.worker.drain();
    const alert = h.slack.posts('C-ALERTS')[0]!;
    expect((h.slack.current(alert) as AlertView).resolved).toBeDefined();
    expect(h.slack.replies(alert).map((r) => (r.view as { text: string }).text)).toEqual([expect.stringContaining('Sleepy works again')]);
  });

  it('transient failures of many connections raise one grouped notice only after TRANSIENT_ALERT_AFTER, and close it on recovery', async () => {
    const connections: Awaited<ReturnType<typeof aConnection>>[] = [];
    for (let i = 0; i < 12; i += 1) connections.push(await aConnection(h.store, { tenantName: `Busy ${i}` }));
    for (const c of connections) h.xero.fail(c.id, 'xero_unavailable', { httpStatus: 503 });
    const minute = async () => {
      for (const c of connections) {
        const row = (await h.store.connections.get(c.id))!;
        if (row.nextCheckAt <= h.clock.now()) await checkNowAsScheduler(h, c.id);
      }
      await h.handlers.runMonitorTick();
    };
    // Quiet for the first quarter of an hour: nothing posted, nothing queued.
    for (let m = 0; m < 15; m += 1) {
      await minute();
      expect(h.slack.posts().length + (await h.store.db.outbox.count())).toBe(0);
      h.clock.advance(60_000);
    }
    for (let m = 15; m <= 16; m += 1) {
      await minute();
      h.clock.advance(60_000);
    }
    expect(await h.store.db.incident.count()).toBe(0);
    expect((await h.store.connections.get(connections[0]!.id))!.state).toBe('degraded');
    await h.worker.drain();
    expect(h.slack.posts()).toHaveLength(1);
    const notice = h.slack.posts()[0]!.view as NoticeView;
    expect(notice).toMatchObject({ type: 'notice', tone: 'warning', title: 'Xero API unreachable' });
    expect(notice.organisations).toHaveLength(12);

    for (const c of connections) h.xero.heal(c.id);
    h.clock.advance(10 * 60_000);
    for (const c of connections) await checkNowAsScheduler(h, c.id);
    expect((await h.handlers.runMonitorTick()).notice).toBe('close');
    await h.worker.drain();
    const post = h.slack.posts()[0]!;
    expect(h.slack.current(post)).toMatchObject({ tone: 'good', title: 'Xero API reachable again' });
    expect(h.slack.replies(post)).toHaveLength(1);
    expect(h.slack.posts()).toHaveLength(1);
  });

  it('a break that heals before its group window ends is resolved without any message', async () => {
    const a = await aConnection(h.store, { tenantName: 'Alpha' });
    h.xero.fail(a.id, 'token_revoked');
    await checkNowAsScheduler(h, a.id);
    await h.handlers.runMonitorTick();
    const b = await aConnection(h.store, { tenantName: 'Flappy' });
    h.xero.fail(b.id, 'access_lost');
    await checkNowAsScheduler(h, b.id);
    h.xero.heal(b.id);
    h.clock.advance(10_000);
    await checkNowAsScheduler(h, b.id);
    h.clock.advance(30_000);
    await h.handlers.runMonitorTick();
    await h.worker.drain();
    expect(h.slack.posts().map((p) => (p.view as AlertView).tenantName)).toEqual(['Alpha']);
  });
});
