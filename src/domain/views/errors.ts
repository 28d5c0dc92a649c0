// `/xero errors [org] [n]`: the last failures from the connection log.
import { isCause } from '../causes.ts';
import type { ErrorsView } from './model.ts';
import { ERRORS_TITLE } from './wording.ts';

export type ErrorFacts = { at: Date; tenantName: string; operation: string; httpStatus: number | null; xeroError: string | null; cause: string | null };

export function toErrorsView(rows: readonly ErrorFacts[], org?: string): ErrorsView {
  return {
    type: 'errors',
    title: ERRORS_TITLE(rows.length, org),
    rows: rows.map((r) => {
      const row: ErrorsView['rows'][number] = { at: r.at.toISOString(), tenantName: r.tenantName, operation: r.operation };
      if (r.httpStatus !== null) row.httpStatus = r.httpStatus;
      if (r.xeroError) row.xeroError = r.xeroError.slice(0, 300);
      if (r.cause && isCause(r.cause)) row.cause = r.cause;
      return row;
    }),
  };
}
