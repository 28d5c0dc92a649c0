// Take-over after a single-process death: one service (SQLite, as most installs run) checking a
// cold start of N connections while Xero answers slowly, so many checks are in flight with their
// leases held; SIGKILL mid-cycle, `npm start` again at once, and the time from the kill until every
// check the dead process held has been done by the new one.
import type { Figure } from './report.ts';
import { prepareWorld, sleep, startReplica, until, watchTakeOver } from './stack.ts';
import { LEASE_RENEW_EVERY_MS, LEASE_TERM_MS } from '../src/domain/leases.ts';

export async function benchTakeOver(options: { connections: number; xeroLatencyMs: number }): Promise<Figure[]> {
  const world = await prepareWorld({ dialect: 'sqlite', connections: options.connections });
  world.xero.fake.setLatency({ ms: options.xeroLatencyMs });
  const db = world.database.db;
  let first = await startReplica(world, { checkInterval: '5m' });
  let second: Awaited<ReturnType<typeof startReplica>> | undefined;
  try {
    // Mid-cycle: some checks done, many in flight (a lease renewed at least once).
    await until(async () => (await db.connection.count({ where: { lastCheckAt: { not: null } } })) >= options.connections / 10, 300_000, 250);
    await sleep(LEASE_RENEW_EVERY_MS + 500);
    await first.kill();
    const killedAt = Date.now();
    const held = await db.connection.findMany({ where: { checkLeaseOwner: { not: null }, checkLeaseUntil: { gt: new Date(killedAt) } }, select: { id: true, checkLeaseOwner: true } });
    const watching = watchTakeOver(db, new Map(held.map((h) => [h.id, h.checkLeaseOwner!])), killedAt);
    second = await startReplica(world, { checkInterval: '5m' });
    const restartedMs = Date.now() - killedAt;
    const { claimedMs, doneMs } = await watching;
    const scenario = `Take-over after a single-process death (SQLite, ${options.connections.toLocaleString('en')} connections, Xero answering in ${options.xeroLatencyMs / 1000} s)`;
    return [
      {
        scenario,
        measure: 'from SIGKILL until the restarted process had claimed every check the dead one held',
        value: claimedMs / 1000,
        unit: 's',
        bar: { limit: 20, kind: 'max', source: `lease term ${LEASE_TERM_MS / 1000} s + 5 s` },
        note: `${held.length} checks held at the kill (leases renewed every ${LEASE_RENEW_EVERY_MS / 1000} s); npm start again took ${(restartedMs / 1000).toFixed(1)} s; all of them done (Xero answered) ${(doneMs / 1000).toFixed(1)} s after the kill`,
      },
    ];
  } finally {
    await second?.stop();
    await first.stop();
    await world.close();
  }
}
