// Xero refused a consent at the callback (the app at its connection cap, a failed code exchange,
// a refusal, our own credentials): the person and the admins hear it in chat, in the same plain
// words as the page, with what to do. One message per person per refused trip.
import { REFUSAL_CHAT } from '../../domain/views/pages.ts';
import { textView } from '../../domain/views/text.ts';
import { who } from '../../domain/views/wording.ts';
import type { ChatActor } from '../../domain/permissions.ts';
import type { HandlerDeps } from '../deps.ts';
import type { ConsentRefused } from '../ports.ts';
import type { OutboxInput } from '../store.ts';
import { directMessage } from '../messages.ts';

export async function onConsentRefused(deps: HandlerDeps, event: ConsentRefused): Promise<void> {
  const view = textView(REFUSAL_CHAT.text(who(event.actor), event.purpose, event.tenantNames, event.reason), 'warning', [], REFUSAL_CHAT.title(event.reason));
  const people: { person: ChatActor; recipient: 'asker' | 'admin' }[] = [{ person: event.actor, recipient: 'asker' }];
  for (const platform of ['slack', 'teams'] as const) {
    for (const userId of deps.admins[platform]) {
      if (!people.some((p) => p.person.platform === platform && p.person.userId === userId)) people.push({ person: { platform, userId }, recipient: 'admin' });
    }
  }
  await deps.store.transaction(async (tx) => {
    const rows: OutboxInput[] = [];
    for (const { person, recipient } of people) {
      rows.push(await directMessage(tx, person, `dm:refused:${event.attemptId}:${person.platform}:${person.userId}`, view, { recipient, purpose: 'notice' }));
    }
    await tx.outbox.enqueue(rows, event.at);
  });
  deps.wakeOutbox?.();
}
