// From a platform-neutral view to the Adaptive Card Teams shows, and to the message activity that
// carries it. One function per view type; the words all come from the view.
import type { Attachment } from 'botbuilder';
import type { LinkView, NoticeView, TextView, View } from '../../../domain/views/model.ts';
import { alertCard } from './alert.ts';
import { errorsCard, statusCard, summaryCard } from './lists.ts';
import { CARD_CONTENT_TYPE, card, escapeMarkdown, header, mdPhrase, text, type Action, type AdaptiveCard, type Element } from './card.ts';
import { USE_CHANNEL_ACTION } from '../../../domain/actions.ts';
import { LABELS } from '../../../domain/views/wording.ts';

export function renderCard(view: View): AdaptiveCard {
  switch (view.type) {
    case 'alert':
      return alertCard(view);
    case 'summary':
      return summaryCard(view);
    case 'status':
      return statusCard(view);
    case 'errors':
      return errorsCard(view);
    case 'notice':
      return noticeCard(view);
    case 'link':
      return linkCard(view);
    case 'text':
      return textCard(view);
  }
}

function noticeCard(view: NoticeView): AdaptiveCard {
  const body: Element[] = [header(view.title, view.tone), text(escapeMarkdown(view.text))];
  if (view.organisations.length > 0) {
    const shown = view.organisations.slice(0, 50).map(escapeMarkdown);
    const more = view.organisations.length - shown.length;
    body.push(text(`${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`, { isSubtle: true }));
  }
  return card(body, [], `${view.title}. ${view.text}`);
}

function linkCard(view: LinkView): AdaptiveCard {
  return card(
    [text(mdPhrase(view.rich ?? view.text)), text(mdPhrase(LABELS.linkFooter(view.expiresAt)), { isSubtle: true, size: 'Small' })],
    [{ type: 'Action.OpenUrl', title: view.buttonText, url: view.url, style: 'positive' }],
    view.text,
  );
}

function textCard(view: TextView): AdaptiveCard {
  const body: Element[] = [];
  if (view.title) body.push(header(view.title, view.tone));
  body.push(text(mdPhrase(view.rich ?? view.text), view.tone === 'danger' && !view.title ? { color: 'Attention' } : {}));
  for (const line of view.lines) body.push(text(`• ${escapeMarkdown(line)}`, { spacing: 'Small' }));
  const actions: Action[] = view.useChannelButton ? [{ type: 'Action.Execute', title: view.useChannelButton, verb: USE_CHANNEL_ACTION, data: {}, style: 'positive' }] : [];
  return card(body, actions, view.title ? `${view.title}. ${view.text}` : view.text);
}

export function cardAttachment(adaptiveCard: AdaptiveCard): Attachment {
  return { contentType: CARD_CONTENT_TYPE, content: adaptiveCard };
}

/** The message activity for a view: the card, plus a plain summary for notifications and previews. */
export function viewActivity(view: View): { type: 'message'; attachments: Attachment[]; summary: string } {
  const adaptiveCard = renderCard(view);
  return { type: 'message', attachments: [cardAttachment(adaptiveCard)], summary: (adaptiveCard.fallbackText ?? '').slice(0, 200) };
}
