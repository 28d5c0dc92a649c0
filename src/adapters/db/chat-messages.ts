// Where each sent message ended up on its platform; edits and thread replies look it up by key.
import type { Db } from './client.ts';
import type { Client } from './connections.ts';

export type ChatMessageRow = Awaited<ReturnType<Db['chatMessage']['findFirstOrThrow']>>;

export function createChatMessages(db: Client) {
  return {
    get(key: string): Promise<ChatMessageRow | null> {
      return db.chatMessage.findUnique({ where: { key } });
    },
    async record(key: string, data: { platform: string; channelId: string; messageId: string; threadId?: string | null }): Promise<void> {
      await db.chatMessage.upsert({
        where: { key },
        create: { key, platform: data.platform, channelId: data.channelId, messageId: data.messageId, threadId: data.threadId ?? null },
        update: { channelId: data.channelId, messageId: data.messageId },
      });
    },
  };
}
