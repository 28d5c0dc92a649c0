// Slack channels and Teams conversations the bot writes to; `isAlertChannel` marks where alerts go.
import type { Client } from './connections.ts';
import type { AlertChannelInput, ChatTargetRow, ChatTargetsRepo } from '../../handlers/store.ts';

export function createChatTargets(db: Client): ChatTargetsRepo {
  return {
    get(id: string): Promise<ChatTargetRow | null> {
      return db.chatTarget.findUnique({ where: { id } });
    },
    alertChannels(): Promise<ChatTargetRow[]> {
      return db.chatTarget.findMany({ where: { isAlertChannel: true }, orderBy: { platform: 'asc' } });
    },
    find(platform: string, kind: 'channel' | 'user', externalId: string): Promise<ChatTargetRow | null> {
      return db.chatTarget.findUnique({ where: { platform_kind_externalId: { platform, kind, externalId } } });
    },
    /** One alert channel per platform: the previous one stops being it. */
    async makeAlertChannel(input: AlertChannelInput): Promise<{ target: ChatTargetRow; previous: string[] }> {
      const previous = await db.chatTarget.findMany({ where: { platform: input.platform, isAlertChannel: true }, select: { id: true } });
      await db.chatTarget.updateMany({ where: { platform: input.platform, isAlertChannel: true }, data: { isAlertChannel: false } });
      const target = await db.chatTarget.upsert({
        where: { platform_kind_externalId: { platform: input.platform, kind: 'channel', externalId: input.externalId } },
        create: {
          platform: input.platform,
          kind: 'channel',
          externalId: input.externalId,
          name: input.name ?? null,
          teamId: input.teamId ?? null,
          conversationReference: input.conversationReference ?? null,
          isAlertChannel: true,
        },
        update: {
          isAlertChannel: true,
          ...(input.name ? { name: input.name } : {}),
          ...(input.teamId ? { teamId: input.teamId } : {}),
          ...(input.conversationReference ? { conversationReference: input.conversationReference } : {}),
        },
      });
      return { target, previous: previous.map((p) => p.id).filter((id) => id !== target.id) };
    },
    findUserByReference(platform, fragment) {
      return db.chatTarget.findFirst({ where: { platform, kind: 'user', conversationReference: { contains: fragment } }, orderBy: { updatedAt: 'desc' } });
    },
    async saveUserReference(platform, userId, reference, name) {
      await db.chatTarget.upsert({
        where: { platform_kind_externalId: { platform, kind: 'user', externalId: userId } },
        create: { platform, kind: 'user', externalId: userId, name: name ?? null, conversationReference: reference },
        update: { conversationReference: reference, ...(name ? { name } : {}) },
      });
    },
    withReferences(platform, limit) {
      return db.chatTarget.findMany({
        where: { platform, conversationReference: { not: null } },
        orderBy: [{ isAlertChannel: 'desc' }, { updatedAt: 'desc' }],
        take: limit,
      });
    },
  };
}
