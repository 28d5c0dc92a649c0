// The Teams ChatSender: the outbox worker hands it one delivery at a time. Posts go proactively to
// a stored conversation reference, edits are updateActivity, thread replies go to the channel
// thread, direct messages reuse or open (createConversation) the user's 1:1 chat. Every call goes
// to the reference's serviceUrl. Failures come back as outcomes (retry with Retry-After, or not).
import type { Activity, ConversationParameters } from 'botbuilder';
import type { Logger } from 'pino';
import type { ChatSender, Delivery, DeliveryOutcome } from '../../handlers/ports.ts';
import { viewActivity } from './cards/render.ts';
import { failureOutcome, type ConnectorClients } from './connector.ts';
import { baseConversationId, isChannelConversation, isPersonalConversation, type StoredReference, type TeamsReferences } from './references.ts';

export type TeamsSenderDeps = {
  clients: ConnectorClients;
  references: TeamsReferences;
  /** The bot's app id: the `bot` member of new 1:1 chats is `28:<appId>` when no reference names it. */
  botAppId: string;
  logger: Logger;
};

type Failure = Extract<DeliveryOutcome, { ok: false }>;
const permanent = (error: string): Failure => ({ ok: false, retry: false, error });

/** Where a delivery goes, once its address is resolved against the stored references. */
type Destination =
  | { kind: 'conversation'; reference: StoredReference & { serviceUrl: string; conversation: { id: string } } }
  | { kind: 'user'; userId: string; reference: StoredReference; serviceUrl: string; tenantId?: string };

export type TeamsSender = ChatSender & {
  /** Sends a prepared activity where a delivery would go. */
  sendActivity(delivery: Delivery, activity: Partial<Activity>): Promise<DeliveryOutcome>;
  /** Answers an inbound activity in its own conversation: in a channel, in its thread. */
  answer(inbound: Partial<Activity>, outgoing: Partial<Activity>): Promise<DeliveryOutcome>;
};

