// Slack in: the /xero command, the alert buttons and app_home_opened. Every command and click is
// acknowledged first (Slack drops answers slower than 3 s); the handler runs after the ack, and
// its private answer goes back through response_url. Alerts themselves are edited by the outbox.
import type { Logger } from 'pino';
import type { App, BlockAction, ButtonAction as SlackButtonAction, SlashCommand, StaticSelectAction, UsersSelectAction, ViewSubmitAction } from '@slack/bolt';
import { ACTION_IDS, NOTE_MAX_CHARS, parseSendLinkBlockId } from '../../domain/actions.ts';
import { readClick } from '../chat/click.ts';
import { ANSWERS, LABELS, LIFECYCLE_ANSWERS } from '../../domain/views/wording.ts';
import { textView } from '../../domain/views/text.ts';
import { NOTE_BLOCK_ID, NOTE_CALLBACK_ID, NOTE_INPUT_ID, noteModal, readNoteContext } from './note-modal.ts';
import type { SlackPeople } from './people.ts';
import type { ChatActor } from '../../domain/permissions.ts';
import type { TextView, View } from '../../domain/views/model.ts';
import { SLASH_COMMAND } from './app-facts.ts';
import type { ChatHandlers, HandlerResult, CommandContext } from '../../handlers/types.ts';
import type { HomeTabs } from './home.ts';
import { LINK_ACTION_ID } from './render.ts';
import { requestKey } from './request-key.ts';
import type { AfterAck } from '../http/after-ack.ts';
import type { RecentKeys } from '../http/recent-keys.ts';
import type { SlackSender } from './sender.ts';

export type RouteDeps = {
  handlers: ChatHandlers;
  sender: SlackSender;
  homes: HomeTabs;
  seen: RecentKeys;
  logger: Logger;
  /** Keeps work that runs after the ack visible to stop(), so a shutdown lets it finish. */
  track<T>(work: Promise<T>): Promise<T>;
  /** Bounds the work running after acks (src/adapters/http/after-ack.ts). */
  afterAck: AfterAck;
  /** Time zones (users.info) and modals (views.open); without it snoozes read UTC and notes cannot be written. */
  people?: SlackPeople;
  /** Counts a request by kind (command, click, event) and outcome. */
  count?(kind: string, outcome: string): void;
  /** The workspace the bot token belongs to (auth.test); requests from any other are refused. */
  installedTeam?(): Promise<string | undefined>;
};

const BUTTON_IDS = new RegExp(`^(${Object.values(ACTION_IDS).filter((id) => id !== ACTION_IDS.sendLink).join('|')})$`);

const FALLBACK_ERROR: TextView = textView(LABELS.fallbackError, 'danger');

/** The workspace a command or click comes from. */
function teamOf(body: unknown): string | undefined {
  const b = body as { team_id?: unknown; team?: { id?: unknown } | null; user?: { team_id?: unknown } };
  const id = b.team_id ?? b.team?.id ?? b.user?.team_id;
  return typeof id === 'string' ? id : undefined;
}

