// The Teams ChatSender as the outbox worker uses it: deliveries in, connector calls and outcomes
// out. Stored references point at the fake Bot Connector, so every call goes there.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Delivery } from '../../../src/handlers/ports.ts';
import type { View } from '../../../src/domain/views/model.ts';
import { checkCard } from '../../../scripts/check-teams.ts';
import { CHANNEL_CONVERSATION, TENANT_ID } from '../../fakes/bot-connector.ts';
import { startTeamsHarness, type TeamsHarness } from './harness.ts';
import { DIALECTS } from '../../support/databases.ts';

const notice: View = { type: 'notice', tone: 'warning', title: 'Xero API unreachable', text: 'Checks fail since 09:00 UTC.', organisations: [] };
const cardOf = (body: any) => body?.attachments?.[0]?.content;

describe.each(DIALECTS)('Teams sender on %s', (dialect) => {
  let h: TeamsHarness;
  let channelTarget: string;

  beforeEach(async () => {
    h = await startTeamsHarness({ dialect });
    const reference = {
      channelId: 'msteams',
      serviceUrl: h.connector.serviceUrl,
      bot: { id: '28:bot-app-id', name: 'Xero Guard' },
      conversation: { id: CHANNEL_CONVERSATION, conversationType: 'channel', tenantId: TENANT_ID, isGroup: true },
    };
    const row = await h.database.db.chatTarget.create({
      data: { platform: 'teams', kind: 'channel', externalId: CHANNEL_CONVERSATION, name: 'alerts', conversationReference: JSON.stringify(reference), isAlertChannel: true },
    });
    channelTarget = row.id;
  });
  afterEach(async () => {
    await h.close();
  });

  const delivery = (over: Partial<Delivery>): Delivery => ({ id: 'd1', kind: 'post', address: { platform: 'teams', targetId: channelTarget }, view: notice, ...over });

  async function storeUser(userId: string, reference: object) {
    await h.database.db.chatTarget.create({ data: { platform: 'teams', kind: 'user', externalId: userId, conversationReference: JSON.stringify(reference) } });
  }

  describe('posting, editing, replying', () => {
    it('posts a card proactively to the stored channel reference', async () => {
      const outcome = await h.surface.sender.deliver(delivery({}));
      const [call] = h.connector.callsOf('sendToConversation');
      expect(call!.conversationId).toBe(CHANNEL_CONVERSATION);
      expect(checkCard(cardOf(call!.body))).toEqual([]);
      expect(call!.body.summary).toContain('Xero API unreachable');
      expect(outcome).toEqual({ ok: true, channelId: CHANNEL_CONVERSATION, messageId: h.connector.activities.keys().next().value });
    });

    it('edits a posted card with updateActivity', async () => {
      const posted = await h.surface.sender.deliver(delivery({}));
      if (!posted.ok) throw new Error('post failed');
      const resolved: View = { ...notice, tone: 'good', title: 'Xero API reachable again' } as View;
      const outcome = await h.surface.sender.deliver(delivery({ id: 'd2', kind: 'update', view: resolved, existing: { channelId: posted.channelId, messageId: posted.messageId } }));
      expect(outcome).toEqual({ ok: true, channelId: CHANNEL_CONVERSATION, messageId: posted.messageId });
      const [update] = h.connector.callsOf('updateActivity');
      expect(update!.path).toBe(`/v3/conversations/${CHANNEL_CONVERSATION}/activities/${posted.messageId}`);
      expect(update!.body.id).toBe(posted.messageId);
      expect(h.connector.activities.get(posted.messageId)!.updates).toBe(1);
      expect(cardOf(h.connector.activities.get(posted.messageId)!.body).body[0].items[0].text).toContain('reachable again');
    });

    it('replies in the thread of a channel message', async () => {
      const posted = await h.surface.sender.deliver(delivery({}));
      if (!posted.ok) throw new Error('post failed');
      const outcome = await h.surface.sender.deliver(delivery({ id: 'd3', kind: 'reply', view: { type: 'text', tone: 'info', text: 'Ann clicked Disconnect.', lines: [] }, parent: { channelId: posted.channelId, messageId: posted.messageId } }));
      expect(outcome.ok).toBe(true);
      const reply = h.connector.callsOf('sendToConversation')[1]!;
      expect(reply.conversationId).toBe(`${CHANNEL_CONVERSATION};messageid=${posted.messageId}`);
      expect(reply.body.replyToId).toBe(posted.messageId);
    });

    it('says plainly when an edit has nothing to edit or the target has no reference', async () => {
      expect(await h.surface.sender.deliver(delivery({ kind: 'update' }))).toMatchObject({ ok: false, retry: false });
      expect(await h.surface.sender.deliver(delivery({ address: { platform: 'teams', targetId: 'nope' } }))).toMatchObject({ ok: false, retry: false });
      expect(await h.surface.sender.deliver(delivery({ kind: 'update', existing: { channelId: CHANNEL_CONVERSATION, messageId: 'gone' } }))).toMatchObject({ ok: false, retry: false, error: 'teams 404 ActivityNotFound' });
    });
  });

  describe('direct messages', () => {
    it('opens a 1:1 with createConversation once, then reuses it', async () => {
      await storeUser('29:bob', { serviceUrl: h.connector.serviceUrl, user: { id: '29:bob', name: 'Bob' }, bot: { id: '28:bot-app-id' }, conversation: { id: '', conversationType: 'personal', tenantId: TENANT_ID } });
      const dm = delivery({ kind: 'dm', address: { platform: 'teams', user: '29:bob' } });
      const first = await h.surface.sender.deliver(dm);
      const second = await h.surface.sender.deliver({ ...dm, id: 'd2' });

      expect(h.connector.callsOf('createConversation')).toHaveLength(1);
      expect(h.connector.callsOf('createConversation')[0]!.body).toMatchObject({ isGroup: false, bot: { id: '28:bot-app-id' }, members: [{ id: '29:bob' }], tenantId: TENANT_ID, channelData: { tenant: { id: TENANT_ID } } });
      const conversation = h.connector.personalConversationId('29:bob');
      expect(first).toMatchObject({ ok: true, channelId: conversation });
      expect(second).toMatchObject({ ok: true, channelId: conversation });
      expect(h.connector.callsOf('sendToConversation').map((c) => c.conversationId)).toEqual([conversation, conversation]);
    });

    it('reaches a user known only by id through the serviceUrl and tenant of the address', async () => {
      const outcome = await h.surface.sender.deliver(delivery({ kind: 'dm', address: { platform: 'teams', user: '29:carol', tenantId: TENANT_ID, serviceUrl: h.connector.serviceUrl } }));
      expect(outcome.ok).toBe(true);
      expect(h.connector.callsOf('createConversation')[0]!.body.members).toEqual([{ id: '29:carol', name: '' }]);
    });

    it('falls back to the alert channel reference for the serviceUrl and tenant', async () => {
      const outcome = await h.surface.sender.deliver(delivery({ kind: 'dm', address: { platform: 'teams', user: '29:dave' } }));
      expect(outcome.ok).toBe(true);
      expect(h.connector.callsOf('createConversation')[0]!.body).toMatchObject({ tenantId: TENANT_ID, members: [{ id: '29:dave' }] });
    });

    it('delivers to a user target (a stored 1:1 reference) addressed by target id', async () => {
      await storeUser('29:erin', { serviceUrl: h.connector.serviceUrl, user: { id: '29:erin' }, conversation: { id: 'a:erin-chat', conversationType: 'personal', tenantId: TENANT_ID } });
      const row = await h.database.db.chatTarget.findFirstOrThrow({ where: { externalId: '29:erin' } });
      const outcome = await h.surface.sender.deliver(delivery({ kind: 'dm', address: { platform: 'teams', targetId: row.id } }));
      expect(outcome).toMatchObject({ ok: true, channelId: 'a:erin-chat' });
      expect(h.connector.callsOf('createConversation')).toHaveLength(0);
    });

    it('finds a user addressed by their Entra object id (how admins are often listed)', async () => {
      await storeUser('29:frank', { serviceUrl: h.connector.serviceUrl, user: { id: '29:frank', aadObjectId: 'aad-frank' }, conversation: { id: 'a:frank-chat', conversationType: 'personal', tenantId: TENANT_ID } });
      const outcome = await h.surface.sender.deliver(delivery({ kind: 'dm', address: { platform: 'teams', user: 'aad-frank' } }));
      expect(outcome).toMatchObject({ ok: true, channelId: 'a:frank-chat' });
      expect(h.connector.callsOf('createConversation')).toHaveLength(0);
    });

    it('reports a user who blocked the bot (403) as unreachable, not to be retried', async () => {
      h.connector.blockUser('29:bob');
      const outcome = await h.surface.sender.deliver(delivery({ kind: 'dm', address: { platform: 'teams', user: '29:bob', tenantId: TENANT_ID, serviceUrl: h.connector.serviceUrl } }));
      expect(outcome).toMatchObject({ ok: false, retry: false, unreachableUser: true });
    });

    it('reports a block on an existing 1:1 the same way', async () => {
      await storeUser('29:bob', { serviceUrl: h.connector.serviceUrl, user: { id: '29:bob' }, conversation: { id: h.connector.personalConversationId('29:bob'), conversationType: 'personal', tenantId: TENANT_ID } });
      h.connector.blockUser('29:bob');
      const outcome = await h.surface.sender.deliver(delivery({ kind: 'dm', address: { platform: 'teams', user: '29:bob' } }));
      expect(outcome).toMatchObject({ ok: false, retry: false, unreachableUser: true });
    });
  });

  describe('throttling and faults', () => {
    it('turns a 429 into a retry after Retry-After, with exactly one call (no hidden SDK retry)', async () => {
      h.connector.fail({ operation: 'sendToConversation', status: 429, retryAfterSeconds: 7 });
      const outcome = await h.surface.sender.deliver(delivery({}));
      expect(outcome).toMatchObject({ ok: false, retry: true, retryAfterMs: 7000 });
      expect(h.connector.callsOf('sendToConversation')).toHaveLength(1);
      // The next attempt (the outbox's) goes through.
      expect((await h.surface.sender.deliver(delivery({}))).ok).toBe(true);
    });

    it.each([412, 502, 503, 504])('retries a %i', async (status) => {
      h.connector.fail({ operation: 'sendToConversation', status });
      const outcome = await h.surface.sender.deliver(delivery({}));
      expect(outcome).toMatchObject({ ok: false, retry: true });
      expect(h.connector.callsOf('sendToConversation')).toHaveLength(1);
    });

    it('retries an update throttled on the way, honouring Retry-After', async () => {
      const posted = await h.surface.sender.deliver(delivery({}));
      if (!posted.ok) throw new Error('post failed');
      h.connector.fail({ operation: 'updateActivity', status: 503, retryAfterSeconds: 2 });
      const outcome = await h.surface.sender.deliver(delivery({ kind: 'update', existing: { channelId: posted.channelId, messageId: posted.messageId } }));
      expect(outcome).toMatchObject({ ok: false, retry: true, retryAfterMs: 2000 });
    });

    it('gives up on a 400 and on a 403 in a channel (the bot was removed)', async () => {
      h.connector.fail({ operation: 'sendToConversation', status: 400 });
      expect(await h.surface.sender.deliver(delivery({}))).toMatchObject({ ok: false, retry: false });
      h.connector.fail({ operation: 'sendToConversation', status: 403 });
      const outcome = await h.surface.sender.deliver(delivery({}));
      expect(outcome).toMatchObject({ ok: false, retry: false });
      expect(outcome.ok === false && outcome.unreachableUser).toBeFalsy();
    });

    it('retries when the connector cannot be reached at all', async () => {
      await h.connector.close();
      const outcome = await h.surface.sender.deliver(delivery({}));
      expect(outcome).toMatchObject({ ok: false, retry: true });
    });
  });
});
