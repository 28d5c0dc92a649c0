// What an operator sees of the started service (startService, as `npm start` builds it): the start
// warnings about platforms without admins, /metrics with the service's own gauges and its token,
// and the pages a browser gets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startService, type RunningService } from '../../src/service.ts';
import { freePort } from '../support/service-process.ts';
import { captureLogs, type CapturedLogs } from '../support/log-capture.ts';

const running: { service: RunningService; dir: string }[] = [];
afterEach(async () => {
  while (running.length) {
    const { service, dir } = running.pop()!;
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

async function start(extra: Record<string, string>): Promise<{ base: string; logs: CapturedLogs }> {
  const port = await freePort();
  const closedPort = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'xg-ops-'));
  const loaded = loadConfig({
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    XERO_CLIENT_ID: 'client-id',
    XERO_CLIENT_SECRET: 'client-secret',
    DATABASE_URL: `file:${path.join(dir, 'guard.db')}`,
    // Slack in HTTP mode, its Web API nowhere (nothing here needs it), and Teams without an app id.
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: 'signing-secret',
    SLACK_API_URL: `http://127.0.0.1:${closedPort}/api/`,
    TEAMS_ENABLED: 'true',
    ...extra,
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const logs = captureLogs('info');
  const service = await startService(loaded.config, { logger: logs.logger });
  running.push({ service, dir });
  return { base: `http://127.0.0.1:${service.port}`, logs };
}

const adminWarnings = (logs: CapturedLogs) => logs.lines().filter((l) => String(l.msg).startsWith('no admins configured'));

describe('the started service, as an operator sees it', () => {
  it('warns once per platform that has no admins, naming the setting that fixes it', async () => {
    const { logs } = await start({});
    const warnings = adminWarnings(logs);
    expect(warnings.map((w) => [w.level, w.platform, w.setting])).toEqual([
      ['warn', 'slack', 'SLACK_ADMIN_USER_IDS'],
      ['warn', 'teams', 'TEAMS_ADMIN_USER_IDS'],
    ]);
    expect(warnings[0]!.msg).toBe(
      'no admins configured for Slack: everyone there may connect, disconnect, reconnect, pause and resume organisations until SLACK_ADMIN_USER_IDS is set',
    );
    expect(warnings[1]!.msg).toMatch(/^no admins configured for Teams: everyone there may .* until TEAMS_ADMIN_USER_IDS is set$/);
  });

  it('does not warn about a platform whose admins are set', async () => {
    const { logs } = await start({ SLACK_ADMIN_USER_IDS: 'U0ALICE01' });
    expect(adminWarnings(logs).map((w) => w.platform)).toEqual(['teams']);
    const quiet = await start({ SLACK_ADMIN_USER_IDS: 'U0ALICE01', TEAMS_ADMIN_USER_IDS: 'aad-ann' });
    expect(adminWarnings(quiet.logs)).toEqual([]);
  });

  it('serves standard process metrics and its own gauges on /metrics, and the product page on /', async () => {
    const { base } = await start({ SLACK_ADMIN_USER_IDS: 'U0ALICE01', TEAMS_ADMIN_USER_IDS: 'aad-ann' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^process_cpu_seconds_total /m);
    expect(metrics).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(metrics).toContain('xero_guard_connections{state="connected"} 0');
    expect(metrics).toContain('xero_guard_incidents_open 0');
    expect(metrics).toContain('xero_guard_outbox_pending_messages 0');
    expect(metrics).toContain('xero_guard_outbox_oldest_pending_age_seconds 0');
    expect(metrics).toContain('xero_guard_checks_overdue 0');
    expect(metrics).toMatch(/^xero_guard_xero_app_calls_left 9000$/m);
    const home = await fetch(`${base}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('Xero Guard watches your Xero connections');
  });

  it('asks for METRICS_TOKEN on /metrics when it is set, and leaves /healthz open', async () => {
    const token = randomBytes(24).toString('hex');
    const { base } = await start({ SLACK_ADMIN_USER_IDS: 'U0ALICE01', TEAMS_ADMIN_USER_IDS: 'aad-ann', METRICS_TOKEN: token });
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('xero_guard_checks_overdue');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
