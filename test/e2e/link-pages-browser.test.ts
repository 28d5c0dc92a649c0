// The link pages in a real browser (Debian's chromium driven by playwright-core), at desktop and
// phone (390 px) widths, against the service started with `npm start` and the HTTP fake of Xero:
// open a link, Continue to Xero, pick the wrong organisation, retry from the page, succeed, reload;
// then a used link's "Send me a fresh link" reaches the same person by Slack DM.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openDatabase, type Database } from '../../src/adapters/db/client.ts';
import { migrate, migrationsDir, readMigrations } from '../../src/adapters/db/migrate.ts';
import { sqliteUrl } from '../support/databases.ts';
import { baseEnv, freePort, startServiceProcess, type ServiceProcess } from '../support/service-process.ts';
import { buildAdapter, newKeys } from '../adapters/xero/harness.ts';
import { startFakeXeroServer, type FakeXeroServer } from '../fakes/xero/http-server.ts';
import { startFakeSlack, type FakeSlack } from '../fakes/slack-api.ts';

const CHROMIUM = '/usr/bin/chromium';
const ADA = { platform: 'slack' as const, userId: 'U_ADA', name: 'Ada' };
const NZ = { tenantId: 'fe79f7dd-b6d4-4a92-ba7b-538af6289c58', tenantName: 'Demo Company (NZ)' };
const ACME = { tenantId: '9c8b7a6d-2222-4333-8444-a55566677788', tenantName: 'Acme Widgets Ltd' };
const XERO_USER = { id: 'xero-ada', name: 'Ada Lovelace', email: 'ada@example.com' };
/** What a person must never read on a page: codes, statuses, API paths. */
const INTERNAL = /\b(4\d\d|5\d\d)\b|access_denied|invalid_grant|token_revoked|app_disconnected_in_xero|\/connections|undefined|null/;

const WIDTHS = [
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
  { name: 'phone', viewport: { width: 390, height: 844 } },
] as const;

