// A fake Slack Web API on 127.0.0.1 for tests: the service's WebClient points at it through
// SLACK_API_URL (clientOptions.slackApiUrl), and test payloads carry response_urls on it too.
// It answers the methods Xero Guard uses, keeps the messages it was sent (so edits and thread
// replies can be checked), records every call, and can be told to fail: HTTP 429 with
// Retry-After, or `ok: false` with an error such as channel_not_found or cannot_dm_bot.
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

export type SlackCall = {
  /** Web API method (chat.postMessage, ...), or "response_url" for a POST to a response URL. */
  method: string;
  /** Form fields or JSON body; JSON-valued fields (blocks, attachments, view) are parsed. */
  args: Record<string, unknown>;
  /** The bearer token sent, if any. */
  token?: string;
  path: string;
  /** What the fake answered. */
  status: number;
  response: unknown;
  at: number;
};

export type StoredMessage = {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
  edits: number;
};

export type Failure = { status: 429; retryAfter: number } | { status: number; body?: string } | { error: string };

type PendingFailure = { method: string; failure: Failure; times: number; match?: (args: Record<string, unknown>) => boolean };

const JSON_FIELDS = ['blocks', 'attachments', 'view', 'metadata'];

export type FakeSlack = {
  /** Base for SLACK_API_URL, ending in /api/. */
  apiUrl: string;
  origin: string;
  botUserId: string;
  botId: string;
  teamId: string;
  /** A response_url on the fake (for slash command and block_actions payloads). */
  responseUrl(label?: string): string;
  calls(method?: string): SlackCall[];
  messages(channel?: string): StoredMessage[];
  message(channel: string, ts: string): StoredMessage | undefined;
  replies(channel: string, threadTs: string): StoredMessage[];
  /** The next `times` calls to `method` (matching `match`, if given) fail as described. */
  failNext(method: string, failure: Failure, options?: { times?: number; match?: (args: Record<string, unknown>) => boolean }): void;
  /** users.info answers this IANA zone as the user's `tz` (default: none, as for a user without one). */
  setTimeZone(userId: string, tz: string): void;
  /** conversations.open for this user answers ok:false with the error (default cannot_dm_bot), every time. */
  makeUnreachable(userId: string, error?: string): void;
  /**
   * Socket Mode: sends an envelope to the connected app (as Slack does over the WebSocket opened
   * through apps.connections.open) and resolves with the app's ack.
   */
  socketSend(type: 'slash_commands' | 'interactive' | 'events_api', payload: unknown, options?: { retryAttempt?: number }): Promise<{ envelope_id: string; payload?: unknown }>;
  /** Socket Mode: how many app connections are open now. */
  socketConnections(): number;
  /** Socket Mode: cuts every app connection at once, as a network failure does. */
  socketDrop(): void;
  /** Resolves with the first call (already recorded or coming) that satisfies the predicate. */
  waitFor(predicate: (call: SlackCall) => boolean, timeoutMs?: number): Promise<SlackCall>;
  reset(): void;
  close(): Promise<void>;
};

