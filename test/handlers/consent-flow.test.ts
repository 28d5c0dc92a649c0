// What the chat side does around a consent, on Slack and Teams alike, through the handlers on a
// real database with the real outbox worker: a reconnect stays quiet (edit + one reply), a connect
// with no alert channel says so, a fresh link reaches the same person, a refusal reaches the admins,
// and the reconnect dedupe never blocks a person whose earlier link no longer works.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeButtonValue } from '../../src/domain/actions.ts';
import type { ChatActor } from '../../src/domain/permissions.ts';
import type { TextView } from '../../src/domain/views/model.ts';
import { aConnection, anAlertChannel, checkNowAsScheduler, createMonitorHarness, slackContext, type MonitorHarness } from '../builders/monitor.ts';
import { aClick } from '../builders/click.ts';

const PEOPLE = {
  slack: { connector: { platform: 'slack', userId: 'U_CONNIE', name: 'Connie Connector' }, admin: { platform: 'slack', userId: 'U_ADMIN', name: 'Ada Admin' } },
  teams: { connector: { platform: 'teams', userId: '29:connie', name: 'Connie Connector' }, admin: { platform: 'teams', userId: '29:admin', name: 'Ada Admin' } },
} satisfies Record<string, Record<string, ChatActor>>;

describe.each(['slack', 'teams'] as const)('consent in chat (%s)', (platform) => {
  let h: MonitorHarness;
  const { connector, admin } = PEOPLE[platform];
  const notifier = () => (platform === 'slack' ? h.slack : h.teams);
  const context = platform === 'slack' ? slackContext : { platform: 'teams' as const, channelId: '19:alerts@thread.tacv2' };

  beforeEach(async () => {
    h = await createMonitorHarness('sqlite', { admins: { slack: platform === 'slack' ? [admin.userId] : [], teams: platform === 'teams' ? [admin.userId] : [] } });
  });
  afterEach(async () => h.close());

  async function breakOne(name: string) {
    const connection = await aConnection(h.store, { tenantName: name, connectedBy: connector });
    h.xero.fail(connection.id, 'token_revoked', { httpStatus: 400, xeroError: 'invalid_grant' });
    await checkNowAsScheduler(h, connection.id);
    await h.handlers.runMonitorTick();
    await h.worker.drain();
    return { connection, incident: (await h.store.incidents.findOpen(connection.id))! };
  }

  const textOf = (m: { view: unknown }) => (m.view as TextView).text;

  it('a reconnect edits the alert and adds one thread reply, nothing more', async () => {
    await anAlertChannel(h.store, platform);
    const { connection } = await breakOne('Demo Company (NZ)');
    const before = notifier().messages.length;
    await h.handlers.onConsentBound({ purpose: 'reconnect', actor: connector, connections: [{ id: connection.id, tenantId: connection.tenantId, tenantName: connection.tenantName }] });
    await h.worker.drain();
    const after = notifier().messages.slice(before);
    expect(after.map((m) => m.kind).sort()).toEqual(['reply']);
    const alert = notifier().posts()[0]!;
    expect(notifier().current(alert)).toMatchObject({ type: 'alert', resolved: expect.anything() });
  });

  it('connecting before any alert channel is chosen: the person and the first admin are told how to choose one', async () => {
    const connection = await aConnection(h.store, { tenantName: 'Fresh Ltd', connectedBy: connector });
    await h.handlers.onConsentBound({ purpose: 'connect', actor: connector, connections: [{ id: connection.id, tenantId: connection.tenantId, tenantName: 'Fresh Ltd', created: true }], consentId: 'c1' });
    await h.handlers.onConsentBound({ purpose: 'connect', actor: connector, connections: [{ id: connection.id, tenantId: connection.tenantId, tenantName: 'Fresh Ltd', created: true }], consentId: 'c1' });
    await h.worker.drain();
    expect(notifier().posts()).toHaveLength(0);
    const toConnector = notifier().dms(connector.userId);
    expect(toConnector).toHaveLength(1);
    expect(textOf(toConnector[0]!)).toContain('no alert channel is chosen yet');
    expect(textOf(toConnector[0]!)).toContain(platform === 'slack' ? '/xero here' : '@Xero Guard here');
    const toAdmin = notifier().dms(admin.userId);
    expect(toAdmin).toHaveLength(1);
    expect(textOf(toAdmin[0]!)).toContain('Connie Connector connected Fresh Ltd');
  });

  it('a fresh link goes by direct message to the same person, for the same organisations', async () => {
    await anAlertChannel(h.store, platform);
    const a = await aConnection(h.store, { tenantName: 'Alpha', connectedBy: connector });
    const b = await aConnection(h.store, { tenantName: 'Bravo', connectedBy: connector });
    expect(await h.handlers.sendFreshLink({ purpose: 'reconnect', actor: connector, connectionIds: [a.id, b.id, 'gone'] })).toEqual({ ok: true });
    await h.worker.drain();
    const dm = notifier().dms(connector.userId);
    expect(dm).toHaveLength(1);
    expect(dm[0]!.view).toMatchObject({ type: 'link', purpose: 'reconnect', url: h.links.issued.at(-1)!.url });
    expect((dm[0]!.view as { text: string }).text).toContain('Alpha, Bravo');
    expect(h.links.issued.at(-1)).toMatchObject({ actor: connector, connectionId: a.id, connectionIds: [b.id] });
    expect(await h.handlers.sendFreshLink({ purpose: 'reconnect', actor: connector, connectionIds: ['gone'] })).toEqual({ ok: false });
  });

  it('Xero refusing a consent reaches the person and the admins in plain words', async () => {
    await h.handlers.onConsentRefused({ purpose: 'connect', actor: connector, reason: 'connection_cap', tenantNames: [], attemptId: 'a1', at: h.clock.now() });
    await h.handlers.onConsentRefused({ purpose: 'connect', actor: connector, reason: 'connection_cap', tenantNames: [], attemptId: 'a1', at: h.clock.now() });
    await h.worker.drain();
    for (const person of [connector, admin]) {
      const dms = notifier().dms(person.userId);
      expect(dms).toHaveLength(1);
      expect(dms[0]!.view).toMatchObject({ title: 'Xero would not add the organisation' });
      expect(textOf(dms[0]!)).toContain('pricing tier');
      expect(textOf(dms[0]!)).not.toMatch(/access_denied|connection_cap|\b4\d\d\b/);
    }
  });

  it('asking again within a minute sends a new link when the earlier one no longer works', async () => {
    await anAlertChannel(h.store, platform);
    const { connection, incident } = await breakOne('Demo Company (NZ)');
    const value = encodeButtonValue({ incidentId: incident.id, connectionId: connection.id });
    expect((await h.handlers.clickButton(connector, aClick('reconnect', value), context)).ok).toBe(true);
    h.clock.advance(10_000);
    const again = await h.handlers.clickButton(connector, aClick('reconnect', value), context);
    expect(again.ok && (again.value.reply as TextView).text).toContain('Already done');
    const issued = h.links.issued.length;
    // The link from the first click was used (or expired): no "Already done" for this person.
    for (const link of h.links.issued) h.links.dead.add(link.url);
    h.clock.advance(10_000);
    const third = await h.handlers.clickButton(connector, aClick('reconnect', value), context);
    expect(third.ok && (third.value.reply as TextView).text).not.toContain('Already done');
    expect(h.links.issued.length).toBe(issued + 1);
  });
});
