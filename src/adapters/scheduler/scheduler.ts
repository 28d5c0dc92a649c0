// The check scheduler. Every tick (1 s) it claims the connections that are due, a paced number of
// them (src/domain/schedule.ts checksPerTick), and checks them in the background. Schedules live
// in the database (Connection.nextCheckAt), so they survive restarts; claims are compare-and-set
// leases on the row (checkLeaseOwner/Until), so replicas on Postgres share the work and each check
// runs once. One replica at a time (a named lease) also runs the monitor tick: announcements,
// reminders, the grouped transient notice; and, every few minutes, the keep-alive of grants whose
// connections are all paused (nothing else refreshes them).
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DbMonitorStore } from '../db/monitor-store.ts';
import type { Clock, XeroPort } from '../../handlers/ports.ts';
import type { Handlers } from '../../handlers/index.ts';
import { checksPerTick } from '../../domain/schedule.ts';
import { CHECK_LEASE_MS } from '../../handlers/check-connection.ts';

export type SchedulerDeps = {
  store: DbMonitorStore;
  xero: Pick<XeroPort, 'newCycle' | 'checkCapacity'>;
  handlers: Pick<Handlers, 'checkConnection' | 'runMonitorTick' | 'keepGrantsAlive'>;
  clock: Clock;
  log: Logger;
  checkIntervalMs: number;
  owner?: string;
  tickMs?: number;
  /** Checks in flight at once in this process (the Xero adapter paces its calls on top). */
  maxInFlight?: number;
  leaseMs?: number;
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
  const maxInFlight = deps.maxInFlight ?? 200;
  const leaseMs = deps.leaseMs ?? CHECK_LEASE_MS;
  const log = deps.log.child({ component: 'scheduler', owner });
  const inFlight = new Set<Promise<void>>();
  let watched = { count: 0, at: 0 };
  let tickSeq = 0;
  let lastMonitorAt = 0;
  let breakSeen = false;
  const monitorEveryMs = deps.monitorEveryMs ?? 5_000;
  const keepAliveEveryMs = deps.keepAliveEveryMs ?? 10 * 60_000;
  let lastKeepAliveAt = -Infinity;
  let keepingAlive: Promise<void> | undefined;

  async function watchedCount(now: Date): Promise<number> {
    if (now.getTime() - watched.at > 30_000 || watched.at === 0) watched = { count: await deps.store.connections.countWatched(), at: now.getTime() };
    return watched.count;
  }

  async function tick(): Promise<TickResult> {
    const now = deps.clock.now();
    const room = maxInFlight - inFlight.size;
    // Checks in flight have not all taken their calls from the budget yet: count them as spent.
    const affordable = deps.xero.checkCapacity() - inFlight.size;
    const limit = Math.min(room, affordable, checksPerTick(await watchedCount(now), tickMs, deps.checkIntervalMs));
    const started: Promise<void>[] = [];
    if (limit > 0) {
      // Another replica may win some of these; it then checks them, and we take fewer this tick.
      const candidates = await deps.store.connections.findDue(now, limit);
      tickSeq += 1;
      const claimOwner = `${owner}#${tickSeq}`;
      const claimed = (await deps.store.connections.claimBatch(candidates.map((c) => c.id), claimOwner, now, leaseMs)).slice(0, limit);
      const cycle = deps.xero.newCycle();
      for (const id of claimed) {
        const check = deps.handlers
          .checkConnection(id, cycle, claimOwner)
          .then((applied) => {
            if (applied.decision === 'open_incident') breakSeen = true;
          })
          .catch((error: unknown) => {
            // The lease stays until it expires, then the connection is checked again.
            log.error({ err: error, connectionId: id }, 'check failed');
          });
        const tracked = check.finally(() => inFlight.delete(tracked));
        inFlight.add(tracked);
        started.push(tracked);
      }
    }
    let monitor = false;
    // Checks run on in the background (a slow Xero must not stall the schedule); a break they find
    // makes the next tick run the monitor at once, so it is announced within about a second.
    const due = breakSeen || now.getTime() - lastMonitorAt >= monitorEveryMs;
    if (due && (await deps.store.leases.acquire(MONITOR_LEASE, owner, now, Math.max(3 * monitorEveryMs, 15_000)))) {
      monitor = true;
      breakSeen = false;
      lastMonitorAt = now.getTime();
      try {
        await deps.handlers.runMonitorTick();
      } catch (error) {
        log.error({ err: error }, 'monitor tick failed');
      }
      if (!keepingAlive && now.getTime() - lastKeepAliveAt >= keepAliveEveryMs) {
        lastKeepAliveAt = now.getTime();
        keepingAlive = startKeepAlive();
      }
    }
    const waitFor = keepingAlive ? [...started, keepingAlive] : started;
    return { claimed: started.length, inFlight: inFlight.size, monitor, done: Promise.all(waitFor).then(() => undefined) };
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
  let stopped = true;
  let current: Promise<unknown> | undefined;

  function loop() {
    if (stopped) return;
    current = tick()
      .catch((error: unknown) => {
        // A database hiccup: logged; the next tick tries again.
        log.error({ err: error }, 'scheduler tick failed');
      })
      .finally(() => {
        current = undefined;
        if (!stopped) timer = setTimeout(loop, tickMs);
      });
  }

  return {
    owner,
    tick,
    start() {
      if (!stopped) return;
      stopped = false;
      log.info({ tickMs, checkIntervalMs: deps.checkIntervalMs }, 'scheduler started');
      loop();
    },
    /** Stops claiming; waits for checks in flight; gives the monitor lease back. */
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
      await Promise.all(inFlight);
      await keepingAlive;
      await deps.store.leases.release(MONITOR_LEASE, owner);
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
