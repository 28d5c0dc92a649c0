// The handlers' entry point for adapters: one function per use case, platform-neutral.
//
//   const handlers = createHandlers(deps);
//   await handlers.runCommand(actor, 'errors Demo 5', { platform: 'slack', channelId, responseUrl });
//   await handlers.clickButton(actor, parseButtonClick('xg_disconnect', rawValue), context);
//
// Every answer is a Result: `value.reply` is shown only to the asker (Slack ephemeral / Teams
// private), `value.message` is the alert or summary as it reads now (Teams may return it as the
// invoke response); `error.reply` explains a refusal privately. Channel posts, edits, thread
// replies and DMs are never returned: they go through the outbox. The chat-facing part is the
// contract in types.ts (ChatHandlers), which both chat adapters import.
import type { StatusView } from '../domain/views/model.ts';
import type { CheckCycle, ConsentBound, ConsentRefused, FreshLinkRequest } from './ports.ts';
import type { HandlerDeps } from './deps.ts';
import type { ChatHandlers, CommandContext } from './types.ts';
import { singleFlight } from './common.ts';
import { freshReads } from './fresh-reads.ts';
import { parseCommand, READING_COMMANDS } from '../domain/commands.ts';
import { runCommand } from './run-command.ts';
import { clickButton } from './click-button.ts';
import { onConsentBound } from './consent-bound.ts';
import { sendFreshLink } from './oauth/fresh-link.ts';
import { onConsentRefused } from './oauth/consent-refused.ts';
import { onUnreachable, type Unreachable } from './unreachable.ts';
import { statusView } from './commands/read.ts';
import { recordCheck, type CheckApplied } from './record-check.ts';
import { runMonitorTick, type TickReport } from './monitor-tick.ts';
import { keepPausedGrantsAlive, type KeepAliveReport } from './keep-grants-alive.ts';

export type { HandlerDeps, HandlerSettings } from './deps.ts';
export { settingsFromConfig } from './deps.ts';
export type { ChatHandlers, ChosenPerson, CommandContext, HandlerAnswer, HandlerFailure, HandlerResult } from './types.ts';
export type { Unreachable } from './unreachable.ts';
export type { TickReport } from './monitor-tick.ts';
export type { KeepAliveReport } from './keep-grants-alive.ts';

/** runCommand: status, errors [org] [n], connect, reconnect|disconnect|check|pause|resume <org>, here, help. */
export type Handlers = Omit<ChatHandlers, 'statusView'> & {
  /** For /xero/callback (deps.onConsentBound): resolves incidents, queues "Connected: <org>". */
  onConsentBound(result: ConsentBound): Promise<void>;
  /** For a used or expired link's page: a fresh link by DM to the same person. */
  sendFreshLink(request: FreshLinkRequest): Promise<{ ok: boolean }>;
  /** For /xero/callback: Xero refused a consent; the person and the admins are told in chat. */
  onConsentRefused(event: ConsentRefused): Promise<void>;
  /** For the outbox worker: a DM could not reach its person. */
  onUnreachable(event: Unreachable): Promise<void>;
  /** Slack App Home and anything else that shows the status table. */
  statusView(): Promise<StatusView>;
  /** For the scheduler: one check of a connection whose lease `owner` holds. */
  recordCheck(connectionId: string, cycle: CheckCycle, owner: string): Promise<CheckApplied>;
  /** For the scheduler: announcements, reminders and the grouped transient notice. */
  runMonitorTick(): Promise<TickReport>;
  /** For the scheduler: refreshes grants whose connections are all paused, once a day each. */
  keepGrantsAlive(): Promise<KeepAliveReport>;
};

export function createHandlers(deps: HandlerDeps): Handlers {
  // A double click reaches us as two requests at once: run them one after the other per subject,
  // so the second re-reads what the first did (the database compare-and-sets cover other replicas).
  // A throw is not caught here: the chat pipeline (src/adapters/chat/pipeline.ts) logs it with the
  // request's id and answers the asker, the same way on both platforms.
  const oneAtATime = singleFlight();
  // Reading commands do not wait for one another; the same read asked for at once is shared.
  const shared: HandlerDeps = { ...deps, freshRead: deps.freshRead ?? freshReads() };
  // The request's own logger replaces the handlers' for its duration, so their lines carry its id.
  const scoped = (context: CommandContext): HandlerDeps => (context.log ? { ...shared, log: context.log } : shared);
  const reading = (text: string) => {
    const parsed = parseCommand(text);
    return !parsed.ok || READING_COMMANDS.includes(parsed.command.name);
  };
  return {
    runCommand: (actor, text, context) =>
      reading(text) ? runCommand(scoped(context), actor, text, context) : oneAtATime(`command:${text.trim().toLowerCase()}`, () => runCommand(scoped(context), actor, text, context)),
    clickButton: (actor, click, context, chosen) => oneAtATime(`button:${JSON.stringify(click.value)}`, () => clickButton(scoped(context), actor, click, context, chosen)),
    onConsentBound: (result) => onConsentBound(deps, result),
    sendFreshLink: (request) => sendFreshLink(deps, request),
    onConsentRefused: (event) => onConsentRefused(deps, event),
    onUnreachable: (event) => onUnreachable(deps, event),
    statusView: () => statusView(shared),
    recordCheck: (connectionId, cycle, owner) => recordCheck(deps, connectionId, cycle, owner),
    runMonitorTick: () => runMonitorTick(deps),
    keepGrantsAlive: () => keepPausedGrantsAlive(deps),
  };
}