export function registerRoutes(app: App, deps: RouteDeps): void {
  const log = deps.logger.child({ platform: 'slack' });

  // A Slack retry of a request already handled: acknowledge it and stop here.
  app.use(async ({ body, next, context, ...rest }) => {
    const key = requestKey(body);
    if (key && !deps.seen.firstTime(key)) {
      log.info({ key: key.split(':')[0], retryNum: context.retryNum, retryReason: context.retryReason }, 'slack retry ignored');
      deps.count?.(key.split(':')[0]!, 'retry_ignored');
      const ack = (rest as { ack?: () => Promise<void> }).ack;
      if (ack) await ack();
      return;
    }
    await next();
  });

  // A command or click from another workspace (a Slack Connect channel shared with ours, an org-wide
  // app) acts on nothing here: it gets a plain private answer and changes nothing.
  app.use(async ({ body, next, ...rest }) => {
    const from = teamOf(body);
    const installed = from && deps.installedTeam ? await deps.installedTeam().catch(() => undefined) : undefined;
    if (!from || !installed || from === installed) return next();
    const b = body as { response_url?: string; channel_id?: string; channel?: { id?: string }; user_id?: string; user?: { id?: string } };
    const ack = (rest as { ack?: () => Promise<void> }).ack;
    if (ack) await ack();
    log.warn({ team: from, installedTeam: installed }, 'slack request from another workspace refused');
    deps.count?.('other_workspace', 'refused');
    const userId = b.user_id ?? b.user?.id ?? '';
    const channelId = b.channel_id ?? b.channel?.id;
    await answerPrivately(deps, log, textView(ANSWERS.otherWorkspace, 'warning'), { ...(b.response_url ? { responseUrl: b.response_url } : {}), ...(channelId ? { channelId } : {}), userId, requestId: `other:${from}:${userId}:${Date.now()}` });
  });

  app.command(SLASH_COMMAND, async ({ ack, command }) => {
    await ack();
    const actor: ChatActor = { platform: 'slack', userId: command.user_id, ...(command.user_name ? { name: command.user_name } : {}) };
    const context = commandContext(command);
    await deps.track(
      deps.afterAck(() =>
        run(log, deps, () => deps.handlers.runCommand(actor, command.text ?? '', context), { kind: 'command', subcommand: (command.text ?? '').trim().split(/\s+/)[0]?.toLowerCase().slice(0, 20) || 'help', userId: actor.userId }).then((result) =>
          answerPrivately(deps, log, replyOf(result), { responseUrl: command.response_url, channelId: command.channel_id, userId: actor.userId, requestId: context.requestId! }),
        ),
      ),
    );
  });

  app.action<BlockAction<SlackButtonAction | StaticSelectAction>>({ type: 'block_actions', action_id: BUTTON_IDS }, async ({ ack, body, action }) => {
    await ack();
    const value = action.type === 'static_select' ? action.selected_option?.value : action.value;
    const actor: ChatActor = { platform: 'slack', userId: body.user.id, ...(body.user.name || body.user.username ? { name: body.user.name ?? body.user.username } : {}) };
    const read = readClick(action.action_id, value, (click, context) => deps.handlers.clickButton(actor, click, context));
    const button = read.click?.action ?? 'unknown';
    const channelId = body.channel?.id ?? (body.container as { channel_id?: string } | undefined)?.channel_id;
    const context: CommandContext = {
      platform: 'slack',
      ...(channelId ? { channelId } : {}),
      ...(body.channel?.name ? { channelName: body.channel.name } : {}),
      ...(body.response_url ? { responseUrl: body.response_url } : {}),
      isDirect: channelId?.startsWith('D') ?? false,
      requestId: `${body.user.id}:${action.action_ts}`,
    };
    if (read.click?.action === 'note') {
      // The modal must open within 3 s of the click (the trigger_id expires): at once, nothing else first.
      if (deps.people) await deps.track(deps.people.openModal(body.trigger_id, noteModal({ ...read.click.value, ...(channelId ? { channelId } : {}) })));
      deps.count?.('click', 'note_modal');
      return;
    }
    await deps.track(
      deps.afterAck(async () => {
        // "Until tomorrow 9:00" is the clicker's morning: Slack knows their time zone.
        const timeZone = button === 'snooze' ? await deps.people?.timeZoneOf(actor.userId) : undefined;
        const result = await run(log, deps, () => read.invoke({ ...context, ...(timeZone ? { timeZone } : {}) }), { kind: 'click', action: button, userId: actor.userId });
        await answerPrivately(deps, log, replyOf(result), { responseUrl: body.response_url, channelId, userId: actor.userId, requestId: context.requestId! });
      }),
    );
  });

  // "What fixed it?" submitted: an empty or too long note is refused inside the modal; a good one
  // closes it, and the handler's answer reaches the person privately in the alert's channel.
  app.view<ViewSubmitAction>(NOTE_CALLBACK_ID, async ({ ack, body, view }) => {
    const note = view.state.values[NOTE_BLOCK_ID]?.[NOTE_INPUT_ID]?.value?.trim() ?? '';
    if (note.length === 0 || note.length > NOTE_MAX_CHARS) {
      await ack({ response_action: 'errors', errors: { [NOTE_BLOCK_ID]: note.length === 0 ? LIFECYCLE_ANSWERS.noteEmpty : LIFECYCLE_ANSWERS.noteTooLong(NOTE_MAX_CHARS) } });
      return;
    }
    await ack();
    const context = readNoteContext(view.private_metadata);
    if (!context) return;
    const actor: ChatActor = { platform: 'slack', userId: body.user.id, ...(body.user.name ? { name: body.user.name } : {}) };
    const requestId = `${body.user.id}:${view.id}`;
    const where: CommandContext = { platform: 'slack', ...(context.channelId ? { channelId: context.channelId } : {}), requestId };
    await deps.track(
      deps.afterAck(() =>
        run(log, deps, () => readClick(ACTION_IDS.note, { incidentId: context.incidentId, connectionId: context.connectionId, note }, (click, ctx) => deps.handlers.clickButton(actor, click, ctx)).invoke(where), { kind: 'click', action: 'note', userId: actor.userId }).then((result) =>
          answerPrivately(deps, log, replyOf(result), { ...(context.channelId ? { channelId: context.channelId } : {}), userId: actor.userId, requestId }),
        ),
      ),
    );
  });

  // "Send link to…": the person picker of the alert; its block carries the ids (a users_select has no value).
  app.action<BlockAction<UsersSelectAction>>({ type: 'block_actions', action_id: ACTION_IDS.sendLink }, async ({ ack, body, action }) => {
    await ack();
    const actor: ChatActor = { platform: 'slack', userId: body.user.id, ...(body.user.name || body.user.username ? { name: body.user.name ?? body.user.username } : {}) };
    const channelId = body.channel?.id ?? (body.container as { channel_id?: string } | undefined)?.channel_id;
    const ids = parseSendLinkBlockId(action.block_id);
    const context: CommandContext = {
      platform: 'slack',
      ...(channelId ? { channelId } : {}),
      ...(body.response_url ? { responseUrl: body.response_url } : {}),
      isDirect: channelId?.startsWith('D') ?? false,
      requestId: `${body.user.id}:${action.action_ts}`,
    };
    const chosen = action.selected_user ? { userId: action.selected_user } : undefined;
    const read = readClick(ACTION_IDS.sendLink, ids ?? action.block_id, (click, ctx) => deps.handlers.clickButton(actor, click, ctx, chosen));
    await deps.track(
      deps.afterAck(() =>
        run(log, deps, () => read.invoke(context), { kind: 'click', action: 'sendLink', userId: actor.userId }).then((result) =>
          answerPrivately(deps, log, replyOf(result), { responseUrl: body.response_url, channelId, userId: actor.userId, requestId: context.requestId! }),
        ),
      ),
    );
  });

  // A link button opens the browser; Slack still sends a click, which only needs its ack.
  app.action({ type: 'block_actions', action_id: LINK_ACTION_ID }, async ({ ack }) => {
    await ack();
  });

  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== undefined && event.tab !== 'home') return;
    deps.count?.('event', 'app_home_opened');
    await deps.track(deps.homes.opened(event.user).catch((error: unknown) => log.warn({ err: error, userId: event.user }, 'app home failed')));
  });

  app.error(async (error) => {
    log.error({ err: error, code: (error as { code?: string }).code }, 'slack request failed');
  });
}

