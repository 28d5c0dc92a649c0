// Small pure readers of inbound Teams activities: who acts, what they typed, where it happened.
import type { Activity } from 'botbuilder';
import { TurnContext } from 'botbuilder';
import type { ChatActor } from '../../domain/permissions.ts';
import type { CommandContext } from '../../handlers/types.ts';
import { baseConversationId, referenceOf, tenantOf } from './references.ts';

/**
 * The 29: id is the one Bot Framework addresses people by (a 1:1 chat is opened with it); the
 * Entra object id rides along so admins may be listed by either (TEAMS_ADMIN_USER_IDS).
 */
export function actorOf(activity: Partial<Activity>): ChatActor | undefined {
  const from = activity.from;
  if (!from?.id) return undefined;
  return {
    platform: 'teams',
    userId: from.id,
    ...(from.name ? { name: from.name } : {}),
    ...(from.aadObjectId ? { altIds: [from.aadObjectId] } : {}),
  };
}

/**
 * The command a message carries: the bot's @mention removed (Teams adds it in channels), any other
 * mention markup dropped, and a leading "/xero" or "xero" that Slack habits bring along ignored.
 */
export function commandText(activity: Partial<Activity>): string {
  let text = activity.text ?? '';
  // removeMentionText edits the activity it is given: work on a copy.
  if (activity.recipient?.id && activity.entities) text = TurnContext.removeMentionText({ ...activity } as Activity, activity.recipient.id) ?? text;
  text = text
    .replace(/<at>[^<]*<\/at>/gi, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .trim();
  return text.replace(/^\/?xero\b\s*/i, '').trim();
}

export function isPersonal(activity: Partial<Activity>): boolean {
  return activity.conversation?.conversationType === 'personal';
}

/** Where a command or click came from, in the handlers' terms. */
export function commandContextOf(activity: Partial<Activity>): CommandContext {
  const channelData = (activity.channelData ?? {}) as { channel?: { name?: string }; team?: { name?: string } };
  const conversationId = activity.conversation?.id ? baseConversationId(activity.conversation.id) : undefined;
  const channelName = channelData.channel?.name ?? activity.conversation?.name ?? (channelData.team?.name ? `${channelData.team.name} (General)` : undefined);
  const tenantId = tenantOf(activity);
  const timeZone = timeZoneOf(activity);
  return {
    platform: 'teams',
    ...(conversationId ? { channelId: conversationId } : {}),
    ...(channelName ? { channelName } : {}),
    conversationReference: JSON.stringify(referenceOf(activity)),
    ...(tenantId ? { tenantId } : {}),
    ...(activity.serviceUrl ? { serviceUrl: activity.serviceUrl } : {}),
    isDirect: isPersonal(activity),
    ...(timeZone ? { timeZone } : {}),
  };
}

/** Teams sends the client's zone as `localTimezone`, and in a clientInfo entity (`timezone`). */
export function timeZoneOf(activity: Partial<Activity>): string | undefined {
  if (typeof activity.localTimezone === 'string' && activity.localTimezone) return activity.localTimezone;
  const info = (activity.entities ?? []).find((e) => e.type === 'clientInfo') as { timezone?: unknown } | undefined;
  return typeof info?.timezone === 'string' && info.timezone ? info.timezone : undefined;
}

/** Did this conversationUpdate add the bot itself (an install), rather than a person? */
export function addsTheBot(activity: Partial<Activity>): boolean {
  const botId = activity.recipient?.id;
  return Boolean(botId && activity.membersAdded?.some((member) => member.id === botId));
}

export type ActivityProblem = 'not_an_activity' | 'no_sender';

/**
 * Why a request body is no activity the Bot Framework sends, or undefined when it is one. The SDK
 * throws on such a body, and its 500 would be retried; the route answers it 400 instead.
 */
export function activityProblem(body: unknown): ActivityProblem | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'not_an_activity';
  const activity = body as { type?: unknown; from?: { id?: unknown } | null };
  if (typeof activity.type !== 'string') return 'not_an_activity';
  // A message or a click acts for someone; without its sender there is no one to act for or answer.
  if ((activity.type === 'message' || activity.type === 'invoke') && typeof activity.from?.id !== 'string') return 'no_sender';
  return undefined;
}
