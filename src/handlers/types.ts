// The shapes every chat-facing handler shares: where a command came from, what it answers, and
// why it refused. Adapters (Slack, Teams) translate their payloads into these and render the views.
import type { Platform } from '../domain/permissions.ts';
import type { Result } from '../domain/result.ts';
import type { TextView, View } from '../domain/views/model.ts';

/** Where a command or click came from; enough to answer it and, for `here`, to store the channel. */
export type CommandContext = {
  platform: Platform;
  /** Slack channel id, or Teams conversation id, where the command was typed or the button sat. */
  channelId?: string;
  channelName?: string;
  /** Slack: the workspace (team) id, stored with the alert channel for links back into it. */
  teamId?: string;
  /** Slack: the command's or click's response_url (ephemeral answers, valid 30 min). */
  responseUrl?: string;
  /** Teams: the serialised ConversationReference of that conversation (proactive messages need it). */
  conversationReference?: string;
  /** Teams: for opening 1:1 conversations with users. */
  tenantId?: string;
  serviceUrl?: string;
  /** The asker's IANA time zone when the platform tells it (Slack users.info, Teams localTimezone). */
  timeZone?: string;
  /** True in a direct (1:1) conversation with the bot. */
  isDirect?: boolean;
  /** Platform retry marker (Slack X-Slack-Retry-Num, Teams activity id): handlers are idempotent anyway. */
  requestId?: string;
};

export type HandlerAnswer = {
  /** Shown only to the person who asked: Slack ephemeral or slash-command answer, Teams private reply. */
  reply?: View;
  /**
   * The message the button sat on (alert or summary) as it reads now. The outbox edits it in every
   * channel anyway; Teams may return it as the Action.Execute invoke response.
   */
  message?: View;
  /** True when durable messages were queued in the outbox (the adapter need not post anything). */
  queued: boolean;
};

export type HandlerFailureCode = 'not_permitted' | 'not_found' | 'bad_request' | 'xero_failed' | 'internal';

/** A refusal or failure, always with a view to show the asker privately. */
export type HandlerFailure = { code: HandlerFailureCode; reason?: string; reply: TextView };

export type HandlerResult = Result<HandlerAnswer, HandlerFailure>;
