// The service's own gauges, computed when Prometheus scrapes: connections by state, open incidents,
// the outbox backlog and the age of its oldest message, checks overdue (all from the database, so
// every replica reports the same figures: take max, not sum), and the calls left in Xero's
// app-wide budget (src/adapters/xero/rate-budget.ts; shared by replicas on PostgreSQL). One
// database read serves all gauges of a scrape, and scrapes closer together than `minIntervalMs`
// share it, so many scrapers cost the database no more.
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { ServiceFigures } from '../db/service-figures.ts';
import { isWatched, STATES } from '../../domain/states.ts';

/** States the scheduler checks: the ones that cost Xero calls. */
const WATCHED = STATES.filter(isWatched);

export type ServiceGaugeSources = {
  /** The database figures (src/adapters/db/service-figures.ts), read for the given time. */
  readFigures: (now: Date) => Promise<ServiceFigures>;
  /** Calls the app-wide Xero budget can still take right now. */
  xeroCallsLeft: () => number;
  /** Calls this replica makes to Xero per day, at the rate of the last 24 hours. */
  xeroCallsPerDay?: () => number;
  log: Logger;
  now?: () => Date;
  minIntervalMs?: number;
};

export function registerServiceGauges(metrics: Metrics, sources: ServiceGaugeSources): void {
  const now = sources.now ?? (() => new Date());
  const minIntervalMs = sources.minIntervalMs ?? 1_000;
  let last: { at: number; figures: Promise<ServiceFigures | undefined> } | undefined;
  let failing = false;

  /** The latest figures, or undefined when the database cannot answer (logged once per outage). */
  const figures = (): Promise<ServiceFigures | undefined> => {
    const at = now().getTime();
    if (last && at - last.at < minIntervalMs) return last.figures;
    const read = sources.readFigures(new Date(at)).then(
      (f) => {
        if (failing) sources.log.info('metrics: database figures available again');
        failing = false;
        return f;
      },
      (error: unknown) => {
        // The gauges below show no figure in this scrape; /healthz reports the database itself.
        if (!failing) sources.log.warn({ err: error }, 'metrics: database figures unavailable');
        failing = true;
        return undefined;
      },
    );
    last = { at, figures: read };
    return read;
  };

  metrics.gauge('connections', 'Xero connections by state', ['state'], async function () {
    const f = await figures();
    this.reset();
    if (f) for (const [state, count] of Object.entries(f.connectionsByState)) this.set({ state }, count);
  });
  // A gauge without labels always shows a value: NaN says "unknown" while the database is away.
  const single = (name: string, help: string, value: (f: ServiceFigures) => number) =>
    metrics.gauge(name, help, [], async function () {
      const f = await figures();
      this.set(f ? value(f) : Number.NaN);
    });
  single('incidents_open', 'Incidents (broken connections) not yet resolved', (f) => f.openIncidents);
  single('outbox_pending_messages', 'Chat messages queued and not yet delivered', (f) => f.outboxPending);
  single('outbox_oldest_pending_age_seconds', 'Age of the oldest chat message not yet delivered (0 when none)', (f) =>
    f.oldestPendingAt ? Math.max(0, (now().getTime() - f.oldestPendingAt.getTime()) / 1000) : 0,
  );
  single('checks_overdue', 'Watched connections whose check is more than a minute late', (f) => f.checksOverdue);
  // Xero bills API egress: what one watched connection costs a day, from this replica's calls
  // (sum over replicas). NaN while nothing is watched or the database cannot say.
  if (sources.xeroCallsPerDay) {
    const perDay = sources.xeroCallsPerDay;
    metrics.gauge('xero_calls_per_connection_per_day', 'Calls to Xero per watched connection per day, at the rate of the last 24 hours (this replica)', [], async function () {
      const f = await figures();
      const watched = f ? WATCHED.reduce((sum, state) => sum + (f.connectionsByState[state] ?? 0), 0) : 0;
      this.set(watched > 0 ? perDay() / watched : Number.NaN);
    });
  }
  metrics.gauge('xero_app_calls_left', "Calls left this minute in the app-wide Xero budget (90% of Xero's limit), as this replica sees it", [], function () {
    this.set(sources.xeroCallsLeft());
  });
}
