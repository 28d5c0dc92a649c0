// Plain answers and links.
import type { LinkView, TextView } from './model.ts';
import { DM, HELP } from './wording.ts';

export function textView(text: string, tone: TextView['tone'] = 'info', lines: string[] = [], title?: string): TextView {
  return { type: 'text', tone, text, lines, ...(title ? { title } : {}) };
}

export function helpView(intro?: string): TextView {
  return textView(intro ?? HELP.text, intro ? 'warning' : 'info', [...HELP.lines], HELP.title);
}

export function linkView(purpose: LinkView['purpose'], text: string, url: string, expiresAt: Date | string): LinkView {
  return {
    type: 'link',
    purpose,
    text,
    buttonText: purpose === 'connect' ? DM.buttonConnect : DM.buttonReconnect,
    url,
    expiresAt: typeof expiresAt === 'string' ? new Date(expiresAt).toISOString() : expiresAt.toISOString(),
  };
}
