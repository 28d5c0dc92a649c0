// `/xero errors [org] [n]`: the last failures from the connection log.
import { isCause } from '../causes.ts';
import type { ErrorsView } from './model.ts';
import type { Person } from './model.ts';
import { ERRORS_TITLE, LIFECYCLE } from './wording.ts';

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

export function toErrorsView(rows: readonly ErrorFacts[], org?: string): ErrorsView {
  return {
    type: 'errors',
    title: ERRORS_TITLE(rows.length, org),
    rows: rows.map((r) => {
      const row: ErrorsView['rows'][number] = { at: r.at.toISOString(), tenantName: r.tenantName, operation: r.operation };
      if (r.httpStatus !== null) row.httpStatus = r.httpStatus;
      if (r.xeroError) row.xeroError = r.xeroError.slice(0, 300);
      if (r.cause && isCause(r.cause)) row.cause = r.cause;
      if (r.note) {
        row.operation = LIFECYCLE.errorsNoteOperation;
        row.note = r.note.text;
        if (r.note.by) row.by = r.note.by;
      }
      return row;
    }),
  };
}
