// Slack in: the /xero command, the alert buttons, app_home_opened and the bot joining a channel. Every command and click is
// acknowledged first (Slack drops answers slower than 3 s); the handler runs after the ack through
// the chat pipeline (src/adapters/chat/pipeline.ts: dedupe, queue, timeout, logs, metrics), and
// its private answer goes back through response_url. Alerts themselves are edited by the outbox.
import type { Logger } from 'pino';
import type { App, BlockAction, ButtonAction as SlackButtonAction, SlashCommand, StaticSelectAction, UsersSelectAction, ViewSubmitAction } from '@slack/bolt';
import { ACTION_IDS, parseSendLinkBlockId, USE_CHANNEL_ACTION } from '../../domain/actions.ts';
import { ANSWERS } from '../../domain/views/wording.ts';
import { channelOfferView, textView } from '../../domain/views/text.ts';
import { NOTE_CALLBACK_ID, noteErrors, noteModal, noteOf, readNoteContext } from './note-modal.ts';
import type { SlackPeople } from './people.ts';
import type { ChatActor } from '../../domain/permissions.ts';
import type { View } from '../../domain/views/model.ts';
import { SLASH_COMMAND } from './app-facts.ts';
import type { ChatHandlers, HandlerResult } from '../../handlers/types.ts';
import type { HomeTabs } from './home.ts';
import { LINK_ACTION_ID } from './render.ts';
import { kindOfKey, requestKey } from './request-key.ts';
import { readClick } from '../chat/click.ts';
import type { ChatPipeline, Where } from '../chat/pipeline.ts';
import type { SlackSender } from './sender.ts';

export type RouteDeps = {
  handlers: ChatHandlers;
  sender: SlackSender;
  homes: HomeTabs;
  /** Dedupe, the after-ack bound, timeouts, the request's logger and metrics (shared with Teams). */
  pipeline: ChatPipeline;
  /** Time zones (users.info) and modals (views.open); without it snoozes read UTC and notes cannot be written. */
  people?: SlackPeople;
  /** The workspace the bot token belongs to (auth.test); requests from any other are refused. */
  installedTeam?(): Promise<string | undefined>;
};

const BUTTON_IDS = new RegExp(`^(${Object.values(ACTION_IDS).filter((id) => id !== ACTION_IDS.sendLink).join('|')})$`);

/** The workspace a command or click comes from. */
function teamOf(body: unknown): string | undefined {
  const b = body as { team_id?: unknown; team?: { id?: unknown } | null; user?: { team_id?: unknown } };
  const id = b.team_id ?? b.team?.id ?? b.user?.team_id;
  return typeof id === 'string' ? id : undefined;
}

