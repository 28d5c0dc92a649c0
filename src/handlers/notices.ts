// Grouped notices, about many organisations at once ("Xero API unreachable", "Xero may be having
// trouble"): one post to every alert channel, then edits of every posted copy in place, with a
// thread reply when there is news. Both kinds are written through here.
import { textView } from '../domain/views/text.ts';
import type { NoticeView } from '../domain/views/model.ts';
import type { Repos, Notice } from './store.ts';
import { onEveryCopy, postsTo } from './messages.ts';

export const noticeKeyOf = (notice: Pick<Notice, 'id'>) => `notice:${notice.id}`;

/** Posts a new notice to every alert channel. */
export async function postNotice(tx: Repos, notice: Pick<Notice, 'id'>, view: NoticeView, now: Date): Promise<void> {
  const targets = await tx.targets.alertChannels();
  await tx.outbox.enqueue(postsTo(targets, noticeKeyOf(notice), view, { purpose: 'notice' }), now);
}

/** Edits every posted copy of a notice to `view`; with `reply`, says the view's text in its thread too. `event` keys the rows (the same event queues nothing twice). */
export async function editNotice(tx: Repos, notice: Pick<Notice, 'id'>, event: string, view: NoticeView, now: Date, options: { reply?: boolean } = {}): Promise<void> {
  const copies = await tx.outbox.postedCopies(`${noticeKeyOf(notice)}@`);
  const reply = options.reply ? textView(view.text, view.tone) : undefined;
  await tx.outbox.enqueue(onEveryCopy(copies, event, { view, ...(reply ? { reply } : {}) }, { purpose: 'notice' }), now);
}
