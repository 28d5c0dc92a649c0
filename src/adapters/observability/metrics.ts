// Prometheus metrics. One registry per service instance (no module-level singletons, so tests can
// build several); adapters and handlers receive `metrics` and count their outcomes on it. The
// process and Node.js series keep prom-client's standard names (process_cpu_seconds_total,
// nodejs_eventloop_lag_seconds, ...) so stock dashboards work; our own carry xero_guard_.
import { Registry, collectDefaultMetrics, Counter, Histogram, Gauge } from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Memoised by name: several modules may ask for the same metric; prom-client refuses duplicates.
  const made = new Map<string, unknown>();
  const once = <M>(name: string, make: () => M): M => {
    if (!made.has(name)) made.set(name, make());
    return made.get(name) as M;
  };
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    once(name, () => new Counter({ name: `xero_guard_${name}`, help, labelNames, registers: [registry] }));
  const histogram = (name: string, help: string, labelNames: string[] = [], buckets?: number[]) =>
    once(name, () => new Histogram({ name: `xero_guard_${name}`, help, labelNames, registers: [registry], ...(buckets ? { buckets } : {}) }));
  /** `collect` runs at each scrape, so the value is read when Prometheus asks, not kept up to date. */
  const gauge = (name: string, help: string, labelNames: string[] = [], collect?: (this: Gauge) => void | Promise<void>) =>
    once(name, () => new Gauge({ name: `xero_guard_${name}`, help, labelNames, registers: [registry], ...(collect ? { collect } : {}) }));

  return {
    registry,
    httpRequests: counter('http_requests_total', 'HTTP requests served', ['route', 'status']),
    httpDuration: histogram('http_request_duration_seconds', 'HTTP request duration', ['route'], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3]),
    counter,
    histogram,
    gauge,
  };
}
