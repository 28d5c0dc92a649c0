// The small HTML pages a person sees in the browser around Xero's consent screen. Plain words,
// no tokens or ids in them, and nothing a browser would cache or frame.
export type Page = { status: number; tone: 'good' | 'bad'; title: string; text: string; lines?: string[] };

export function renderPage(page: Page): string {
  const colour = page.tone === 'good' ? '#13795b' : '#b42318';
  const lines = page.lines && page.lines.length > 0 ? `<ul>${page.lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(page.title)} - Xero Guard</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#1d2939}
h1{color:${colour};font-size:1.5rem}</style></head>
<body><h1>${escapeHtml(page.title)}</h1><p>${escapeHtml(page.text)}</p>${lines}</body></html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export const PAGES = {
  missingLink: (): Page => ({ status: 400, tone: 'bad', title: 'This link is incomplete', text: 'The link has no token. Ask Xero Guard for a new one in chat (/xero connect or the Reconnect button).' }),
  link: (why: 'unknown' | 'expired' | 'used'): Page => ({
    status: 400,
    tone: 'bad',
    title: why === 'expired' ? 'This link has expired' : why === 'used' ? 'This link was already used' : 'This link is not valid',
    text: `${why === 'expired' ? 'Links work for 30 minutes.' : why === 'used' ? 'Each link works once.' : 'It may have been copied incompletely.'} Nothing was changed. Ask Xero Guard for a new link in chat.`,
  }),
  state: (why: 'missing' | 'unknown' | 'expired' | 'used'): Page => ({
    status: 400,
    tone: 'bad',
    title: why === 'used' ? 'This sign-in was already completed' : why === 'expired' ? 'This sign-in took too long' : 'This sign-in could not be matched',
    text: 'Nothing was changed. Start again from a new link in chat.',
  }),
  cancelled: (): Page => ({ status: 400, tone: 'bad', title: 'Xero sign-in was cancelled', text: 'Nothing was connected. Ask for a new link in chat when you are ready.' }),
  missingCode: (): Page => ({ status: 400, tone: 'bad', title: 'Xero did not send an authorisation', text: 'Nothing was changed. Start again from a new link in chat.' }),
  codeRefused: (): Page => ({ status: 400, tone: 'bad', title: 'Xero refused this sign-in', text: 'The authorisation was invalid or already used. Nothing was changed. Start again from a new link in chat.' }),
  unverified: (): Page => ({ status: 400, tone: 'bad', title: 'The sign-in could not be verified', text: "Xero's answer did not pass our checks. Nothing was changed. Start again from a new link in chat." }),
  xeroDown: (): Page => ({ status: 502, tone: 'bad', title: 'Xero did not answer', text: 'Nothing was changed. Try again in a few minutes with a new link from chat.' }),
  operator: (): Page => ({ status: 500, tone: 'bad', title: 'Xero Guard is misconfigured', text: "Xero refused our app's credentials. Tell whoever runs Xero Guard; nothing was changed." }),
  nothingAuthorised: (): Page => ({ status: 400, tone: 'bad', title: 'No organisation was authorised', text: 'Xero did not report any organisation for this sign-in. Start again and pick an organisation.' }),
  wrongOrganisation: (authorised: string[], expected: string): Page => ({
    status: 409,
    tone: 'bad',
    title: 'That is a different organisation',
    text: `You authorised ${authorised.join(', ') || 'another organisation'}, but this link reconnects ${expected}. Nothing was bound. Start again from the link and pick ${expected}.`,
  }),
  connected: (names: string[], purpose: 'connect' | 'reconnect', refused: string[]): Page => ({
    status: 200,
    tone: 'good',
    title: purpose === 'reconnect' ? `Reconnected: ${names.join(', ')}` : `Connected: ${names.join(', ')}`,
    text: 'Xero Guard now watches this connection and will post in the team channel if it breaks. You may close this window.',
    lines: refused.length > 0 ? [`Not bound (a reconnect keeps the same organisation): ${refused.join(', ')}`] : [],
  }),
};
