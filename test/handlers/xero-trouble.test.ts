// The hold for Xero-wide trouble as the handlers keep it in the database: one notice however many
// replicas run the monitor tick at once, a process started later carries the hold on and releases
// it, refused grants are offered to Xero again while held, and ordinary breaks among healthy checks
// are never held. Xero is scripted here; e2e/xero-trouble.test.ts runs the real adapter, Slack and Teams.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/adapters/db/client.ts';
import { createStore } from '../../src/adapters/db/store.ts';
import { createHandlers, type Handlers } from '../../src/handlers/index.ts';
import type { NoticeView, SummaryView } from '../../src/domain/views/model.ts';
import { aConnection, aGrant, anAlertChannel, checkNowAsScheduler, CONNECTOR, createMonitorHarness, SETTINGS, type MonitorHarness } from '../builders/monitor.ts';
import { DIALECTS } from '../support/databases.ts';

const RECHECK = SETTINGS.trouble.recheckAfterMs;

for (const dialect of DIALECTS) {
  describe(`Xero-wide trouble held behind one notice (${dialect})`, () => {
    let h: MonitorHarness;
    let others: Database[] = [];

    beforeEach(async () => {
      h = await createMonitorHarness(dialect);
      await anAlertChannel(h.store, 'slack');
      await anAlertChannel(h.store, 'teams');
    });
    afterEach(async () => {
      for (const other of others) await other.close();
      others = [];
      await h.close();
    });

    /** `count` organisations, each of its own grant, checked and found revoked (all in the same moment). */
    async function breakMany(count: number) {
      const broken = [];
      for (let i = 0; i < count; i += 1) {
        const grant = await aGrant(h.store);
        const connection = await aConnection(h.store, { tenantName: `Org ${String(i).padStart(3, '0')}`, grantId: grant.id });
        h.xero.fail(connection.id, 'token_revoked', { httpStatus: 400, xeroError: 'invalid_grant' });
        broken.push(connection);
      }
      for (const c of broken) await checkNowAsScheduler(h, c.id);
      return broken;
    }

    /** Another process on the same database: its own pool, store and handlers. */
    async function otherProcess(): Promise<Handlers> {
      const database = await openDatabase(h.database.url);
      others.push(database);
      return createHandlers({ ...h.deps, store: createStore(database.db, database.dialect) });
    }

    const channelPosts = () => [...h.slack.posts('C-ALERTS'), ...h.teams.posts()];

    it('two replicas running the monitor tick at once post one notice per channel and no alert', async () => {
      await breakMany(30);
      const replica = await otherProcess();
      const reports = await Promise.all([h.handlers.runMonitorTick(), replica.runMonitorTick()]);
      expect(reports.map((r) => r.trouble).sort()).toEqual(['nothing', 'open']);
      expect(reports.map((r) => r.alerts + r.summaries)).toEqual([0, 0]);
      await h.worker.drain();

      expect(await h.store.db.notice.count({ where: { kind: 'xero_trouble' } })).toBe(1);
      expect(await h.store.db.incident.count({ where: { held: true, announcedAt: null } })).toBe(30);
      for (const notifier of [h.slack, h.teams]) {
        const posts = notifier.posts();
        expect(posts).toHaveLength(1);
        expect(posts[0]!.view).toMatchObject({ type: 'notice', tone: 'warning', title: 'Xero may be having trouble' });
        expect((posts[0]!.view as NoticeView).organisations).toHaveLength(30);
        expect((posts[0]!.view as NoticeView).text).toContain('checks them again in 10 minutes');
        expect(notifier.dms()).toHaveLength(0);
      }
    });

    it('a process started later re-checks and ends the hold: the notice names who recovered, the rest get the usual summary', async () => {
      const broken = await breakMany(25);
      expect((await h.handlers.runMonitorTick()).trouble).toBe('open');
      const recovering = broken.slice(0, 20);
      for (const c of recovering) h.xero.heal(c.id);
      // Before the re-check time nothing is released, even when every one was checked again.
      h.clock.advance(RECHECK / 2);
      for (const c of broken) await checkNowAsScheduler(h, c.id);
      expect((await h.handlers.runMonitorTick()).trouble).toBe('nothing');

      h.clock.advance(RECHECK / 2 + 1_000);
      for (const c of broken) await checkNowAsScheduler(h, c.id);
      const restarted = await otherProcess();
      expect(await restarted.runMonitorTick()).toMatchObject({ trouble: 'release', alerts: 0, summaries: 1 });
      await h.worker.drain();

      for (const notifier of [h.slack, h.teams]) {
        const [notice, summary, ...rest] = notifier.posts();
        expect(rest).toHaveLength(0);
        const now = notifier.current(notice!) as NoticeView;
        expect(now).toMatchObject({ type: 'notice', title: 'Xero trouble checked again', tone: 'warning' });
        expect(now.organisations).toEqual(recovering.map((c) => c.tenantName));
        expect(now.text).toBe('20 organisations work again (listed here). The other 5 are still broken and are alerted now.');
        expect(notifier.replies(notice!).map((r) => (r.view as { text: string }).text)).toEqual([now.text]);
        expect((summary!.view as SummaryView).rows.map((r) => r.tenantName)).toEqual(broken.slice(20).map((c) => c.tenantName));
      }
      // The connector hears once, about the five that stay broken, with one link.
      expect(h.slack.dms(CONNECTOR.userId)).toHaveLength(1);
      expect(await h.store.db.incident.count({ where: { status: 'resolved', announcedAt: null } })).toBe(20);
      expect(await h.store.db.notice.count({ where: { kind: 'xero_trouble', closedAt: { not: null } } })).toBe(1);
    });

    it('every one recovered: the notice turns green and no one is alerted', async () => {
      const broken = await breakMany(20);
      await h.handlers.runMonitorTick();
      for (const c of broken) h.xero.heal(c.id);
      h.clock.advance(60_000);
      for (const c of broken) await checkNowAsScheduler(h, c.id);
      h.clock.advance(RECHECK);
      expect(await h.handlers.runMonitorTick()).toMatchObject({ trouble: 'release', alerts: 0, summaries: 0 });
      await h.worker.drain();
      const [notice, ...rest] = channelPosts();
      expect(rest).toHaveLength(1); // the same notice on Teams
      expect(h.slack.current(notice!)).toMatchObject({ tone: 'good', text: '20 organisations work again (listed here). No one needs to reconnect.' });
      expect(h.slack.dms()).toHaveLength(0);
    });

    it('while held, a grant Xero refused again is offered to Xero once more; new failures join the notice', async () => {
      const broken = await breakMany(20);
      await h.handlers.runMonitorTick();
      const grantId = broken[0]!.grantId!;
      await h.store.db.grant.update({ where: { id: grantId }, data: { refusedAt: h.clock.now() } });
      h.clock.advance(60_000);
      const late = await breakMany(1);
      expect((await h.handlers.runMonitorTick()).trouble).toBe('join');
      expect((await h.store.db.grant.findUniqueOrThrow({ where: { id: grantId } })).refusedAt).toBeNull();
      await h.worker.drain();
      const notice = h.slack.current(h.slack.posts('C-ALERTS')[0]!) as NoticeView;
      expect(notice.organisations).toHaveLength(21);
      expect(notice.organisations).toContain(late[0]!.tenantName);
      expect(channelPosts()).toHaveLength(2);
    });

    it('a permission missing from many grants\' stored scopes is our own reading, not trouble at Xero: alerted at once, nothing held', async () => {
      const broken = [];
      for (let i = 0; i < 25; i += 1) {
        const connection = await aConnection(h.store, { tenantName: `Scoped ${i}`, grantId: (await aGrant(h.store)).id });
        h.xero.outcomes.set(connection.id, { cause: 'permission_missing', operation: 'scopes', missingScopes: ['accounting.settings.read'] });
        broken.push(connection);
      }
      for (const c of broken) await checkNowAsScheduler(h, c.id);
      expect(await h.handlers.runMonitorTick()).toMatchObject({ trouble: 'nothing', summaries: 1 });
      expect(await h.store.db.notice.count()).toBe(0);
    });

    it('breaks among many healthy checks are ordinary breaks: alerted at once, nothing held', async () => {
      const healthy = [];
      for (let i = 0; i < 40; i += 1) healthy.push(await aConnection(h.store, { tenantName: `Fine ${i}`, grantId: (await aGrant(h.store)).id }));
      for (const c of healthy) await checkNowAsScheduler(h, c.id);
      await breakMany(25);
      expect(await h.handlers.runMonitorTick()).toMatchObject({ trouble: 'nothing', summaries: 1 });
      expect(await h.store.db.notice.count()).toBe(0);
    });
  });
}
