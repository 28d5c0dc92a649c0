// Teams conversation references, kept in the ChatTarget table: channels (stored by the `here`
// handler from the reference this adapter hands it) and users (stored here, so direct messages can
// reach them later). A user's row holds the reference of their 1:1 chat with the bot once there is
// one, or just enough to open it (their 29: id, the tenant and the serviceUrl).
import type { ConversationReference, Activity } from 'botbuilder';
import { TurnContext } from 'botbuilder';
import type { ChatTargetsRepo } from '../../handlers/store.ts';

/** A reference as stored: Bot Framework's own shape; `conversation` is absent until a 1:1 exists. */
export type StoredReference = Partial<ConversationReference>;

export type TeamsTarget = { id: string; kind: 'channel' | 'user'; externalId: string; reference: StoredReference };

export function tenantOf(activity: Partial<Activity>): string | undefined {
  const fromChannelData = (activity.channelData as { tenant?: { id?: unknown } } | undefined)?.tenant?.id;
  return typeof fromChannelData === 'string' ? fromChannelData : activity.conversation?.tenantId;
}

/** The reference of the conversation an activity came from, with the tenant always on `conversation`. */
export function referenceOf(activity: Partial<Activity>): StoredReference {
  const reference = TurnContext.getConversationReference(activity);
  // A reference to a conversation, not to the message that happened to carry it: a proactive send
  // from it must start a new message, not reply to this one.
  delete reference.activityId;
  const tenantId = tenantOf(activity);
  if (reference.conversation && tenantId && !reference.conversation.tenantId) reference.conversation = { ...reference.conversation, tenantId };
  // A message in a channel thread carries `<channel>;messageid=<root>`; the channel is the part
  // before it, and new posts go there.
  if (reference.conversation?.id && reference.conversation.conversationType === 'channel') {
    reference.conversation = { ...reference.conversation, id: baseConversationId(reference.conversation.id) };
  }
  return reference;
}

/** Teams channel conversations are threads; replies go to `<channel>;messageid=<root>`. */
export function baseConversationId(conversationId: string): string {
  return conversationId.split(';messageid=')[0]!;
}

export function isChannelConversation(reference: StoredReference): boolean {
  return reference.conversation?.conversationType === 'channel';
}

export function isPersonalConversation(reference: StoredReference): boolean {
  return reference.conversation?.conversationType === 'personal' && Boolean(reference.conversation.id);
}

function parse(text: string | null): StoredReference | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as StoredReference;
  } catch {
    // A row that was not written by this adapter: treated as "no reference", the sender then says
    // so in its outcome (and the outbox records it).
    return undefined;
  }
}

/** Where the references are kept: the chat targets (src/adapters/db/chat-targets.ts). */
export type ReferenceStore = Pick<ChatTargetsRepo, 'get' | 'find' | 'findUserByReference' | 'saveUserReference' | 'withReferences'>;

export function createTeamsReferences(targets: ReferenceStore) {
  async function userRow(userId: string) {
    return targets.find('teams', 'user', userId);
  }

  return {
    async target(id: string): Promise<TeamsTarget | undefined> {
      const row = await targets.get(id);
      if (!row || row.platform !== 'teams') return undefined;
      const reference = parse(row.conversationReference);
      if (!reference) return undefined;
      return { id: row.id, kind: row.kind === 'user' ? 'user' : 'channel', externalId: row.externalId, reference };
    },

    /**
     * A user by their 29: id, or by their Entra object id (admins are often listed by it): the
     * stored reference then supplies the 29: id a 1:1 chat is opened with.
     */
    async user(userId: string): Promise<TeamsTarget | undefined> {
      const row =
        (await userRow(userId)) ??
        (await targets.findUserByReference('teams', `"aadObjectId":${JSON.stringify(userId)}`));
      const reference = parse(row?.conversationReference ?? null);
      return row && reference ? { id: row.id, kind: 'user', externalId: row.externalId, reference } : undefined;
    },

    /**
     * Remembers how to reach the sender of an activity. A 1:1 reference is never replaced by the
     * weaker "seen in a channel" one.
     */
    async rememberUser(userId: string, name: string | undefined, activity: Partial<Activity>): Promise<void> {
      const seen = referenceOf(activity);
      const existing = parse((await userRow(userId))?.conversationReference ?? null);
      let reference: StoredReference;
      if (isPersonalConversation(seen)) reference = seen;
      else if (existing && isPersonalConversation(existing)) return;
      else reference = { user: seen.user, bot: seen.bot, channelId: seen.channelId, serviceUrl: seen.serviceUrl, locale: seen.locale, conversation: { id: '', isGroup: false, conversationType: 'personal', tenantId: tenantOf(activity) } as StoredReference['conversation'] };
      await targets.saveUserReference('teams', userId, JSON.stringify(reference), name);
    },

    /** After createConversation opened a 1:1: later messages reuse it. */
    async saveUserConversation(userId: string, reference: StoredReference): Promise<void> {
      await targets.saveUserReference('teams', userId, JSON.stringify(reference));
    },

    /** Any stored Teams reference, newest first: the serviceUrl and tenant to open a 1:1 with. */
    async anyReference(): Promise<StoredReference | undefined> {
      const rows = await targets.withReferences('teams', 5);
      for (const row of rows) {
        const reference = parse(row.conversationReference);
        if (reference?.serviceUrl) return reference;
      }
      return undefined;
    },
  };
}

export type TeamsReferences = ReturnType<typeof createTeamsReferences>;
