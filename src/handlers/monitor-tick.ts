// What the monitor says on its own, once per tick (one replica at a time, under the scheduler's
// lease): new alerts and summaries, repeat reminders, and the grouped notice for transient trouble.
import type { HandlerDeps } from './deps.ts';
import { announcePending } from './announce.ts';
import { sendReminders } from './reminders.ts';
import { updateTransientNotice } from './transient-notice.ts';

export type TickReport = { alerts: number; summaries: number; reminders: number; notice: string };

export async function runMonitorTick(deps: HandlerDeps): Promise<TickReport> {
  const announced = await announcePending(deps);
  const reminders = await sendReminders(deps);
  const notice = await updateTransientNotice(deps);
  if (announced.alerts + announced.summaries + reminders > 0 || notice !== 'nothing') deps.wakeOutbox?.();
  return { ...announced, reminders, notice };
}
