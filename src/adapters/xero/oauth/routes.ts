// GET /xero/connect and GET /xero/callback on the service's express app. Translation only: the
// flow lives in consent.ts.
import { Router, type Request, type Response } from 'express';
import type { Logger } from '../../observability/logger.ts';
import { completeConsent, startConsent, type ConsentDeps } from './consent.ts';
import { renderPage, type Page } from './pages.ts';

export function xeroOAuthRouter(deps: ConsentDeps & { log: Logger }): Router {
  const router = Router();

  router.get('/xero/connect', async (req: Request, res: Response) => {
    const t = typeof req.query.t === 'string' ? req.query.t : undefined;
    const result = await startConsent(deps, t);
    noStore(res);
    if ('redirect' in result) res.redirect(302, result.redirect);
    else sendPage(res, result.page);
  });

  router.get('/xero/callback', async (req: Request, res: Response) => {
    const question = req.originalUrl.indexOf('?');
    const page = await completeConsent(deps, question >= 0 ? req.originalUrl.slice(question + 1) : '');
    noStore(res);
    sendPage(res, page);
  });

  return router;
}

function sendPage(res: Response, page: Page): void {
  res.status(page.status).type('html').send(renderPage(page));
}

/** Links and codes are single-use: nothing here may be cached, framed, or leak via Referer. */
function noStore(res: Response): void {
  res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY', 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'" });
}
