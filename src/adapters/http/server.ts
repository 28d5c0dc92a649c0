// The one HTTP server: /healthz and /metrics here; Slack, Teams and Xero routes are mounted on the
// same express app by their adapters (main.ts decides which).
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import express, { type Express, type Request, type Response, type NextFunction } from 'express';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';

export type HealthCheck = () => Promise<{ database: boolean }>;

export type HttpServerDeps = { logger: Logger; metrics: Metrics; health: HealthCheck };

export function createHttpApp(deps: HttpServerDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  app.use(requestLogging(deps));

  app.get('/healthz', async (_req, res) => {
    const health = await deps.health();
    res.status(health.database ? 200 : 503).json({ status: health.database ? 'ok' : 'unhealthy', database: health.database ? 'reachable' : 'unreachable' });
  });

  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });
  return app;
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

function requestLogging(deps: HttpServerDeps) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    const requestId = (req.headers['x-request-id'] as string | undefined) ?? randomUUID();
    res.on('finish', () => {
      const route = routeLabel(req.path);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      deps.metrics.httpRequests.inc({ route, status: String(res.statusCode) });
      deps.metrics.httpDuration.observe({ route }, seconds);
      if (route === '/healthz' || route === '/metrics') return;
      deps.logger.info(
        { requestId, method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1000), retry: req.headers['x-slack-retry-num'] },
        'http request',
      );
    });
    next();
  };
}

/** Keeps metric labels bounded: the known routes, or "other". */
function routeLabel(path: string): string {
  const known = ['/slack/events', '/api/messages', '/xero/connect', '/xero/callback', '/healthz', '/metrics'];
  return known.find((k) => path === k || path.startsWith(`${k}/`)) ?? 'other';
}

export async function listen(app: Express, port: number): Promise<http.Server> {
  const server = http.createServer(app);
  // Slack and Teams keep connections alive; a short keep-alive keeps shutdown quick.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return server;
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
