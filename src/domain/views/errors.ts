// `/xero errors [org] [n]`: the last failures from the connection log, each with its reason in
// plain words and the raw detail behind it. Repeats of the same reason for the same organisation
// in a row fold into one line ("Xero unavailable ×10, 10:00–10:45"), so an outage does not fill
// the list with identical rows.
import { isCause } from '../causes.ts';
import type { ErrorsView } from './model.ts';
import type { Person } from './model.ts';
import { CAUSE_REASON, ERRORS_TITLE, LIFECYCLE } from './wording.ts';

export type ErrorFacts = {
  at: Date;
  tenantName: string;
  operation: string;
  httpStatus: number | null;
  xeroError: string | null;
  cause: string | null;
  /** Set on a resolution note's row: the note and who wrote it. */
  note?: { text: string; by: Person | undefined };
};

type Row = ErrorsView['rows'][number];

/** `rows` newest first; at most `limit` lines after folding. */
export function toErrorsView(rows: readonly ErrorFacts[], org?: string, limit = Number.POSITIVE_INFINITY): ErrorsView {
  const folded: Row[] = [];
  for (const r of rows) {
    const row = toRow(r);
    const last = folded[folded.length - 1];
    if (last && !row.note && !last.note && last.tenantName === row.tenantName && last.reason === row.reason && last.cause === row.cause) {
      last.count += 1;
      last.from = row.at;
      continue;
    }
    if (folded.length >= limit) break;
    folded.push(row);
  }
  const events = folded.reduce((n, r) => n + r.count, 0);
  return { type: 'errors', title: ERRORS_TITLE(events, org), rows: folded };
}

function toRow(r: ErrorFacts): Row {
  const cause = r.cause && isCause(r.cause) ? r.cause : undefined;
  // A status under 400 is not an error (a 200 that lacked our organisation): only its meaning counts.
  const status = r.httpStatus !== null && r.httpStatus >= 400 ? r.httpStatus : undefined;
  const detail = [r.operation, status !== undefined ? `status ${status}` : undefined, r.xeroError ? r.xeroError.slice(0, 300) : undefined].filter(Boolean).join(' · ');
  const row: Row = { at: r.at.toISOString(), count: 1, tenantName: r.tenantName, reason: cause ? CAUSE_REASON[cause] : 'Unexpected failure', detail, operation: r.operation };
  if (status !== undefined) row.httpStatus = status;
  if (r.xeroError) row.xeroError = r.xeroError.slice(0, 300);
  if (cause) row.cause = cause;
  if (r.note) {
    row.operation = LIFECYCLE.errorsNoteOperation;
    row.reason = LIFECYCLE.errorsNoteOperation;
    row.note = r.note.text;
    if (r.note.by) row.by = r.note.by;
  }
  return row;
}