export async function startFakeSlack(options: { botUserId?: string; botId?: string; teamId?: string } = {}): Promise<FakeSlack> {
  const botUserId = options.botUserId ?? 'U0XGBOT01';
  const botId = options.botId ?? 'B0XGBOT01';
  const teamId = options.teamId ?? 'T0ACME001';
  let calls: SlackCall[] = [];
  let stored: StoredMessage[] = [];
  let pending: PendingFailure[] = [];
  let unreachable = new Map<string, string>();
  const zones = new Map<string, string>();
  let tsCounter = 0;
  let hookCounter = 0;
  const waiters = new Set<{ predicate: (c: SlackCall) => boolean; resolve: (c: SlackCall) => void }>();

  const nextTs = () => {
    tsCounter += 1;
    return `1700000000.${String(tsCounter).padStart(6, '0')}`;
  };

  function record(call: SlackCall): void {
    calls.push(call);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(call)) {
        waiters.delete(waiter);
        waiter.resolve(call);
      }
    }
  }

  function takeFailure(method: string, args: Record<string, unknown>): Failure | undefined {
    const index = pending.findIndex((p) => p.method === method && (!p.match || p.match(args)));
    if (index < 0) return undefined;
    const entry = pending[index]!;
    entry.times -= 1;
    if (entry.times <= 0) pending.splice(index, 1);
    return entry.failure;
  }

  function asSlackMessage(m: StoredMessage, withMetadata: unknown) {
    const showMetadata = withMetadata === true || withMetadata === 'true';
    return { type: 'message', ts: m.ts, text: m.text, bot_id: botId, ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}), ...(showMetadata && m.metadata ? { metadata: m.metadata } : {}) };
  }

  function answer(method: string, args: Record<string, unknown>): unknown {
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://acme.slack.com/', team: 'Acme', user: 'xero_guard', team_id: teamId, user_id: botUserId, bot_id: botId };
      case 'chat.postMessage': {
        const channel = String(args.channel ?? '');
        if (!channel) return { ok: false, error: 'channel_not_found' };
        const message: StoredMessage = { channel, ts: nextTs(), text: str(args.text), blocks: arr(args.blocks), attachments: arr(args.attachments), edits: 0 };
        if (args.thread_ts) message.thread_ts = String(args.thread_ts);
        if (args.metadata !== undefined) message.metadata = args.metadata;
        stored.push(message);
        return { ok: true, channel, ts: message.ts, message: { type: 'message', text: message.text, bot_id: botId, ts: message.ts, blocks: message.blocks } };
      }
      case 'chat.update': {
        const found = stored.find((m) => m.channel === args.channel && m.ts === args.ts);
        if (!found) return { ok: false, error: 'message_not_found' };
        found.text = str(args.text);
        if (args.blocks !== undefined) found.blocks = arr(args.blocks);
        if (args.attachments !== undefined) found.attachments = arr(args.attachments);
        found.edits += 1;
        return { ok: true, channel: found.channel, ts: found.ts, text: found.text };
      }
      case 'chat.postEphemeral':
        if (!args.channel || !args.user) return { ok: false, error: 'channel_not_found' };
        return { ok: true, message_ts: nextTs() };
      case 'conversations.open': {
        const users = String(args.users ?? '').split(',').filter(Boolean);
        if (users.length === 0) return { ok: false, error: 'users_list_not_supplied' };
        for (const user of users) {
          const error = unreachable.get(user);
          if (error) return { ok: false, error };
          if (user === botUserId) return { ok: false, error: 'cannot_dm_bot' };
        }
        return { ok: true, channel: { id: `D${users[0]!.replace(/^[UW]/, '')}` } };
      }
      case 'views.publish':
        if (!args.user_id) return { ok: false, error: 'invalid_arguments' };
        return { ok: true, view: { id: `V${nextTs().replace('.', '')}`, type: 'home', blocks: (args.view as { blocks?: unknown })?.blocks } };
      case 'conversations.history': {
        const shown = stored.filter((m) => m.channel === args.channel && !m.thread_ts).reverse().slice(0, Number(args.limit ?? 100));
        return { ok: true, has_more: false, messages: shown.map((m) => asSlackMessage(m, args.include_all_metadata)) };
      }
      case 'conversations.replies': {
        const parent = stored.find((m) => m.channel === args.channel && m.ts === args.ts);
        if (!parent) return { ok: false, error: 'thread_not_found' };
        const thread = [parent, ...stored.filter((m) => m.channel === args.channel && m.thread_ts === args.ts)];
        return { ok: true, has_more: false, messages: thread.map((m) => asSlackMessage(m, args.include_all_metadata)) };
      }
      case 'apps.connections.open':
        return { ok: true, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/link/?ticket=t-${nextTs()}` };
      case 'users.info': {
        const user = String(args.user ?? '');
        if (unreachable.get(user) === 'user_not_found') return { ok: false, error: 'user_not_found' };
        const tz = zones.get(user);
        return {
          ok: true,
          user: { id: user, name: user.toLowerCase(), real_name: `User ${user}`, is_bot: user === botUserId, deleted: unreachable.get(user) === 'account_inactive', ...(tz ? { tz } : {}) },
        };
      }
      case 'views.open': {
        // Slack refuses a trigger_id it did not issue or that is older than 3 s; the fake checks the shape.
        if (typeof args.trigger_id !== 'string' || !args.trigger_id) return { ok: false, error: 'invalid_trigger_id' };
        const view = args.view as { type?: string; blocks?: unknown } | undefined;
        if (view?.type !== 'modal') return { ok: false, error: 'invalid_arguments' };
        return { ok: true, view: { ...view, id: `V${nextTs().replace('.', '')}`, hash: `h${tsCounter}` } };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const isHook = url.pathname.startsWith('/hooks/');
      const method = isHook ? 'response_url' : url.pathname.replace(/^\/api\//, '');
      const args = parseBody(raw, String(req.headers['content-type'] ?? ''));
      const auth = String(req.headers.authorization ?? '');
      const token = auth.startsWith('Bearer ') ? auth.slice(7) : typeof args.token === 'string' ? args.token : undefined;
      const failure = takeFailure(method, args);
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        record({ method, args, token, path: url.pathname, status, response: body, at: Date.now() });
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
        res.end(text);
      };
      if (failure && 'retryAfter' in failure) return send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfter) });
      if (failure && 'status' in failure) return send(failure.status, failure.body ?? 'failure');
      if (failure && 'error' in failure) return send(200, { ok: false, error: failure.error });
      if (isHook) return send(200, 'ok');
      return send(200, answer(method, args));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  // Socket Mode: a WebSocket endpoint on the same server. `ws` comes with @slack/socket-mode.
  const { Server: WsServer } = createRequire(import.meta.url)('ws') as { Server: new (o: { server: http.Server; path?: string }) => WsServerLike };
  const sockets = new Set<WsLike>();
  const acks = new Map<string, (ack: { envelope_id: string; payload?: unknown }) => void>();
  const wss = new WsServer({ server, path: '/link/' });
  wss.on('connection', (socket: WsLike) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('message', (data: unknown) => {
      const ack = JSON.parse(String(data)) as { envelope_id: string; payload?: unknown };
      acks.get(ack.envelope_id)?.(ack);
      acks.delete(ack.envelope_id);
    });
    socket.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0XEROGRD' }, debug_info: { host: 'fake', approximate_connection_time: 3600 } }));
  });
  let envelopeCounter = 0;
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl: `${origin}/api/`,
    origin,
    botUserId,
    botId,
    teamId,
    responseUrl(label = 'commands') {
      hookCounter += 1;
      return `${origin}/hooks/${label}/${teamId}/${hookCounter}/secret${hookCounter}`;
    },
    setTimeZone: (userId, tz) => {
      zones.set(userId, tz);
    },
    calls: (method) => (method ? calls.filter((c) => c.method === method) : [...calls]),
    messages: (channel) => (channel ? stored.filter((m) => m.channel === channel) : [...stored]),
    message: (channel, ts) => stored.find((m) => m.channel === channel && m.ts === ts),
    replies: (channel, threadTs) => stored.filter((m) => m.channel === channel && m.thread_ts === threadTs),
    failNext(method, failure, opts = {}) {
      pending.push({ method, failure, times: opts.times ?? 1, match: opts.match });
    },
    socketSend(type, payload, opts = {}) {
      const envelopeId = `env-${++envelopeCounter}`;
      const envelope = {
        envelope_id: envelopeId,
        type,
        payload,
        accepts_response_payload: type !== 'events_api',
        ...(opts.retryAttempt !== undefined ? { retry_attempt: opts.retryAttempt, retry_reason: 'timeout' } : {}),
      };
      return new Promise((resolve, reject) => {
        const [socket] = sockets;
        if (!socket) return reject(new Error('fake Slack: no Socket Mode connection'));
        const timer = setTimeout(() => reject(new Error(`fake Slack: envelope ${envelopeId} not acked`)), 5_000);
        acks.set(envelopeId, (ack) => {
          clearTimeout(timer);
          resolve(ack);
        });
        socket.send(JSON.stringify(envelope));
      });
    },
    socketConnections: () => sockets.size,
    socketDrop() {
      for (const socket of sockets) socket.terminate();
    },
    makeUnreachable(userId, error = 'cannot_dm_bot') {
      unreachable.set(userId, error);
    },
    waitFor(predicate, timeoutMs = 10_000) {
      const done = calls.find(predicate);
      if (done) return Promise.resolve(done);
      return new Promise((resolve, reject) => {
        const waiter = { predicate, resolve: (c: SlackCall) => (clearTimeout(timer), resolve(c)) };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`fake Slack: no matching call within ${timeoutMs} ms; calls so far: ${calls.map((c) => c.method).join(', ')}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    reset() {
      calls = [];
      stored = [];
      pending = [];
      unreachable = new Map();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type WsLike = { send(data: string): void; on(event: string, listener: (data: unknown) => void): void; terminate(): void };
type WsServerLike = { on(event: 'connection', listener: (socket: WsLike) => void): void; close(): void };

function parseBody(raw: string, contentType: string): Record<string, unknown> {
  if (!raw) return {};
  if (contentType.includes('application/json')) {
    try {
      return JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return { raw };
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    out[key] = JSON_FIELDS.includes(key) ? tryJson(value) : value;
  }
  return out;
}

function tryJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const arr = (v: unknown) => (Array.isArray(v) ? v : undefined);

// ---- What Slack sends to the app: signed requests, shaped as Slack shapes them ----

import { createHmac } from 'node:crypto';

export type SignedRequestOptions = {
  secret: string;
  /** Unix seconds; default now. */
  timestamp?: number;
  /** Replace the computed signature (bad signature tests). */
  signature?: string;
  headers?: Record<string, string>;
};

export function signBody(secret: string, timestamp: number, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

/** POSTs a raw body to the app as Slack would, signed with the signing secret. */
export async function postSigned(url: string, rawBody: string, contentType: string, options: SignedRequestOptions): Promise<{ status: number; body: string; ms: number }> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const started = Date.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': options.signature ?? signBody(options.secret, timestamp, rawBody),
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      ...options.headers,
    },
    body: rawBody,
  });
  return { status: res.status, body: await res.text(), ms: Date.now() - started };
}

export type SlashCommandFields = {
  text: string;
  user_id: string;
  user_name?: string;
  channel_id?: string;
  channel_name?: string;
  response_url: string;
  team_id?: string;
  trigger_id?: string;
};

let triggerCounter = 0;
const nextTrigger = () => `${Date.now()}.${++triggerCounter}.${Math.random().toString(16).slice(2, 10)}`;

/** The form body of a `/xero` slash command, field for field as Slack sends it. */
export function slashCommandBody(fields: SlashCommandFields): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: fields.team_id ?? 'T0ACME001',
    team_domain: 'acme',
    channel_id: fields.channel_id ?? 'C0ALERTS1',
    channel_name: fields.channel_name ?? 'xero-alerts',
    user_id: fields.user_id,
    user_name: fields.user_name ?? fields.user_id.toLowerCase(),
    command: '/xero',
    text: fields.text,
    api_app_id: 'A0XEROGRD',
    is_enterprise_install: 'false',
    response_url: fields.response_url,
    trigger_id: fields.trigger_id ?? nextTrigger(),
  }).toString();
}

