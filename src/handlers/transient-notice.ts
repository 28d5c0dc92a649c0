// The one grouped "Xero API unreachable" notice (DESIGN.md section 3): passing trouble raises no
// alert per organisation; only when connections stay degraded past TRANSIENT_ALERT_AFTER does one
// notice go out, listing them. It grows as more join, and is edited green (with a thread reply)
// once none is degraded. src/domain/alerts.ts planTransientNotice decides; this writes.
import { isTransientNoticeDue, planTransientNotice } from '../domain/alerts.ts';
import { toRecoveredNotice, toUnreachableNotice } from '../domain/views/notice.ts';
import { textView } from '../domain/views/text.ts';
import type { NoticeView } from '../domain/views/model.ts';
import type { HandlerDeps, MonitorSettings } from './deps.ts';
import type { MonitorRepos, Notice } from './store.ts';
import { onEveryCopy, postsTo } from './messages.ts';

export const NOTICE_KIND = 'xero_unavailable';

export const noticeKeyOf = (notice: Pick<Notice, 'id'>) => `notice:${notice.id}`;

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
export function unreachableView(notice: Pick<Notice, 'organisations' | 'openedAt'>, now: Date, settings: MonitorSettings): NoticeView {
  return toUnreachableNotice(notice.organisations, notice.openedAt, now, settings.transientAlertAfterMs);
}

async function openNotice(tx: MonitorRepos, settings: MonitorSettings, organisations: string[], now: Date): Promise<void> {
  const notice = await tx.notices.open(NOTICE_KIND, organisations, now);
  const targets = await tx.targets.alertChannels();
  await tx.outbox.enqueue(postsTo(targets, noticeKeyOf(notice), unreachableView(notice, now, settings), { purpose: 'notice' }), now);
  await tx.connections.log({ kind: 'notice', operation: 'xero_unreachable', outcome: 'failure', cause: 'xero_unavailable', detail: `${organisations.length} organisation(s)`, at: now });
}

async function growNotice(tx: MonitorRepos, settings: MonitorSettings, notice: Notice, organisations: string[], now: Date): Promise<void> {
  // Compare-and-set on the update count: of two replicas, one grows it.
  if (!(await tx.notices.grow(notice.id, notice.updates, organisations))) return;
  const copies = await tx.outbox.postedCopies(`${noticeKeyOf(notice)}@`);
  const view = unreachableView({ ...notice, organisations }, now, settings);
  await tx.outbox.enqueue(onEveryCopy(copies, `${notice.updates + 1}`, { view }, { purpose: 'notice' }), now);
}

async function closeNotice(tx: MonitorRepos, settings: MonitorSettings, notice: Notice, now: Date): Promise<void> {
  if (!(await tx.notices.close(notice.id, now))) return;
  const after = settings.transientAlertAfterMs;
  const copies = await tx.outbox.postedCopies(`${noticeKeyOf(notice)}@`);
  const view = toRecoveredNotice(notice.organisations, notice.openedAt, now, after);
  await tx.outbox.enqueue(onEveryCopy(copies, 'closed', { view, reply: textView(view.text, 'good') }, { purpose: 'notice' }), now);
  await tx.connections.log({ kind: 'notice', operation: 'xero_reachable', outcome: 'ok', detail: `after ${now.getTime() - notice.openedAt.getTime() + after} ms`, at: now });
}
