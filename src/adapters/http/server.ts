// The one HTTP server: /healthz, /metrics and the service's own pages (/, /privacy, /terms) here;
// Slack, Teams and Xero routes are mounted on the same express app by their adapters (service.ts
// decides which).
import http from 'node:http';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import express, { type Express, type Request, type Response, type NextFunction } from 'express';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { HOME_PAGE, PRIVACY_PAGE, SITE_PATHS, TERMS_PAGE, type SitePage } from '../../domain/views/site.ts';
import { renderSitePage } from './pages.ts';

export type HealthCheck = () => Promise<{ database: boolean }>;

export type HttpServerDeps = {
  logger: Logger;
  metrics: Metrics;
  health: HealthCheck;
  /** When set, /metrics answers only requests with `Authorization: Bearer <token>`. */
  metricsToken?: string;
};

/**
 * Above the usual load balancer idle timeout (AWS ALB and most others: 60 s): the balancer must
 * close an idle connection before we do, or it may send a request on a socket we are closing and
 * answer its client with a 502. Node's default is 5 s.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Node requires headersTimeout above keepAliveTimeout, or a reused socket can time out mid-headers. */
export const HEADERS_TIMEOUT_MS = 66_000;

export function createHttpApp(deps: HttpServerDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  app.use((_req, res, next) => {
    // No browser may guess a JSON answer or a page into something else (a script, say).
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.use(requestLogging(deps));

  const page = (content: SitePage) => (_req: Request, res: Response) => {
    res.set('Cache-Control', 'public, max-age=300').type('html').send(renderSitePage(content));
  };
  app.get(SITE_PATHS.home, page(HOME_PAGE));
  app.get(SITE_PATHS.privacy, page(PRIVACY_PAGE));
  app.get(SITE_PATHS.terms, page(TERMS_PAGE));

  app.get(SITE_PATHS.health, async (_req, res) => {
    const health = await deps.health();
    res.status(health.database ? 200 : 503).json({ status: health.database ? 'ok' : 'unhealthy', database: health.database ? 'reachable' : 'unreachable' });
  });

  const metricsAllowed = deps.metricsToken ? bearerCheck(deps.metricsToken) : () => true;
  app.get('/metrics', async (req, res) => {
    if (!metricsAllowed(req.headers.authorization)) {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="metrics"').type('text').send('A bearer token is required.\n');
      return;
    }
    res.set('Content-Type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });
  return app;
}

/** Compares in constant time: equal-length digests, so neither the length nor a prefix leaks. */
function bearerCheck(token: string): (header: string | undefined) => boolean {
  const expected = createHash('sha256').update(token).digest();
  return (header) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) return false;
    return timingSafeEqual(createHash('sha256').update(match[1]!).digest(), expected);
  };
}

/** Routes the adapters did not claim get a plain 404; errors get a 500 with no internals. */
export function finishHttpApp(app: Express, logger: Logger): void {
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'not_found' });
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 500;
    if (status >= 500) logger.error({ err: error, path: req.path }, 'request failed');
    if (!res.headersSent) res.status(status).json({ error: status >= 500 ? 'internal_error' : 'bad_request' });
  });
}

/** One HTTP request as the log and the metrics keep it. */
export type RequestRecord = { requestId: string; method: string; path: string; status: number; seconds: number; retry?: string | string[] | undefined };

/** The log line and metrics of one request: those served here, and those the front thread answered itself (src/main.ts). */
export function recordRequest(deps: Pick<HttpServerDeps, 'logger' | 'metrics'>, request: RequestRecord): void {
  const route = routeLabel(request.path);
  deps.metrics.httpRequests.inc({ route, status: String(request.status) });
  deps.metrics.httpDuration.observe({ route }, request.seconds);
  if (route === '/healthz' || route === '/metrics') return;
  deps.logger.info({ requestId: request.requestId, method: request.method, route, status: request.status, ms: Math.round(request.seconds * 1000), retry: request.retry }, 'http request');
}

function requestLogging(deps: HttpServerDeps) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    const requestId = (req.headers['x-request-id'] as string | undefined) ?? randomUUID();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      recordRequest(deps, { requestId, method: req.method, path: req.path, status: res.statusCode, seconds, retry: req.headers['x-slack-retry-num'] });
    });
    next();
  };
}

/** Keeps metric labels bounded: the known routes, or "other". */
function routeLabel(path: string): string {
  const known = ['/slack/events', '/api/messages', '/xero/connect', '/xero/callback', '/healthz', '/metrics'];
  if (path === SITE_PATHS.home || path === SITE_PATHS.privacy || path === SITE_PATHS.terms) return path;
  return known.find((k) => path === k || path.startsWith(`${k}/`)) ?? 'other';
}

export async function listen(app: Express | http.RequestListener, port: number, host?: string): Promise<http.Server> {
  const server = http.createServer(app);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (host === undefined) server.listen(port, () => resolve());
    else server.listen(port, host, () => resolve());
  });
  return server;
}

/**
 * Stops taking connections, closes the idle ones at once and lets requests in progress finish; the
 * long keep-alive must not hold a shutdown, so connections still open after 5 s are cut.
 */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    const cut = setTimeout(() => server.closeAllConnections(), 5_000);
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
  });
}
