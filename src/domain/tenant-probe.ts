// When a check asks the tenant itself (GET /api.xro/2.0/Organisation). Xero bills API egress since
// 2026 (reference: anchors-2026), so a check makes the fewest and smallest calls that still tell
// each cause apart:
//   - the token refresh tells token_revoked (and our own app_credentials_invalid);
//   - GET /connections, one per grant per cycle and shared by the grant's organisations, tells
//     app_disconnected_in_xero, and the organisation's name;
//   - the grant's stored scopes tell permission_missing for a scope Xero Guard needs;
//   - only the tenant probe tells access_lost (403 AuthenticationUnsuccessful, or an organisation
//     no longer ACTIVE: the user lost access or role, the subscription or trial ended) and a
//     permission Xero refuses without the scopes showing it.
// So the tenant probe runs on the first check after a (re)connect, when /connections shows the
// connection changed, while the connection is not plainly healthy (to see the break or its end),
// at every check while Xero's app-wide budget has room (TENANT_PROBE_BUSY_SHARE; the adapter passes
// an interval of 0 then), and otherwise once per TENANT_PROBE_INTERVAL. The price when the budget is
// busy: a lost access on a healthy connection is found within that interval rather than within one
// check interval. A revocation or a removed app, the breaks people must act on fast, are still found
// within one check interval.
import type { ConnectionState } from './states.ts';

export type TenantProbeSubject = {
  state: ConnectionState;
  /** When the tenant probe last answered well; null: never since the (re)connect. */
  tenantProbedAt: Date | null;
};

export function isTenantProbeDue(subject: TenantProbeSubject, listingChanged: boolean, now: Date, intervalMs: number): boolean {
  if (subject.tenantProbedAt === null || listingChanged) return true;
  if (subject.state !== 'connected') return true;
  return now.getTime() - subject.tenantProbedAt.getTime() >= intervalMs;
}
