// The Teams bot through HTTP: the real CloudAdapter (no app id: anonymous requests, as the Bot
// Framework Emulator sends them) in front of stand-in handlers, answering to the fake Bot Connector.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../../src/domain/actions.ts';
import { ANSWERS } from '../../../src/domain/views/wording.ts';
import { TEAMS_TEXT } from '../../../src/adapters/teams/bot.ts';
import { USE_CHANNEL_VERB } from '../../../src/adapters/teams/cards/offer.ts';
import { checkCard } from '../../../scripts/check-teams.ts';
import { adaptiveCardInvoke, botAddedToTeam, CHANNEL_CONVERSATION, messageActivity, TENANT_ID, type TeamsUser } from '../../fakes/bot-connector.ts';
import { startTeamsHarness, type TeamsHarness } from './harness.ts';
import type { AlertView } from '../../../src/domain/views/model.ts';
import { createMetrics } from '../../../src/adapters/observability/metrics.ts';

const ann: TeamsUser = { id: '29:ann', aadObjectId: 'aad-ann', name: 'Ann Admin' };

const alert: AlertView = {
  type: 'alert',
  path: 'full_reset',
  inMotion: [],
  linksSent: [],
  incidentId: 'inc-1',
  connectionId: 'con-1',
  tenantName: 'Demo Company (NZ)',
  cause: 'token_revoked',
  headline: 'Xero connection revoked',
  explanation: 'The authorisation expired or was revoked; reconnect.',
  nextStep: 'Remove the app in Xero.',
  since: '2026-03-03T09:00:00.000Z',
  connectedBy: { platform: 'teams', userId: '29:bob', name: 'Bob' },
  steps: { disconnectedHere: { by: { platform: 'teams', userId: '29:ann', name: 'Ann Admin' }, at: '2026-03-03T09:10:00.000Z' } },
  buttons: ['reconnect', 'confirmXero'],
};

const cardOf = (body: any) => body?.attachments?.[0]?.content;

let h: TeamsHarness;
beforeEach(async () => {
  h = await startTeamsHarness();
});
afterEach(async () => {
  await h.close();
});

