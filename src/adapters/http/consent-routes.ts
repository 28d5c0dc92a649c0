// The consent pages on the service's express app. Translation only: the consent handler
// (src/handlers/oauth/consent.ts) decides and returns a ConsentOutcome, src/domain/views/pages.ts
// words it, consent-pages.ts lays it out.
//   GET  /xero/connect?t=   the link's page (reads only; HEAD likewise)
//   POST /xero/connect      "Continue to Xero" / "Try again at Xero" (form field t or s)
//   POST /xero/link/fresh   "Send me a fresh link" (form field t or s)
//   GET  /xero/callback     Xero's answer
import express, { Router, type Request, type Response } from 'express';
import type { ConsentOutcome } from '../../domain/consent.ts';
import type { ConsentHandlers, LinkKey } from '../../handlers/oauth/consent.ts';
import { renderPage, statusOf } from './consent-pages.ts';

export const CONNECT_PATH = '/xero/connect';
export const FRESH_PATH = '/xero/link/fresh';

export function consentRouter(consent: ConsentHandlers): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });

  router.get(CONNECT_PATH, async (req: Request, res: Response) => {
    const t = typeof req.query.t === 'string' ? req.query.t : undefined;
    send(res, await consent.showLink(t), { t });
  });

  router.post(CONNECT_PATH, form, async (req: Request, res: Response) => {
    const key = keyOf(req);
    const result = await consent.startConsent(key);
    if ('redirect' in result) {
      noStore(res);
      // 303: the browser follows with a GET, as it should after a form POST.
      res.redirect(303, result.redirect);
      return;
    }
    send(res, result.outcome, key);
  });

  router.post(FRESH_PATH, form, async (req: Request, res: Response) => {
    const key = keyOf(req);
    send(res, await consent.renewLink(key), key);
  });

  router.get('/xero/callback', async (req: Request, res: Response) => {
    const question = req.originalUrl.indexOf('?');
    const query = question >= 0 ? req.originalUrl.slice(question + 1) : '';
    const state = new URLSearchParams(query).get('state') ?? undefined;
    send(res, await consent.completeConsent(query), { s: state });
  });

  return router;
}

function keyOf(req: Request): LinkKey {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const pick = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 200 ? v : undefined);
  const t = pick(body.t);
  const s = pick(body.s);
  return { ...(t ? { t } : {}), ...(s ? { s } : {}) };
}

function send(res: Response, outcome: ConsentOutcome, key: LinkKey): void {
  noStore(res);
  res.status(statusOf(outcome)).type('html').send(renderPage(outcome, { key, connectPath: CONNECT_PATH, freshPath: FRESH_PATH }));
}

/** Links and codes are secrets: nothing here may be cached, framed, indexed, or leak via Referer. */
function noStore(res: Response): void {
  res.set({
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'X-Robots-Tag': 'noindex',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'",
  });
}
