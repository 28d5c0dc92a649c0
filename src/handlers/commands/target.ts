// Finds what a button or an `<org>` command acts on: the connection and its open incident,
// re-read from the database (a button payload carries ids only).
import { ANSWERS } from '../../domain/views/wording.ts';
import { err, ok, type Result } from '../../domain/result.ts';
import type { ConnectionRow, IncidentRow } from '../store.ts';
import type { HandlerDeps } from '../deps.ts';
import type { HandlerFailure } from '../types.ts';
import { fail, findOrganisation } from '../common.ts';

export type Subject = { connection: ConnectionRow; incident: IncidentRow | null };

/** By button: the incident named in the button (open or not), and its connection. */
export async function subjectOfButton(deps: HandlerDeps, incidentId: string, connectionId: string): Promise<Result<Subject, HandlerFailure>> {
  const incident = await deps.store.incidents.get(incidentId);
  if (!incident || incident.connectionId !== connectionId) return fail('not_found', ANSWERS.badButton, 'incident_not_found');
  const { connection, ...rest } = incident;
  return ok({ connection, incident: rest });
}

/** By name: the organisation, and its open incident if it has one. */
export async function subjectOfName(deps: HandlerDeps, org: string): Promise<Result<Subject, HandlerFailure>> {
  const found = await findOrganisation(deps, org);
  if (!found.ok) return err(found.error);
  return ok({ connection: found.value, incident: await deps.store.incidents.findOpen(found.value.id) });
}
