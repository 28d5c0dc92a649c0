// The Teams bot: translates inbound activities into handler calls and handler results into cards.
//   message                 a command (1:1, or @mention in a channel); answered after the HTTP
//                           request is acknowledged, so a slow Xero never holds Teams waiting
//   adaptiveCard/action     an Action.Execute click; answered in the invoke response with the
//                           updated card, or privately with a short text when refused
//   conversationUpdate      the bot was added: offer the channel as the alert channel
// Decisions (permissions, state) stay in the handlers.
import { ActivityHandler, type Activity, type AdaptiveCardInvokeResponse, type AdaptiveCardInvokeValue, type TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import { ACTION_IDS, SEND_LINK_INPUT } from '../../domain/actions.ts';
import { readClick } from '../chat/click.ts';
import { ANSWERS, LABELS } from '../../domain/views/wording.ts';
import { plainText as plainPhrase } from '../../domain/views/phrase.ts';
import type { ChatActor } from '../../domain/permissions.ts';
import type { View } from '../../domain/views/model.ts';
import type { DeliveryOutcome } from '../../handlers/ports.ts';
import { CARD_CONTENT_TYPE, teamsCommands } from './cards/card.ts';
import { alertChannelOfferCard, USE_CHANNEL_VERB, welcomeCard } from './cards/offer.ts';
import { cardAttachment, renderCard, viewActivity } from './cards/render.ts';
import { createRecentKeys } from '../http/recent-keys.ts';
import type { AfterAck } from '../http/after-ack.ts';
import { actorOf, addsTheBot, commandContextOf, commandText, isPersonal } from './inbound.ts';
import type { HandlerResult, ChatHandlers } from '../../handlers/types.ts';
import { pickedPerson } from './members.ts';
import type { TeamsReferences } from './references.ts';
import type { TeamsSender } from './sender.ts';

/** Counts each handled activity by kind and outcome (optional: tests may leave it out). */
export type TeamsBotMetrics = { handled(kind: 'command' | 'click' | 'install', outcome: string, seconds: number): void };

export type TeamsBotDeps = {
  handlers: ChatHandlers;
  metrics?: TeamsBotMetrics;
  sender: TeamsSender;
  references: TeamsReferences;
  logger: Logger;
  /**
   * How long a click may take before the invoke is answered with "working on it" (Teams gives an
   * invoke a few seconds); the work goes on and the outbox edits the card when it is done.
   */
  invokeBudgetMs: number;
  /** Bounds command work after the HTTP answer (src/adapters/http/after-ack.ts). */
  afterAck?: AfterAck;
};

const MESSAGE_RESPONSE = 'application/vnd.microsoft.activity.message';

export const TEAMS_TEXT = {
  linkSentByDm: 'I sent you the link in a direct message.',
  cannotDm: "I can't send you a direct message. Open a chat with Xero Guard (Apps › Xero Guard › Open) and try again.",
  working: 'Working on it: the card updates when it is done.',
  unknownButton: ANSWERS.unknownButton,
  failed: LABELS.fallbackError,
} as const;

export class TeamsBot extends ActivityHandler {
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly recent = createRecentKeys();
  private readonly log: Logger;

  constructor(private readonly deps: TeamsBotDeps) {
    super();
    this.log = deps.logger.child({ platform: 'teams' });
    this.onMessage(async (context, next) => {
      // A copy: the turn context is gone once the HTTP request is answered.
      const activity = { ...context.activity } as Activity;
      const key = `${activity.conversation?.id}|${activity.id}`;
      if (activity.id && !this.recent.firstTime(key)) this.log.info({ requestId: activity.id }, 'teams redelivery ignored');
      else this.track(this.deps.afterAck ? this.deps.afterAck(() => this.command(activity)) : this.command(activity));
      await next();
    });
    this.onMembersAdded(async (context, next) => {
      if (addsTheBot(context.activity)) await this.greet(context);
      await next();
    });
  }

  /** Resolves when every command and slow click started so far has finished (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private track(work: Promise<unknown>): void {
    this.inflight.add(work);
    void work.finally(() => this.inflight.delete(work));
  }

  private async remember(actor: ChatActor, activity: Partial<Activity>): Promise<void> {
    try {
      await this.deps.references.rememberUser(actor.userId, actor.name, activity);
    } catch (error) {
      // Only later direct messages depend on it, and they fall back to createConversation.
      this.log.warn({ err: error, userId: actor.userId }, 'could not store the teams user reference');
    }
  }

  private async command(activity: Activity): Promise<void> {
    const started = Date.now();
    const log = this.log.child({ requestId: activity.id });
    const actor = actorOf(activity);
    if (!actor) return;
    await this.remember(actor, activity);
    const text = commandText(activity);
    // The command word only: what follows may name an organisation, nothing secret, but short logs.
    const meta = { command: (text.split(/\s+/)[0] ?? '').toLowerCase(), userId: actor.userId, conversationType: activity.conversation?.conversationType };
    try {
      const result = await this.deps.handlers.runCommand(actor, text, commandContextOf(activity));
      const view = result.ok ? result.value.reply : result.error.reply;
      const ms = Date.now() - started;
      if (!result.ok) log.info({ ...meta, code: result.error.code, reason: result.error.reason, ms }, 'teams command refused');
      else log.info({ ...meta, reply: view?.type, queued: result.value.queued, ms }, 'teams command handled');
      this.deps.metrics?.handled('command', result.ok ? 'ok' : result.error.code, ms / 1000);
      if (!view) return;
      if (view.type === 'link' && !isPersonal(activity)) {
        // A single-use link never goes into a channel: it goes to the asker's 1:1 chat.
        const sent = await this.directMessage(actor, view, activity.id ?? 'command');
        await this.answer(activity, textActivity(sent.ok ? TEAMS_TEXT.linkSentByDm : TEAMS_TEXT.cannotDm));
        return;
      }
      await this.answer(activity, viewActivity(view));
    } catch (error) {
      log.error({ err: error, ...meta }, 'teams command failed');
      this.deps.metrics?.handled('command', 'exception', (Date.now() - started) / 1000);
      await this.answer(activity, textActivity(TEAMS_TEXT.failed));
    }
  }

  /** Answers in the conversation (and thread) the command came from. */
  private async answer(inbound: Activity, outgoing: Partial<Activity>): Promise<void> {
    const outcome = await this.deps.sender.answer(inbound, outgoing);
    if (!outcome.ok) this.log.warn({ requestId: inbound.id, error: outcome.error }, 'teams answer not delivered');
  }

  private directMessage(actor: ChatActor, view: View, requestId: string): Promise<DeliveryOutcome> {
    return this.deps.sender.deliver({ id: `teams-dm-${requestId}`, kind: 'dm', address: { platform: 'teams', user: actor.userId }, view });
  }

  private async greet(context: TurnContext): Promise<void> {
    const activity = context.activity;
    const actor = actorOf(activity);
    if (actor) await this.remember(actor, activity);
    const card = isPersonal(activity) ? welcomeCard() : alertChannelOfferCard();
    await context.sendActivity({ type: 'message', attachments: [cardAttachment(card)], summary: card.fallbackText });
    this.log.info({ conversationType: activity.conversation?.conversationType, requestId: activity.id }, 'teams bot installed');
    this.deps.metrics?.handled('install', 'ok', 0);
  }

  protected override async onAdaptiveCardInvoke(context: TurnContext, invoke: AdaptiveCardInvokeValue): Promise<AdaptiveCardInvokeResponse> {
    const started = Date.now();
    const response = await this.click(context, invoke);
    const ms = Date.now() - started;
    const outcome = response.type === CARD_CONTENT_TYPE ? 'card' : 'message';
    this.log.info({ requestId: context.activity.id, verb: invoke.action?.verb, userId: context.activity.from?.id, answer: outcome, ms }, 'teams click handled');
    this.deps.metrics?.handled('click', outcome, ms / 1000);
    return response;
  }

  private async click(context: TurnContext, invoke: AdaptiveCardInvokeValue): Promise<AdaptiveCardInvokeResponse> {
    const activity = { ...context.activity } as Activity;
    const log = this.log.child({ requestId: activity.id });
    const actor = actorOf(activity);
    if (!actor) return messageResponse(TEAMS_TEXT.failed);
    await this.remember(actor, activity);
    const verb = invoke.action?.verb ?? '';
    const buttonContext = commandContextOf(activity);
    let work: Promise<HandlerResult>;
    if (verb === USE_CHANNEL_VERB) work = this.deps.handlers.runCommand(actor, 'here', buttonContext);
    else {
      // "Send link to…": the people picker's value (the chosen person's Entra object id) arrives in
      // the data beside the ids.
      const data = invoke.action?.data as Record<string, unknown> | undefined;
      const picked = verb === ACTION_IDS.sendLink ? data?.[SEND_LINK_INPUT] : undefined;
      const chosen = typeof picked === 'string' && picked.trim() ? await pickedPerson(context, picked.trim(), log) : undefined;
      work = readClick(verb, data, (click, context) => this.deps.handlers.clickButton(actor, click, context, click.action === 'sendLink' ? chosen : undefined)).invoke(buttonContext);
    }
    const settled = await withinBudget(work, this.deps.invokeBudgetMs);
    if (!settled.done) {
      // Too slow for an invoke answer: the handler goes on; its queued edits update the card.
      this.track(work.then((result) => this.afterClick(result, actor, activity)).catch((error: unknown) => log.error({ err: error, verb }, 'teams click failed')));
      return messageResponse(TEAMS_TEXT.working);
    }
    if (!settled.ok) {
      log.error({ err: settled.error, verb }, 'teams click failed');
      return messageResponse(TEAMS_TEXT.failed);
    }
    return this.afterClick(settled.result, actor, activity, verb === USE_CHANNEL_VERB);
  }

  private async afterClick(result: HandlerResult, actor: ChatActor, activity: Activity, replaceWithReply = false): Promise<AdaptiveCardInvokeResponse> {
    if (!result.ok) {
      this.log.info({ requestId: activity.id, code: result.error.code, reason: result.error.reason }, 'teams click refused');
      // Refusals change nothing and are told to the clicker only, in the invoke answer.
      return messageResponse(plainText(result.error.reply));
    }
    const { message, reply } = result.value;
    let dmFailed = false;
    if (reply?.type === 'link') dmFailed = !(await this.directMessage(actor, reply, activity.id ?? 'click')).ok;
    // One invoke answer only: the card wins. The reply beside it ("link sent to Bob") is also told
    // in the alert's thread by the handlers' follow-ups, so nothing is lost for the clicker.
    if (message) return cardResponse(message);
    if (reply && replaceWithReply) return cardResponse(reply);
    if (reply?.type === 'link') return messageResponse(dmFailed ? TEAMS_TEXT.cannotDm : TEAMS_TEXT.linkSentByDm);
    return messageResponse(reply ? plainText(reply) : 'Done.');
  }
}

function cardResponse(view: View): AdaptiveCardInvokeResponse {
  return { statusCode: 200, type: CARD_CONTENT_TYPE, value: renderCard(view) as unknown as Record<string, unknown> };
}

function messageResponse(text: string): AdaptiveCardInvokeResponse {
  // Teams shows this text to the clicker only; the card stays as it was for everyone.
  return { statusCode: 200, type: MESSAGE_RESPONSE, value: text as unknown as Record<string, unknown> };
}

function textActivity(text: string): Partial<Activity> {
  return { type: 'message', text, textFormat: 'markdown' };
}

/** A view as one line of plain text (invoke message answers show no cards). */
export function plainText(view: View): string {
  const text = view.type === 'text' ? [view.title, plainPhrase(view.rich ?? view.text), ...view.lines].filter(Boolean).join(' ') : (renderCard(view).fallbackText ?? '');
  return teamsCommands(text, 'plain');
}

type Settled<T> = { done: false } | { done: true; ok: true; result: T } | { done: true; ok: false; error: unknown };

async function withinBudget<T>(work: Promise<T>, budgetMs: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), budgetMs);
  });
  try {
    return await Promise.race([work.then((result): Settled<T> => ({ done: true, ok: true, result }), (error: unknown): Settled<T> => ({ done: true, ok: false, error })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
