// The one grouped "Xero API unreachable" notice (DESIGN.md section 3): passing trouble raises no
// alert per organisation; only when connections stay degraded past TRANSIENT_ALERT_AFTER does one
// notice go out, listing them. It grows as more join, and is edited green (with a thread reply)
// once none is degraded. src/domain/alerts.ts planTransientNotice decides; this writes.
import { isTransientNoticeDue, planTransientNotice } from '../domain/alerts.ts';
import { toRecoveredNotice, toUnreachableNotice } from '../domain/views/notice.ts';
import type { NoticeView } from '../domain/views/model.ts';
import type { HandlerDeps, HandlerSettings } from './deps.ts';
import type { Repos, Notice } from './store.ts';
import { editNotice, postNotice } from './notices.ts';

export const NOTICE_KIND = 'xero_unavailable';

export async function updateTransientNotice(deps: HandlerDeps): Promise<'nothing' | 'open' | 'grow' | 'close'> {
  const now = deps.clock.now();
  const after = deps.settings.transientAlertAfterMs;
  const degraded = await deps.store.connections.listDegraded();
  const overdue = degraded.filter((c) => isTransientNoticeDue(c.degradedSince, now, after)).map((c) => c.tenantName);
  const open = await deps.store.notices.findOpen(NOTICE_KIND);
  const plan = planTransientNotice(open, overdue, degraded.length);
  if (plan.kind === 'nothing') return 'nothing';
  await deps.store.transaction(async (tx) => {
    if (plan.kind === 'open') return openNotice(tx, deps.settings, plan.organisations, now);
    if (plan.kind === 'grow') return growNotice(tx, deps.settings, open!, plan.organisations, now);
    return closeNotice(tx, deps.settings, open!, now);
  });
  return plan.kind;
}

/** The open notice as it reads now (also for `/xero here`, which re-posts it). */
export function unreachableView(notice: Pick<Notice, 'organisations' | 'openedAt'>, now: Date, settings: HandlerSettings): NoticeView {
  return toUnreachableNotice(notice.organisations, notice.openedAt, now, settings.transientAlertAfterMs);
}

async function openNotice(tx: Repos, settings: HandlerSettings, organisations: string[], now: Date): Promise<void> {
  const notice = await tx.notices.open(NOTICE_KIND, organisations, now);
  await postNotice(tx, notice, unreachableView(notice, now, settings), now);
  await tx.connections.log({ kind: 'notice', operation: 'xero_unreachable', outcome: 'failure', cause: 'xero_unavailable', detail: `${organisations.length} organisation(s)`, at: now });
}

async function growNotice(tx: Repos, settings: HandlerSettings, notice: Notice, organisations: string[], now: Date): Promise<void> {
  // Compare-and-set on the update count: of two replicas, one grows it.
  if (!(await tx.notices.grow(notice.id, notice.updates, organisations))) return;
  await editNotice(tx, notice, `${notice.updates + 1}`, unreachableView({ ...notice, organisations }, now, settings), now);
}

async function closeNotice(tx: Repos, settings: HandlerSettings, notice: Notice, now: Date): Promise<void> {
  if (!(await tx.notices.close(notice.id, now))) return;
  const after = settings.transientAlertAfterMs;
  await editNotice(tx, notice, 'closed', toRecoveredNotice(notice.organisations, notice.openedAt, now, after), now, { reply: true });
  await tx.connections.log({ kind: 'notice', operation: 'xero_reachable', outcome: 'ok', detail: `after ${now.getTime() - notice.openedAt.getTime() + after} ms`, at: now });
}
