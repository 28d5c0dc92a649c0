// Crashes around webhook delivery. The event commits with the state change or not at all; a
// process that dies after the change and before any delivery loses nothing; a worker stopped after
// each step of each event (no clean-up, its lease left behind) is followed by a new one: every event
// arrives, in order, and the only repeat is the one in flight at the crash, with the same webhook-id.
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookWorker, routingOf, WEBHOOK_LEASE_MS, type WebhookEndpointSettings, type WebhookStep } from '../../../src/adapters/events/worker.ts';
import { ADMIN, aConnection, createMonitorHarness, silentLog, slackContext, type MonitorHarness } from '../../builders/monitor.ts';
import { aWebhookSecret, WebhookReceiver } from '../../fakes/webhook-receiver.ts';

class Crash extends Error {}

const secret = aWebhookSecret();
const STEPS: WebhookStep[] = ['claimed', 'sent', 'recorded'];

describe('webhook events across crashes', () => {
  let h: MonitorHarness;
  let receiver: WebhookReceiver;
  const endpoint = (): WebhookEndpointSettings => ({ name: 'host-app', url: receiver.url, secrets: [secret] });

  async function setUp() {
    h = await createMonitorHarness('sqlite', { events: routingOf([{ name: 'host-app', url: 'http://unused', secrets: [secret] }]) });
    receiver = await WebhookReceiver.start([secret], () => h.clock.now());
  }

  afterEach(async () => {
    await receiver?.close();
    await h?.close();
  });

  const worker = (owner: string, afterStep?: (step: WebhookStep) => void) =>
    createWebhookWorker({ deliveries: h.store.eventDeliveries, events: h.store.events, endpoints: [endpoint()], clock: h.clock, log: silentLog, retryForMs: 86_400_000, timeoutMs: 5_000, owner, concurrency: 1, ...(afterStep ? { afterStep } : {}) });

  it('a change that does not commit writes no event; one that commits keeps its event through a crash before any delivery', async () => {
    await setUp();
    const c = await aConnection(h.store, { tenantName: 'Crashy Ltd' });
    await expect(
      h.store.transaction(async (tx) => {
        await tx.connections.transition(c.id, 'connected', 'paused', h.clock.now());
        await tx.events.emit({ type: 'connection.paused', connectionId: c.id, previousState: 'connected', at: h.clock.now() });
        throw new Crash('the process died before the commit');
      }),
    ).rejects.toThrow(Crash);
    expect((await h.store.connections.get(c.id))!.state).toBe('connected');
    expect(await h.store.db.event.count()).toBe(0);

    // Committed, then the process is gone before any worker ran: a new process delivers it.
    expect((await h.handlers.runCommand(ADMIN, 'pause crashy', slackContext)).ok).toBe(true);
    expect(receiver.requests).toHaveLength(0);
    await worker('next-life').drain();
    expect(receiver.accepted.map((e) => [e.type, e.data.connectionId, e.data.sequence])).toEqual([['connection.paused', c.id, 1]]);
  });

  const cases = STEPS.flatMap((step) => [0, 1, 2].map((event) => ({ step, event })));

  it.each(cases)('stopped after "$step" of event $event: the next worker delivers every event in order', async ({ step, event }) => {
    await setUp();
    const c = await aConnection(h.store, { tenantName: 'Crashy Ltd' });
    for (const text of ['pause crashy', 'resume crashy', 'pause crashy']) {
      expect((await h.handlers.runCommand(ADMIN, text, slackContext)).ok).toBe(true);
      h.clock.advance(1_000);
    }
    let seen = 0;
    let dead = false;
    const first = worker('first-life', (s) => {
      if (dead) throw new Crash('process is gone');
      if (s !== step) return;
      if (seen === event) {
        dead = true;
        throw new Crash(`stopped after ${s}`);
      }
      seen += 1;
    });
    for (let i = 0; i < 5 && !dead; i += 1) await first.runOnce().catch((error: unknown) => expect(error).toBeInstanceOf(Crash));
    expect(dead).toBe(true);

    // A new process, once the dead one's lease has run out.
    h.clock.advance(WEBHOOK_LEASE_MS + 1_000);
    await worker('second-life').drain();

    expect(receiver.unique().map((e) => [e.type, e.data.sequence])).toEqual([
      ['connection.paused', 1],
      ['connection.resumed', 2],
      ['connection.paused', 3],
    ]);
    expect(receiver.unique().every((e) => e.data.connectionId === c.id)).toBe(true);
    // Arrival order, repeats included, never goes back.
    const arrivals = receiver.accepted.map((e) => e.data.sequence);
    for (let i = 1; i < arrivals.length; i += 1) expect(arrivals[i]!).toBeGreaterThanOrEqual(arrivals[i - 1]!);
    const repeats = receiver.accepted.length - receiver.unique().length;
    expect(repeats).toBe(step === 'sent' ? 1 : 0);
    expect(await h.store.db.eventDelivery.count({ where: { status: { not: 'sent' } } })).toBe(0);
  });
});
