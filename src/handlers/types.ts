// The contract between the chat adapters and the handlers, declared once: where a command or click
// came from, what the handlers answer and why they refuse, and the handlers' chat-facing functions.
// Slack and Teams both translate their payloads into these and render the views that come back
// (src/adapters/chat/pipeline.ts runs every call).
import type { Logger } from 'pino';
import type { ButtonClick } from '../domain/actions.ts';
import type { ChatActor, Platform } from '../domain/permissions.ts';
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
  /**
   * The request's identity, the same on a platform retry of it (Slack trigger or click, Teams
   * activity id). The chat pipeline always sets it; handlers are idempotent anyway.
   */
  requestId?: string;
  /**
   * The request's own logger (bound to platform and requestId): the handlers log through it, so
   * every line a request causes carries its id. Without it they log through their deps.
   */
  log?: Logger;
};

export type HandlerAnswer = {
  /** Shown only to the person who asked: Slack ephemeral or slash-command answer, Teams private reply. */
  reply?: View;
  /**
   * The message the button sat on (alert or summary) as it reads now, read only when called: the
   * outbox edits it in every channel anyway, and only Teams shows it (as the Action.Execute invoke
   * response), so a Slack click never pays for reading it.
   */
  message?: () => Promise<View | undefined>;
  /** True when durable messages were queued in the outbox (the adapter need not post anything). */
  queued: boolean;
};

export type HandlerFailureCode = 'not_permitted' | 'not_found' | 'bad_request' | 'xero_failed' | 'internal';

/** A refusal or failure, always with a view to show the asker privately. */
export type HandlerFailure = { code: HandlerFailureCode; reason?: string; reply: TextView };

export type HandlerResult = Result<HandlerAnswer, HandlerFailure>;

/** The person picked in "Send link to…": a user id of the clicker's own platform. */
export type ChosenPerson = { userId: string; name?: string };

/** What a chat adapter calls: a request's actor, input and context in, a result with views out. */
export type ChatHandlers = {
  /** The whole /xero language (Slack slash command text, Teams message text). */
  runCommand(actor: ChatActor, text: string, context: CommandContext): Promise<HandlerResult>;
  /** An alert button, read once by parseButtonClick (src/domain/actions.ts); `chosen`: "Send link to…". */
  clickButton(actor: ChatActor, click: ButtonClick, context: CommandContext, chosen?: ChosenPerson): Promise<HandlerResult>;
  /** The status table (Slack App Home); without it the adapter runs the `status` command. */
  statusView?(): Promise<View>;
};

/** One handler call as the chat pipeline runs it: the request's context in, the result out. */
export type HandlerCall = (context: CommandContext) => Promise<HandlerResult>;
