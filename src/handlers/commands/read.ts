// Reading commands: status, errors, help. Anyone may read.
import { toStatusView } from '../../domain/views/status.ts';
import { toErrorsView } from '../../domain/views/errors.ts';
import { helpView, textView } from '../../domain/views/text.ts';
import { ANSWERS } from '../../domain/views/wording.ts';
import type { StatusView } from '../../domain/views/model.ts';
import { isAdmin, type ChatActor } from '../../domain/permissions.ts';
import { endpointNotes } from '../../domain/views/event-endpoints.ts';
import type { HandlerDeps } from '../deps.ts';
import type { FreshRead } from '../fresh-reads.ts';
import type { HandlerResult } from '../types.ts';
import { answer, findOrganisation } from '../common.ts';
import { NOTE_OPERATION } from '../lifecycle/note.ts';
import type { Person } from '../../domain/views/model.ts';
import { PLATFORMS, type Platform } from '../../domain/permissions.ts';

function actorOf(row: { actorPlatform: string | null; actorId: string | null; actorName: string | null }): Person | undefined {
  if (!row.actorId || !(PLATFORMS as readonly string[]).includes(row.actorPlatform ?? '')) return undefined;
  return { platform: row.actorPlatform as Platform, userId: row.actorId, ...(row.actorName ? { name: row.actorName } : {}) };
}

export async function statusView(deps: HandlerDeps): Promise<StatusView> {
  const rows = await (deps.freshRead ?? alone)('status', () => deps.store.connections.listWithGrant());
  return toStatusView(
    rows.map((r) => ({ ...r, tokenRefreshedAt: r.grant ? (r.grant.refreshedAt ?? r.grant.createdAt) : null, openIncident: r.incidents[0] ?? null })),
    deps.clock.now(),
  );
}

const alone: FreshRead = (_key, read) => read();

export async function status(deps: HandlerDeps, actor?: ChatActor): Promise<HandlerResult> {
  const view = await statusView(deps);
  // Admins also hear about a webhook endpoint that stopped taking events: only they can fix it.
  const notes = actor && isAdmin(actor, deps.admins) ? endpointNotes(await deps.store.events.health(), deps.clock.now()) : [];
  if (view.rows.length === 0 && notes.length === 0) return answer(textView(ANSWERS.noConnections));
  return answer(notes.length > 0 ? { ...view, operatorNotes: notes } : view);
}

export async function errors(deps: HandlerDeps, org: string | undefined, limit: number): Promise<HandlerResult> {
  let connectionId: string | undefined;
  let name: string | undefined;
  if (org) {
    const found = await findOrganisation(deps, org);
    if (!found.ok) return found;
    connectionId = found.value.id;
    name = found.value.tenantName;
  }
  // Repeats fold into one line each, so read well past `limit` raw rows to fill `limit` lines.
  const rawLimit = Math.min(limit * 20, 1_000);
  const rows = await (deps.freshRead ?? alone)(`errors:${connectionId ?? '*'}:${rawLimit}`, () =>
    deps.store.connections.recentFailures({ limit: rawLimit, ...(connectionId ? { connectionId } : {}) }),
  );
  if (rows.length === 0) return answer(textView(ANSWERS.noErrors(name)));
  return answer(
    toErrorsView(
      rows.map((r) => ({
        at: r.at,
        tenantName: r.connection?.tenantName ?? '(all)',
        operation: r.operation,
        httpStatus: r.httpStatus,
        xeroError: r.xeroError,
        cause: r.cause,
        ...(r.operation === NOTE_OPERATION && r.detail ? { note: { text: r.detail, by: actorOf(r) } } : {}),
      })),
      name,
      limit,
    ),
  );
}

export function help(): HandlerResult {
  return answer(helpView());
}
