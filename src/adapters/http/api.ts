// The read API for the host app: GET /api/v1/connections and /api/v1/connections/{tenantId}, and
// its OpenAPI document. Bearer keys from API_KEYS are compared as SHA-256 digests in constant time
// against every configured key (so timing says nothing about which one, or how much, matched); a
// missing, wrong or revoked key gets the same 401 and nothing else.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type Request, type Response, type NextFunction } from 'express';
import type { ConnectionResource } from '../../domain/events.ts';
import { OPENAPI_DOCUMENT } from './openapi.ts';

export type ApiKey = { name: string; sha256: Buffer };

export type ApiDeps = {
  keys: readonly ApiKey[];
  /** Names (or keys) listed in API_KEYS_REVOKED: refused even while still listed. */
  revoked: readonly string[];
  listConnections(): Promise<ConnectionResource[]>;
  getConnection(tenantId: string): Promise<ConnectionResource | undefined>;
};

export function createApiRouter(deps: ApiDeps): Router {
  const router = Router();
  const revokedDigests = deps.revoked.map(digest);
  const live = deps.keys.filter((k) => !deps.revoked.includes(k.name) && !revokedDigests.some((r) => r.equals(k.sha256)));

  router.get('/api/v1/openapi.json', (_req, res) => {
    res.json(OPENAPI_DOCUMENT);
  });

  const authorised = (req: Request, res: Response, next: NextFunction) => {
    const match = /^Bearer ([\x21-\x7e]+)$/.exec(req.get('authorization') ?? '');
    const presented = digest(match?.[1] ?? '');
    // Every key is compared, whatever the first result, so the time taken does not depend on which matched.
    let ok = false;
    for (const key of live) ok = timingSafeEqual(presented, key.sha256) || ok;
    if (!match || !ok) {
      res.set('WWW-Authenticate', 'Bearer').set('Cache-Control', 'no-store').status(401).json({ error: 'unauthorized' });
      return;
    }
    res.set('Cache-Control', 'no-store');
    next();
  };

  router.get('/api/v1/connections', authorised, async (_req, res, next) => {
    try {
      res.json({ connections: await deps.listConnections() });
    } catch (error) {
      next(error);
    }
  });

  router.get('/api/v1/connections/:tenantId', authorised, async (req, res, next) => {
    try {
      const connection = await deps.getConnection(String(req.params.tenantId));
      if (!connection) res.status(404).json({ error: 'not_found' });
      else res.json(connection);
    } catch (error) {
      next(error);
    }
  });

  // Anything else under the API needs a key too: an unknown path tells a caller without one nothing.
  router.use('/api/v1', authorised, (_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });
  return router;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
