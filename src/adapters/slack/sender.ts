// The Slack ChatSender: the outbox worker hands it one delivery at a time and gets back where the
// message landed (for later edits and thread replies) or why it did not (retry, give up, or the
// user cannot be reached). It never retries by itself: the outbox owns retries and Retry-After,
// so the WebClient is built with retries off and rate-limited calls rejected at once.
import type { Logger } from 'pino';
import { webApi } from '@slack/bolt';
import type { ChatAddress, ChatSender, Delivery, DeliveryOutcome } from '../../handlers/ports.ts';
import type { HomeView, SlackMessage } from './blocks.ts';
import { checkHome, checkMessage } from './limits.ts';
import { renderHomeView, renderView } from './render.ts';
import { classifyResponseUrlStatus, classifySlackError, ResponseUrlError, type DeliveryFailure } from './slack-errors.ts';

type WebClient = InstanceType<typeof webApi.WebClient>;
type SlackAddress = Extract<ChatAddress, { platform: 'slack' }>;

export type SlackSenderDeps = {
  client: WebClient;
  logger: Logger;
  /** response_url hosts we post to; anything else in a payload is refused (no open relay). */
  responseUrlOrigins: readonly string[];
  now?: () => Date;
  fetch?: typeof fetch;
  timeoutMs?: number;
};

export type SlackSender = ChatSender & {
  /** Publishes a view to a user's App Home tab directly (app_home_opened), outside the outbox. */
  publishHome(userId: string, view: HomeView): Promise<DeliveryOutcome>;
  /**
   * After a crash between Slack's answer and the outbox's record: finds the message an earlier
   * attempt of this delivery posted, by the delivery id in its message metadata, so the outbox
   * records it instead of posting it twice. Undefined when not found or not findable.
   */
  findDelivered(delivery: Delivery): Promise<{ channelId: string; messageId: string } | undefined>;
};

/** Message metadata type that carries the outbox delivery id on every message we post. */
export const DELIVERY_EVENT_TYPE = 'xero_guard_delivery';
/** How far back in a channel (or thread) an interrupted delivery is looked for. */
const FIND_LIMIT = 100;

export function createSlackClient(options: { token: string; apiUrl: string; timeoutMs?: number }): WebClient {
  return new webApi.WebClient(options.token, {
    slackApiUrl: options.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: options.timeoutMs ?? 10_000,
    logLevel: webApi.LogLevel.ERROR,
  });
}

