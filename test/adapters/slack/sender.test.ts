// The Slack ChatSender against the fake Slack Web API: where each kind of delivery goes, and how
// every failure Slack gives maps to retry / give up / unreachable user for the outbox.
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackClient, createSlackSender, type SlackSender } from '../../../src/adapters/slack/sender.ts';
import type { Delivery } from '../../../src/handlers/ports.ts';
import type { StatusView, View } from '../../../src/domain/views/model.ts';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack-api.ts';

let slack: FakeSlack;
let sender: SlackSender;

const text = (t: string): View => ({ type: 'text', tone: 'info', text: t, lines: [] });
const delivery = (d: Partial<Delivery> & Pick<Delivery, 'kind' | 'address'>): Delivery => ({ id: `d-${Math.random()}`, view: text('hello'), ...d });

beforeAll(async () => {
  slack = await startFakeSlack();
  sender = createSlackSender({
    client: createSlackClient({ token: 'xoxb-test-token', apiUrl: slack.apiUrl }),
    logger: pino({ level: 'silent' }),
    responseUrlOrigins: [slack.origin],
  });
});
afterAll(() => slack.close());
beforeEach(() => slack.reset());

describe('Slack sender', () => {
  it('posts to a channel with blocks and the bot token, and says where the message landed', async () => {
    const outcome = await sender.deliver(delivery({ kind: 'post', address: { platform: 'slack', channel: 'C0ALERTS1' } }));
    expect(outcome).toEqual({ ok: true, channelId: 'C0ALERTS1', messageId: expect.stringMatching(/^\d+\.\d+$/) });
    const [call] = slack.calls('chat.postMessage');
    expect(call?.token).toBe('xoxb-test-token');
    expect(call?.args).toMatchObject({ channel: 'C0ALERTS1', text: 'hello', blocks: [{ type: 'section' }] });
  });

  it('edits a message in place and replies in its thread', async () => {
    const posted = await sender.deliver(delivery({ kind: 'post', address: { platform: 'slack', channel: 'C1' } }));
    if (!posted.ok) throw new Error('post failed');
    const where = { channelId: posted.channelId, messageId: posted.messageId };
    expect(await sender.deliver(delivery({ kind: 'update', address: { platform: 'slack', channel: 'C1' }, existing: where, view: text('edited') }))).toEqual({ ok: true, ...where });
    const reply = await sender.deliver(delivery({ kind: 'reply', address: { platform: 'slack', channel: 'C1' }, parent: where, view: text('a reply') }));
    expect(reply.ok).toBe(true);
    expect(slack.message('C1', posted.messageId)).toMatchObject({ text: 'edited', edits: 1 });
    expect(slack.replies('C1', posted.messageId).map((m) => m.text)).toEqual(['a reply']);
  });

  it('sends a DM through conversations.open', async () => {
    const outcome = await sender.deliver(delivery({ kind: 'dm', address: { platform: 'slack', user: 'U0ALICE01' } }));
    expect(outcome).toMatchObject({ ok: true, channelId: 'D0ALICE01' });
    expect(slack.calls().map((c) => c.method)).toEqual(['conversations.open', 'chat.postMessage']);
    expect(slack.calls('conversations.open')[0]?.args.users).toBe('U0ALICE01');
  });

  it.each(['cannot_dm_bot', 'user_not_found', 'account_inactive'])('reports %s as an unreachable user, without retrying', async (error) => {
    slack.makeUnreachable('U0GONE001', error);
    const outcome = await sender.deliver(delivery({ kind: 'dm', address: { platform: 'slack', user: 'U0GONE001' } }));
    expect(outcome).toEqual({ ok: false, retry: false, unreachableUser: true, error });
    expect(slack.calls('chat.postMessage')).toHaveLength(0);
  });

  it('turns a 429 into a retry after Retry-After, with one request only', async () => {
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 7 });
    const outcome = await sender.deliver(delivery({ kind: 'post', address: { platform: 'slack', channel: 'C1' } }));
    expect(outcome).toEqual({ ok: false, retry: true, retryAfterMs: 7_000, error: 'rate_limited' });
    expect(slack.calls('chat.postMessage')).toHaveLength(1);
  });

  it.each([
    ['channel_not_found', false],
    ['not_in_channel', false],
    ['invalid_blocks', false],
    ['internal_error', true],
    ['service_unavailable', true],
  ])('maps ok:false %s to retry=%s', async (error, retry) => {
    slack.failNext('chat.postMessage', { error });
    expect(await sender.deliver(delivery({ kind: 'post', address: { platform: 'slack', channel: 'C1' } }))).toEqual({ ok: false, retry, error });
  });

  it('retries when Slack answers a 5xx', async () => {
    slack.failNext('chat.update', { status: 503 });
    const outcome = await sender.deliver(delivery({ kind: 'update', address: { platform: 'slack', channel: 'C1' }, existing: { channelId: 'C1', messageId: '1.2' } }));
    expect(outcome).toMatchObject({ ok: false, retry: true });
  });

  it('answers privately through response_url', async () => {
    const url = slack.responseUrl();
    expect((await sender.deliver(delivery({ kind: 'ephemeral', address: { platform: 'slack', responseUrl: url } }))).ok).toBe(true);
    const [call] = slack.calls('response_url');
    expect(call?.path).toBe(new URL(url).pathname);
    expect(call?.args).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: 'hello', blocks: [{ type: 'section' }] });
  });

  it('refuses a response_url on a host that is not Slack', async () => {
    const outcome = await sender.deliver(delivery({ kind: 'ephemeral', address: { platform: 'slack', responseUrl: 'http://127.0.0.2:9/hooks/x' } }));
    expect(outcome).toMatchObject({ ok: false, retry: false });
  });

  it('gives up on an expired response_url and waits out a rate-limited one', async () => {
    slack.failNext('response_url', { status: 404, body: 'expired_url' });
    expect(await sender.deliver(delivery({ kind: 'ephemeral', address: { platform: 'slack', responseUrl: slack.responseUrl() } }))).toMatchObject({ ok: false, retry: false });
    slack.failNext('response_url', { status: 429, retryAfter: 3 });
    expect(await sender.deliver(delivery({ kind: 'ephemeral', address: { platform: 'slack', responseUrl: slack.responseUrl() } }))).toMatchObject({ ok: false, retry: true, retryAfterMs: 3_000 });
  });

  it('posts an ephemeral message in a channel', async () => {
    const outcome = await sender.deliver(delivery({ kind: 'ephemeral', address: { platform: 'slack', ephemeralIn: 'C1', user: 'U0BOB0001' } }));
    expect(outcome.ok).toBe(true);
    expect(slack.calls('chat.postEphemeral')[0]?.args).toMatchObject({ channel: 'C1', user: 'U0BOB0001' });
  });

  it('publishes the App Home tab', async () => {
    const status: StatusView = { type: 'status', summary: '1 connection', counts: { connected: 1 } as StatusView['counts'], rows: [] };
    expect((await sender.deliver(delivery({ kind: 'home', address: { platform: 'slack', user: 'U0ALICE01' }, view: status }))).ok).toBe(true);
    expect(slack.calls('views.publish')[0]?.args).toMatchObject({ user_id: 'U0ALICE01', view: { type: 'home' } });
  });

  it('sends a long status table as several pages, and a retry sends only the pages still missing', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({
      connectionId: `c${i}`,
      tenantName: `Organisation ${i}`,
      state: 'connected' as const,
      since: '2026-11-01T00:00:00Z',
      connectedBy: { platform: 'slack' as const, userId: 'U0ALICE01' },
    }));
    const view: StatusView = { type: 'status', summary: '300 connections', counts: { connected: 300 } as StatusView['counts'], rows };
    const url = slack.responseUrl();
    slack.failNext('response_url', { status: 429, retryAfter: 1 }, { match: (args) => JSON.stringify(args).includes('page 2 of') });
    const d = delivery({ id: 'status-1', kind: 'ephemeral', address: { platform: 'slack', responseUrl: url }, view });
    expect(await sender.deliver(d)).toMatchObject({ ok: false, retry: true, retryAfterMs: 1_000 });
    expect(await sender.deliver(d)).toMatchObject({ ok: true });
    const delivered = slack.calls('response_url').filter((c) => c.status === 200);
    const pages = delivered.map((c) => /Page (\d+) of (\d+)/.exec(JSON.stringify(c.args))?.[1]);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages).toEqual(pages.map((_, i) => String(i + 1)));
  });

  it('treats an unreachable Slack as a retry', async () => {
    const offline = createSlackSender({ client: createSlackClient({ token: 'xoxb-x', apiUrl: 'http://127.0.0.1:9/api/', timeoutMs: 2_000 }), logger: pino({ level: 'silent' }), responseUrlOrigins: [] });
    expect(await offline.deliver(delivery({ kind: 'post', address: { platform: 'slack', channel: 'C1' } }))).toMatchObject({ ok: false, retry: true });
  });
});

