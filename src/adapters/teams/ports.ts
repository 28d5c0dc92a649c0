// What the Teams adapter needs from the platform-neutral handlers (src/handlers/index.ts
// createHandlers). Declared here structurally, so the adapter depends on the shape only: the real
// handlers satisfy it, and nothing here knows how they work.
import type { ButtonAction } from '../../domain/actions.ts';
import type { ChatActor } from '../../domain/permissions.ts';
import type { Result } from '../../domain/result.ts';
import type { TextView, View } from '../../domain/views/model.ts';
import type { TeamsCommandContext } from './inbound.ts';

export type TeamsHandlerAnswer = {
  /** Shown only to the person who asked (Teams: the 1:1 chat, or privately in the invoke answer). */
  reply?: View;
  /** The message the button sat on, as it reads now: the Action.Execute invoke answer. */
  message?: View;
  queued: boolean;
};

export type TeamsHandlerFailure = { code: string; reason?: string; reply: TextView };

export type TeamsHandlerResult = Result<TeamsHandlerAnswer, TeamsHandlerFailure>;

export interface TeamsHandlers {
  runCommand(actor: ChatActor, text: string, context: TeamsCommandContext): Promise<TeamsHandlerResult>;
  /** `chosen`: the person picked in "Send link to…" (Teams gives the Entra object id). */
  clickButton(actor: ChatActor, action: ButtonAction, rawValue: unknown, context: TeamsCommandContext, chosen?: { userId: string; name?: string }): Promise<TeamsHandlerResult>;
}
