// Ack latency of slash commands and button clicks while Xero answers in 2 s.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { blockActionsBody, blockActionsPayload, slashCommandBody } from '../test/fakes/slack-api.ts';
import type { LoadJob } from './load-process.ts';
import type { LatencySummary } from './stats.ts';
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
    // Warm-up, not measured: the first requests of a fresh process pay for JIT compilation and
    // lazy initialisation (a running service has long paid them).
    const warmBodies = Array.from({ length: 200 }, (_, i) => (i % 2 ? slashBody(i, names, responseUrl) : clickBody(i + 100_000, alert, responseUrl)));
    await loadInOwnProcess({ base: stack.base, ratePerSecond: 40, durationMs: 5_000, signingSecret: SIGNING_SECRET, bodies: warmBodies });
    for (const rate of options.rates) {
      for (const kind of ['command', 'click'] as const) {
        const bodies = Array.from({ length: Math.ceil((rate * options.durationMs) / 1000) }, (_, i) => (kind === 'command' ? slashBody(i, names, responseUrl) : clickBody(i, alert, responseUrl)));
        const answersBefore = stack.slack.calls('response_url').length;
        const summary = await loadInOwnProcess({ base: stack.base, ratePerSecond: rate, durationMs: options.durationMs, signingSecret: SIGNING_SECRET, bodies });
        const drain = await drainOfAnswers(stack);
        const label = kind === 'command' ? 'slash commands' : 'button clicks';
        const note = `${summary.count} requests, ${summary.errors} non-200; ${stack.slack.calls('response_url').length - answersBefore} private answers, the last ${drain.toFixed(1)} s after the load ended (queued work, src/adapters/http/after-ack.ts)`;
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

/** Seconds from the end of a load until its last private answer reached Slack (quiet for 3 s). */
async function drainOfAnswers(stack: Stack): Promise<number> {
  const ended = Date.now();
  let count = -1;
  while (count !== stack.slack.calls('response_url').length) {
    count = stack.slack.calls('response_url').length;
    await new Promise((r) => setTimeout(r, 3_000));
  }
  const last = stack.slack.calls('response_url').at(-1)?.at ?? ended;
  return Math.max(0, (last - ended) / 1000);
}

const COMMANDS = ['status', 'check', 'errors', 'help'] as const;

function slashBody(i: number, names: string[], responseUrl: string): string {
  const command = COMMANDS[i % COMMANDS.length]!;
  // `check <org>` makes the service call Xero (2 s) after the ack; the ack must not wait for it.
  const text = command === 'check' ? `check ${names[i % names.length]}` : command;
  return slashCommandBody({ text, user_id: ADMIN, channel_id: ALERT_CHANNEL, response_url: responseUrl });
}

function clickBody(i: number, alert: { ts: string; blocks?: unknown[] }, responseUrl: string): string {
  const actions = ['xg_confirm_xero', 'xg_disconnect', 'xg_reconnect'];
  const payload = blockActionsPayload({
    user_id: ADMIN,
    action_id: actions[i % actions.length]!,
    channel_id: ALERT_CHANNEL,
    message_ts: alert.ts,
    response_url: responseUrl,
    message: { blocks: alert.blocks ?? [] },
  });
  return blockActionsBody(payload);
}

const run = promisify(execFile);

async function loadInOwnProcess(job: LoadJob): Promise<LatencySummary> {
  const file = path.join(tmpdir(), `xg-load-${process.pid}-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(job));
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/load-process.ts', file], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as LatencySummary;
}

export type { Stack };