export type ButtonClick = {
  user_id: string;
  user_name?: string;
  action_id: string;
  value?: string;
  /** The message the button sits on. */
  channel_id: string;
  message_ts: string;
  response_url: string;
  message?: { text?: string; blocks?: unknown[] };
  action_ts?: string;
  team_id?: string;
  /** A users_select choice: the person picked (the action is then a users_select, not a button). */
  selected_user?: string;
};

/** The payload of a block_actions click on a message button (or a pick in a users_select), as Slack sends it. */
export function blockActionsPayload(click: ButtonClick): Record<string, unknown> {
  type Element = Record<string, unknown> & { action_id?: string; block_id?: string; value?: string; style?: string; text?: unknown };
  const button = (click.message?.blocks ?? [])
    .flatMap((b): Element[] => {
      const block = b as { type?: string; block_id?: string; elements?: Element[]; accessory?: Element };
      if (block.type === 'section' && block.accessory) return [{ ...block.accessory, block_id: block.block_id }];
      return block.type === 'actions' ? (block.elements ?? []).map((e) => ({ ...e, block_id: block.block_id })) : [];
    })
    .find((e) => e.action_id === click.action_id);
  return {
    type: 'block_actions',
    user: { id: click.user_id, username: click.user_name ?? click.user_id.toLowerCase(), name: click.user_name ?? click.user_id.toLowerCase(), team_id: click.team_id ?? 'T0ACME001' },
    api_app_id: 'A0XEROGRD',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: click.message_ts, channel_id: click.channel_id, is_ephemeral: false },
    trigger_id: nextTrigger(),
    team: { id: click.team_id ?? 'T0ACME001', domain: 'acme' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: click.channel_id, name: 'xero-alerts' },
    message: { type: 'message', subtype: 'bot_message', text: click.message?.text ?? '', ts: click.message_ts, bot_id: 'B0XGBOT01', blocks: click.message?.blocks ?? [] },
    state: { values: {} },
    response_url: click.response_url,
    actions: [
      click.selected_user !== undefined
        ? {
            action_id: click.action_id,
            block_id: button?.block_id ?? 'xg_actions',
            type: 'users_select',
            selected_user: click.selected_user,
            action_ts: click.action_ts ?? `${Math.floor(Date.now() / 1000)}.${String(++triggerCounter).padStart(6, '0')}`,
          }
        : {
        action_id: click.action_id,
        block_id: button?.block_id ?? 'xg_actions',
        text: button?.text ?? { type: 'plain_text', text: click.action_id, emoji: true },
        ...(click.value !== undefined || button?.value !== undefined ? { value: click.value ?? button?.value } : {}),
        ...(button?.style ? { style: button.style } : {}),
        type: 'button',
        action_ts: click.action_ts ?? `${Math.floor(Date.now() / 1000)}.${String(++triggerCounter).padStart(6, '0')}`,
          },
    ],
  };
}

