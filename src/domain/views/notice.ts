// The grouped notices: "Xero API unreachable" and its recovery; "Xero may be having trouble" and its re-check.
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

/** The held alerts of a Xero-wide failure: `organisations` are the held ones, re-checked at `recheckAt`. */
export function toTroubleNotice(organisations: readonly string[], recheckAt: Date, now: Date): NoticeView {
  const recheckInMs = Math.max(0, recheckAt.getTime() - now.getTime());
  return { type: 'notice', tone: 'warning', title: NOTICE.troubleTitle, text: NOTICE.troubleText(organisations.length, recheckInMs), organisations: [...organisations] };
}

/** After the re-check: the ones that recovered are listed; the rest are alerted as usual. */
export function toTroubleOverNotice(recovered: readonly string[], alerted: number): NoticeView {
  return { type: 'notice', tone: alerted === 0 ? 'good' : 'warning', title: NOTICE.troubleOverTitle, text: NOTICE.troubleOverText(recovered.length, alerted), organisations: [...recovered] };
}