function commandContext(command: SlashCommand): CommandContext {
  return {
    platform: 'slack',
    channelId: command.channel_id,
    ...(command.channel_name ? { channelName: command.channel_name } : {}),
    ...(command.team_id ? { teamId: command.team_id } : {}),
    responseUrl: command.response_url,
    isDirect: command.channel_name === 'directmessage' || command.channel_id.startsWith('D'),
    requestId: command.trigger_id,
  };
}

/** Runs a handler, turning a thrown bug into a logged failure with a plain apology. */
async function run(log: Logger, deps: Pick<RouteDeps, 'count'>, work: () => Promise<HandlerResult>, meta: { kind: string } & Record<string, unknown>): Promise<HandlerResult> {
  const started = Date.now();
  try {
    const result = await work();
    deps.count?.(meta.kind, result.ok ? 'handled' : result.error.code);
    if (!result.ok) log.info({ ...meta, code: result.error.code, reason: result.error.reason, ms: Date.now() - started }, 'slack request refused');
    else log.info({ ...meta, reply: result.value.reply?.type, queued: result.value.queued ?? false, ms: Date.now() - started }, 'slack request handled');
    return result;
  } catch (error) {
    log.error({ ...meta, err: error }, 'slack handler threw');
    deps.count?.(meta.kind, 'error');
    return { ok: false, error: { code: 'internal', reply: FALLBACK_ERROR } };
  }
}

function replyOf(result: HandlerResult): View | undefined {
  return result.ok ? result.value.reply : result.error.reply;
}

/**
 * The asker's private answer: through response_url (ephemeral), which works in any channel, even
 * one the bot is not in. A rate limit is waited out briefly; an expired response_url falls back to
 * chat.postEphemeral in the same channel.
 */
async function answerPrivately(
  deps: RouteDeps,
  log: Logger,
  view: View | undefined,
  where: { responseUrl?: string; channelId?: string; userId: string; requestId: string },
): Promise<void> {
  if (!view) return;
  const addresses = [
    ...(where.responseUrl ? [{ platform: 'slack' as const, responseUrl: where.responseUrl, userForEphemeral: where.userId }] : []),
    ...(where.channelId ? [{ platform: 'slack' as const, ephemeralIn: where.channelId, user: where.userId }] : []),
  ];
  for (const address of addresses) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const outcome = await deps.sender.deliver({ id: `answer:${where.requestId}:${'responseUrl' in address ? 'url' : 'eph'}`, kind: 'ephemeral', address, view });
      if (outcome.ok) return;
      log.warn({ userId: where.userId, via: 'responseUrl' in address ? 'response_url' : 'postEphemeral', error: outcome.error, retry: outcome.retry }, 'slack answer not delivered');
      if (!outcome.retry) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(outcome.retryAfterMs ?? 1_000, 5_000)));
    }
  }
}
