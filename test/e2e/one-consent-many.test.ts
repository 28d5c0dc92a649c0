// One consent repairs many, through HTTP on Slack and on Teams (in-process service as `npm start`
// builds it, nock Xero, the fake Slack Web API and the fake Bot Connector): three organisations of
// one connector break together; the connector's direct message holds one link for all of them;
// one consent that ticks the three reconnects each, and every alert and the summary resolve.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORGS } from '../adapters/xero/fake-xero.ts';
import { startInProcessService, until, type InProcessService } from '../support/in-process-service.ts';
import { continueToXero } from '../support/link-pages.ts';
import { FORM, postSigned, slashCommandBody, startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';
import { messageActivity, startFakeBotConnector, type FakeBotConnector, type TeamsUser } from '../fakes/bot-connector.ts';

const XERO_USER = 'xero-many';
const THREE = [ORGS.demoNz, ORGS.demoAu, ORGS.acme];
/** The page's title names all three, in whatever order the link holds them. */
const namesAll = (text: string, verb: string) => {
  const title = new RegExp(`<h1>${verb} ([^<]+)</h1>`).exec(text)?.[1] ?? '';
  return THREE.every((o) => title.includes(o.tenantName)) && (title.match(/, | and /g) ?? []).length === 2;
};
const LINK = /(http:\/\/127\.0\.0\.1:\d+\/xero\/connect\?t=[A-Za-z0-9_-]+)/g;

type World = InProcessService;

async function startWorld(env: Record<string, string>): Promise<World> {
  // A wide grouping window: the three breaks of one check cycle land in one summary.
  const world = await startInProcessService({ GROUP_WINDOW: '20s', ...env }, { logLevel: 'info' });
  world.xero.user(XERO_USER, 'Ann Admin', 'ann@example.com');
  return world;
}

/** Walks a link through Xero ticking `orgs`; returns the result page. */
async function consent(world: World, link: string, orgs: typeof THREE): Promise<string> {
  const consentUrl = await continueToXero(link);
  const code = world.xero.approve(consentUrl, XERO_USER, orgs);
  const res = await fetch(`${world.base}/xero/callback?code=${code}&state=${consentUrl.searchParams.get('state')}`);
  const html = await res.text();
  expect(res.status, html).toBe(200);
  return html;
}

/** After the break: every incident announced, and the newest DM link is for all three. */
async function linkForAllThree(world: World, links: () => string[]): Promise<string> {
  const db = world.service.database.db;
  await until(async () => (await db.incident.count({ where: { status: 'open', announcedAt: { not: null } } })) === 3 || undefined, 'three announced incidents');
  return until(async () => {
    const last = links().at(-1);
    if (!last) return undefined;
    const page = await (await fetch(last)).text();
    return namesAll(page, 'Reconnect') ? last : undefined;
  }, 'a DM link for all three organisations');
}

async function expectAllRepaired(world: World, page: string) {
  expect(namesAll(page, 'Reconnected:'), page).toBe(true);
  const db = world.service.database.db;
  expect((await db.connection.findMany()).map((c) => c.state)).toEqual(['connected', 'connected', 'connected']);
  expect(await db.incident.count({ where: { status: 'open' } })).toBe(0);
  expect(await db.incident.count({ where: { status: 'resolved' } })).toBe(3);
}

describe('Slack: one consent repairs three organisations', () => {
  const secret = 'many-signing-secret';
  const ann = 'U0ANN0001';
  let slack: FakeSlack;
  let world: World;

  beforeAll(async () => {
    slack = await startFakeSlack();
    world = await startWorld({ SLACK_BOT_TOKEN: `xoxb-${randomBytes(4).toString('hex')}`, SLACK_SIGNING_SECRET: secret, SLACK_API_URL: slack.apiUrl, SLACK_ADMIN_USER_IDS: ann });
  });
  afterAll(async () => {
    await world?.stop();
    await slack?.close();
  });

  async function slash(text: string) {
    const responseUrl = slack.responseUrl();
    const res = await postSigned(`${world.base}/slack/events`, slashCommandBody({ text, user_id: ann, channel_id: 'C0ALERTS', channel_name: 'xero-alerts', response_url: responseUrl }), FORM, { secret });
    expect(res.status).toBe(200);
    return slack.waitFor((c) => c.method === 'response_url' && c.path === new URL(responseUrl).pathname, 15_000);
  }

  it('one DM link, one consent ticking the three: every alert and the summary resolve', async () => {
    await slash('here');
    const connect = await slash('connect');
    const connectLink = JSON.stringify(connect.args).match(LINK)![0];
    expect(namesAll(await consent(world, connectLink, THREE), 'Connected:')).toBe(true);

    world.xero.revokeGrant(XERO_USER);
    const dmLinks = () => slack.calls('chat.postMessage').concat(slack.calls('chat.update')).filter((c) => String(c.args.channel).startsWith('D')).flatMap((c) => JSON.stringify(c.args).match(LINK) ?? []);
    const link = await linkForAllThree(world, dmLinks);
    const updatesBefore = slack.calls('chat.update').length;
    await expectAllRepaired(world, await consent(world, link, THREE));

    // Each message that showed a broken organisation (its alert, or the summary) is edited.
    const posted = slack.calls('chat.postMessage').filter((c) => c.args.channel === 'C0ALERTS' && !c.args.thread_ts);
    const shown = posted.filter((c) => !/Connected:/.test(JSON.stringify(c.args))).map((c) => (c.response as { ts: string }).ts);
    expect(shown.length).toBeGreaterThanOrEqual(1);
    await until(() => shown.every((ts) => slack.calls('chat.update').slice(updatesBefore).some((u) => u.args.ts === ts)) || undefined, 'every alert and summary edited');
  }, 120_000);
});

describe('Teams: one consent repairs three organisations', () => {
  const ann: TeamsUser = { id: '29:ann', aadObjectId: 'aad-ann', name: 'Ann Admin' };
  let connector: FakeBotConnector;
  let world: World;

  beforeAll(async () => {
    connector = await startFakeBotConnector();
    world = await startWorld({ TEAMS_ENABLED: 'true', TEAMS_ADMIN_USER_IDS: 'aad-ann' });
  });
  afterAll(async () => {
    await world?.stop();
    await connector?.close();
  });

  async function say(text: string, where: Parameters<typeof messageActivity>[3]) {
    const before = connector.callsOf('replyToActivity').length;
    expect((await connector.send(`${world.base}/api/messages`, messageActivity(connector.serviceUrl, ann, text, where))).status).toBe(200);
    return (await connector.waitFor('replyToActivity', before + 1, 15_000))[before]!;
  }

  it('one DM link, one consent ticking the three: every alert and the summary resolve', async () => {
    await say('here', { scope: 'channel' });
    const reply = await say('connect', { scope: 'personal' });
    const connectLink = JSON.stringify(reply.body).match(LINK)![0];
    expect(namesAll(await consent(world, connectLink, THREE), 'Connected:')).toBe(true);

    world.xero.revokeGrant(XERO_USER);
    const personal = connector.personalConversationId(ann.id);
    const dmLinks = () => connector.calls.filter((c) => c.conversationId === personal || c.operation === 'createConversation').flatMap((c) => JSON.stringify(c.body ?? {}).match(LINK) ?? []);
    const link = await linkForAllThree(world, dmLinks);
    const updatesBefore = connector.callsOf('updateActivity').length;
    await expectAllRepaired(world, await consent(world, link, THREE));
    await until(() => connector.callsOf('updateActivity').length > updatesBefore || undefined, 'the alert cards edited');
  }, 120_000);
});
