// What the handlers need from the outside world, as plain interfaces. Adapters implement them;
// tests pass fakes. Nothing here knows Slack, Teams, Xero or Prisma.
import type { Platform } from '../domain/permissions.ts';
import type { View } from '../domain/views/model.ts';

export interface Clock {
  now(): Date;
}

/**
 * Where a message goes. Slack: a channel, a user (DM via conversations.open) or a response_url.
 * Teams: a stored ChatTarget (its conversation reference) or a user to open a 1:1 with.
 */
export type ChatAddress =
  | { platform: 'slack'; channel: string }
  | { platform: 'slack'; user: string }
  | { platform: 'slack'; responseUrl: string; userForEphemeral?: string }
  | { platform: 'slack'; ephemeralIn: string; user: string }
  | { platform: 'teams'; targetId: string }
  | { platform: 'teams'; user: string; tenantId?: string; serviceUrl?: string };

export type OutboxKind = 'post' | 'update' | 'reply' | 'dm' | 'ephemeral' | 'home';

/** One delivery attempt, as the outbox worker hands it to a platform sender. */
export type Delivery = {
  id: string;
  kind: OutboxKind;
  address: ChatAddress;
  view: View;
  /** For update: the message to edit. */
  existing?: { channelId: string; messageId: string };
  /** For reply: the thread parent. */
  parent?: { channelId: string; messageId: string };
};

export type DeliveryOutcome =
  | { ok: true; channelId: string; messageId: string }
  | {
      ok: false;
      /** retry: try again later (429, 5xx, network); permanent: give up (bad request, channel gone). */
      retry: boolean;
      retryAfterMs?: number;
      /** The user cannot be reached (Slack: cannot_dm_bot / user_disabled; Teams: 403 blocked). */
      unreachableUser?: boolean;
      error: string;
    };

/** Implemented by src/adapters/slack and src/adapters/teams. */
export interface ChatSender {
  readonly platform: Platform;
  deliver(delivery: Delivery): Promise<DeliveryOutcome>;
}