describe('Slack sender after a crash (delivery in doubt)', () => {
  it('finds a posted message by the delivery id in its metadata, and nothing for another delivery', async () => {
    const d = delivery({ id: 'row-42', kind: 'post', address: { platform: 'slack', channel: 'C0ALERTS1' } });
    const posted = await sender.deliver(d);
    if (!posted.ok) throw new Error('post failed');
    expect(slack.calls('chat.postMessage')[0]?.args.metadata).toEqual({ event_type: 'xero_guard_delivery', event_payload: { delivery_id: 'row-42' } });
    expect(await sender.findDelivered({ ...d, inDoubt: true })).toEqual({ channelId: 'C0ALERTS1', messageId: posted.messageId });
    expect(await sender.findDelivered({ ...d, id: 'row-43' })).toBeUndefined();
  });

  it('finds thread replies and DMs too', async () => {
    const parent = await sender.deliver(delivery({ kind: 'post', address: { platform: 'slack', channel: 'C1' } }));
    if (!parent.ok) throw new Error('post failed');
    const reply = delivery({ id: 'reply-1', kind: 'reply', address: { platform: 'slack', channel: 'C1' }, parent: { channelId: 'C1', messageId: parent.messageId } });
    const sent = await sender.deliver(reply);
    expect(await sender.findDelivered(reply)).toEqual({ channelId: 'C1', messageId: sent.ok ? sent.messageId : '' });
    const dm = delivery({ id: 'dm-1', kind: 'dm', address: { platform: 'slack', user: 'U0ALICE01' } });
    const dmSent = await sender.deliver(dm);
    expect(await sender.findDelivered(dm)).toEqual({ channelId: 'D0ALICE01', messageId: dmSent.ok ? dmSent.messageId : '' });
  });

  it('says "not found" when Slack will not tell (missing scope), so the outbox sends again', async () => {
    slack.failNext('conversations.history', { error: 'missing_scope' });
    expect(await sender.findDelivered(delivery({ kind: 'post', address: { platform: 'slack', channel: 'C1' } }))).toBeUndefined();
  });
});
