// Plain answers and links.
import type { LinkView, TextView } from './model.ts';
import { DM, HELP, WELCOME } from './wording.ts';
import { plainText, type Phrase } from './phrase.ts';

/** A text answer; a phrase that names people or times keeps them apart for the renderers. */
export function textView(text: string | Phrase, tone: TextView['tone'] = 'info', lines: string[] = [], title?: string): TextView {
  const rich = typeof text === 'string' || text.every((part) => typeof part === 'string') ? undefined : text;
  return { type: 'text', tone, text: plainText(text), ...(rich ? { rich } : {}), lines, ...(title ? { title } : {}) };
}

export function helpView(intro?: string): TextView {
  return textView(intro ?? HELP.text, intro ? 'warning' : 'info', [...HELP.lines], HELP.title);
}

export function linkView(purpose: LinkView['purpose'], text: string | Phrase, url: string, expiresAt: Date | string): LinkView {
  return {
    type: 'link',
    purpose,
    text: plainText(text),
    ...(typeof text === 'string' ? {} : { rich: text }),
    buttonText: purpose === 'connect' ? DM.buttonConnect : DM.buttonReconnect,
    url,
    expiresAt: typeof expiresAt === 'string' ? new Date(expiresAt).toISOString() : expiresAt.toISOString(),
  };
}

/** The bot has joined a channel: what it is, and an offer to make this the alert channel. */
export function channelOfferView(): TextView {
  return { ...textView(`${WELCOME.offerText}\n\n${WELCOME.offerAsk}`, 'info', [], WELCOME.offerTitle), useChannelButton: WELCOME.offerButton };
}

/** The bot's first words in a 1:1. */
export function welcomeView(): TextView {
  return textView(WELCOME.personalText, 'info', [], WELCOME.personalTitle);
}
