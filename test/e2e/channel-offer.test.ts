// When the bot joins a channel it offers that channel as the alert channel, on Slack (invited to a
// channel: member_joined_channel) and on Teams (added to a team), in the same words and with the
// same button, which runs `here` with its permission check. Through HTTP, with the real handlers.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USE_CHANNEL_ACTION } from '../../src/domain/actions.ts';
import { WELCOME } from '../../src/domain/views/wording.ts';
import { checkCard } from '../../scripts/check-teams.ts';
import { startInProcessService, until, type InProcessService } from '../support/in-process-service.ts';
import { FORM, JSON_TYPE, blockActionsBody, blockActionsPayload, eventBody, postSigned, startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { adaptiveCardInvoke, botAddedToTeam, startFakeBotConnector, type FakeBotConnector, type TeamsUser } from '../fakes/bot-connector.ts';

describe('Slack: invited to a channel, the bot offers it as the alert channel', () => {
  const secret = 'offer-signing-secret';
  const channel = 'C0FINANCE';
  let slack: FakeSlack;
  let world: InProcessService;

  beforeAll(async () => {
    slack = await startFakeSlack();
    world = await startInProcessService({ SLACK_BOT_TOKEN: `xoxb-${randomBytes(6).toString('hex')}`, SLACK_SIGNING_SECRET: secret, SLACK_API_URL: slack.apiUrl, SLACK_ADMIN_USER_IDS: 'U0ANN0001' });
  });
  afterAll(async () => {
    await world?.stop();
    await slack?.close();
  });

  async function click(user: string, offer: { ts: string; blocks: unknown[] }) {
    const responseUrl = slack.responseUrl('offer');
    const payload = blockActionsPayload({ user_id: user, action_id: USE_CHANNEL_ACTION, channel_id: channel, message_ts: offer.ts, response_url: responseUrl, message: { blocks: offer.blocks } });
    expect((await postSigned(`${world.base}/slack/events`, blockActionsBody(payload), FORM, { secret })).status).toBe(200);
    return JSON.stringify((await slack.waitFor((c) => c.method === 'response_url' && c.path === new URL(responseUrl).pathname)).args);
  }

  it('posts the offer once when the bot itself joins, not when someone else does; an admin\'s click makes it the alert channel, a stranger\'s changes nothing', async () => {
    const joined = (user: string, ts: string) => eventBody({ type: 'member_joined_channel', user, channel, channel_type: 'C', team: 'T0ACME001', inviter: 'U0ANN0001', event_ts: ts });
    expect((await postSigned(`${world.base}/slack/events`, joined('U0SOMEONE', '1700000000.000100'), JSON_TYPE, { secret })).status).toBe(200);
    expect((await postSigned(`${world.base}/slack/events`, joined(slack.botUserId, '1700000000.000200'), JSON_TYPE, { secret })).status).toBe(200);
    const posted = await slack.waitFor((c) => c.method === 'chat.postMessage' && c.args.channel === channel);
    const offer = { ts: (posted.response as { ts: string }).ts, blocks: (posted.args.blocks ?? []) as unknown[] };
    const content = JSON.stringify(posted.args);
    expect(content).toContain(WELCOME.offerTitle);
    expect(content).toContain(WELCOME.offerButton);
    expect(content).toContain(USE_CHANNEL_ACTION);
    await new Promise((r) => setTimeout(r, 500));
    expect(slack.calls('chat.postMessage').filter((c) => c.args.channel === channel)).toHaveLength(1);

    expect(await click('U0STRANGE', offer)).toMatch(/Only/);
    expect(await click('U0ANN0001', offer)).toContain('Alerts for Slack now go to this channel');
  });
});

describe('Teams: added to a team, the bot offers the channel as the alert channel', () => {
  const ann: TeamsUser = { id: '29:ann', aadObjectId: 'aad-ann', name: 'Ann Admin' };
  const sam: TeamsUser = { id: '29:sam', aadObjectId: 'aad-sam', name: 'Sam Stranger' };
  let connector: FakeBotConnector;
  let world: InProcessService;

  beforeAll(async () => {
    connector = await startFakeBotConnector();
    world = await startInProcessService({ TEAMS_ENABLED: 'true', TEAMS_ADMIN_USER_IDS: 'aad-ann' });
  });
  afterAll(async () => {
    await world?.stop();
    await connector?.close();
  });

  it("posts the same offer; an admin's click makes it the alert channel, a stranger's changes nothing", async () => {
    expect((await connector.send(`${world.base}/api/messages`, botAddedToTeam(connector.serviceUrl, ann))).status).toBe(200);
    const offerCall = await until(() => connector.calls.find((c) => c.operation !== 'createConversation' && JSON.stringify(c.body ?? {}).includes(WELCOME.offerButton)), 'the offer card');
    const card = offerCall.body.attachments[0].content;
    expect(checkCard(card)).toEqual([]);
    expect(JSON.stringify(card)).toContain(WELCOME.offerTitle);
    expect(card.actions).toEqual([expect.objectContaining({ type: 'Action.Execute', verb: USE_CHANNEL_ACTION, title: WELCOME.offerButton })]);

    const where = { scope: 'channel' as const };
    const refused = await connector.send(`${world.base}/api/messages`, adaptiveCardInvoke(connector.serviceUrl, sam, USE_CHANNEL_ACTION, {}, 'offer-1', where));
    expect(JSON.stringify(refused.body)).toMatch(/Only/);
    const accepted = await connector.send(`${world.base}/api/messages`, adaptiveCardInvoke(connector.serviceUrl, ann, USE_CHANNEL_ACTION, {}, 'offer-1', where));
    expect(JSON.stringify(accepted.body)).toContain('Alerts for Teams now go to this channel');
  });
});
