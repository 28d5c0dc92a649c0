// The refresher as the handlers' GrantKeeper: the outcome of keeping a grant fresh, without the
// access token (the handlers that refresh paused grants need only whether it worked, and why).
import type { GrantKeeper } from '../../handlers/ports.ts';
import type { Refresher } from './refresh-grant.ts';

export function grantKeeper(refresher: Pick<Refresher, 'ensureFresh'>): GrantKeeper {
  return {
    async ensureFresh(grantId) {
      const result = await refresher.ensureFresh(grantId);
      if (result.ok) return { ok: true, refreshed: result.value.refreshed, reason: result.value.reason };
      const { cause, status, xeroError } = result.error;
      return { ok: false, cause, ...(status !== undefined ? { httpStatus: status } : {}), ...(xeroError !== undefined ? { xeroError } : {}) };
    },
  };
}
