// Many definite breaks within the group window: one message, a row per organisation. Slack allows
// 50 blocks a message; the renderer spends about one block per row plus a few for the frame, so a
// summary shows at most MAX_SUMMARY_ROWS rows and counts the rest in `more`.
import type { SummaryView } from './model.ts';
import { CAUSE_WORDING, SUMMARY } from './wording.ts';
import { causeOf } from './alert.ts';

export const MAX_SUMMARY_ROWS = 40;

export type SummaryMember = { incidentId: string; connectionId: string; tenantName: string; cause: string; resolved: boolean };

export function toSummaryView(members: readonly SummaryMember[], groupWindowMs: number): SummaryView {
  const shown = [...members].sort((a, b) => a.tenantName.localeCompare(b.tenantName)).slice(0, MAX_SUMMARY_ROWS);
  const more = Math.max(0, members.length - shown.length);
  return {
    type: 'summary',
    title: SUMMARY.title(members.length),
    text: more > 0 ? `${SUMMARY.text(members.length, groupWindowMs)} ${SUMMARY.more(more)}` : SUMMARY.text(members.length, groupWindowMs),
    rows: shown.map((m) => {
      const cause = causeOf(m.cause);
      return { incidentId: m.incidentId, connectionId: m.connectionId, tenantName: m.tenantName, cause, explanation: CAUSE_WORDING[cause].headline, resolved: m.resolved };
    }),
    more,
  };
}