export function blockActionsBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** An Events API envelope (JSON body). */
export function eventBody(event: Record<string, unknown>, eventId = `Ev${Date.now()}${++triggerCounter}`): string {
  return JSON.stringify({
    token: 'deprecated-verification-token',
    team_id: 'T0ACME001',
    api_app_id: 'A0XEROGRD',
    event,
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: 'T0ACME001', user_id: 'U0XGBOT01', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  });
}

export const FORM = 'application/x-www-form-urlencoded';
export const JSON_TYPE = 'application/json';

/** A block_actions click on a static_select in a message: the chosen option rides in `selected_option`. */
export function selectActionPayload(click: Omit<ButtonClick, 'value'> & { optionValue: string }): Record<string, unknown> {
  const base = blockActionsPayload({ ...click, value: '' });
  type Select = { action_id?: string; block_id?: string; options?: { text: unknown; value: string }[] };
  const select = (click.message?.blocks ?? [])
    .flatMap((b): Select[] => {
      const block = b as { type?: string; block_id?: string; elements?: Select[] };
      return block.type === 'actions' ? (block.elements ?? []).map((e) => ({ ...e, block_id: block.block_id })) : [];
    })
    .find((e) => e.action_id === click.action_id);
  const option = select?.options?.find((o) => o.value === click.optionValue) ?? { text: { type: 'plain_text', text: 'option' }, value: click.optionValue };
  const [action] = base.actions as Record<string, unknown>[];
  return {
    ...base,
    actions: [
      {
        action_id: click.action_id,
        block_id: select?.block_id ?? action!.block_id,
        type: 'static_select',
        selected_option: option,
        placeholder: { type: 'plain_text', text: 'Select', emoji: true },
        action_ts: action!.action_ts,
      },
    ],
  };
}

