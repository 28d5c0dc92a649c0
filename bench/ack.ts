// Ack latency of slash commands and button clicks while Xero answers in 2 s.
import { blockActionsBody, blockActionsPayload, FORM, signBody, slashCommandBody } from '../test/fakes/slack-api.ts';
import { runOpenLoop } from './load.ts';
import type { Figure } from './report.ts';
import { ADMIN, ALERT_CHANNEL, SIGNING_SECRET, startStack, until, type Stack } from './stack.ts';

export async function benchAck(options: { rates: number[]; durationMs: number; dialect: 'sqlite' | 'postgres' }): Promise<Figure[]> {
  const stack = await startStack({ dialect: options.dialect, connections: 200, checkInterval: '30s' });
  try {
    // One organisation broken from the start, so there is an alert with buttons to click.
    const victim = stack.grants[0]!.tenants[0]!;
    stack.xero.fake.removeInXero(victim.tenantId);
    await until(() => stack.slack.messages(ALERT_CHANNEL).some((m) => JSON.stringify(m.blocks ?? []).includes('xg_disconnect')), 400_000, 500);
    const alert = stack.slack.messages(ALERT_CHANNEL).find((m) => JSON.stringify(m.blocks ?? []).includes('xg_disconnect'))!;
    stack.xero.fake.setLatency({ ms: 2_000 });

    const names = stack.grants.flatMap((g) => g.tenants.map((t) => t.tenantName));
    const responseUrl = stack.slack.responseUrl('bench');
    const figures: Figure[] = [];
    for (const rate of options.rates) {
      for (const kind of ['command', 'click'] as const) {
        const summary = await runOpenLoop({
          base: stack.base,
          ratePerSecond: rate,
          durationMs: options.durationMs,
          makeRequest: (i) => (kind === 'command' ? slashRequest(i, names, responseUrl) : clickRequest(i, alert, responseUrl)),
        });
        const label = kind === 'command' ? 'slash commands' : 'button clicks';
        const note = `${summary.count} requests, ${summary.errors} non-200`;
        figures.push(
          { scenario: `Ack @ ${rate}/s`, measure: `${label} p50`, value: summary.p50, unit: 'ms', note },
          { scenario: `Ack @ ${rate}/s`, measure: `${label} p99`, value: summary.p99, unit: 'ms', bar: { limit: 100, kind: 'max', source: 'DESIGN §9' } },
          { scenario: `Ack @ ${rate}/s`, measure: `${label} max`, value: summary.max, unit: 'ms', bar: { limit: 3_000, kind: 'max', source: "Slack's 3 s" } },
        );
      }
    }
    return figures;
  } finally {
    await stack.close();
  }
}

const COMMANDS = ['status', 'check', 'errors', 'help'] as const;

function slashRequest(i: number, names: string[], responseUrl: string) {
  const command = COMMANDS[i % COMMANDS.length]!;
  // `check <org>` makes the service call Xero (2 s) after the ack; the ack must not wait for it.
  const text = command === 'check' ? `check ${names[i % names.length]}` : command;
  return signed(slashCommandBody({ text, user_id: ADMIN, channel_id: ALERT_CHANNEL, response_url: responseUrl }));
}

function clickRequest(i: number, alert: { ts: string; blocks?: unknown[] }, responseUrl: string) {
  const actions = ['xg_confirm_xero', 'xg_disconnect', 'xg_reconnect'];
  const payload = blockActionsPayload({
    user_id: ADMIN,
    action_id: actions[i % actions.length]!,
    channel_id: ALERT_CHANNEL,
    message_ts: alert.ts,
    response_url: responseUrl,
    message: { blocks: alert.blocks ?? [] },
  });
  return signed(blockActionsBody(payload));
}

function signed(body: string) {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    path: '/slack/events',
    body,
    headers: { 'content-type': FORM, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signBody(SIGNING_SECRET, timestamp, body) },
  };
}

export type { Stack };
