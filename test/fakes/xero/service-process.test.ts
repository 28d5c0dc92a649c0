// The service as `npm start` runs it, in a child process (nock cannot reach it), pointed at the
// HTTP fake of Xero only through XERO_IDENTITY_URL and XERO_API_URL: a consent walked hop by hop
// with plain fetch, then the scheduler checking seeded connections and noticing a tenant that was
// disconnected in Xero.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../src/adapters/db/client.ts';
import { migrate, migrationsDir, readMigrations } from '../../../src/adapters/db/migrate.ts';
import { sqliteUrl } from '../../support/databases.ts';
import { baseEnv, freePort, startServiceProcess, type ServiceProcess } from '../../support/service-process.ts';
import { buildAdapter, newKeys } from '../../adapters/xero/harness.ts';
import { startFakeXeroServer, type FakeXeroServer } from './http-server.ts';
import { seedFakeAndService } from './seed-service.ts';
import { continueToXero } from '../../support/link-pages.ts';

describe('the service in a child process against the HTTP fake of Xero', () => {
  let xero: FakeXeroServer;
  let database: Database;
  let service: ServiceProcess;
  let seeded: Awaited<ReturnType<typeof seedFakeAndService>>;
  const keys = newKeys();

  beforeAll(async () => {
    xero = await startFakeXeroServer();
    const url = sqliteUrl();
    database = await openDatabase(url);
    await migrate(database.db, database.dialect, readMigrations(migrationsDir(database.dialect)));
    seeded = await seedFakeAndService(xero.fake, database.db, keys, { connections: 6, minTenants: 1, maxTenants: 3, seed: 3 });
    const port = await freePort();
    service = await startServiceProcess(
      baseEnv(port, {
        ...xero.env,
        DATABASE_URL: url,
        TOKEN_ENCRYPTION_KEY: keys[0]!.key.toString('base64'),
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_SIGNING_SECRET: 'secret',
        SLACK_API_URL: 'http://127.0.0.1:9/api/',
        CHECK_INTERVAL: '3s',
        XERO_TIMEOUT: '3s',
      }),
    );
  }, 60_000);
  afterAll(async () => {
    await service?.stop();
    await database?.close();
    await xero?.close();
  });

  it('checks the seeded connections with the seeded tokens, and sees a tenant disconnected in Xero', async () => {
    await until(() => (xero.fake.stats().byRoute.organisation ?? 0) >= 6, 'six organisation probes');
    expect(xero.fake.stats().byStatus).not.toHaveProperty('401');
    expect(xero.fake.stats().rateLimited.total).toBe(0);

    const victim = seeded.grants[0]!.tenants[0]!;
    xero.fake.removeInXero(victim.tenantId);
    const id = seeded.connectionIds.get(victim.tenantId)!;
    await until(async () => (await database.db.connection.findUniqueOrThrow({ where: { id } })).state !== 'connected', 'the connection to leave "connected"');
    const row = await database.db.connectionLog.findFirstOrThrow({ where: { connectionId: id, kind: 'check', outcome: 'failure' } });
    expect(row.operation).toBe('connections');
  }, 30_000);

  it('connects through the consent page with plain fetch, hop by hop', async () => {
    await fetch(`${xero.url}/_fake/next-consent`, {
      method: 'POST',
      body: JSON.stringify({ user: { id: 'xero-user-e2e', name: 'Grace Hopper', email: 'grace@example.com' }, tenants: [{ tenantId: '11111111-2222-4333-8444-555555555555', tenantName: 'Hopper Ltd' }] }),
    });
    // The link as a chat command would issue it (the same database; its origin is the service).
    const { issueLink } = buildAdapter(database.db, xero.fake as never, keys);
    const link = await issueLink({ purpose: 'connect', actor: { platform: 'slack', userId: 'U_GRACE', name: 'Grace' } });
    if (!link.ok) throw new Error('no link');
    const start = link.value.url.replace('https://guard.example.com', service.base);

    const consent = await fetch(await continueToXero(start), { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const callback = consent.headers.get('location')!;
    expect(callback.startsWith(`${service.base}/xero/callback?code=`)).toBe(true);
    const page = await fetch(callback, { redirect: 'manual' });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Hopper Ltd');
    expect(await database.db.connection.findUniqueOrThrow({ where: { tenantId: '11111111-2222-4333-8444-555555555555' } })).toMatchObject({ state: 'connected', connectedByUserId: 'U_GRACE' });
  }, 30_000);
});

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
