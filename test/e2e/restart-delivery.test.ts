// After a restart, messages the last run left pending go out within seconds: the outbox worker
// starts only once the chat senders exist (before, they failed "no slack sender configured" and
// waited out a retry of about a minute).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startService, type RunningService } from '../../src/service.ts';
import { openDatabase } from '../../src/adapters/db/client.ts';
import { migrate, migrationsDir, readMigrations } from '../../src/adapters/db/migrate.ts';
import { createOutbox } from '../../src/adapters/db/outbox.ts';
import { textView } from '../../src/domain/views/text.ts';
import { captureLogs } from '../support/log-capture.ts';
import { freePort } from '../support/service-process.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';

let slack: FakeSlack;
let service: RunningService | undefined;

beforeAll(async () => {
  slack = await startFakeSlack();
});

afterAll(async () => {
  await service?.stop();
  await slack?.close();
});

describe('a restart with messages pending', () => {
  it('delivers them within seconds, never failing for want of a sender', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'xg-restart-'));
    const url = `file:${path.join(dir, 'guard.db')}`;
    const before = await openDatabase(url);
    await migrate(before.db, before.dialect, readMigrations(migrationsDir(before.dialect)));
    await createOutbox(before.db).enqueue(
      [{ dedupeKey: 'left-by-the-last-run', platform: 'slack', kind: 'post', address: { platform: 'slack', channel: 'C0ALERTS' }, view: textView('Left pending by the last run') }],
      new Date(),
    );
    await before.close();

    const port = await freePort();
    const loaded = loadConfig({
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: url,
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      XERO_CLIENT_ID: 'client',
      XERO_CLIENT_SECRET: 'secret',
      SLACK_BOT_TOKEN: 'xoxb-restart',
      SLACK_SIGNING_SECRET: 'signing',
      SLACK_API_URL: slack.apiUrl,
      SLACK_ADMIN_USER_IDS: 'UADMIN',
    });
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    const logs = captureLogs('debug');
    const started = Date.now();
    service = await startService(loaded.config, { logger: logs.logger });
    const posted = await slack.waitFor((call) => call.method === 'chat.postMessage' && call.args.channel === 'C0ALERTS', 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(JSON.stringify(posted.args)).toContain('Left pending by the last run');
    expect(logs.text()).not.toContain('sender configured');
  });
});