describe('commands', () => {
  it('runs a 1:1 message as a command and answers in that chat with a card', async () => {
    const inbound = messageActivity(h.connector.serviceUrl, ann, 'status');
    const answer = await h.connector.send(h.botUrl, inbound);
    expect(answer.status).toBe(200);
    await h.surface.bot.idle();

    expect(h.handlers.calls).toHaveLength(1);
    const call = h.handlers.calls[0]!;
    expect(call).toMatchObject({ kind: 'command', text: 'status', actor: { platform: 'teams', userId: '29:ann', name: 'Ann Admin', altIds: ['aad-ann'] } });
    expect(call.context).toMatchObject({ platform: 'teams', isDirect: true, tenantId: TENANT_ID, serviceUrl: h.connector.serviceUrl });

    const [reply] = h.connector.callsOf('replyToActivity');
    expect(reply!.conversationId).toBe(inbound.conversation.id);
    expect(reply!.activityId).toBe(inbound.id);
    expect(cardOf(reply!.body).body.some((e: any) => e.text === 'ran status')).toBe(true);
    expect(checkCard(cardOf(reply!.body))).toEqual([]);
  });

  it('strips the @mention in a channel, answers in the thread and hands over the channel reference', async () => {
    const inbound = messageActivity(h.connector.serviceUrl, ann, 'errors Demo 5', { scope: 'channel', conversationId: `${CHANNEL_CONVERSATION};messageid=1700` });
    await h.connector.send(h.botUrl, inbound);
    await h.surface.bot.idle();

    const call = h.handlers.calls[0]!;
    expect(call.kind === 'command' && call.text).toBe('errors Demo 5');
    expect(call.context).toMatchObject({ channelId: CHANNEL_CONVERSATION, channelName: 'alerts', isDirect: false });
    const reference = JSON.parse(call.context.conversationReference!);
    // Proactive posts go to the channel itself, not to the thread the command was typed in.
    expect(reference).toMatchObject({ serviceUrl: h.connector.serviceUrl, conversation: { id: CHANNEL_CONVERSATION, conversationType: 'channel', tenantId: TENANT_ID } });
    expect(reference.activityId).toBeUndefined();

    const [reply] = h.connector.callsOf('replyToActivity');
    expect(reply!.conversationId).toBe(`${CHANNEL_CONVERSATION};messageid=1700`);
  });

  it.each([
    ['<at>Xero Guard</at> /xero pause Demo', 'pause Demo'],
    ['xero status', 'status'],
    ['  HELP  ', 'HELP'],
  ])('reads %j as the command %j', async (typed, expected) => {
    const inbound = messageActivity(h.connector.serviceUrl, ann, typed);
    await h.connector.send(h.botUrl, inbound);
    await h.surface.bot.idle();
    expect(h.handlers.calls[0]).toMatchObject({ text: expected });
  });

  it('sends a link asked for in a channel by direct message, never into the channel', async () => {
    h.handlers.answer = () => ({
      ok: true,
      value: { reply: { type: 'link', purpose: 'connect', text: 'Connect Xero.', buttonText: 'Connect to Xero', url: 'https://guard.example.com/xero/connect?t=secret', expiresAt: '2026-03-03T09:30:00.000Z' }, queued: false },
    });
    await h.connector.send(h.botUrl, messageActivity(h.connector.serviceUrl, ann, 'connect', { scope: 'channel' }));
    await h.surface.bot.idle();

    const [created] = h.connector.callsOf('createConversation');
    expect(created!.body).toMatchObject({ isGroup: false, members: [{ id: '29:ann' }], tenantId: TENANT_ID });
    const [dm] = h.connector.callsOf('sendToConversation');
    expect(dm!.conversationId).toBe(h.connector.personalConversationId('29:ann'));
    expect(cardOf(dm!.body).actions[0]).toMatchObject({ type: 'Action.OpenUrl', url: 'https://guard.example.com/xero/connect?t=secret' });

    const [channelAnswer] = h.connector.callsOf('replyToActivity');
    expect(channelAnswer!.body.text).toBe(TEAMS_TEXT.linkSentByDm);
    const inChannel = h.connector.calls.filter((c) => c.conversationId?.startsWith('19:'));
    expect(JSON.stringify(inChannel)).not.toContain('t=secret');
  });

  it('tells the channel when the link cannot reach someone who blocked the bot', async () => {
    h.connector.blockUser('29:ann');
    h.handlers.answer = () => ({
      ok: true,
      value: { reply: { type: 'link', purpose: 'connect', text: 'Connect Xero.', buttonText: 'Connect', url: 'https://guard.example.com/xero/connect?t=secret', expiresAt: '2026-03-03T09:30:00.000Z' }, queued: false },
    });
    await h.connector.send(h.botUrl, messageActivity(h.connector.serviceUrl, ann, 'connect', { scope: 'channel' }));
    await h.surface.bot.idle();

    expect(h.connector.callsOf('createConversation')[0]!.status).toBe(403);
    expect(h.connector.callsOf('replyToActivity')[0]!.body.text).toBe(TEAMS_TEXT.cannotDm);
    expect(JSON.stringify(h.connector.calls.filter((c) => c.status < 300))).not.toContain('t=secret');
  });

  it('runs a message the Bot Framework delivers twice only once', async () => {
    const inbound = messageActivity(h.connector.serviceUrl, ann, 'check Demo');
    await h.connector.send(h.botUrl, inbound);
    const again = await h.connector.send(h.botUrl, inbound);
    expect(again.status).toBe(200);
    await h.surface.bot.idle();
    expect(h.handlers.calls).toHaveLength(1);
    expect(h.connector.callsOf('replyToActivity')).toHaveLength(1);
  });

  it('answers a refused command with its explanation', async () => {
    h.handlers.answer = () => ({ ok: false, error: { code: 'not_permitted', reply: { type: 'text', tone: 'danger', text: 'Only admins may connect.', lines: [] } } });
    await h.connector.send(h.botUrl, messageActivity(h.connector.serviceUrl, ann, 'connect'));
    await h.surface.bot.idle();
    const card = cardOf(h.connector.callsOf('replyToActivity')[0]!.body);
    expect(card.body.map((e: any) => e.text)).toContain('Only admins may connect.');
  });

  it('remembers who wrote, so later direct messages reach them', async () => {
    await h.connector.send(h.botUrl, messageActivity(h.connector.serviceUrl, ann, 'status', { scope: 'channel' }));
    await h.surface.bot.idle();
    let row = await h.database.db.chatTarget.findUnique({ where: { platform_kind_externalId: { platform: 'teams', kind: 'user', externalId: '29:ann' } } });
    expect(JSON.parse(row!.conversationReference!)).toMatchObject({ serviceUrl: h.connector.serviceUrl, user: { id: '29:ann' }, conversation: { id: '', tenantId: TENANT_ID } });

    const personal = messageActivity(h.connector.serviceUrl, ann, 'status');
    await h.connector.send(h.botUrl, personal);
    await h.surface.bot.idle();
    row = await h.database.db.chatTarget.findUnique({ where: { id: row!.id } });
    expect(JSON.parse(row!.conversationReference!)).toMatchObject({ conversation: { id: personal.conversation.id, conversationType: 'personal' } });

    // Seen in a channel again: the 1:1 reference is kept.
    await h.connector.send(h.botUrl, messageActivity(h.connector.serviceUrl, ann, 'status', { scope: 'channel' }));
    await h.surface.bot.idle();
    row = await h.database.db.chatTarget.findUnique({ where: { id: row!.id } });
    expect(JSON.parse(row!.conversationReference!).conversation.id).toBe(personal.conversation.id);
  });
});

