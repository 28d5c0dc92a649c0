// What the monitor says on its own, once per tick (one replica at a time, under the scheduler's
// lease): the hold for Xero-wide trouble first (it decides which new alerts wait), then new alerts
// and summaries, repeat reminders, and the grouped notice for transient trouble.
import type { HandlerDeps } from './deps.ts';
import { announcePending } from './announce.ts';
import { sendReminders } from './reminders.ts';
import { updateTransientNotice } from './transient-notice.ts';
import { holdForXeroTrouble } from './xero-trouble.ts';

export type TickReport = { alerts: number; summaries: number; reminders: number; notice: string; trouble: string };

export async function runMonitorTick(deps: HandlerDeps): Promise<TickReport> {
  const trouble = await holdForXeroTrouble(deps);
  const announced = await announcePending(deps, (i) => trouble.waits(i));
  const reminders = await sendReminders(deps);
  const notice = await updateTransientNotice(deps);
  if (announced.alerts + announced.summaries + reminders > 0 || notice !== 'nothing' || trouble.outcome !== 'nothing') deps.wakeOutbox?.();
  return { ...announced, reminders, notice, trouble: trouble.outcome };
}
