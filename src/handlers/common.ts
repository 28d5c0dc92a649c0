// Small helpers every chat handler uses: refusals with a view, organisation lookup by name,
// permission checks against the stored connector.
import { decidePermission, type Action, type ChatActor } from '../domain/permissions.ts';
import { matchOrganisation } from '../domain/commands.ts';
import { err, ok, type Result } from '../domain/result.ts';
import { textView } from '../domain/views/text.ts';
import { ANSWERS } from '../domain/views/wording.ts';
import type { Phrase } from '../domain/views/phrase.ts';
import { connectorOf } from '../domain/views/facts.ts';
import type { ConnectionRow } from './store.ts';
import { currentViewOf } from './messages.ts';
import type { View } from '../domain/views/model.ts';
import type { HandlerDeps } from './deps.ts';
import type { HandlerFailure, HandlerFailureCode, HandlerResult } from './types.ts';

export function fail(code: HandlerFailureCode, text: string | Phrase, reason?: string, lines: string[] = []): { ok: false; error: HandlerFailure } {
  return err({ code, ...(reason ? { reason } : {}), reply: textView(text, code === 'internal' ? 'danger' : 'warning', lines) });
}

export function answer(reply: View | undefined, extra: { message?: () => Promise<View | undefined>; queued?: boolean } = {}): HandlerResult {
  return ok({ ...(reply ? { reply } : {}), ...(extra.message ? { message: extra.message } : {}), queued: extra.queued ?? false });
}

/** An answer that also offers the alert (or summary) the button sat on, read when the adapter asks. */
export async function answerWithAlert(deps: HandlerDeps, alertKey: string | null | undefined, reply: View, queued = false): Promise<HandlerResult> {
  return answer(reply, { ...(alertKey ? { message: () => currentViewOf(deps.store, alertKey, deps.settings.groupWindowMs) } : {}), queued });
}

/** Refuses with the rule's reason, or returns undefined when the actor may act. */
export function refusal(deps: HandlerDeps, actor: ChatActor, action: Action, connection?: ConnectionRow): { ok: false; error: HandlerFailure } | undefined {
  const connector = connection ? { platform: connection.connectedByPlatform, userId: connection.connectedByUserId } : undefined;
  const permission = decidePermission(actor, action, deps.admins, connector);
  if (permission.allowed) return undefined;
  deps.log.info({ platform: actor.platform, userId: actor.userId, action, reason: permission.reason, connectionId: connection?.id }, 'action refused');
  const text = permission.reason === 'not_admin' || !connection ? ANSWERS.refusedNotAdmin : ANSWERS.refusedNotAdminOrConnector(connectorOf(connection));
  return fail('not_permitted', text, permission.reason);
}

/** The organisation a command names, when the actor may do `action` on it. */
export async function organisationFor(deps: HandlerDeps, actor: ChatActor, action: Action, name: string): Promise<Result<ConnectionRow, HandlerFailure>> {
  const found = await findOrganisation(deps, name);
  if (!found.ok) return found;
  return refusal(deps, actor, action, found.value) ?? found;
}

export async function findOrganisation(deps: HandlerDeps, name: string): Promise<Result<ConnectionRow, HandlerFailure>> {
  // Names only, then the one row: a command names one organisation among possibly thousands.
  const all = await deps.store.connections.names();
  const match = matchOrganisation(name, all);
  if (match.ok) {
    const row = await deps.store.connections.get(match.match.id);
    if (row) return ok(row);
    // Removed between the two reads: as if it had never been there.
    return fail('not_found', ANSWERS.unknownOrg(name, all.filter((c) => c.id !== match.match.id).map((c) => c.tenantName)), 'unknown_org');
  }
  if (match.reason === 'unknown') return fail('not_found', ANSWERS.unknownOrg(name, all.map((c) => c.tenantName)), 'unknown_org');
  return fail('bad_request', ANSWERS.ambiguousOrg(name), 'ambiguous_org', match.candidates.map((c) => c.tenantName));
}

/** Runs one thing at a time per key inside this process: a double click waits for the first. */
export function singleFlight() {
  const running = new Map<string, Promise<unknown>>();
  return async function run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = running.get(key) ?? Promise.resolve();
    // The previous caller sees its own failure; the next one runs regardless.
    const next = previous.catch(() => undefined).then(work);
    running.set(key, next);
    try {
      return await next;
    } finally {
      if (running.get(key) === next) running.delete(key);
    }
  };
}
