// Grouping, reminders, transient notices and pause, through the monitor tick.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertView, NoticeView, SummaryView } from '../../src/domain/views/model.ts';
import { MAX_SUMMARY_ROWS } from '../../src/domain/views/summary.ts';
import { ADMIN, CONNECTOR, aConnection, anAlertChannel, checkNowAsScheduler, createMonitorHarness, slackContext, type MonitorHarness } from '../builders/monitor.ts';

describe('monitor tick', () => {
  let h: MonitorHarness;
  beforeEach(async () => {
    h = await createMonitorHarness('sqlite');
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

  it('breaks within the group window after a first alert go out as one summary listing each organisation', async () => {
    const first = await aConnection(h.store, { tenantName: 'Alpha' });
    h.xero.fail(first.id, 'token_revoked');
    await checkNowAsScheduler(h, first.id);
    expect((await h.handlers.runMonitorTick()).alerts).toBe(1);

    h.clock.advance(5_000);
    const others = [];
    for (const name of ['Bravo', 'Charlie', 'Delta']) {
      const c = await aConnection(h.store, { tenantName: name });
      h.xero.fail(c.id, name === 'Charlie' ? 'access_lost' : 'token_revoked');
      await checkNowAsScheduler(h, c.id);
      others.push(c);
    }
    expect(await h.handlers.runMonitorTick()).toMatchObject({ alerts: 0, summaries: 0 });
    h.clock.advance(25_000);
    expect(await h.handlers.runMonitorTick()).toMatchObject({ alerts: 0, summaries: 1 });
    await h.worker.drain();

    const posts = h.slack.posts('C-ALERTS');
    expect(posts.map((p) => p.view.type)).toEqual(['alert', 'summary']);
    const summary = posts[1]!.view as SummaryView;
    expect(summary.rows.map((r) => [r.tenantName, r.cause])).toEqual([
      ['Bravo', 'token_revoked'],
      ['Charlie', 'access_lost'],
      ['Delta', 'token_revoked'],
    ]);
    // One DM for the person who connected all three, not three.
    expect(h.slack.dms(CONNECTOR.userId)).toHaveLength(2);
  });

  it('a summary shows at most what one Slack message can hold and counts the rest', async () => {
    const first = await aConnection(h.store, { tenantName: 'First' });
    h.xero.fail(first.id, 'token_revoked');
    await checkNowAsScheduler(h, first.id);
    await h.handlers.runMonitorTick();
    for (let i = 0; i < MAX_SUMMARY_ROWS + 7; i += 1) {
      const c = await aConnection(h.store, { tenantName: `Org ${String(i).padStart(3, '0')}` });
      h.xero.fail(c.id, 'token_revoked');
      await checkNowAsScheduler(h, c.id);
    }
    h.clock.advance(30_000);
    await h.handlers.runMonitorTick();
    await h.worker.drain();
    const summary = h.slack.posts('C-ALERTS')[1]!.view as SummaryView;
    expect(summary.rows).toHaveLength(MAX_SUMMARY_ROWS);
    expect(summary.more).toBe(7);
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
    const connections = [];
    for (let i = 0; i < 12; i += 1) connections.push(await aConnection(h.store, { tenantName: `Busy ${i}` }));
    for (const c of connections) h.xero.fail(c.id, 'xero_unavailable', { httpStatus: 503 });
    for (let minute = 0; minute <= 16; minute += 1) {
      for (const c of connections) {
        const row = (await h.store.connections.get(c.id))!;
        if (row.nextCheckAt <= h.clock.now()) await checkNowAsScheduler(h, c.id);
      }
      await h.handlers.runMonitorTick();
      if (minute < 15) expect(h.slack.posts().length + (await h.store.db.outbox.count())).toBe(0);
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
