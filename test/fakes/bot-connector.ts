// A local fake of the Bot Connector service that Teams bots talk to. The bot reaches it because
// every outbound call goes to the activity's (or stored reference's) serviceUrl, which tests set to
// this server's URL. It records what the bot sent, answers the four calls the bot uses
// (createConversation, sendToConversation, replyToActivity, updateActivity) and can be told to
// fail: 429 with Retry-After, 412/502/503/504, and 403 for a user who blocked the bot.
//
// It also plays the Teams client: `send()` posts an inbound activity to the bot's /api/messages,
// as the Bot Framework channel would, and returns the HTTP answer (invoke responses come back in
// the body).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ConnectorOperation = 'createConversation' | 'sendToConversation' | 'replyToActivity' | 'updateActivity' | 'getMember';

/** One call the bot made, in order. */
export type ConnectorCall = {
  operation: ConnectorOperation;
  method: string;
  path: string;
  conversationId?: string;
  /** replyToActivity: the parent; updateActivity: the edited activity. */
  activityId?: string;
  authorization?: string;
  body: any;
  /** What the fake answered. */
  status: number;
};

/** A message as it stands in the fake's conversations (created by send or reply, changed by update). */
export type StoredActivity = {
  id: string;
  conversationId: string;
  replyToId?: string;
  body: any;
  updates: number;
};

export type Fault = {
  operation?: ConnectorOperation;
  /** Only calls whose path contains this (after decoding). */
  pathIncludes?: string;
  status: number;
  retryAfterSeconds?: number;
  body?: unknown;
  /** How many calls fail this way (default 1). */
  times?: number;
};

export type InboundAnswer = { status: number; body: any; text: string };

export type FakeBotConnector = {
  /** Base URL with a trailing slash, as Teams serviceUrls have: http://127.0.0.1:PORT/ */
  readonly serviceUrl: string;
  readonly calls: ConnectorCall[];
  /** Every message in every conversation, keyed by activity id. */
  readonly activities: Map<string, StoredActivity>;
  /** Calls of one kind, in order. */
  callsOf(operation: ConnectorOperation): ConnectorCall[];
  /** The 1:1 conversation id the fake gives a user (createConversation is idempotent per user, as in Teams). */
  personalConversationId(userId: string): string;
  fail(fault: Fault): void;
  /** Every createConversation naming this user, and every send into their 1:1, answers 403. */
  blockUser(userId: string): void;
  /** A member of the team and its chats: GET .../members/{id} answers them by Teams id or Entra object id. */
  addMember(user: TeamsUser): void;
  /** Resolves when the number of calls of that kind reaches `count`. */
  waitFor(operation: ConnectorOperation, count?: number, timeoutMs?: number): Promise<ConnectorCall[]>;
  /** Plays Teams: POSTs an inbound activity to the bot. */
  send(botUrl: string, activity: object, headers?: Record<string, string>): Promise<InboundAnswer>;
  close(): Promise<void>;
};