export function createTeamsSender(deps: TeamsSenderDeps): TeamsSender {
  const log = deps.logger.child({ platform: 'teams' });

  async function resolve(delivery: Delivery): Promise<Destination | Failure> {
    const address = delivery.address;
    if (address.platform !== 'teams') return permanent('not a teams address');
    if ('targetId' in address) {
      const target = await deps.references.target(address.targetId);
      if (!target) return permanent(`no teams conversation reference for target ${address.targetId}`);
      if (target.kind === 'user') return userDestination(target.externalId, target.reference);
      const { serviceUrl, conversation } = target.reference;
      if (!serviceUrl || !conversation?.id) return permanent(`target ${address.targetId} has an incomplete reference`);
      return { kind: 'conversation', reference: { ...target.reference, serviceUrl, conversation } };
    }
    const stored = await deps.references.user(address.user);
    const fallback = stored ? undefined : await deps.references.anyReference();
    const reference: StoredReference = stored?.reference ?? {
      user: { id: address.user, name: '' },
      channelId: 'msteams',
      serviceUrl: address.serviceUrl ?? fallback?.serviceUrl,
      bot: fallback?.bot,
      conversation: { id: '', isGroup: false, conversationType: 'personal', tenantId: address.tenantId ?? fallback?.conversation?.tenantId, name: '' },
    };
    return userDestination(stored?.externalId ?? address.user, reference, address.serviceUrl, address.tenantId);
  }

  function userDestination(userId: string, reference: StoredReference, serviceUrl?: string, tenantId?: string): Destination | Failure {
    const url = reference.serviceUrl ?? serviceUrl;
    if (!url) return permanent(`no serviceUrl known to reach teams user ${userId}`);
    return { kind: 'user', userId, reference, serviceUrl: url, tenantId: reference.conversation?.tenantId ?? tenantId };
  }

  /** The user's 1:1 conversation id: stored, or opened now with createConversation and stored. */
  async function personalConversation(destination: Extract<Destination, { kind: 'user' }>): Promise<string> {
    if (isPersonalConversation(destination.reference)) return destination.reference.conversation!.id;
    const client = await deps.clients.forServiceUrl(destination.serviceUrl);
    const memberId = destination.reference.user?.id ?? destination.userId;
    // The minimal 1:1 request Teams accepts: one member by 29: id, the tenant, the bot. No topic
    // and no first activity (the message follows with sendToConversation, like every other send).
    const parameters = {
      isGroup: false,
      bot: destination.reference.bot ?? { id: `28:${deps.botAppId}`, name: '' },
      members: [{ id: memberId, name: destination.reference.user?.name ?? '' }],
      tenantId: destination.tenantId ?? '',
      channelData: destination.tenantId ? { tenant: { id: destination.tenantId } } : {},
    } as ConversationParameters;
    const created = await client.conversations.createConversation(parameters);
    const reference: StoredReference = {
      ...destination.reference,
      serviceUrl: destination.serviceUrl,
      channelId: destination.reference.channelId ?? 'msteams',
      conversation: { id: created.id!, isGroup: false, conversationType: 'personal', tenantId: destination.tenantId, name: '' },
    };
    await deps.references.saveUserConversation(destination.userId, reference);
    log.info({ userId: destination.userId }, 'teams 1:1 conversation opened');
    return created.id!;
  }

  async function sendActivity(delivery: Delivery, activity: Partial<Activity>): Promise<DeliveryOutcome> {
    const destination = await resolve(delivery);
    if ('ok' in destination) return destination;
    const direct = destination.kind === 'user';
    try {
      const serviceUrl = destination.kind === 'user' ? destination.serviceUrl : destination.reference.serviceUrl;
      const client = await deps.clients.forServiceUrl(serviceUrl);
      const conversationId = destination.kind === 'user' ? await personalConversation(destination) : baseConversationId(destination.reference.conversation.id);
      switch (delivery.kind) {
        case 'update': {
          if (!delivery.existing) return permanent('update without the message to edit');
          const id = delivery.existing.messageId;
          const channelId = baseConversationId(delivery.existing.channelId);
          await client.conversations.updateActivity(channelId, id, { ...activity, id, conversation: { id: channelId } } as Activity);
          return { ok: true, channelId, messageId: id };
        }
        case 'reply': {
          if (!delivery.parent) return permanent('reply without its thread parent');
          const parentId = delivery.parent.messageId;
          const channelId = baseConversationId(delivery.parent.channelId);
          // A channel thread is its own conversation: `<channel>;messageid=<root>`. Chats have no
          // threads; the reply is a plain message there.
          const threaded = destination.kind === 'conversation' && isChannelConversation(destination.reference);
          const target = threaded ? `${channelId};messageid=${parentId}` : channelId;
          const sent = await client.conversations.sendToConversation(target, { ...activity, ...(threaded ? { replyToId: parentId } : {}) } as Activity);
          return { ok: true, channelId, messageId: sent.id ?? '' };
        }
        case 'home':
          return permanent('teams has no home tab');
        default: {
          // post, dm, ephemeral (Teams has no ephemeral proactive messages: it goes to the 1:1).
          const sent = await client.conversations.sendToConversation(conversationId, activity as Activity);
          return { ok: true, channelId: conversationId, messageId: sent.id ?? '' };
        }
      }
    } catch (error) {
      const outcome = failureOutcome(error, { directMessage: direct });
      log.warn({ deliveryId: delivery.id, kind: delivery.kind, retry: outcome.retry, unreachableUser: outcome.unreachableUser, error: outcome.error }, 'teams delivery failed');
      return outcome;
    }
  }

  async function answer(inbound: Partial<Activity>, outgoing: Partial<Activity>): Promise<DeliveryOutcome> {
    const conversationId = inbound.conversation?.id;
    if (!inbound.serviceUrl || !conversationId) return permanent('inbound activity without serviceUrl or conversation');
    try {
      const client = await deps.clients.forServiceUrl(inbound.serviceUrl);
      const sent = inbound.id
        ? await client.conversations.replyToActivity(conversationId, inbound.id, { ...outgoing, replyToId: inbound.id } as Activity)
        : await client.conversations.sendToConversation(conversationId, outgoing as Activity);
      return { ok: true, channelId: baseConversationId(conversationId), messageId: sent.id ?? '' };
    } catch (error) {
      const outcome = failureOutcome(error, { directMessage: inbound.conversation?.conversationType === 'personal' });
      log.warn({ requestId: inbound.id, error: outcome.error }, 'teams answer failed');
      return outcome;
    }
  }

  return {
    platform: 'teams',
    deliver: (delivery) => sendActivity(delivery, viewActivity(delivery.view)),
    sendActivity,
    answer,
  };
}
