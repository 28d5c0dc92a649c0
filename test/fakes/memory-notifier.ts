// An in-memory ChatSender: records every message it was asked to send, gives each a message id,
// keeps edits and thread replies, and can be told to fail (429 with Retry-After, 5xx, unreachable
// users) so the outbox's retries can be observed. `lookup: true` makes it answer findDelivered,
// the way the Slack sender can through message metadata.
import type { ChatAddress, ChatSender, Delivery, DeliveryOutcome } from '../../src/handlers/ports.ts';
import type { Platform } from '../../src/domain/permissions.ts';
import type { View } from '../../src/domain/views/model.ts';

export type SentMessage = {
  deliveryId: string;
  kind: Delivery['kind'];
  channelId: string;
  messageId: string;
  view: View;
  edits: View[];
  threadOf?: string;
  inDoubt: boolean;
};

export class MemoryNotifier implements ChatSender {
  readonly calls: Delivery[] = [];
  readonly messages: SentMessage[] = [];
  readonly unreachable = new Set<string>();
  /** Scripted failures, consumed in order before real sends. */
  readonly failures: DeliveryOutcome[] = [];
  private seq = 0;
  findDelivered?: (delivery: Delivery) => Promise<{ channelId: string; messageId: string } | undefined>;

  constructor(
    readonly platform: Platform = 'slack',
    options: { lookup?: boolean } = {},
  ) {
    if (options.lookup) {
      this.findDelivered = async (delivery) => {
        const found = this.messages.find((m) => m.deliveryId === delivery.id);
        return found ? { channelId: found.channelId, messageId: found.messageId } : undefined;
      };
    }
  }

  async deliver(delivery: Delivery): Promise<DeliveryOutcome> {
    this.calls.push(delivery);
    const scripted = this.failures.shift();
    if (scripted) return scripted;
    const user = userOf(delivery.address);
    if (user && this.unreachable.has(user)) return { ok: false, retry: false, unreachableUser: true, error: 'cannot_dm_user' };
    if (delivery.kind === 'update') {
      const target = this.messages.find((m) => m.messageId === delivery.existing?.messageId);
      if (!target) return { ok: false, retry: false, error: 'message_not_found' };
      target.edits.push(delivery.view);
      return { ok: true, channelId: target.channelId, messageId: target.messageId };
    }
    this.seq += 1;
    const channelId = delivery.parent?.channelId ?? channelOf(delivery.address);
    const message: SentMessage = {
      deliveryId: delivery.id,
      kind: delivery.kind,
      channelId,
      messageId: `${this.platform}-m${this.seq}`,
      view: delivery.view,
      edits: [],
      inDoubt: delivery.inDoubt ?? false,
      ...(delivery.parent ? { threadOf: delivery.parent.messageId } : {}),
    };
    this.messages.push(message);
    return { ok: true, channelId, messageId: message.messageId };
  }

  /** The message as it reads now (its last edit). */
  current(message: SentMessage): View {
    return message.edits.at(-1) ?? message.view;
  }

  posts(channelId?: string): SentMessage[] {
    return this.messages.filter((m) => m.kind === 'post' && (!channelId || m.channelId === channelId));
  }
  replies(parent: SentMessage): SentMessage[] {
    return this.messages.filter((m) => m.threadOf === parent.messageId);
  }
  dms(user?: string): SentMessage[] {
    return this.messages.filter((m) => m.kind === 'dm' && (!user || m.channelId === `dm:${user}`));
  }
}

function userOf(address: ChatAddress): string | undefined {
  return 'user' in address && !('ephemeralIn' in address) && !('responseUrl' in address) ? address.user : undefined;
}

function channelOf(address: ChatAddress): string {
  if ('channel' in address) return address.channel;
  if ('ephemeralIn' in address) return address.ephemeralIn;
  if ('responseUrl' in address) return address.responseUrl;
  if ('targetId' in address) return address.targetId;
  return `dm:${address.user}`;
}