describe('link pages in a browser', () => {
  it('has Debian\'s chromium to drive (apt-get install chromium; .ci/run installs it)', () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing`).toBe(true);
  });

  let xero: FakeXeroServer;
  let slack: FakeSlack;
  let database: Database;
  let service: ServiceProcess;
  let browser: Browser;
  const keys = newKeys();
  let issue: (input: { purpose: 'connect' } | { purpose: 'reconnect'; connectionId: string }) => Promise<string>;

  beforeAll(async () => {
    xero = await startFakeXeroServer();
    slack = await startFakeSlack();
    const url = sqliteUrl();
    database = await openDatabase(url);
    await migrate(database.db, database.dialect, readMigrations(migrationsDir(database.dialect)));
    const port = await freePort();
    service = await startServiceProcess(
      baseEnv(port, {
        ...xero.env,
        DATABASE_URL: url,
        TOKEN_ENCRYPTION_KEY: keys[0]!.key.toString('base64'),
        SLACK_BOT_TOKEN: 'xoxb-browser',
        SLACK_SIGNING_SECRET: 'secret',
        SLACK_API_URL: slack.apiUrl,
        XERO_TIMEOUT: '5s',
      }),
    );
    // Links as the chat commands issue them, on the service's own database.
    const { issueLink } = buildAdapter(database.db, xero.fake as never, keys);
    issue = async (input) => {
      const link = await issueLink({ ...input, actor: ADA } as Parameters<typeof issueLink>[0]);
      if (!link.ok) throw new Error(link.error.code);
      return link.value.url.replace('https://guard.example.com', service.base);
    };
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    await database?.close();
    await slack?.close();
    await xero?.close();
  });

  const planConsent = (tenants: { tenantId: string; tenantName: string }[]) => xero.fake.planConsent({ user: XERO_USER, tenants });

  /** The page reads well at this width: nothing wider than the screen, one big enough button. */
  async function expectReadable(page: Page, width: number) {
    const layout = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      inner: window.innerWidth,
      font: parseFloat(getComputedStyle(document.body).fontSize),
      brand: document.querySelector('.brand')?.textContent ?? '',
      button: (() => {
        const b = document.querySelector('button');
        if (!b) return undefined;
        const r = b.getBoundingClientRect();
        return { width: r.width, height: r.height, left: r.left, right: r.right };
      })(),
    }));
    expect(layout.inner).toBe(width);
    expect(layout.scroll).toBeLessThanOrEqual(width);
    expect(layout.font).toBeGreaterThanOrEqual(16);
    expect(layout.brand).toContain('Xero Guard');
    if (layout.button) {
      expect(layout.button.height).toBeGreaterThanOrEqual(44);
      expect(layout.button.left).toBeGreaterThanOrEqual(0);
      expect(layout.button.right).toBeLessThanOrEqual(width);
    }
    expect(await page.locator('body').innerText()).not.toMatch(INTERNAL);
  }

  for (const { name, viewport } of WIDTHS) {
    it(`${name}: open, Continue, wrong organisation, retry, success, reload; then a fresh link by DM`, async () => {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      try {
        // A first connect makes the organisation known (and shows the no-channel advice).
        planConsent([NZ]);
        await page.goto(await issue({ purpose: 'connect' }));
        await expect.poll(() => page.locator('h1').innerText()).toBe('Connect Xero organisations');
        await expectReadable(page, viewport.width);
        await page.getByRole('button', { name: 'Continue to Xero' }).click();
        await page.waitForURL(/\/xero\/callback\?/);
        expect(await page.locator('h1').innerText()).toBe('Connected: Demo Company (NZ)');
        expect(await page.locator('body').innerText()).toContain('No alert channel is chosen yet');
        await expectReadable(page, viewport.width);
        const connection = await database.db.connection.findUniqueOrThrow({ where: { tenantId: NZ.tenantId } });
        await database.db.connection.update({ where: { id: connection.id }, data: { state: 'broken' } });

        // The reconnect link: its page names the organisation; opening it twice uses nothing.
        const link = await issue({ purpose: 'reconnect', connectionId: connection.id });
        await page.goto(link);
        await page.reload();
        expect(await page.locator('h1').innerText()).toBe('Reconnect Demo Company (NZ)');
        await expectReadable(page, viewport.width);

        // Wrong organisation at Xero: refused, and the page offers the retry.
        planConsent([ACME]);
        await page.getByRole('button', { name: 'Continue to Xero' }).click();
        await page.waitForURL(/\/xero\/callback\?/);
        expect(await page.locator('h1').innerText()).toBe('That is a different organisation');
        expect(await page.locator('body').innerText()).toContain('this link reconnects Demo Company (NZ)');
        await expectReadable(page, viewport.width);
        // A reload shows the same result, not a failure.
        await page.reload();
        expect(await page.locator('h1').innerText()).toBe('That is a different organisation');

        // Retry from the page: back to Xero, the right organisation this time.
        planConsent([NZ]);
        await page.getByRole('button', { name: 'Try again at Xero' }).click();
        await page.waitForURL(/\/xero\/callback\?/);
        expect(await page.locator('h1').innerText()).toBe('Reconnected: Demo Company (NZ)');
        await expectReadable(page, viewport.width);
        await page.reload();
        expect(await page.locator('h1').innerText()).toBe('Reconnected: Demo Company (NZ)');
        expect((await database.db.connection.findUniqueOrThrow({ where: { id: connection.id } })).state).toBe('connected');

        // The used link's page: one click sends a fresh one to Ada by Slack DM.
        await page.goto(link);
        expect(await page.locator('h1').innerText()).toBe('This link was already used');
        await expectReadable(page, viewport.width);
        const before = slack.calls('chat.postMessage').length;
        await page.getByRole('button', { name: 'Send me a fresh link' }).click();
        await expect.poll(() => page.locator('h1').innerText()).toBe('A fresh link is on its way');
        await expectReadable(page, viewport.width);
        const dm = await slack.waitFor((c) => c.method === 'chat.postMessage' && slack.calls('chat.postMessage').length > before && JSON.stringify(c.args).includes('/xero/connect?t='), 20_000);
        expect(JSON.stringify(dm.args)).toContain('Demo Company (NZ)');
        expect(slack.calls('conversations.open').map((c) => c.args.users)).toContain(ADA.userId);
      } finally {
        await context.close();
      }
    }, 120_000);
  }
});
