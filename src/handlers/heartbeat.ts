// Renews leases while the work they cover runs. One beat at a time (a slow database never stacks
// renewals), and a failed beat is logged, not thrown: the next one tries again, and if every beat
// fails the lease simply runs out and another worker takes the work over, which is the point.
import type { Logger } from 'pino';
import { LEASE_RENEW_EVERY_MS } from '../domain/leases.ts';

export type Heartbeat = {
  /** Renews now (the timer calls this; tests call it directly with a moved clock). */
  beat(): Promise<void>;
  /** Stops renewing; resolves once a renewal already under way has finished (release after it, not before). */
  stop(): Promise<void>;
};

export function startHeartbeat(renew: () => Promise<unknown>, log: Logger, everyMs: number = LEASE_RENEW_EVERY_MS): Heartbeat {
  let running: Promise<void> | undefined;
  const beat = (): Promise<void> => {
    running ??= renew()
      .then(() => undefined)
      .catch((error: unknown) => {
        log.warn({ err: error }, 'lease renewal failed; will try again');
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void beat(), everyMs);
  // Renewals never keep the process alive on their own.
  timer.unref();
  return {
    beat,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
