// Many definite breaks within the group window: one message, a row per organisation, growing as
// breaks arrive (src/domain/alerts.ts planAnnouncement). A summary holds at most MAX_SUMMARY_ROWS
// organisations, every one named: the planner starts a new summary message when one is full, and
// the renderers pack compact rows so 100 fit one Slack message (50 blocks, 3,000 characters a
// section, about 12,000 in all) and one Teams card (about 28 KB). `more` stays for the contract;
// it is non-zero only if a summary somehow holds more than its capacity.
import type { SummaryView } from './model.ts';
import { SUMMARY } from './wording.ts';
import { causeOf, causeWording } from './alert.ts';

export const MAX_SUMMARY_ROWS = 100;
/**
 * Rows of a summary that get their own Reconnect button: each takes one Slack block (50 a
 * message) and about 450 bytes of a Teams card (about 28 KB); the rest say how to act on them.
 */
export const SUMMARY_ACTION_ROWS = 30;

export type SummaryMember = { incidentId: string; connectionId: string; tenantName: string; cause: string; resolved: boolean; missingScopes?: string | null };

export function toSummaryView(members: readonly SummaryMember[], groupWindowMs: number): SummaryView {
  const shown = [...members].sort((a, b) => a.tenantName.localeCompare(b.tenantName)).slice(0, MAX_SUMMARY_ROWS);
  const more = Math.max(0, members.length - shown.length);
  return {
    type: 'summary',
    title: SUMMARY.title(members.length),
    text: more > 0 ? `${SUMMARY.text(members.length, groupWindowMs)} ${SUMMARY.more(more)}` : SUMMARY.text(members.length, groupWindowMs),
    rows: shown.map((m) => {
      const cause = causeOf(m.cause);
      return { incidentId: m.incidentId, connectionId: m.connectionId, tenantName: m.tenantName, cause, explanation: causeWording(cause, m.missingScopes).headline, resolved: m.resolved };
    }),
    more,
  };
}
