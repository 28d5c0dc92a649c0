// One way to drive either chat platform through HTTP, so the same test proves the same behaviour on
// both: Slack through the real Bolt receiver with signed requests (answers reach the fake Slack's
// response_url), Teams through the real botbuilder CloudAdapter (command answers reach the fake Bot
// Connector, click answers come back in the invoke response). The handlers are the test's stand-in.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { ChatHandlers } from '../../../src/handlers/types.ts';
import { createSlackSurface, type SlackSurface } from '../../../src/adapters/slack/surface.ts';
import { createMetrics, type Metrics } from '../../../src/adapters/observability/metrics.ts';
import { captureLogs, type CapturedLogs } from '../../support/log-capture.ts';
import { FORM, blockActionsBody, blockActionsPayload, postSigned, slashCommandBody, startFakeSlack, type FakeSlack } from '../../fakes/slack-api.ts';
import { adaptiveCardInvoke, messageActivity, type TeamsUser } from '../../fakes/bot-connector.ts';
import { startTeamsHarness } from '../teams/harness.ts';

export type DriverOptions = { handlers: ChatHandlers; handlerTimeoutMs?: number };

export type ChatDriver = {
  platform: 'slack' | 'teams';
  logs: CapturedLogs;
  metrics: Metrics;
  /** Sends a command as the platform does; `repeat`: delivers the same request a second time (a retry). */
  command(text: string, options?: { repeat?: boolean }): Promise<void>;
  /** Clicks a button with the platform's action id and payload; `repeat` as for commands. */
  click(actionId: string, value: unknown, options?: { repeat?: boolean }): Promise<void>;
  /** Everything the asker was answered so far, one JSON string per answer. */
  answers(): string[];
  /** Resolves when the work started so far has finished. */
  idle(): Promise<void>;
  close(): Promise<void>;
};

const SECRET = 'pipeline-signing-secret';

export async function slackDriver(options: DriverOptions): Promise<ChatDriver> {
  const slack: FakeSlack = await startFakeSlack();
  const logs = captureLogs('debug');
  const metrics = createMetrics();
  const app = express();
  const surface: SlackSurface = createSlackSurface({
    config: { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: SECRET, SLACK_APP_TOKEN: undefined, SLACK_API_URL: slack.apiUrl },
    handlers: options.handlers,
    logger: logs.logger,
    app,
    metrics,
    ...(options.handlerTimeoutMs !== undefined ? { handlerTimeoutMs: options.handlerTimeoutMs } : {}),
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  await surface.start();

  const send = async (body: string, repeat: boolean | undefined) => {
    await postSigned(url, body, FORM, { secret: SECRET });
    if (repeat) await postSigned(url, body, FORM, { secret: SECRET, headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
  };
  return {
    platform: 'slack',
    logs,
    metrics,
    command: (text, o = {}) => send(slashCommandBody({ text, user_id: 'U0ALICE01', user_name: 'alice', response_url: slack.responseUrl() }), o.repeat),
    click: (actionId, value, o = {}) =>
      send(
        blockActionsBody(
          blockActionsPayload({
            user_id: 'U0BOB0001',
            user_name: 'bob',
            action_id: actionId,
            value: typeof value === 'string' ? value : JSON.stringify(value),
            channel_id: 'C0ALERTS1',
            message_ts: '1700000000.000001',
            response_url: slack.responseUrl('actions'),
          }),
        ),
        o.repeat,
      ),
    answers: () => slack.calls('response_url').map((c) => JSON.stringify(c.args)),
    idle: () => surface.idle(),
    async close() {
      await surface.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await slack.close();
    },
  };
}

const ann: TeamsUser = { id: '29:ann', aadObjectId: 'aad-ann', name: 'Ann Admin' };

export async function teamsDriver(options: DriverOptions): Promise<ChatDriver> {
  const logs = captureLogs('debug');
  const metrics = createMetrics();
  const h = await startTeamsHarness({ handlers: options.handlers, logs, metrics, ...(options.handlerTimeoutMs !== undefined ? { handlerTimeoutMs: options.handlerTimeoutMs } : {}) });
  /** Click answers come back in the HTTP response of the invoke. */
  const invokeAnswers: string[] = [];
  const send = async (activity: object, repeat: boolean | undefined) => {
    const answers = [await h.connector.send(h.botUrl, activity)];
    if (repeat) answers.push(await h.connector.send(h.botUrl, activity));
    return answers;
  };
  return {
    platform: 'teams',
    logs,
    metrics,
    async command(text, o = {}) {
      await send(messageActivity(h.connector.serviceUrl, ann, text), o.repeat);
    },
    async click(actionId, value, o = {}) {
      const data = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
      // The first answer only: a redelivery's answer is the same request answered again.
      const [first] = await send(adaptiveCardInvoke(h.connector.serviceUrl, ann, actionId, data, 'act-1'), o.repeat);
      invokeAnswers.push(JSON.stringify(first!.body));
    },
    answers: () => [...h.connector.callsOf('replyToActivity').map((c) => JSON.stringify(c.body)), ...invokeAnswers],
    idle: () => h.surface.bot.idle(),
    close: () => h.close(),
  };
}
