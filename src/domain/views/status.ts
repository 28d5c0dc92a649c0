// `/xero status` (and Slack's App Home): every connection, worst first.
import { STATES, type ConnectionState } from '../states.ts';
import type { StatusView } from './model.ts';
import { STATUS_SUMMARY } from './wording.ts';
import { causeOf, causeWording } from './alert.ts';
import { connectorOf, decodePerson, type ConnectionFacts } from './facts.ts';

const ORDER: ConnectionState[] = ['broken', 'degraded', 'reconnecting', 'paused', 'disconnected', 'connected'];

/** `openIncident`: the connection's open incident, for its owner and snooze. */
export type StatusFacts = ConnectionFacts & {
  tokenRefreshedAt: Date | null;
  openIncident?: { ownedBy: string | null; ownedAt: Date | null; snoozedUntil: Date | null; missingScopes?: string | null } | null;
};

export function toStatusView(connections: readonly StatusFacts[], now: Date): StatusView {
  const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<ConnectionState, number>;
  const rows = connections.map((c) => {
    const state = c.state;
    counts[state] += 1;
    const row: StatusView['rows'][number] = {
      connectionId: c.id,
      tenantName: c.tenantName,
      state,
      since: c.stateSince.toISOString(),
      connectedBy: connectorOf(c),
    };
    if (c.lastGoodCheckAt) row.lastGoodCheck = c.lastGoodCheckAt.toISOString();
    if (c.tokenRefreshedAt) row.tokenAgeMs = Math.max(0, now.getTime() - c.tokenRefreshedAt.getTime());
    if (c.lastCause && state !== 'connected') {
      row.cause = causeOf(c.lastCause);
      row.causeHeadline = causeWording(row.cause, c.openIncident?.missingScopes).headline;
    }
    const owner = c.openIncident?.ownedAt ? decodePerson(c.openIncident.ownedBy) : undefined;
    if (owner && c.openIncident?.ownedAt) row.owner = { by: owner, at: c.openIncident.ownedAt.toISOString() };
    if (c.openIncident?.snoozedUntil && c.openIncident.snoozedUntil > now) row.snoozedUntil = c.openIncident.snoozedUntil.toISOString();
    return row;
  });
  rows.sort((a, b) => ORDER.indexOf(a.state) - ORDER.indexOf(b.state) || a.tenantName.localeCompare(b.tenantName));
  const ordered = Object.fromEntries(ORDER.map((s) => [s, counts[s]])) as Record<ConnectionState, number>;
  return { type: 'status', summary: STATUS_SUMMARY(connections.length, ordered), counts, rows };
}