export async function startFakeBotConnector(): Promise<FakeBotConnector> {
  const calls: ConnectorCall[] = [];
  const activities = new Map<string, StoredActivity>();
  const faults: (Fault & { left: number })[] = [];
  const blocked = new Set<string>();
  const members: TeamsUser[] = [];
  const waiters: (() => void)[] = [];
  let nextId = 1;

  const personalConversationId = (userId: string) => `a:personal-${userId.replace(/[^A-Za-z0-9-]/g, '')}`;
  const isBlockedConversation = (conversationId: string) => [...blocked].some((u) => personalConversationId(u) === conversationId);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: any = undefined;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
      const answer = route(req.method ?? 'GET', req.url ?? '/', body, req.headers.authorization);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      for (const wake of waiters.splice(0)) wake();
    });
  });

  type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

  function route(method: string, url: string, body: any, authorization: string | undefined): Answer {
    const path = decodeURIComponent(new URL(url, 'http://fake').pathname);
    const member = /^\/v3\/conversations\/([^/]+)\/members\/([^/]+)$/.exec(path);
    if (member && method === 'GET') {
      const call: ConnectorCall = { operation: 'getMember', method, path, conversationId: member[1], authorization, body, status: 0 };
      calls.push(call);
      const found = members.find((m) => m.id === member[2] || m.aadObjectId === member[2]);
      const answer: Answer = found
        ? { status: 200, body: { id: found.id, name: found.name, aadObjectId: found.aadObjectId, userPrincipalName: `${found.name.split(' ')[0]!.toLowerCase()}@example.com`, tenantId: TENANT_ID } }
        : { status: 404, body: { error: { code: 'MemberNotFoundInConversation', message: 'The member was not found in the conversation.' } } };
      call.status = answer.status;
      return answer;
    }
    const match = /^\/v3\/conversations(?:\/(.+?)\/activities(?:\/([^/]+))?)?\/?$/.exec(path);
    if (!match) return { status: 404, body: { error: { code: 'NotFound', message: `no route ${method} ${path}` } } };
    const [, conversationId, activityId] = match;
    const operation: ConnectorOperation | undefined =
      method === 'POST' && !conversationId
        ? 'createConversation'
        : method === 'POST' && conversationId && !activityId
          ? 'sendToConversation'
          : method === 'POST' && activityId
            ? 'replyToActivity'
            : method === 'PUT' && activityId
              ? 'updateActivity'
              : undefined;
    if (!operation) return { status: 405, body: { error: { code: 'MethodNotAllowed', message: `${method} ${path}` } } };
    const call: ConnectorCall = { operation, method, path, conversationId, activityId, authorization, body, status: 0 };
    calls.push(call);
    const answer = answerFor(call);
    call.status = answer.status;
    return answer;
  }

  function answerFor(call: ConnectorCall): Answer {
    const fault = faults.find((f) => f.left > 0 && (!f.operation || f.operation === call.operation) && (!f.pathIncludes || call.path.includes(f.pathIncludes)));
    if (fault) {
      fault.left -= 1;
      return {
        status: fault.status,
        body: fault.body ?? { error: { code: fault.status === 429 ? 'Throttled' : 'ServiceError', message: `fake fault ${fault.status}` } },
        headers: fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : undefined,
      };
    }
    switch (call.operation) {
      case 'createConversation': {
        const member: string | undefined = call.body?.members?.[0]?.id;
        if (!member) return { status: 400, body: { error: { code: 'BadSyntax', message: 'members must contain exactly 1 member' } } };
        if (blocked.has(member)) {
          return { status: 403, body: { error: { code: 'ConversationBlockedByUser', message: 'User blocked the conversation with the bot.' } } };
        }
        const id = personalConversationId(member);
        return { status: 201, body: { id } };
      }
      case 'sendToConversation':
      case 'replyToActivity': {
        const conversationId = call.conversationId!;
        if (isBlockedConversation(conversationId)) {
          return { status: 403, body: { error: { code: 'ConversationBlockedByUser', message: 'User blocked the conversation with the bot.' } } };
        }
        const id = `act-${nextId++}`;
        activities.set(id, { id, conversationId, replyToId: call.activityId, body: call.body, updates: 0 });
        return { status: 201, body: { id } };
      }
      case 'getMember':
        return { status: 405, body: { error: { code: 'MethodNotAllowed', message: 'members are read with GET' } } };
      case 'updateActivity': {
        const existing = activities.get(call.activityId!);
        if (!existing) return { status: 404, body: { error: { code: 'ActivityNotFound', message: 'Unknown activity' } } };
        existing.body = call.body;
        existing.updates += 1;
        return { status: 200, body: { id: existing.id } };
      }
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;

  return {
    serviceUrl: `http://127.0.0.1:${port}/`,
    calls,
    activities,
    callsOf: (operation) => calls.filter((c) => c.operation === operation),
    personalConversationId,
    fail(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    blockUser(userId) {
      blocked.add(userId);
    },
    addMember(user) {
      members.push(user);
    },
    async waitFor(operation, count = 1, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = calls.filter((c) => c.operation === operation);
        if (found.length >= count) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`fake connector: waited for ${count} ${operation} call(s), saw ${found.length}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 250));
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    async send(botUrl, activity, headers = {}) {
      const post = () => fetch(botUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(activity) });
      // An idle keep-alive socket the service closed just as this request went out fails before
      // the service sees anything; Azure's connector retries such a send, and so do we, once.
      const response = await post().catch((error: unknown) => {
        if ((error as { cause?: { code?: string } }).cause?.code === 'UND_ERR_SOCKET') return post();
        throw error;
      });
      const text = await response.text();
      let parsed: any = undefined;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.status, body: parsed, text };
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

// ---- Inbound activities as Teams sends them (shapes from the Bot Framework schema) ----

export type TeamsUser = { id: string; aadObjectId?: string; name: string };

export const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const BOT = { id: '28:bot-app-id', name: 'Xero Guard' };
export const CHANNEL_CONVERSATION = '19:alerts-channel@thread.tacv2';
export const TEAM_ID = '19:team-general@thread.tacv2';

let inboundCounter = 1;
const nextInboundId = () => `in-${Date.now().toString(36)}-${inboundCounter++}`;

type Where = { scope: 'personal' } | { scope: 'channel'; conversationId?: string; channelName?: string };

function conversationFor(user: TeamsUser, where: Where) {
  if (where.scope === 'personal') {
    return { id: `a:personal-${user.id.replace(/[^A-Za-z0-9-]/g, '')}`, conversationType: 'personal', tenantId: TENANT_ID, isGroup: false };
  }
  return { id: where.conversationId ?? CHANNEL_CONVERSATION, conversationType: 'channel', tenantId: TENANT_ID, isGroup: true, name: where.channelName };
}

function channelDataFor(where: Where) {
  if (where.scope === 'personal') return { tenant: { id: TENANT_ID } };
  const channelId = where.conversationId ?? CHANNEL_CONVERSATION;
  return { tenant: { id: TENANT_ID }, team: { id: TEAM_ID, name: 'Finance' }, channel: { id: channelId, name: where.channelName ?? 'alerts' } };
}

/** A message typed to the bot: in a channel it carries the @mention Teams adds. */
export function messageActivity(serviceUrl: string, user: TeamsUser, text: string, where: Where = { scope: 'personal' }) {
  const mention = where.scope === 'channel';
  const fullText = mention ? `<at>${BOT.name}</at> ${text}` : text;
  return {
    type: 'message',
    id: nextInboundId(),
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl,
    from: { id: user.id, name: user.name, aadObjectId: user.aadObjectId },
    recipient: BOT,
    conversation: conversationFor(user, where),
    text: fullText,
    textFormat: 'plain',
    entities: mention ? [{ type: 'mention', text: `<at>${BOT.name}</at>`, mentioned: BOT }] : [],
    channelData: channelDataFor(where),
    locale: 'en-US',
  };
}

/** An Action.Execute click on a card the bot posted (`replyToId` is that card's activity id). */
export function adaptiveCardInvoke(
  serviceUrl: string,
  user: TeamsUser,
  verb: string,
  data: unknown,
  cardActivityId: string,
  where: Where = { scope: 'channel' },
) {
  return {
    type: 'invoke',
    name: 'adaptiveCard/action',
    id: nextInboundId(),
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl,
    from: { id: user.id, name: user.name, aadObjectId: user.aadObjectId },
    recipient: BOT,
    conversation: conversationFor(user, where),
    replyToId: cardActivityId,
    value: { action: { type: 'Action.Execute', id: 'action', verb, data }, trigger: 'manual' },
    channelData: channelDataFor(where),
    locale: 'en-US',
  };
}

/** The bot was added to a team: Teams sends conversationUpdate to the team's General channel. */
export function botAddedToTeam(serviceUrl: string, by: TeamsUser, conversationId = TEAM_ID) {
  return {
    type: 'conversationUpdate',
    id: nextInboundId(),
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl,
    from: { id: by.id, name: by.name, aadObjectId: by.aadObjectId },
    recipient: BOT,
    conversation: { id: conversationId, conversationType: 'channel', tenantId: TENANT_ID, isGroup: true },
    membersAdded: [{ id: BOT.id }],
    channelData: { tenant: { id: TENANT_ID }, team: { id: TEAM_ID, name: 'Finance' }, eventType: 'teamMemberAdded' },
  };
}