describe('clicks (Action.Execute)', () => {
  it('answers a click with the updated card in the invoke response', async () => {
    h.handlers.answer = () => ({ ok: true, value: { message: async () => alert, queued: true } });
    const data = { incidentId: 'inc-1', connectionId: 'con-1' };
    const answer = await h.connector.send(h.botUrl, adaptiveCardInvoke(h.connector.serviceUrl, ann, ACTION_IDS.disconnect, data, 'act-9'));

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(checkCard(answer.body.value)).toEqual([]);
    expect(answer.body.value.actions.map((a: any) => a.verb)).toEqual([ACTION_IDS.reconnect, ACTION_IDS.confirmXero]);
    expect(h.handlers.calls[0]).toMatchObject({ kind: 'click', action: 'disconnect', value: data, actor: { userId: '29:ann' }, context: { channelId: CHANNEL_CONVERSATION } });
    // The invoke answer is the update: no extra connector call was needed.
    expect(h.connector.calls).toHaveLength(0);
  });

  it('explains a refused click to the clicker only and leaves the card alone', async () => {
    h.handlers.answer = () => ({ ok: false, error: { code: 'not_permitted', reply: { type: 'text', tone: 'danger', text: 'Only admins or Bob may disconnect Demo.', lines: [] } } });
    const answer = await h.connector.send(h.botUrl, adaptiveCardInvoke(h.connector.serviceUrl, ann, ACTION_IDS.disconnect, { incidentId: 'i', connectionId: 'c' }, 'act-9'));
    expect(answer.body).toEqual({ statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: 'Only admins or Bob may disconnect Demo.' });
    expect(h.connector.calls).toHaveLength(0);
  });

  it('refuses a verb it does not know without calling a handler', async () => {
    const answer = await h.connector.send(h.botUrl, adaptiveCardInvoke(h.connector.serviceUrl, ann, 'xg_drop_tables', {}, 'act-9'));
    expect(answer.body).toMatchObject({ type: 'application/vnd.microsoft.activity.message', value: ANSWERS.unknownButton });
    expect(h.handlers.calls).toHaveLength(0);
  });

  it('sends the link of a Reconnect click by direct message and still answers with the card', async () => {
    h.handlers.answer = () => ({
      ok: true,
      value: { message: async () => alert, reply: { type: 'link', purpose: 'reconnect', text: 'Reconnect Demo.', buttonText: 'Reconnect', url: 'https://guard.example.com/xero/connect?t=r1', expiresAt: '2026-03-03T09:30:00.000Z' }, queued: true },
    });
    const answer = await h.connector.send(h.botUrl, adaptiveCardInvoke(h.connector.serviceUrl, ann, ACTION_IDS.reconnect, { incidentId: 'inc-1', connectionId: 'con-1' }, 'act-9'));
    expect(answer.body.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(h.connector.callsOf('createConversation')).toHaveLength(1);
    expect(cardOf(h.connector.callsOf('sendToConversation')[0]!.body).actions[0].url).toBe('https://guard.example.com/xero/connect?t=r1');
  });
});

describe('slow clicks', () => {
  it('answers "working on it" when the handler outlasts the invoke budget, and lets it finish', async () => {
    await h.close();
    h = await startTeamsHarness({ invokeBudgetMs: 20 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let finished = false;
    h.handlers.answer = async () => {
      await gate;
      finished = true;
      return { ok: true, value: { message: async () => alert, queued: true } };
    };
    const answer = await h.connector.send(h.botUrl, adaptiveCardInvoke(h.connector.serviceUrl, ann, ACTION_IDS.confirmXero, { incidentId: 'inc-1', connectionId: 'con-1' }, 'act-9'));
    expect(answer.body).toMatchObject({ type: 'application/vnd.microsoft.activity.message', value: TEAMS_TEXT.working });
    expect(finished).toBe(false);
    release();
    await h.surface.bot.idle();
    expect(finished).toBe(true);
  });
});

describe('redelivered clicks', () => {
  it('gives a click redelivered while the first is being answered the same answer, running the handler once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    h.handlers.answer = async () => {
      await gate;
      return { ok: true, value: { message: async () => alert, queued: true } };
    };
    const click = adaptiveCardInvoke(h.connector.serviceUrl, ann, ACTION_IDS.confirmXero, { incidentId: 'inc-1', connectionId: 'con-1' }, 'act-9');
    const first = h.connector.send(h.botUrl, click);
    await expect.poll(() => h.handlers.calls.length).toBe(1);
    const again = h.connector.send(h.botUrl, click);
    await expect.poll(() => h.logs.lines().some((l) => l.msg === 'chat request repeated, ignored')).toBe(true);
    release();
    const answers = await Promise.all([first, again]);
    expect(answers.map((a) => a.body.type)).toEqual(['application/vnd.microsoft.card.adaptive', 'application/vnd.microsoft.card.adaptive']);
    expect(answers[1]!.body).toEqual(answers[0]!.body);
    expect(h.handlers.calls).toHaveLength(1);
  });

  it('tells a click redelivered after it was answered that the card follows, and runs nothing again', async () => {
    h.handlers.answer = () => ({ ok: true, value: { message: async () => alert, queued: true } });
    const click = adaptiveCardInvoke(h.connector.serviceUrl, ann, ACTION_IDS.confirmXero, { incidentId: 'inc-1', connectionId: 'con-1' }, 'act-9');
    expect((await h.connector.send(h.botUrl, click)).body.type).toBe('application/vnd.microsoft.card.adaptive');
    expect((await h.connector.send(h.botUrl, click)).body).toMatchObject({ type: 'application/vnd.microsoft.activity.message', value: TEAMS_TEXT.working });
    expect(h.handlers.calls).toHaveLength(1);
  });
});

describe('installation', () => {
  it('offers the channel as the alert channel when added to a team, and the offer runs `here`', async () => {
    const answer = await h.connector.send(h.botUrl, botAddedToTeam(h.connector.serviceUrl, ann));
    expect(answer.status).toBe(200);
    const [offer] = h.connector.callsOf('replyToActivity').concat(h.connector.callsOf('sendToConversation'));
    const card = cardOf(offer!.body);
    expect(checkCard(card)).toEqual([]);
    expect(card.actions[0]).toMatchObject({ type: 'Action.Execute', verb: USE_CHANNEL_VERB });

    h.handlers.answer = () => ({ ok: true, value: { reply: { type: 'text', tone: 'good', text: 'This channel now receives the Teams alerts.', lines: [] }, queued: false } });
    const click = await h.connector.send(h.botUrl, adaptiveCardInvoke(h.connector.serviceUrl, ann, USE_CHANNEL_VERB, {}, 'act-1', { scope: 'channel', conversationId: '19:team-general@thread.tacv2' }));
    expect(h.handlers.calls.at(-1)).toMatchObject({ kind: 'command', text: 'here', context: { channelId: '19:team-general@thread.tacv2', isDirect: false } });
    expect(click.body.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(click.body.value.body.map((e: any) => e.text)).toContain('This channel now receives the Teams alerts.');
  });

  it('welcomes a person who installs it for themselves', async () => {
    const activity = { ...botAddedToTeam(h.connector.serviceUrl, ann), conversation: { id: 'a:personal-29ann', conversationType: 'personal', tenantId: TENANT_ID } };
    await h.connector.send(h.botUrl, activity);
    const sent = h.connector.calls[0]!;
    expect(cardOf(sent.body).actions).toBeUndefined();
    expect(cardOf(sent.body).body[0].items[0].text).toContain('Xero Guard');
  });
});

describe('observability', () => {
  it('logs each command and click once with its duration, and counts them', async () => {
    await h.close();
    const metrics = createMetrics();
    h = await startTeamsHarness({ metrics });
    await h.connector.send(h.botUrl, messageActivity(h.connector.serviceUrl, ann, 'status'));
    await h.surface.bot.idle();
    h.handlers.answer = () => ({ ok: false, error: { code: 'not_permitted', reply: { type: 'text', tone: 'danger', text: 'No.', lines: [] } } });
    await h.connector.send(h.botUrl, adaptiveCardInvoke(h.connector.serviceUrl, ann, ACTION_IDS.disconnect, { incidentId: 'i', connectionId: 'c' }, 'act-9'));

    const lines = h.logs.lines();
    expect(lines.filter((l) => l.msg === 'chat request handled')).toEqual([expect.objectContaining({ platform: 'teams', kind: 'command', command: 'status', userId: '29:ann', ms: expect.any(Number) })]);
    expect(lines.filter((l) => l.msg === 'chat request refused')).toEqual([expect.objectContaining({ platform: 'teams', kind: 'click', action: 'disconnect', outcome: 'not_permitted' })]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('xero_guard_chat_requests_total{platform="teams",kind="command",outcome="ok"} 1');
    expect(text).toContain('xero_guard_chat_requests_total{platform="teams",kind="click",outcome="not_permitted"} 1');
  });
});
