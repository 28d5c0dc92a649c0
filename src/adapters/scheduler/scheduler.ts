// The check scheduler. Every tick (1 s) it claims the connections that are due, a paced number of
// them (src/domain/schedule.ts checksPerTick), and checks them in the background. Schedules live
// in the database (Connection.nextCheckAt), so they survive restarts; claims are compare-and-set
// leases on the row (checkLeaseOwner/Until), so replicas on Postgres share the work and each check
// runs once. The leases are short and renewed while the checks run (a heartbeat), so the checks of a
// replica that died are taken over within a lease term, not after the longest check. One replica at a time (a named lease) also runs the monitor tick: announcements,
// reminders, the grouped transient notice; and, every few minutes, the keep-alive of grants whose
// connections are all paused (nothing else refreshes them).
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DbStore } from '../db/store.ts';
import type { Clock, XeroPort } from '../../handlers/ports.ts';
import type { Handlers } from '../../handlers/index.ts';
import { checksPerTick } from '../../domain/schedule.ts';
import { LEASE_RENEW_EVERY_MS, LEASE_TERM_MS } from '../../domain/leases.ts';
import { startHeartbeat, type Heartbeat } from '../../handlers/heartbeat.ts';
import type { Metrics } from '../observability/metrics.ts';

export type SchedulerDeps = {
  store: DbStore;
  xero: Pick<XeroPort, 'newCycle' | 'checkCapacity'>;
  handlers: Pick<Handlers, 'recordCheck' | 'runMonitorTick' | 'keepGrantsAlive'>;
  clock: Clock;
  log: Logger;
  metrics?: Metrics;
  checkIntervalMs: number;
  owner?: string;
  tickMs?: number;
  /** Checks in flight at once in this process (the Xero adapter paces its calls on top). */
  maxInFlight?: number;
  /** Term of a check lease; renewed every `renewEveryMs` while the check runs. */
  leaseMs?: number;
  renewEveryMs?: number;
  /** How often the monitor tick runs (announcements, reminders, notices); sooner after a break. */
  monitorEveryMs?: number;
  /** How often the replica running the monitor tick looks for paused grants due a refresh. */
  keepAliveEveryMs?: number;
};

export type TickResult = { claimed: number; inFlight: number; monitor: boolean; done: Promise<void> };

const MONITOR_LEASE = 'monitor-tick';

