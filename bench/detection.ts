// Detection latency (50 revocations at random moments) and mass revocation (1,000 at once).
import type { Figure } from './report.ts';
import { percentile } from './stats.ts';
import { ALERT_CHANNEL, sleep, startStack, until, type Stack } from './stack.ts';
import { parseDuration } from '../src/domain/duration.ts';
import type { SlackCall } from '../test/fakes/slack-api.ts';

/** When each organisation first appeared in a message to the alert channel (post or edit). */
function firstMentions(stack: Stack, names: Set<string>, since: number): Map<string, number> {
  const seen = new Map<string, number>();
  const channelCalls = stack.slack.calls().filter((c: SlackCall) => c.at >= since && (c.method === 'chat.postMessage' || c.method === 'chat.update') && c.args.channel === ALERT_CHANNEL);
  for (const call of channelCalls) {
    const text = JSON.stringify(call.args);
    for (const name of names) if (!seen.has(name) && text.includes(name)) seen.set(name, call.at);
  }
  return seen;
}

export async function benchDetection(options: { connections: number; revocations: number; checkInterval: string; dialect: 'sqlite' | 'postgres' }): Promise<Figure[]> {
  const interval = parseDuration(options.checkInterval);
  const intervalMs = interval.ok ? interval.ms : 60_000;
  const stack = await startStack({ dialect: options.dialect, connections: options.connections, checkInterval: options.checkInterval });
  try {
    // Let one full cycle pass, so the revocations meet a service in its steady state.
    await sleep(intervalMs);
    const tenants = stack.grants.flatMap((g) => g.tenants);
    const victims = shuffle(tenants).slice(0, options.revocations);
    const revokedAt = new Map<string, number>();
    const since = Date.now();
    await Promise.all(
      victims.map(async (t) => {
        await sleep(Math.random() * intervalMs);
        stack.xero.fake.removeInXero(t.tenantId);
        revokedAt.set(t.tenantName, Date.now());
      }),
    );
    const names = new Set(victims.map((v) => v.tenantName));
    await until(() => firstMentions(stack, names, since).size === names.size, intervalMs * 3 + 60_000, 1_000);
    const mentions = firstMentions(stack, names, since);
    const latencies = [...names].map((n) => (mentions.get(n)! - revokedAt.get(n)!) / 1000).sort((a, b) => a - b);
    const bar = { limit: intervalMs / 1000 + 10, kind: 'max' as const, source: 'one interval + 10 s' };
    const scenario = `Detection, ${options.revocations} revocations among ${options.connections} (interval ${options.checkInterval})`;
    return [
      { scenario, measure: 'revocation → alert p50', value: percentile(latencies, 50), unit: 's' },
      { scenario, measure: 'revocation → alert max', value: latencies.at(-1)!, unit: 's', bar },
    ];
  } finally {
    await stack.close();
  }
}

export async function benchMassRevocation(options: { connections: number; checkInterval: string; dialect: 'sqlite' | 'postgres' }): Promise<Figure[]> {
  const interval = parseDuration(options.checkInterval);
  const intervalMs = interval.ok ? interval.ms : 60_000;
  // The grouping alone: a burst this large would otherwise wait behind the "Xero may be having
  // trouble" notice and its re-check (XERO_TROUBLE_*), which this scenario does not measure.
  const stack = await startStack({ dialect: options.dialect, connections: options.connections, checkInterval: options.checkInterval, env: { XERO_TROUBLE_MIN_GRANTS: String(options.connections * 10) } });
  try {
    await sleep(intervalMs);
    const tenants = stack.grants.flatMap((g) => g.tenants);
    const names = new Set(tenants.map((t) => t.tenantName));
    const since = Date.now();
    for (const t of tenants) stack.xero.fake.removeInXero(t.tenantId);
    const allMs = await until(() => firstMentions(stack, names, since).size === names.size, intervalMs * 3 + 120_000, 1_000);
    await sleep(5_000); // let the last edits and DMs land before counting
    const calls = stack.slack.calls().filter((c) => c.at >= since);
    const posts = calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === ALERT_CHANNEL && !c.args.thread_ts).length;
    const messages = calls.filter((c) => ['chat.postMessage', 'chat.update', 'chat.postEphemeral'].includes(c.method)).length;
    const scenario = `Mass revocation of ${tenants.length.toLocaleString('en')} (interval ${options.checkInterval}, Xero-trouble hold set aside)`;
    return [
      { scenario, measure: 'channel posts (new messages)', value: posts, unit: 'msgs', note: `${messages} Slack messages in all (posts, edits, thread replies, DMs)` },
      { scenario, measure: 'until every organisation is in an alert', value: allMs / 1000, unit: 's', bar: { limit: intervalMs / 1000 + 10, kind: 'max', source: 'one interval + 10 s' } },
    ];
  } finally {
    await stack.close();
  }
}

function shuffle<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
