// The baseline for the ack figures: a Bolt app that only acknowledges, on the same receiver setup
// as Xero Guard's HTTP mode (ExpressReceiver on an express app, POST /slack/events, signature
// checked, processBeforeResponse off, no conversation store, a fixed authorize). Run in its own
// process like the service: PORT and SLACK_SIGNING_SECRET from the environment.
import express from 'express';
import bolt from '@slack/bolt';

const { App, ExpressReceiver, LogLevel } = bolt;
const app = express();
const receiver = new ExpressReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET!, endpoints: '/slack/events', app, processBeforeResponse: false, logLevel: LogLevel.ERROR });
const slack = new App({
  receiver,
  authorize: async () => ({ botToken: 'xoxb-bench-token', botUserId: 'U0BOT', botId: 'B0BOT' }),
  convoStore: false,
  logLevel: LogLevel.ERROR,
});
slack.command('/xero', async ({ ack }) => {
  await ack();
});
slack.action(/.*/, async ({ ack }) => {
  await ack();
});
app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
