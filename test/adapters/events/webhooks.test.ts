// Webhooks for the host app, from the state change to a real HTTP receiver on 127.0.0.1 that checks
// every signature with its own HMAC: every event of a connection's life, in order, naming the
// organisation and the incident; an endpoint down for a while; Retry-After; giving up after the
// retry window, and the dead endpoint in /xero status (admins only) and /metrics.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../support/databases.ts';
import { createWebhookWorker, routingOf, type WebhookEndpointSettings } from '../../../src/adapters/events/worker.ts';
import { createMetrics } from '../../../src/adapters/observability/metrics.ts';
import { CAUSE_WORDING } from '../../../src/domain/views/wording.ts';
import type { StatusView } from '../../../src/domain/views/model.ts';
import { renderStatusPages } from '../../../src/adapters/slack/render-status.ts';
import { statusCard } from '../../../src/adapters/teams/cards/lists.ts';
import { ADMIN, STRANGER, aConnection, anAlertChannel, checkNowAsScheduler, createMonitorHarness, silentLog, slackContext, type MonitorHarness } from '../../builders/monitor.ts';
import { aWebhookSecret, WebhookReceiver } from '../../fakes/webhook-receiver.ts';

const DAY = 86_400_000;

describe.each(DIALECTS)('webhooks to a real receiver (%s)', (dialect) => {
  let h: MonitorHarness;
  let receiver: WebhookReceiver;
  const secret = aWebhookSecret();
  const oldSecret = aWebhookSecret();

  async function setUp(endpointSecrets: string[], receiverSecrets: string[], extra: Partial<WebhookEndpointSettings> = {}) {
    const endpoint = (): WebhookEndpointSettings => ({ name: 'host-app', url: receiver.url, secrets: endpointSecrets, ...extra });
    h = await createMonitorHarness(dialect, { events: routingOf([{ name: 'host-app', url: 'http://unused', secrets: endpointSecrets, ...extra }]) });
    await anAlertChannel(h.store, 'slack');
    receiver = await WebhookReceiver.start(receiverSecrets, () => h.clock.now());
    const metrics = createMetrics();
    const webhooks = createWebhookWorker({ deliveries: h.store.eventDeliveries, events: h.store.events, endpoints: [endpoint()], clock: h.clock, log: silentLog, retryForMs: DAY, timeoutMs: 5_000, random: () => 0.5, metrics });
    return { webhooks, metrics };
  }

  afterEach(async () => {
    await receiver?.close();
    await h?.close();
  });

  /** Runs the worker as time passes, `steps` times `stepMs`. */
  async function run(webhooks: ReturnType<typeof createWebhookWorker>, steps: number, stepMs: number) {
    for (let i = 0; i < steps; i += 1) {
      await webhooks.drain();
      h.clock.advance(stepMs);
    }
    await webhooks.drain();
  }

  const command = (text: string) => h.handlers.runCommand(ADMIN, text, slackContext);

  it('every change of a connection reaches the receiver once, signed, in order, naming the organisation and the incident', async () => {
    const { webhooks } = await setUp([secret], [secret]);
    const c = await aConnection(h.store, { tenantName: 'Demo Company (NZ)' });
    const lastGood = (await h.store.connections.get(c.id))!.lastGoodCheckAt!;

    h.xero.fail(c.id, 'xero_unavailable', { httpStatus: 503 });
    await checkNowAsScheduler(h, c.id); // degraded
    h.clock.advance(60_000);
    h.xero.heal(c.id);
    await checkNowAsScheduler(h, c.id); // connected again
    h.clock.advance(60_000);
    const brokenAfterGood = (await h.store.connections.get(c.id))!.lastGoodCheckAt!;
    h.xero.fail(c.id, 'token_revoked', { httpStatus: 400, xeroError: 'invalid_grant' });
    await checkNowAsScheduler(h, c.id); // broken
    const incident = (await h.store.incidents.findOpen(c.id))!;
    h.clock.advance(60_000);
    expect((await command('pause demo')).ok).toBe(true);
    h.clock.advance(60_000);
    expect((await command('resume demo')).ok).toBe(true);
    h.clock.advance(10 * 60_000);
    h.xero.heal(c.id);
    await checkNowAsScheduler(h, c.id); // restored
    const restoredAt = h.clock.now();
    h.clock.advance(60_000);
    expect((await command('disconnect demo')).ok).toBe(true);

    await webhooks.drain();
    expect(receiver.requests.every((r) => r.status === 204)).toBe(true);
    expect(receiver.accepted.map((e) => e.type)).toEqual([
      'connection.degraded',
      'connection.connected',
      'connection.broken',
      'connection.paused',
      'connection.resumed',
      'connection.restored',
      'connection.disconnected',
    ]);
    expect(receiver.accepted.map((e) => e.data.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(receiver.accepted.map((e) => e.id)).size).toBe(7);
    for (const event of receiver.accepted) {
      expect(event.data.organisation).toEqual({ tenantId: c.tenantId, name: 'Demo Company (NZ)' });
      expect(event.data.connectionId).toBe(c.id);
      expect(event.body).toMatchObject({ timestamp: expect.any(String) });
    }
    const [degraded, connected, broken, paused, resumed, restored, disconnected] = receiver.accepted;
    expect(degraded!.data).toMatchObject({ state: 'degraded', previousState: 'connected', incident: null, cause: { code: 'xero_unavailable' } });
    expect(connected!.data).toMatchObject({ state: 'connected', previousState: 'degraded', cause: null });
    expect(broken!.data).toMatchObject({
      state: 'broken',
      previousState: 'connected',
      cause: { code: 'token_revoked', summary: CAUSE_WORDING.token_revoked.headline, description: CAUSE_WORDING.token_revoked.explanation },
      brokenSince: brokenAfterGood.toISOString(),
      incident: { id: incident.id, status: 'open', brokenSince: brokenAfterGood.toISOString(), cause: { code: 'token_revoked' } },
    });
    expect(brokenAfterGood.getTime()).toBeGreaterThan(lastGood.getTime());
    expect(paused!.data).toMatchObject({ state: 'paused', previousState: 'broken', actor: { platform: 'slack', userId: ADMIN.userId, name: ADMIN.name }, incident: { id: incident.id } });
    expect(resumed!.data).toMatchObject({ state: 'broken', previousState: 'paused', incident: { id: incident.id } });
    expect(restored!.data).toMatchObject({
      state: 'connected',
      previousState: 'broken',
      syncFrom: brokenAfterGood.toISOString(),
      recoveredAfterSeconds: Math.round((restoredAt.getTime() - brokenAfterGood.getTime()) / 1000),
      reconnectedBy: null,
      incident: { id: incident.id, status: 'resolved', resolvedAt: restoredAt.toISOString() },
    });
    expect(disconnected!.data).toMatchObject({ state: 'disconnected', previousState: 'connected', actor: { userId: ADMIN.userId } });
    // Delivered means done: nothing is sent twice.
    await run(webhooks, 3, 60_000);
    expect(receiver.accepted).toHaveLength(7);
  });

  it('rotation: every secret signs, the first first, so a receiver still on the old secret verifies', async () => {
    const { webhooks } = await setUp([secret, oldSecret], [oldSecret]);
    const c = await aConnection(h.store, { tenantName: 'Rotating Ltd' });
    expect((await command('pause rotating')).ok).toBe(true);
    await webhooks.drain();
    expect(receiver.accepted.map((e) => [e.type, e.verifiedWith])).toEqual([['connection.paused', 0]]);
    expect(receiver.accepted[0]!.data.connectionId).toBe(c.id);
  });

  it('a signature made with another secret is refused by the receiver: its check can fail', async () => {
    const { webhooks } = await setUp([aWebhookSecret()], [secret]);
    await aConnection(h.store, { tenantName: 'Wrong Key Ltd' });
    expect((await command('pause wrong')).ok).toBe(true);
    await webhooks.drain();
    expect(receiver.accepted).toHaveLength(0);
    expect(receiver.requests[0]).toMatchObject({ status: 401, reason: 'no matching signature' });
  });

  it('a receiver down for a while then gets every event, each connection in order, the next one never before the one before it', async () => {
    const { webhooks } = await setUp([secret], [secret]);
    const a = await aConnection(h.store, { tenantName: 'Alpha Ltd' });
    const b = await aConnection(h.store, { tenantName: 'Bravo Ltd' });
    let down = true;
    receiver.answer = () => (down ? { status: 503 } : null);
    for (const name of ['alpha', 'bravo', 'alpha', 'bravo', 'alpha']) {
      const text = (await h.store.connections.list()).find((c) => c.tenantName.toLowerCase().startsWith(name))!.state === 'paused' ? `resume ${name}` : `pause ${name}`;
      expect((await command(text)).ok).toBe(true);
      h.clock.advance(1_000);
    }
    // Two hours of outage: retried with growing gaps, only ever the first event of each connection.
    await run(webhooks, 24, 5 * 60_000);
    expect(receiver.accepted).toHaveLength(0);
    const firstOf = async (id: string) => (await h.store.db.event.findFirst({ where: { connectionId: id, seq: 1 } }))!.id;
    expect(new Set(receiver.requests.map((r) => r.id))).toEqual(new Set([await firstOf(a.id), await firstOf(b.id)]));
    const attempts = receiver.requests.filter((r) => r.id === receiver.requests[0]!.id).length;
    expect(attempts).toBeGreaterThan(3);
    expect(attempts).toBeLessThan(24); // backoff: far fewer attempts than passes

    down = false;
    await run(webhooks, 24, 5 * 60_000);
    expect(receiver.typesFor(a.id)).toEqual(['connection.paused', 'connection.resumed', 'connection.paused']);
    expect(receiver.typesFor(b.id)).toEqual(['connection.paused', 'connection.resumed']);
    for (const id of [a.id, b.id]) {
      const sequences = receiver.accepted.filter((e) => e.data.connectionId === id).map((e) => e.data.sequence);
      expect(sequences).toEqual([...sequences].sort((x, y) => x - y));
    }
  });

  it('honours Retry-After: the endpoint is left alone as long as it asked', async () => {
    const { webhooks } = await setUp([secret], [secret]);
    await aConnection(h.store, { tenantName: 'Patient Ltd' });
    let asked = false;
    receiver.answer = () => {
      if (asked) return null;
      asked = true;
      return { status: 429, headers: { 'Retry-After': '600' } };
    };
    expect((await command('pause patient')).ok).toBe(true);
    await webhooks.drain();
    expect(receiver.requests).toHaveLength(1);
    h.clock.advance(599_000);
    await webhooks.drain();
    expect(receiver.requests).toHaveLength(1);
    h.clock.advance(2_000);
    await webhooks.drain();
    expect(receiver.accepted.map((e) => e.type)).toEqual(['connection.paused']);
  });

  it('after the retry window an event is given up, the next one goes, and admins see the dead endpoint in status and /metrics', async () => {
    const { webhooks, metrics } = await setUp([secret], [secret]);
    await aConnection(h.store, { tenantName: 'Gone Ltd' });
    receiver.answer = () => ({ status: 500 });
    expect((await command('pause gone')).ok).toBe(true);
    await run(webhooks, 4, 60_000);
    const failing = await h.handlers.runCommand(ADMIN, 'status', slackContext);
    expect(failing.ok && (failing.value.reply as StatusView).operatorNotes).toEqual([expect.stringContaining('"host-app" has not accepted events for')]);

    expect((await command('resume gone')).ok).toBe(true);
    await run(webhooks, 30, 3_600_000);
    expect(await h.store.db.eventDelivery.count({ where: { status: 'dead' } })).toBe(2);
    const admin = await h.handlers.runCommand(ADMIN, 'status', slackContext);
    const stranger = await h.handlers.runCommand(STRANGER, 'status', slackContext);
    if (!admin.ok || !stranger.ok) throw new Error('status failed');
    const view = admin.value.reply as StatusView;
    expect(view.operatorNotes).toEqual([expect.stringContaining('"host-app" did not accept events for too long: 2 events were given up')]);
    expect((stranger.value.reply as StatusView).operatorNotes).toBeUndefined();
    // The same words on both platforms.
    expect(JSON.stringify(renderStatusPages(view)[0]!.blocks)).toContain('did not accept events for too long');
    expect(JSON.stringify(statusCard(view))).toContain('did not accept events for too long');
    h.clock.advance(20_000);
    await webhooks.runOnce();
    const text = await metrics.registry.metrics();
    expect(text).toContain('xero_guard_webhook_endpoint_up{endpoint="host-app"} 0');
    expect(text).toMatch(/xero_guard_webhook_deliveries_total\{endpoint="host-app",outcome="dead"\} 2/);

    // It comes back: the next event goes through and the endpoint is up again.
    receiver.answer = null;
    expect((await command('pause gone')).ok).toBe(true);
    await webhooks.drain();
    expect(receiver.accepted.map((e) => [e.type, e.data.sequence])).toEqual([['connection.paused', 3]]);
    h.clock.advance(20_000);
    await webhooks.runOnce();
    expect(await metrics.registry.metrics()).toContain('xero_guard_webhook_endpoint_up{endpoint="host-app"} 1');
    const after = await h.handlers.runCommand(ADMIN, 'status', slackContext);
    expect(after.ok && (after.value.reply as StatusView).operatorNotes).toBeUndefined();
  });

  it('an endpoint takes only the events it asked for', async () => {
    const { webhooks } = await setUp([secret], [secret], { events: ['connection.resumed'] });
    await aConnection(h.store, { tenantName: 'Picky Ltd' });
    expect((await command('pause picky')).ok).toBe(true);
    expect((await command('resume picky')).ok).toBe(true);
    await webhooks.drain();
    expect(receiver.accepted.map((e) => [e.type, e.data.sequence])).toEqual([['connection.resumed', 1]]);
  });
});

describe('without endpoints', () => {
  let h: MonitorHarness;
  beforeEach(async () => {
    h = await createMonitorHarness('sqlite');
  });
  afterEach(async () => h.close());

  it('records no event at all', async () => {
    await aConnection(h.store, { tenantName: 'Quiet Ltd' });
    expect((await h.handlers.runCommand(ADMIN, 'pause quiet', slackContext)).ok).toBe(true);
    expect(await h.store.db.event.count()).toBe(0);
  });
});
