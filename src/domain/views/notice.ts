// The grouped "Xero API unreachable" notice and its recovery.
import type { NoticeView } from './model.ts';
import { NOTICE } from './wording.ts';

export function toUnreachableNotice(organisations: readonly string[], openedAt: Date, now: Date, transientAlertAfterMs: number): NoticeView {
  const since = Math.max(transientAlertAfterMs, now.getTime() - openedAt.getTime() + transientAlertAfterMs);
  return { type: 'notice', tone: 'warning', title: NOTICE.unreachableTitle, text: NOTICE.unreachableText(organisations.length, since), organisations: [...organisations] };
}

export function toRecoveredNotice(organisations: readonly string[], openedAt: Date, now: Date, transientAlertAfterMs: number): NoticeView {
  const after = now.getTime() - openedAt.getTime() + transientAlertAfterMs;
  return { type: 'notice', tone: 'good', title: NOTICE.recoveredTitle, text: NOTICE.recoveredText(after), organisations: [...organisations] };
}
