// The alert lifecycle through the handlers, on a real database, with a scripted XeroPort and the
// in-memory notifier behind the real outbox worker.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.ts';
import { ACTION_IDS, encodeButtonValue } from '../../src/domain/actions.ts';
import type { AlertView } from '../../src/domain/views/model.ts';
import { ADMIN, CONNECTOR, STRANGER, aConnection, anAlertChannel, checkNowAsScheduler, createMonitorHarness, slackContext, type MonitorHarness } from '../builders/monitor.ts';
import { aClick } from '../builders/click.ts';
import { captureLogs } from '../support/log-capture.ts';

describe.each(DIALECTS)('alert flow (%s)', (dialect) => {
  let h: MonitorHarness;
  beforeEach(async () => {
    h = await createMonitorHarness(dialect);
    await anAlertChannel(h.store, 'slack');
  });
  afterEach(async () => h.close());

  async function breakOne(name = 'Demo Company (NZ)') {
    const connection = await aConnection(h.store, { tenantName: name });
    h.xero.fail(connection.id, 'token_revoked', { httpStatus: 400, xeroError: 'invalid_grant' });
    await checkNowAsScheduler(h, connection.id);
    await h.handlers.runMonitorTick();
    await h.worker.drain();
    const incident = (await h.store.incidents.findOpen(connection.id))!;
    return { connection, incident };
  }

  it('opens one incident, posts one alert naming one reconnect (the link is already in the DMs) and DMs the connector that link', async () => {
    const { connection, incident } = await breakOne();
    expect((await h.store.connections.get(connection.id))!.state).toBe('broken');
    const [alert] = h.slack.posts('C-ALERTS');
    expect(h.slack.posts('C-ALERTS')).toHaveLength(1);
    const view = alert!.view as AlertView;
    expect(view).toMatchObject({ type: 'alert', incidentId: incident.id, tenantName: 'Demo Company (NZ)', cause: 'token_revoked', path: 'reconnect', buttons: ['reconnect', 'sendLink'] });
    expect(view.connectedBy).toMatchObject({ userId: CONNECTOR.userId });
    // What is in motion is on the alert from its first post: the connector holds a link.
    expect(view.linksSent).toEqual([{ to: expect.objectContaining({ userId: CONNECTOR.userId }), at: h.clock.now().toISOString(), expiresAt: expect.any(String) }]);
    expect(view.nextStep).toContain('reconnects with the link in their direct messages');
    const dms = h.slack.dms(CONNECTOR.userId);
    expect(dms).toHaveLength(1);
    expect(dms[0]!.view).toMatchObject({ type: 'link', purpose: 'reconnect', url: h.links.issued[0]!.url });
    expect(h.links.issued[0]).toMatchObject({ purpose: 'reconnect', connectionId: connection.id, incidentId: incident.id });
  });

  it('a pause that lands while Xero answers wins: the failed check opens no incident and leaves no lease', async () => {
    const connection = await aConnection(h.store, { tenantName: 'Paused Midway Ltd' });
    h.xero.fail(connection.id, 'token_revoked', { httpStatus: 400, xeroError: 'invalid_grant' });
    h.xero.whileChecking = async (target) => {
      expect(await h.store.connections.transition(target.id, 'connected', 'paused', h.clock.now())).toBe(true);
    };
    const applied = await checkNowAsScheduler(h, connection.id);
    expect(applied.decision).toBe('lease_lost');
    const row = (await h.store.connections.get(connection.id))!;
    expect(row).toMatchObject({ state: 'paused', checkLeaseOwner: null, consecutiveFailures: 0 });
    expect(await h.store.db.incident.count()).toBe(0);
    await h.handlers.runMonitorTick();
    await h.worker.drain();
    expect(h.slack.posts('C-ALERTS')).toHaveLength(0);
  });

  it('a second detection of the open incident changes nothing but the log', async () => {
    const { connection } = await breakOne();
    const before = await h.store.db.outbox.count();
    h.clock.advance(5 * 60_000);
    const applied = await checkNowAsScheduler(h, connection.id);
    await h.handlers.runMonitorTick();
    expect(applied.decision).toBe('redetected');
    expect(await h.store.db.incident.count()).toBe(1);
    expect(await h.store.db.outbox.count()).toBe(before);
  });

  it("logs a click's decisions on the request's own logger, so each line carries the request id", async () => {
    const { connection, incident } = await breakOne();
    const logs = captureLogs('info');
    const value = encodeButtonValue({ incidentId: incident.id, connectionId: connection.id });
    await h.handlers.clickButton(STRANGER, aClick('disconnect', value), { ...slackContext, requestId: 'U0STRANGE:1700.1', log: logs.logger.child({ requestId: 'U0STRANGE:1700.1' }) });
    expect(logs.lines().find((l) => l.msg === 'action refused')).toMatchObject({ requestId: 'U0STRANGE:1700.1', userId: STRANGER.userId, reason: 'not_admin_or_connector' });
  });

  it('refuses a click from a non-admin who did not connect the org, privately, changing nothing', async () => {
    const { connection, incident } = await breakOne();
    const value = encodeButtonValue({ incidentId: incident.id, connectionId: connection.id });
    const result = await h.handlers.clickButton(STRANGER, aClick('disconnect', value), slackContext);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('not_permitted');
    expect(result.error.reply.text).toContain('Connie Connector');
    expect(h.xero.disconnects).toHaveLength(0);
    expect((await h.store.incidents.get(incident.id))!.disconnectedAt).toBeNull();
  });

  it('disconnect, confirm and reconnect each mark their step with who and when, once, even when double clicked', async () => {
    const { connection, incident } = await breakOne();
    const value = encodeButtonValue({ incidentId: incident.id, connectionId: connection.id });
    const [first, second] = await Promise.all([
      h.handlers.clickButton(ADMIN, aClick('disconnect', value), slackContext),
      h.handlers.clickButton(ADMIN, aClick('disconnect', value), slackContext),
    ]);
    expect(first.ok && second.ok).toBe(true);
    expect(h.xero.disconnects).toHaveLength(1);
    expect((await h.store.connections.get(connection.id))!.state).toBe('disconnected');

    h.clock.advance(60_000);
    await h.handlers.clickButton(CONNECTOR, aClick('confirmXero', value), slackContext);
    await h.handlers.clickButton(CONNECTOR, aClick('confirmXero', value), slackContext);
    h.clock.advance(60_000);
    const reconnect = await h.handlers.clickButton(ADMIN, aClick('reconnect', value), slackContext);
    await h.handlers.clickButton(ADMIN, aClick('reconnect', value), slackContext);
    expect(reconnect.ok).toBe(true);
    await h.worker.drain();

    const alert = h.slack.posts('C-ALERTS')[0]!;
    const current = h.slack.current(alert) as AlertView;
    expect(current.steps.disconnectedHere).toMatchObject({ by: { userId: ADMIN.userId }, at: '2026-11-23T08:00:00.000Z' });
    expect(current.steps.confirmedInXero).toMatchObject({ by: { userId: CONNECTOR.userId }, at: '2026-11-23T08:01:00.000Z' });
    expect(current.steps.reconnectRequested).toMatchObject({ by: { userId: ADMIN.userId } });
    expect(current.buttons).toEqual(['reconnect', 'sendLink']);
    expect(current.linksSent.map((l) => l.to.userId).sort()).toEqual([ADMIN.userId, CONNECTOR.userId].sort());
    const replies = h.slack.replies(alert).map((r) => (r.view as { text: string }).text);
    expect(replies).toHaveLength(3);
    expect(replies[0]).toContain('Ada Admin disconnected Demo Company (NZ)');
    // The connector and the admin who clicked each got one link; a double click sent nothing more.
    expect(h.slack.dms(CONNECTOR.userId)).toHaveLength(2);
    expect(h.slack.dms(ADMIN.userId)).toHaveLength(1);
    expect((await h.store.connections.get(connection.id))!.state).toBe('reconnecting');
    const actions = await h.store.db.connectionLog.findMany({ where: { kind: 'action' }, orderBy: { id: 'asc' } });
    expect(actions.map((a) => [a.operation, a.actorId])).toEqual([
      ['disconnect', ADMIN.userId],
      ['confirm_xero', CONNECTOR.userId],
      ['reconnect_link', ADMIN.userId],
    ]);
  });

  it('a reconnect bound by the callback turns the alert green, replies who reconnected and records broken-since as syncFrom', async () => {
    const { connection, incident } = await breakOne();
    h.clock.advance(3 * 3_600_000);
    await h.handlers.onConsentBound({ purpose: 'reconnect', actor: CONNECTOR, connections: [{ id: connection.id, tenantId: connection.tenantId, tenantName: connection.tenantName }], reconnectedConnectionId: connection.id });
    await h.handlers.onConsentBound({ purpose: 'reconnect', actor: CONNECTOR, connections: [{ id: connection.id, tenantId: connection.tenantId, tenantName: connection.tenantName }], reconnectedConnectionId: connection.id });
    await h.worker.drain();
    const alert = h.slack.posts('C-ALERTS')[0]!;
    const current = h.slack.current(alert) as AlertView;
    expect(current.resolved).toMatchObject({ by: { userId: CONNECTOR.userId } });
    expect(current.resolved!.recoveredAfterMs).toBe(3 * 3_600_000 + 5 * 60_000);
    expect(current.buttons).toEqual([]);
    expect(h.slack.replies(alert).map((r) => (r.view as { text: string }).text).join('\n')).toContain('reconnected by Connie Connector');
    const saved = (await h.store.connections.get(connection.id))!;
    expect(saved.state).toBe('connected');
    expect(saved.syncFrom?.toISOString()).toBe(incident.brokenSince.toISOString());
    // The alert edited and one thread reply: no third message ("Connected:") in the channel.
    expect(h.slack.posts('C-ALERTS')).toHaveLength(1);
    expect(h.slack.replies(alert)).toHaveLength(1);
  });
});
