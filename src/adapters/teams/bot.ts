// The Teams bot: translates inbound activities into handler calls and handler results into cards.
// What every request needs (dedupe of redeliveries, the after-ack bound, timeouts, the request's
// logger, metrics, the fallback answer) is the chat pipeline's, shared with Slack
// (src/adapters/chat/pipeline.ts).
//   message                 a command (1:1, or @mention in a channel); answered after the HTTP
//                           request is acknowledged, so a slow Xero never holds Teams waiting
//   adaptiveCard/action     an Action.Execute click; answered in the invoke response with the
//                           updated card, or privately with a short text when refused
//   conversationUpdate      the bot was added: offer the channel as the alert channel
// Decisions (permissions, state) stay in the handlers.
import { ActivityHandler, type Activity, type AdaptiveCardInvokeResponse, type AdaptiveCardInvokeValue, type TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import { ACTION_IDS, SEND_LINK_INPUT } from '../../domain/actions.ts';
import { ANSWERS } from '../../domain/views/wording.ts';
import { readClick } from '../chat/click.ts';
import { FALLBACK_VIEW, type ChatPipeline } from '../chat/pipeline.ts';
import { plainText as plainPhrase } from '../../domain/views/phrase.ts';
import type { ChatActor } from '../../domain/permissions.ts';
import type { View } from '../../domain/views/model.ts';
import type { DeliveryOutcome } from '../../handlers/ports.ts';
import { CARD_CONTENT_TYPE, teamsCommands } from './cards/card.ts';
import { alertChannelOfferCard, USE_CHANNEL_VERB, welcomeCard } from './cards/offer.ts';
import { cardAttachment, renderCard, viewActivity } from './cards/render.ts';
import { actorOf, addsTheBot, commandContextOf, commandText, isPersonal } from './inbound.ts';
import type { ChatHandlers, HandlerCall, HandlerResult } from '../../handlers/types.ts';
import { pickedPerson } from './members.ts';
import type { TeamsReferences } from './references.ts';
import type { TeamsSender } from './sender.ts';

export type TeamsBotDeps = {
  handlers: ChatHandlers;
  sender: TeamsSender;
  references: TeamsReferences;
  /** Dedupe, the after-ack bound, timeouts, the request's logger and metrics (shared with Slack). */
  pipeline: ChatPipeline;
  /**
   * How long a click may take before the invoke is answered with "working on it" (Teams gives an
   * invoke a few seconds); the work goes on and the outbox edits the card when it is done.
   */
  invokeBudgetMs: number;
};

const MESSAGE_RESPONSE = 'application/vnd.microsoft.activity.message';

/** The answers only Teams gives (its channel replies are public; its invokes must answer in seconds). */
export const TEAMS_TEXT = {
  linkSentByDm: ANSWERS.linkSentByDm,
  cannotDm: ANSWERS.cannotDm,
  working: ANSWERS.working,
} as const;

export class TeamsBot extends ActivityHandler {
  private readonly log: Logger;

  constructor(private readonly deps: TeamsBotDeps) {
    super();
    this.log = deps.pipeline.log;
    this.onMessage(async (context, next) => {
      // A copy: the turn context is gone once the HTTP request is answered.
      const activity = { ...context.activity } as Activity;
      // The command runs after the ack; a redelivery of the same activity runs nothing.
      this.deps.pipeline.once(deliveryKey(activity), 'command', () => this.command(activity));
      await next();
    });
    this.onMembersAdded(async (context, next) => {
      if (addsTheBot(context.activity)) await this.greet(context);
      await next();
    });
  }

  /** Resolves when every command and slow click started so far has finished (shutdown, tests). */
  idle(): Promise<void> {
    return this.deps.pipeline.idle();
  }

  private async remember(actor: ChatActor, activity: Partial<Activity>): Promise<void> {
    try {
      await this.deps.references.rememberUser(actor.userId, actor.name, activity);
    } catch (error) {
      // Only later direct messages depend on it, and they fall back to createConversation.
      this.log.warn({ err: error, userId: actor.userId }, 'could not store the teams user reference');
    }
  }

  private command(activity: Activity): Promise<void> {
    const actor = actorOf(activity);
    if (!actor) return Promise.resolve(); // refused as malformed before the bot (inbound.ts activityProblem)
    const text = commandText(activity);
    // The command word only: what follows may name an organisation, nothing secret, but short logs.
    const facts = { command: (text.split(/\s+/)[0] ?? '').toLowerCase(), userId: actor.userId, conversationType: activity.conversation?.conversationType };
    return this.deps.pipeline.later(
      { kind: 'command', requestId: requestIdOf(activity), facts },
      commandContextOf(activity),
      async (context) => {
        await this.remember(actor, activity);
        return this.deps.handlers.runCommand(actor, text, context);
      },
      (result, log) => this.answerCommand(result, actor, activity, log),
    );
  }

  private async answerCommand(result: HandlerResult, actor: ChatActor, activity: Activity, log: Logger): Promise<void> {
    const view = result.ok ? result.value.reply : result.error.reply;
    if (!view) return;
    if (view.type === 'link' && !isPersonal(activity)) {
      // A single-use link never goes into a channel: it goes to the asker's 1:1 chat.
      const sent = await this.directMessage(actor, view, activity.id ?? 'command');
      await this.answer(activity, textActivity(sent.ok ? TEAMS_TEXT.linkSentByDm : TEAMS_TEXT.cannotDm), log);
      return;
    }
    await this.answer(activity, viewActivity(view), log);
  }

  /** Answers in the conversation (and thread) the command came from. */
  private async answer(inbound: Activity, outgoing: Partial<Activity>, log: Logger): Promise<void> {
    const outcome = await this.deps.sender.answer(inbound, outgoing);
    if (!outcome.ok) log.warn({ error: outcome.error }, 'teams answer not delivered');
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
    this.deps.pipeline.count('install', 'ok');
  }

  protected override async onAdaptiveCardInvoke(context: TurnContext, invoke: AdaptiveCardInvokeValue): Promise<AdaptiveCardInvokeResponse> {
    const activity = { ...context.activity } as Activity;
    const taken = this.deps.pipeline.once(deliveryKey(activity), 'click', () => this.click(context, activity, invoke));
    if (taken.first) return taken.done;
    // A redelivery while the first is being answered gets the same answer; after it, the first's
    // effects are in hand (the outbox edits the card), so the clicker is told just that.
    return taken.running ?? messageResponse(TEAMS_TEXT.working);
  }

  private async click(context: TurnContext, activity: Activity, invoke: AdaptiveCardInvokeValue): Promise<AdaptiveCardInvokeResponse> {
    const actor = actorOf(activity);
    if (!actor) return messageResponse(plainText(FALLBACK_VIEW)); // refused as malformed before the bot
    const verb = invoke.action?.verb ?? '';
    const { call, action } = this.clickCall(context, actor, verb, invoke.action?.data);
    const request = { kind: 'click' as const, requestId: requestIdOf(activity), facts: { action, userId: actor.userId } };
    const work = this.deps.pipeline.run(request, commandContextOf(activity), async (requestContext) => {
      await this.remember(actor, activity);
      return call(requestContext);
    });
    const answered = await withinBudget(work, this.deps.invokeBudgetMs);
    if (!answered.done) {
      // Too slow for an invoke answer: the handler goes on (bounded by the pipeline's timeout);
      // its queued edits update the card.
      this.deps.pipeline.track(work.then((result) => this.afterClick(result, actor, activity)));
      return messageResponse(TEAMS_TEXT.working);
    }
    return this.afterClick(answered.result, actor, activity, verb === USE_CHANNEL_VERB);
  }

  /** The offer's "use this channel" runs `here`; every other verb is an alert button, read once. */
  private clickCall(context: TurnContext, actor: ChatActor, verb: string, rawData: unknown): { call: HandlerCall; action: string } {
    if (verb === USE_CHANNEL_VERB) return { action: 'useChannel', call: (requestContext) => this.deps.handlers.runCommand(actor, 'here', requestContext) };
    // "Send link to…": the people picker's value (the chosen person's Entra object id) arrives in
    // the data beside the ids.
    const data = rawData as Record<string, unknown> | undefined;
    const picked = verb === ACTION_IDS.sendLink ? data?.[SEND_LINK_INPUT] : undefined;
    const read = readClick(verb, data, async (click, requestContext) => {
      const chosen = typeof picked === 'string' && picked.trim() ? await pickedPerson(context, picked.trim(), requestContext.log ?? this.log) : undefined;
      return this.deps.handlers.clickButton(actor, click, requestContext, chosen);
    });
    return { action: read.click?.action ?? verb.slice(0, 40), call: read.invoke };
  }

  private async afterClick(result: HandlerResult, actor: ChatActor, activity: Activity, replaceWithReply = false): Promise<AdaptiveCardInvokeResponse> {
    // Refusals change nothing and are told to the clicker only, in the invoke answer.
    if (!result.ok) return messageResponse(plainText(result.error.reply));
    const { message, reply } = result.value;
    let dmFailed = false;
    if (reply?.type === 'link') dmFailed = !(await this.directMessage(actor, reply, activity.id ?? 'click')).ok;
    // One invoke answer only: the card wins. The reply beside it ("link sent to Bob") is also told
    // in the alert's thread by the handlers' follow-ups, so nothing is lost for the clicker.
    const card = await message?.();
    if (card) return cardResponse(card);
    if (reply && replaceWithReply) return cardResponse(reply);
    if (reply?.type === 'link') return messageResponse(dmFailed ? TEAMS_TEXT.cannotDm : TEAMS_TEXT.linkSentByDm);
    return messageResponse(reply ? plainText(reply) : 'Done.');
  }
}

/** The same on a Bot Framework redelivery of the activity; none without an activity id. */
function deliveryKey(activity: Partial<Activity>): string | undefined {
  return activity.id ? `${activity.conversation?.id}|${activity.id}` : undefined;
}

function requestIdOf(activity: Partial<Activity>): string {
  return activity.id ?? `teams:${Date.now().toString(36)}:${Math.random().toString(36).slice(2, 8)}`;
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

/** The work's result if it settles within the budget (the pipeline's run never rejects). */
async function withinBudget<T>(work: Promise<T>, budgetMs: number): Promise<{ done: false } | { done: true; result: T }> {
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<{ done: false }>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), budgetMs);
  });
  try {
    return await Promise.race([work.then((result) => ({ done: true as const, result })), budget]);
  } finally {
    clearTimeout(timer);
  }
}