export function createScheduler(deps: SchedulerDeps) {
  const owner = deps.owner ?? `scheduler:${randomUUID()}`;
  const tickMs = deps.tickMs ?? 1_000;
  // A check waits on Xero for one to two seconds (a token, GET /connections, the tenant), so the
  // pace of a backlog (twice the steady rate: checksPerTick) at 100,000 connections keeps several
  // hundred in flight; each holds a few KB, and the Xero budget bounds them as well.
  const maxInFlight = deps.maxInFlight ?? 1_000;
  const leaseMs = deps.leaseMs ?? LEASE_TERM_MS;
  const renewEveryMs = deps.renewEveryMs ?? LEASE_RENEW_EVERY_MS;
  const log = deps.log.child({ component: 'scheduler', owner });
  const inFlight = new Set<Promise<void>>();
  /** Connections being checked, by the claim owner that holds their lease: what the heartbeat renews. */
  const held = new Map<string, Set<string>>();
  let watched = { count: 0, at: 0 };
  let tickSeq = 0;
  let lastMonitorAt = 0;
  let breakSeen = false;
  const monitorEveryMs = deps.monitorEveryMs ?? 5_000;
  const keepAliveEveryMs = deps.keepAliveEveryMs ?? 10 * 60_000;
  let lastKeepAliveAt = -Infinity;
  let keepingAlive: Promise<void> | undefined;
  let monitoring: Promise<void> | undefined;
  // What holds the pace back when checks fall behind: the bound each tick hit, how long a check
  // takes from claim to write-back, and how many are in flight.
  const tickBounds = deps.metrics?.counter('scheduler_ticks_total', 'Scheduler ticks, by what bounded the checks claimed', ['bound']);
  const checkSeconds = deps.metrics?.histogram('scheduler_check_duration_seconds', 'One check from its claim to its write-back', [], [0.25, 0.5, 1, 2, 4, 8, 16, 32]);
  deps.metrics?.gauge('scheduler_checks_in_flight', 'Checks claimed by this replica and not yet written back', [], function collect() {
    this.set(inFlight.size);
  });

  async function watchedCount(now: Date): Promise<number> {
    if (now.getTime() - watched.at > 30_000 || watched.at === 0) watched = { count: await deps.store.connections.countWatched(), at: now.getTime() };
    return watched.count;
  }

  async function tick(): Promise<TickResult> {
    const now = deps.clock.now();
    const room = maxInFlight - inFlight.size;
    // Checks in flight have not all taken their calls from the budget yet: count them as spent.
    const affordable = deps.xero.checkCapacity() - inFlight.size;
    const pace = checksPerTick(await watchedCount(now), tickMs, deps.checkIntervalMs);
    const limit = Math.min(room, affordable, pace);
    const started: Promise<void>[] = [];
    if (limit > 0) {
      // Another replica may win some of these; it then checks them, and we take fewer this tick.
      const candidates = await deps.store.connections.findDue(now, limit);
      tickBounds?.inc({ bound: candidates.length < limit ? 'due' : limit === pace ? 'pace' : limit === room ? 'in_flight' : 'budget' });
      tickSeq += 1;
      const claimOwner = `${owner}#${tickSeq}`;
      const claimed = (await deps.store.connections.claimBatch(candidates.map((c) => c.id), claimOwner, now, leaseMs)).slice(0, limit);
      const cycle = deps.xero.newCycle();
      if (claimed.length > 0) held.set(claimOwner, new Set(claimed));
      for (const id of claimed) {
        const timer = checkSeconds?.startTimer();
        const check = deps.handlers
          .recordCheck(id, cycle, claimOwner)
          .then((applied) => {
            if (applied.decision === 'open_incident') breakSeen = true;
          })
          .catch((error: unknown) => {
            // The lease stays until it expires, then the connection is checked again.
            log.error({ err: error, connectionId: id }, 'check failed');
          });
        const tracked = check.finally(() => {
          timer?.();
          inFlight.delete(tracked);
          const ids = held.get(claimOwner);
          ids?.delete(id);
          if (ids?.size === 0) held.delete(claimOwner);
        });
        inFlight.add(tracked);
        started.push(tracked);
      }
    } else tickBounds?.inc({ bound: room <= 0 ? 'in_flight' : 'budget' });
    let monitor = false;
    // Checks run on in the background (a slow Xero must not stall the schedule); a break they find
    // makes the next tick run the monitor at once, so it is announced within about a second. The
    // monitor tick runs in the background too: announcing a mass revocation takes a while, and the
    // checks due meanwhile must still be claimed.
    const due = !monitoring && (breakSeen || now.getTime() - lastMonitorAt >= monitorEveryMs);
    const monitorLeaseMs = Math.max(3 * monitorEveryMs, leaseMs);
    if (due && (await deps.store.leases.acquire(MONITOR_LEASE, owner, now, monitorLeaseMs))) {
      monitor = true;
      breakSeen = false;
      lastMonitorAt = now.getTime();
      monitoring = runMonitor(now, monitorLeaseMs).finally(() => {
        monitoring = undefined;
      });
    }
    const waitFor = [...started, ...(monitoring ? [monitoring] : []), ...(keepingAlive ? [keepingAlive] : [])];
    return { claimed: started.length, inFlight: inFlight.size, monitor, done: Promise.all(waitFor).then(() => keepingAlive) };
  }

  async function runMonitor(now: Date, monitorLeaseMs: number): Promise<void> {
    // A long tick (a mass revocation announced) keeps the lease, so no other replica starts one alongside.
    const keep = startHeartbeat(() => deps.store.leases.acquire(MONITOR_LEASE, owner, deps.clock.now(), monitorLeaseMs), log, renewEveryMs);
    try {
      await deps.handlers.runMonitorTick();
    } catch (error) {
      log.error({ err: error }, 'monitor tick failed');
    } finally {
      await keep.stop();
    }
    if (!keepingAlive && now.getTime() - lastKeepAliveAt >= keepAliveEveryMs) {
      lastKeepAliveAt = now.getTime();
      keepingAlive = startKeepAlive();
    }
  }

  /** Extends the leases of every check in flight; the heartbeat calls it every `renewEveryMs`. */
  async function renewLeases(): Promise<number> {
    const now = deps.clock.now();
    let renewed = 0;
    for (const [claimOwner, ids] of [...held]) {
      const count = await deps.store.connections.renew([...ids], claimOwner, now, leaseMs);
      // Fewer than we hold: the lease ran out before a beat (a stalled process) and another worker
      // may have the connection now; our check's write-back then finds the lease lost and yields.
      if (count < ids.size) log.warn({ held: ids.size, renewed: count }, 'some check leases ran out before they were renewed');
      renewed += count;
    }
    return renewed;
  }

  /** In the background, like checks: refreshes wait on Xero and must not stall the schedule. */
  function startKeepAlive(): Promise<void> {
    return deps.handlers
      .keepGrantsAlive()
      .then(
        () => undefined,
        (error: unknown) => {
          // Logged; the next run (keepAliveEveryMs later) tries the same grants again.
          log.error({ err: error }, 'keep-alive of paused grants failed');
        },
      )
      .finally(() => {
        keepingAlive = undefined;
      });
  }

  let timer: NodeJS.Timeout | undefined;
  let heartbeat: Heartbeat | undefined;
  let stopped = true;
  let current: Promise<unknown> | undefined;

  function loop() {
    if (stopped) return;
    // Ticks keep their pace however long one takes (a slow claim query must not stretch the schedule).
    const began = performance.now();
    current = tick()
      .catch((error: unknown) => {
        // A database hiccup: logged; the next tick tries again.
        log.error({ err: error }, 'scheduler tick failed');
      })
      .finally(() => {
        current = undefined;
        if (!stopped) timer = setTimeout(loop, Math.max(0, tickMs - (performance.now() - began)));
      });
  }

  return {
    owner,
    tick,
    renewLeases,
    start() {
      if (!stopped) return;
      stopped = false;
      heartbeat = startHeartbeat(renewLeases, log, renewEveryMs);
      log.info({ tickMs, checkIntervalMs: deps.checkIntervalMs }, 'scheduler started');
      loop();
    },
    /** Stops claiming; waits for checks in flight; gives the monitor lease back. */
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
      await Promise.all(inFlight);
      await heartbeat?.stop();
      await monitoring;
      await keepingAlive;
      await deps.store.leases.release(MONITOR_LEASE, owner);
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