/** A modal's submission, as Slack sends it: the view as opened, with the typed values in its state. */
export function viewSubmissionPayload(fields: {
  user_id: string;
  view: { id: string; hash?: string; callback_id?: string; private_metadata?: string; blocks?: unknown };
  values: Record<string, Record<string, { type: string; value: string | null }>>;
  team_id?: string;
}): Record<string, unknown> {
  return {
    type: 'view_submission',
    team: { id: fields.team_id ?? 'T0ACME001', domain: 'acme' },
    user: { id: fields.user_id, username: fields.user_id.toLowerCase(), name: fields.user_id.toLowerCase(), team_id: fields.team_id ?? 'T0ACME001' },
    api_app_id: 'A0XEROGRD',
    token: 'deprecated-verification-token',
    trigger_id: nextTrigger(),
    view: {
      id: fields.view.id,
      team_id: fields.team_id ?? 'T0ACME001',
      type: 'modal',
      blocks: fields.view.blocks ?? [],
      private_metadata: fields.view.private_metadata ?? '',
      callback_id: fields.view.callback_id ?? '',
      state: { values: fields.values },
      hash: fields.view.hash ?? 'h1',
      title: { type: 'plain_text', text: 'Modal' },
      app_id: 'A0XEROGRD',
      bot_id: 'B0XGBOT01',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}