export function createSlackSender(deps: SlackSenderDeps): SlackSender {
  const log = deps.logger.child({ platform: 'slack' });
  const doFetch = deps.fetch ?? globalThis.fetch;
  const now = deps.now ?? (() => new Date());
  // Pages of a multi-message answer already sent, per delivery: a retry after page 3 failed
  // sends pages 3.. only, so a retry never duplicates what the channel already shows.
  const pagesSent = new Map<string, { count: number; first?: { channelId: string; messageId: string } }>();

  async function postToResponseUrl(url: string, body: Record<string, unknown>): Promise<void> {
    if (!deps.responseUrlOrigins.some((origin) => url.startsWith(origin))) {
      throw new ResponseUrlError({ ok: false, retry: false, error: 'response_url host not allowed' });
    }
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new ResponseUrlError({ ok: false, retry: true, error: `response_url unreachable: ${error instanceof Error ? error.message : String(error)}` }, { cause: error });
    }
    const text = await response.text();
    if (!response.ok) throw new ResponseUrlError(classifyResponseUrlStatus(response.status, response.headers.get('retry-after'), text));
  }

  /** Sends each page in turn, skipping pages an earlier attempt already delivered. */
  async function sendPages(
    delivery: Delivery,
    messages: SlackMessage[],
    sendOne: (message: SlackMessage, index: number) => Promise<{ channelId: string; messageId: string }>,
  ): Promise<DeliveryOutcome> {
    const progress = pagesSent.get(delivery.id) ?? { count: 0 };
    for (let i = progress.count; i < messages.length; i++) {
      const landed = await sendOne(messages[i]!, i);
      progress.count = i + 1;
      progress.first ??= landed;
      pagesSent.set(delivery.id, progress);
      if (pagesSent.size > 1_000) pagesSent.delete(pagesSent.keys().next().value as string);
    }
    pagesSent.delete(delivery.id);
    return { ok: true, ...(progress.first ?? { channelId: '', messageId: '' }) };
  }

  const messageArgs = (m: SlackMessage) => ({ text: m.text, blocks: m.blocks as never, attachments: m.attachments as never, unfurl_links: false, unfurl_media: false });

  async function postMessage(channel: string, m: SlackMessage, deliveryId: string, threadTs?: string) {
    const result = await deps.client.chat.postMessage({
      channel,
      ...messageArgs(m),
      ...(threadTs ? { thread_ts: threadTs } : {}),
      metadata: { event_type: DELIVERY_EVENT_TYPE, event_payload: { delivery_id: deliveryId } },
    });
    return { channelId: result.channel ?? channel, messageId: result.ts ?? '' };
  }

  async function openDm(user: string): Promise<string> {
    const opened = await deps.client.conversations.open({ users: user });
    const id = opened.channel?.id;
    if (!id) throw new webApi.WebAPIPlatformError({ ok: false, error: 'channel_not_found' });
    return id;
  }

  async function deliverTo(delivery: Delivery, address: SlackAddress, messages: SlackMessage[]): Promise<DeliveryOutcome> {
    const { kind } = delivery;
    if (kind === 'update') {
      const [first] = messages;
      if ('responseUrl' in address) {
        await postToResponseUrl(address.responseUrl, { replace_original: true, ...first });
        return { ok: true, channelId: delivery.existing?.channelId ?? '', messageId: delivery.existing?.messageId ?? '' };
      }
      const target = delivery.existing;
      if (!target) return { ok: false, retry: false, error: 'update without the message to edit' };
      await deps.client.chat.update({ channel: target.channelId, ts: target.messageId, ...messageArgs(first!) });
      return { ok: true, channelId: target.channelId, messageId: target.messageId };
    }
    if (kind === 'reply') {
      const parent = delivery.parent;
      if (!parent) return { ok: false, retry: false, error: 'reply without a thread parent' };
      return sendPages(delivery, messages, (m) => postMessage(parent.channelId, m, delivery.id, parent.messageId));
    }
    if ('responseUrl' in address) {
      const responseType = kind === 'ephemeral' ? 'ephemeral' : 'in_channel';
      return sendPages(delivery, messages, async (m) => {
        await postToResponseUrl(address.responseUrl, { response_type: responseType, replace_original: false, ...m });
        return { channelId: '', messageId: '' };
      });
    }
    if ('ephemeralIn' in address) {
      return sendPages(delivery, messages, async (m) => {
        const result = await deps.client.chat.postEphemeral({ channel: address.ephemeralIn, user: address.user, ...messageArgs(m) });
        return { channelId: address.ephemeralIn, messageId: result.message_ts ?? '' };
      });
    }
    if ('user' in address) {
      // A DM: open (or find) the one-to-one conversation, then post into it.
      const channel = await openDm(address.user);
      return sendPages(delivery, messages, (m) => postMessage(channel, m, delivery.id));
    }
    return sendPages(delivery, messages, (m) => postMessage(address.channel, m, delivery.id));
  }

  async function publishHome(userId: string, view: HomeView): Promise<DeliveryOutcome> {
    const violations = checkHome(view);
    if (violations.length > 0) return renderFailure(log, 'home', violations);
    try {
      const result = await deps.client.views.publish({ user_id: userId, view: view as never });
      return { ok: true, channelId: userId, messageId: result.view?.id ?? '' };
    } catch (error) {
      const failure = classifySlackError(error);
      log.warn({ kind: 'home', error: failure.error, retry: failure.retry }, 'slack home publish failed');
      return failure;
    }
  }

  async function findDelivered(delivery: Delivery): Promise<{ channelId: string; messageId: string } | undefined> {
    const address = delivery.address;
    if (address.platform !== 'slack' || delivery.kind === 'update' || delivery.kind === 'ephemeral' || delivery.kind === 'home') return undefined;
    if ('responseUrl' in address || 'ephemeralIn' in address) return undefined;
    try {
      let channel: string;
      let messages: { ts?: string; metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }[];
      if (delivery.kind === 'reply' && delivery.parent) {
        channel = delivery.parent.channelId;
        const replies = await deps.client.conversations.replies({ channel, ts: delivery.parent.messageId, limit: FIND_LIMIT, include_all_metadata: true });
        messages = (replies.messages ?? []) as typeof messages;
      } else {
        channel = 'user' in address ? await openDm(address.user) : address.channel;
        const history = await deps.client.conversations.history({ channel, limit: FIND_LIMIT, include_all_metadata: true });
        messages = (history.messages ?? []) as typeof messages;
      }
      const found = messages.find((m) => m.metadata?.event_type === DELIVERY_EVENT_TYPE && m.metadata.event_payload?.delivery_id === delivery.id);
      return found?.ts ? { channelId: channel, messageId: found.ts } : undefined;
    } catch (error) {
      // Not findable (no history scope, channel gone, Slack down): the outbox sends it again,
      // which at worst shows one message twice and never loses it.
      log.warn({ deliveryId: delivery.id, error: classifySlackError(error).error }, 'slack in-doubt delivery not looked up');
      return undefined;
    }
  }

  return {
    platform: 'slack',
    publishHome,
    findDelivered,
    async deliver(delivery) {
      const address = delivery.address;
      if (address.platform !== 'slack') return { ok: false, retry: false, error: 'not a Slack address' };
      if (delivery.kind === 'home') {
        if (!('user' in address)) return { ok: false, retry: false, error: 'home needs a user' };
        return publishHome(address.user, renderHomeView(delivery.view, now()));
      }
      const messages = renderView(delivery.view);
      const violations = messages.flatMap(checkMessage);
      if (violations.length > 0) return renderFailure(log, delivery.kind, violations, delivery.id);
      try {
        return await deliverTo(delivery, address, messages);
      } catch (error) {
        const failure = classifySlackError(error);
        const level = failure.retry || failure.unreachableUser ? 'warn' : 'error';
        log[level]({ deliveryId: delivery.id, kind: delivery.kind, view: delivery.view.type, error: failure.error, retry: failure.retry, retryAfterMs: failure.retryAfterMs }, 'slack delivery failed');
        return failure;
      }
    },
  };
}

function renderFailure(log: Logger, kind: string, violations: { path: string; problem: string }[], deliveryId?: string): DeliveryFailure {
  // A render over Block Kit's limits is our bug; Slack would refuse it every time.
  log.error({ deliveryId, kind, violations: violations.slice(0, 5) }, 'slack message breaks block kit limits');
  return { ok: false, retry: false, error: `block kit limits: ${violations[0]?.path} ${violations[0]?.problem}` };
}
