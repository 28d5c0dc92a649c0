// What the Slack routes need from the platform-neutral handlers (src/handlers/index.ts
// createHandlers): a command line and a button click in, an answer with views out. Declared here
// as the narrow slice the adapter uses, so the adapter and its tests do not depend on the rest of
// the handlers' dependencies.
import type { ButtonAction } from '../../domain/actions.ts';
import type { ChatActor } from '../../domain/permissions.ts';
import type { View } from '../../domain/views/model.ts';

export type SlackRequestContext = {
  platform: 'slack';
  channelId?: string;
  channelName?: string;
  /** The workspace the command came from (links back into the channel name it). */
  teamId?: string;
  responseUrl?: string;
  isDirect?: boolean;
  /** The same on a Slack retry of the same request. */
  requestId?: string;
  /** The clicker's IANA time zone (users.info), for a snooze "until tomorrow 9:00". */
  timeZone?: string;
};

export type SlackHandlerResult =
  | { ok: true; value: { reply?: View; message?: View; queued?: boolean } }
  | { ok: false; error: { code: string; reason?: string; reply: View } };

export interface SlackHandlers {
  runCommand(actor: ChatActor, text: string, context: SlackRequestContext): Promise<SlackHandlerResult>;
  /** `chosen`: the person picked in "Send link to…". */
  clickButton(actor: ChatActor, action: ButtonAction, rawValue: unknown, context: SlackRequestContext, chosen?: { userId: string; name?: string }): Promise<SlackHandlerResult>;
  /** The status table for the App Home tab; without it the tab runs the `status` command. */
  statusView?(): Promise<View>;
}