export function registerRoutes(app: App, deps: RouteDeps): void {
  const { pipeline } = deps;
  const log = pipeline.log;
  // Work after the ack is queued, not awaited: awaiting it would keep the whole request alive
  // (Bolt's middleware chain, express's request and response, both parsed copies of the payload
  // with the message's blocks) for as long as the work waits behind the bound, about 35 KB per
  // click; a backlog of clicks then filled the heap and the collector stalled every ack. The
  // closures below keep only the few fields their answer needs.
  const later: ChatPipeline['later'] = (request, where, invoke, answer) => {
    pipeline.later(request, where, invoke, answer).catch((error: unknown) => log.error({ err: error, kind: request.kind }, 'slack work after the ack failed'));
    return Promise.resolve();
  };

  // A Slack retry of a request already taken (X-Slack-Retry-Num, the same trigger, click or event):
  // acknowledged, and nothing runs twice.
  app.use(async ({ body, next, context, ...rest }) => {
    const key = requestKey(body);
    const taken = pipeline.once(key, kindOfKey(key), () => next(), { retryNum: context.retryNum, retryReason: context.retryReason });
    if (taken.first) return taken.done;
    const ack = (rest as { ack?: () => Promise<void> }).ack;
    if (ack) await ack();
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
    pipeline.count(kindOfKey(requestKey(body)), 'other_workspace');
    const userId = b.user_id ?? b.user?.id ?? '';
    const channelId = b.channel_id ?? b.channel?.id;
    await answerPrivately(deps, log, textView(ANSWERS.otherWorkspace, 'warning'), { ...(b.response_url ? { responseUrl: b.response_url } : {}), ...(channelId ? { channelId } : {}), userId, requestId: `other:${from}:${userId}:${Date.now()}` });
  });

  app.command(SLASH_COMMAND, async ({ ack, command }) => {
    await ack();
    const actor: ChatActor = { platform: 'slack', userId: command.user_id, ...(command.user_name ? { name: command.user_name } : {}) };
    const word = (command.text ?? '').trim().split(/\s+/)[0]?.toLowerCase().slice(0, 20) || 'help';
    await later(
      { kind: 'command', requestId: command.trigger_id, facts: { command: word, userId: actor.userId } },
      commandWhere(command),
      (context) => deps.handlers.runCommand(actor, command.text ?? '', context),
      (result, requestLog) => answerPrivately(deps, requestLog, replyOf(result), { responseUrl: command.response_url, channelId: command.channel_id, userId: actor.userId, requestId: command.trigger_id }),
    );
  });

  app.action<BlockAction<SlackButtonAction | StaticSelectAction>>({ type: 'block_actions', action_id: BUTTON_IDS }, async ({ ack, body, action }) => {
    await ack();
    const actor = clicker(body.user);
    const value = action.type === 'static_select' ? action.selected_option?.value : action.value;
    const channelId = channelOf(body);
    const responseUrl = body.response_url;
    const requestId = `${body.user.id}:${action.action_ts}`;
    const read = readClick(action.action_id, value, async (click, context) => {
      // "Until tomorrow 9:00" is the clicker's morning: Slack knows their time zone.
      const timeZone = click.action === 'snooze' ? await deps.people?.timeZoneOf(actor.userId) : undefined;
      return deps.handlers.clickButton(actor, click, { ...context, ...(timeZone ? { timeZone } : {}) });
    });
    if (read.click?.action === 'note') {
      // The modal must open within 3 s of the click (the trigger_id expires): at once, nothing else first.
      const opened = deps.people ? await pipeline.track(deps.people.openModal(body.trigger_id, noteModal({ ...read.click.value, ...(channelId ? { channelId } : {}) }))) : false;
      pipeline.count('click', opened ? 'ok' : 'modal_not_opened');
      return;
    }
    await later(
      { kind: 'click', requestId, facts: { action: read.click?.action ?? action.action_id, userId: actor.userId } },
      {
        platform: 'slack',
        ...(channelId ? { channelId } : {}),
        ...(body.channel?.name ? { channelName: body.channel.name } : {}),
        ...(responseUrl ? { responseUrl } : {}),
        isDirect: channelId?.startsWith('D') ?? false,
      },
      read.invoke,
      (result, requestLog) => answerPrivately(deps, requestLog, replyOf(result), { responseUrl, channelId, userId: actor.userId, requestId }),
    );
  });

  // "What fixed it?" submitted: an empty or too long note is refused inside the modal; a good one
  // closes it, and the handler's answer reaches the person privately in the alert's channel.
  app.view<ViewSubmitAction>(NOTE_CALLBACK_ID, async ({ ack, body, view }) => {
    const note = noteOf(view);
    const errors = noteErrors(note);
    if (errors) {
      await ack(errors);
      return;
    }
    await ack();
    const modal = readNoteContext(view.private_metadata);
    if (!modal) return;
    const actor = clicker(body.user);
    const requestId = `${body.user.id}:${view.id}`;
    const read = readClick(ACTION_IDS.note, { incidentId: modal.incidentId, connectionId: modal.connectionId, note }, (click, context) => deps.handlers.clickButton(actor, click, context));
    await later(
      { kind: 'click', requestId, facts: { action: 'note', userId: actor.userId } },
      { platform: 'slack', ...(modal.channelId ? { channelId: modal.channelId } : {}) },
      read.invoke,
      (result, requestLog) => answerPrivately(deps, requestLog, replyOf(result), { ...(modal.channelId ? { channelId: modal.channelId } : {}), userId: actor.userId, requestId }),
    );
  });

  // "Send link to…": the person picker of the alert; its block carries the ids (a users_select has no value).
  app.action<BlockAction<UsersSelectAction>>({ type: 'block_actions', action_id: ACTION_IDS.sendLink }, async ({ ack, body, action }) => {
    await ack();
    const actor = clicker(body.user);
    const channelId = channelOf(body);
    const responseUrl = body.response_url;
    const requestId = `${body.user.id}:${action.action_ts}`;
    const chosen = action.selected_user ? { userId: action.selected_user } : undefined;
    const read = readClick(ACTION_IDS.sendLink, parseSendLinkBlockId(action.block_id) ?? action.block_id, (click, context) => deps.handlers.clickButton(actor, click, context, chosen));
    await later(
      { kind: 'click', requestId, facts: { action: 'sendLink', userId: actor.userId } },
      {
        platform: 'slack',
        ...(channelId ? { channelId } : {}),
        ...(responseUrl ? { responseUrl } : {}),
        isDirect: channelId?.startsWith('D') ?? false,
      },
      read.invoke,
      (result, requestLog) => answerPrivately(deps, requestLog, replyOf(result), { responseUrl, channelId, userId: actor.userId, requestId }),
    );
  });

  // The offer's "Use this channel for alerts": the `here` command, run in the channel it sits in.
  app.action<BlockAction<SlackButtonAction>>({ type: 'block_actions', action_id: USE_CHANNEL_ACTION }, async ({ ack, body, action }) => {
    await ack();
    const actor = clicker(body.user);
    const channelId = channelOf(body);
    const requestId = `${body.user.id}:${action.action_ts}`;
    await pipeline.later(
      { kind: 'click', requestId, facts: { action: 'use_channel', userId: actor.userId } },
      {
        platform: 'slack',
        ...(channelId ? { channelId } : {}),
        ...(body.channel?.name ? { channelName: body.channel.name } : {}),
        ...(body.response_url ? { responseUrl: body.response_url } : {}),
        isDirect: channelId?.startsWith('D') ?? false,
      },
      (context) => deps.handlers.runCommand(actor, 'here', context),
      (result, requestLog) => answerPrivately(deps, requestLog, replyOf(result), { responseUrl: body.response_url, channelId, userId: actor.userId, requestId }),
    );
  });

  // Invited to a channel: the bot says what it is and offers to make it the alert channel, as it
  // does when added to a team in Teams.
  app.event('member_joined_channel', async ({ event, context }) => {
    if (!context.botUserId || event.user !== context.botUserId) return;
    pipeline.count('event', 'ok');
    const delivered = await pipeline.track(
      deps.sender.deliver({ id: `offer:${event.channel}:${event.event_ts}`, kind: 'post', address: { platform: 'slack', channel: event.channel }, view: channelOfferView() }),
    );
    if (!delivered.ok) log.warn({ channelId: event.channel, error: delivered.error }, 'slack channel offer not delivered');
  });

  // A link button opens the browser; Slack still sends a click, which only needs its ack.
  app.action({ type: 'block_actions', action_id: LINK_ACTION_ID }, async ({ ack }) => {
    await ack();
  });

  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== undefined && event.tab !== 'home') return;
    pipeline.count('event', 'ok');
    await pipeline.track(deps.homes.opened(event.user).catch((error: unknown) => log.warn({ err: error, userId: event.user }, 'app home failed')));
  });

  app.error(async (error) => {
    log.error({ err: error, code: (error as { code?: string }).code }, 'slack request failed');
  });
}

function clicker(user: { id: string; name?: string; username?: string }): ChatActor {
  const name = user.name ?? user.username;
  return { platform: 'slack', userId: user.id, ...(name ? { name } : {}) };
}

function channelOf(body: { channel?: { id?: string }; container?: unknown }): string | undefined {
  return body.channel?.id ?? (body.container as { channel_id?: string } | undefined)?.channel_id;
}

function commandWhere(command: SlashCommand): Where {
  return {
    platform: 'slack',
    channelId: command.channel_id,
    ...(command.channel_name ? { channelName: command.channel_name } : {}),
    ...(command.team_id ? { teamId: command.team_id } : {}),
    responseUrl: command.response_url,
    isDirect: command.channel_name === 'directmessage' || command.channel_id.startsWith('D'),
  };
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
