// `/xero here` moves the alert channel. What a team expects: the channel they now watch shows every
// open problem, with working buttons; the old channel is told where alerts went, and its copies do
// not go stale (every step edits every copy).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.ts';
import { ACTION_IDS, encodeButtonValue } from '../../src/domain/actions.ts';
import type { AlertView, NoticeView, TextView } from '../../src/domain/views/model.ts';
import { ADMIN, aConnection, anAlertChannel, checkNowAsScheduler, createMonitorHarness, slackContext, type MonitorHarness } from '../builders/monitor.ts';
import { aClick } from '../builders/click.ts';

const NEW = { ...slackContext, channelId: 'C-NEW', channelName: 'xero-alerts' };

describe.each(DIALECTS)('/xero here (%s)', (dialect) => {
  let h: MonitorHarness;
  beforeEach(async () => {
    h = await createMonitorHarness(dialect, { settings: { transientAlertAfterMs: 60_000 } });
    await anAlertChannel(h.store, 'slack');
  });
  afterEach(async () => h.close());

  async function breakOne(name: string) {
    const connection = await aConnection(h.store, { tenantName: name });
    h.xero.fail(connection.id, 'token_revoked', { httpStatus: 400, xeroError: 'invalid_grant' });
    await checkNowAsScheduler(h, connection.id);
    h.clock.advance(60_000);
    await h.handlers.runMonitorTick();
    await h.worker.drain();
    return { connection, incident: (await h.store.incidents.findOpen(connection.id))! };
  }

  const text = (view: unknown) => (view as TextView).text;

  it('re-posts the open alerts in the new channel, tells the old one, and keeps both copies up to date', async () => {
    const open = await breakOne('Open Ltd');
    const healed = await breakOne('Healed Ltd');
    h.xero.heal(healed.connection.id);
    await checkNowAsScheduler(h, healed.connection.id);
    await h.worker.drain();

    const result = await h.handlers.runCommand(ADMIN, 'here', NEW);
    expect(result.ok && text(result.value.reply)).toBe(
      'Alerts for Slack now go to this channel. 1 open alert was re-posted here from the previous channel; the copies there stay up to date too.',
    );
    await h.worker.drain();

    // The new channel shows the open problem (not the resolved one), with its buttons.
    const [copy, ...others] = h.slack.posts('C-NEW');
    expect(others).toEqual([]);
    expect(copy!.view).toMatchObject({ type: 'alert', incidentId: open.incident.id, tenantName: 'Open Ltd', buttons: ['reconnect', 'sendLink'] });
    // The old channel is told where alerts went, by whom.
    const note = h.slack.posts('C-ALERTS').at(-1)!;
    expect(note.view).toMatchObject({ type: 'text', title: 'Alerts moved' });
    expect(text(note.view)).toBe("Ada Admin moved Xero Guard's Slack alerts to xero-alerts. The 1 open alert is re-posted there; the ones here keep being updated.");

    // A click on the new copy edits both copies and replies in both threads.
    const value = encodeButtonValue({ incidentId: open.incident.id, connectionId: open.connection.id });
    expect((await h.handlers.clickButton(ADMIN, aClick('disconnect', value), NEW)).ok).toBe(true);
    await h.worker.drain();
    const original = h.slack.posts('C-ALERTS').find((p) => (p.view as AlertView).incidentId === open.incident.id)!;
    for (const message of [original, copy!]) {
      expect((h.slack.current(message) as AlertView).steps.disconnectedHere).toMatchObject({ by: { userId: ADMIN.userId } });
      expect(h.slack.replies(message).map((r) => text(r.view))).toEqual([expect.stringContaining('disconnected Open Ltd here')]);
    }

    // New breaks go to the new channel only; `here` again re-posts nothing and tells no one.
    await breakOne('Later Ltd');
    expect(h.slack.posts('C-NEW').map((p) => (p.view as AlertView).tenantName)).toEqual(['Open Ltd', 'Later Ltd']);
    const again = await h.handlers.runCommand(ADMIN, 'here', NEW);
    expect(again.ok && text(again.value.reply)).toBe('Alerts for Slack now go to this channel.');
    const before = h.slack.messages.length;
    await h.worker.drain();
    expect(h.slack.messages).toHaveLength(before);
  });

  it('with nothing open, only moves and tells the old channel', async () => {
    const result = await h.handlers.runCommand(ADMIN, 'here', NEW);
    expect(result.ok && text(result.value.reply)).toBe('Alerts for Slack now go to this channel.');
    await h.worker.drain();
    expect(h.slack.posts('C-NEW')).toEqual([]);
    expect(text(h.slack.posts('C-ALERTS')[0]!.view)).toBe("Ada Admin moved Xero Guard's Slack alerts to xero-alerts.");
  });

  it('an open "Xero unreachable" notice follows too, and its recovery edits both copies', async () => {
    const c = await aConnection(h.store, { tenantName: 'Busy Ltd' });
    h.xero.fail(c.id, 'xero_unavailable', { httpStatus: 503 });
    await checkNowAsScheduler(h, c.id);
    h.clock.advance(2 * 60_000);
    await checkNowAsScheduler(h, c.id);
    expect((await h.handlers.runMonitorTick()).notice).toBe('open');
    await h.worker.drain();

    await h.handlers.runCommand(ADMIN, 'here', NEW);
    await h.worker.drain();
    const copy = h.slack.posts('C-NEW')[0]!;
    expect(copy.view).toMatchObject({ type: 'notice', title: 'Xero API unreachable', organisations: ['Busy Ltd'] });

    h.xero.heal(c.id);
    h.clock.advance(5 * 60_000);
    await checkNowAsScheduler(h, c.id);
    expect((await h.handlers.runMonitorTick()).notice).toBe('close');
    await h.worker.drain();
    const original = h.slack.posts('C-ALERTS')[0]!;
    for (const message of [original, copy]) expect((h.slack.current(message) as NoticeView).title).toBe('Xero API reachable again');
  });
});
