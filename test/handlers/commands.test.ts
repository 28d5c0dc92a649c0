// The /xero language through runCommand: answers, refusals, and what each command changes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorsView, StatusView, TextView } from '../../src/domain/views/model.ts';
import { ADMIN, CONNECTOR, STRANGER, aConnection, anAlertChannel, createMonitorHarness, slackContext, type MonitorHarness } from '../builders/monitor.ts';

describe('/xero commands', () => {
  let h: MonitorHarness;
  beforeEach(async () => {
    h = await createMonitorHarness('sqlite');
  });
  afterEach(async () => h.close());

  const reply = async (actor: typeof ADMIN, text: string, context = slackContext) => {
    const result = await h.handlers.runCommand(actor, text, context);
    return result.ok ? result.value.reply : result.error.reply;
  };

  it('help, and unknown words answered with the list of commands', async () => {
    expect(await reply(STRANGER, 'help')).toMatchObject({ type: 'text', title: 'Xero Guard commands' });
    const unknown = (await reply(STRANGER, 'frobnicate now')) as TextView;
    expect(unknown.text).toContain('I don\'t know "frobnicate"');
    expect(unknown.lines.length).toBeGreaterThan(5);
  });

  it('status lists every connection, worst first', async () => {
    expect(((await reply(STRANGER, 'status')) as TextView).text).toContain('No Xero organisation is connected yet');
    await aConnection(h.store, { tenantName: 'Zeta' });
    await aConnection(h.store, { tenantName: 'Acme', state: 'broken' });
    const status = (await reply(STRANGER, 'status')) as StatusView;
    expect(status.rows.map((r) => [r.tenantName, r.state])).toEqual([
      ['Acme', 'broken'],
      ['Zeta', 'connected'],
    ]);
    expect(status.summary).toBe('2 connections: 1 broken, 1 connected');
  });

  it('names organisations by unique prefix; unknown and ambiguous names get helpful answers', async () => {
    await aConnection(h.store, { tenantName: 'Demo Company (NZ)' });
    await aConnection(h.store, { tenantName: 'Demo Company (UK)' });
    const ambiguous = await h.handlers.runCommand(ADMIN, 'pause demo', slackContext);
    expect(ambiguous.ok).toBe(false);
    if (!ambiguous.ok) expect(ambiguous.error.reply.lines).toEqual(['Demo Company (NZ)', 'Demo Company (UK)']);
    expect(((await reply(ADMIN, 'pause Nope')) as TextView).text).toContain('No organisation matches "Nope". Connected: Demo Company (NZ), Demo Company (UK)');
    expect(((await reply(ADMIN, 'pause')) as TextView).text).toContain('Which organisation?');
    expect(((await reply(ADMIN, 'pause demo company (uk)')) as TextView).text).toContain('Paused Demo Company (UK)');
  });

  it('pause and resume keep the settings, write the actor into the log, and are refused to strangers', async () => {
    const c = await aConnection(h.store, { tenantName: 'Acme' });
    const refused = await h.handlers.runCommand(STRANGER, 'pause Acme', slackContext);
    expect(refused.ok === false && refused.error.code).toBe('not_permitted');
    await reply(CONNECTOR, 'pause Acme');
    await reply(CONNECTOR, 'pause Acme');
    expect((await h.store.connections.get(c.id))!.state).toBe('paused');
    expect(await h.store.connections.findDue(new Date(h.clock.now().getTime() + 3_600_000), 10)).toEqual([]);
    await reply(ADMIN, 'resume Acme');
    expect((await h.store.connections.get(c.id))!.state).toBe('connected');
    const log = await h.store.db.connectionLog.findMany({ where: { kind: 'action' }, orderBy: { id: 'asc' } });
    expect(log.map((l) => [l.operation, l.actorId, l.fromState, l.toState])).toEqual([
      ['pause', CONNECTOR.userId, 'connected', 'paused'],
      ['resume', ADMIN.userId, 'paused', 'connected'],
    ]);
  });

  it('errors lists the last failures, optionally for one organisation and a count', async () => {
    const a = await aConnection(h.store, { tenantName: 'Acme' });
    const b = await aConnection(h.store, { tenantName: 'Bolt' });
    for (let i = 0; i < 3; i += 1) {
      await h.store.connections.log({ connectionId: a.id, kind: 'check', operation: 'organisation', outcome: 'failure', httpStatus: 403, xeroError: 'AuthenticationUnsuccessful', cause: 'access_lost', at: new Date(h.clock.now().getTime() + i) });
    }
    await h.store.connections.log({ connectionId: b.id, kind: 'check', operation: 'refresh', outcome: 'failure', httpStatus: 400, xeroError: 'invalid_grant', cause: 'token_revoked' });
    // Repeats of one reason for one organisation fold into one line with a count and a time span.
    const all = (await reply(STRANGER, 'errors')) as ErrorsView;
    expect(all.rows.map((r) => [r.tenantName, r.reason, r.count])).toEqual([
      ['Bolt', 'Xero refused the authorisation: it expired or was revoked', 1],
      ['Acme', 'Xero refused access to the organisation', 3],
    ]);
    expect(all.rows[1]).toMatchObject({ detail: 'organisation · status 403 · AuthenticationUnsuccessful', from: new Date(h.clock.now().getTime()).toISOString() });
    const two = (await reply(STRANGER, 'errors acme 2')) as ErrorsView;
    expect(two).toMatchObject({ title: 'Last 3 errors for Acme' });
    expect(two.rows[0]).toMatchObject({ tenantName: 'Acme', operation: 'organisation', httpStatus: 403, xeroError: 'AuthenticationUnsuccessful', cause: 'access_lost', count: 3 });
  });

  it('here makes this channel the alert channel (admins only); Teams keeps the conversation reference', async () => {
    const refused = await h.handlers.runCommand(STRANGER, 'here', slackContext);
    expect(refused.ok).toBe(false);
    await reply(ADMIN, 'here', { ...slackContext, channelId: 'C-NEW' });
    expect((await h.store.targets.alertChannels()).map((t) => t.externalId)).toEqual(['C-NEW']);
    const teamsAdmin = { platform: 'teams' as const, userId: '29:admin' };
    (h.deps.admins.teams as string[]).push('29:admin');
    const reference = JSON.stringify({ serviceUrl: 'https://smba.example/', conversation: { id: '19:abc@thread.tacv2', tenantId: 't1' } });
    await h.handlers.runCommand(teamsAdmin, 'here', { platform: 'teams', channelId: '19:abc@thread.tacv2', conversationReference: reference });
    const channels = await h.store.targets.alertChannels();
    expect(channels.map((t) => [t.platform, t.externalId])).toEqual([
      ['slack', 'C-NEW'],
      ['teams', '19:abc@thread.tacv2'],
    ]);
    expect(channels[1]!.conversationReference).toBe(reference);
  });

  it('connect gives an admin a single-use link, privately; others are refused', async () => {
    const result = await h.handlers.runCommand(ADMIN, 'connect', slackContext);
    expect(result.ok && result.value.reply).toMatchObject({ type: 'link', purpose: 'connect', url: h.links.issued[0]!.url });
    const refused = await h.handlers.runCommand(STRANGER, 'connect', slackContext);
    expect(refused.ok === false && refused.error.code).toBe('not_permitted');
    expect(h.links.issued).toHaveLength(1);
  });

  it('check runs one check at once, and a break it finds is alerted right away', async () => {
    await anAlertChannel(h.store);
    const c = await aConnection(h.store, { tenantName: 'Acme', nextCheckAt: new Date(h.clock.now().getTime() + 240_000) });
    h.xero.fail(c.id, 'app_disconnected_in_xero');
    const text = ((await reply(STRANGER, 'check acme')) as TextView).text;
    expect(text).toContain('Someone removed the app under Connected Apps in Xero');
    expect(h.xero.checks).toEqual([c.id]);
    await h.worker.drain();
    expect(h.slack.posts('C-ALERTS')).toHaveLength(1);
  });

  it('disconnect by command without an alert removes the connection and records who did it', async () => {
    const c = await aConnection(h.store, { tenantName: 'Acme' });
    const result = await h.handlers.runCommand(ADMIN, 'disconnect Acme', slackContext);
    expect(result.ok && (result.value.reply as TextView).text).toContain('Disconnected Acme');
    expect(((await reply(ADMIN, 'disconnect Acme')) as TextView).text).toContain('already disconnected');
    expect(h.xero.disconnects).toEqual([{ connectionId: c.id, actor: ADMIN }]);
    expect((await h.store.connections.get(c.id))!.state).toBe('disconnected');
  });
});
