// The front thread's HTTP server (src/main.ts): it owns the public port, answers the requests
// it can answer alone (the doors: Slack's events, acknowledged at once) and passes every other
// request, unchanged, to the engine thread's server on the loopback interface. The engine sees
// the client's address and scheme in X-Forwarded-* (it trusts them, as behind any proxy).
import http from 'node:http';
import express, { type Express, type RequestHandler } from 'express';
import httpProxy from 'http-proxy';
import type { Logger } from '../observability/logger.ts';
import { finishHttpApp } from './server.ts';

export type Door = { path: string; handlers: RequestHandler[] };

export type FrontOptions = {
  /** The engine's server. */
  upstream: { host: string; port: number };
  doors: Door[];
  logger: Logger;
};

export function createFront(options: FrontOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  for (const door of options.doors) {
    app.post(door.path, (_req, res, next) => {
      res.set('X-Content-Type-Options', 'nosniff');
      next();
    });
    app.post(door.path, ...door.handlers);
  }
  const proxy = httpProxy.createProxyServer({
    target: { host: options.upstream.host, port: options.upstream.port },
    xfwd: true,
    agent: new http.Agent({ keepAlive: true }),
  });
  proxy.on('error', (error, _req, res) => {
    options.logger.error({ err: error }, 'engine thread unreachable');
    if (res instanceof http.ServerResponse && !res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'engine_unavailable' }));
    else res.destroy();
  });
  app.use((req, res) => proxy.web(req, res));
  finishHttpApp(app, options.logger);
  return app;
}
