// Lays a consent page out as HTML: the product's name and mark, what happened, the next step, one
// button (a form POST carrying the link token or the trip's state) and a link back into chat. The
// words come from src/domain/views/pages.ts; nothing here is worded, and no code, status or id is
// shown. Readable from a 390 px phone up; no script, no external resource.
import type { ConsentOutcome } from '../../domain/consent.ts';
import { PAGE_WORDS, pageView, type PageView } from '../../domain/views/pages.ts';

export type RenderContext = { key: { t?: string; s?: string }; connectPath: string; freshPath: string };

/** The HTTP status that fits an outcome (never shown to the person). */
export function statusOf(outcome: ConsentOutcome): number {
  switch (outcome.kind) {
    case 'link_open':
    case 'bound':
    case 'fresh_sent':
      return 200;
    case 'sign_in':
      return outcome.state === 'in_progress' ? 202 : 400;
    case 'link_closed':
      return 410;
    case 'link_invalid':
      return outcome.state === 'missing' ? 400 : 404;
    case 'wrong_organisation':
      return 409;
    case 'fresh_failed':
      return 409;
    case 'refused':
      return outcome.reason === 'xero_down' ? 502 : outcome.reason === 'operator' ? 500 : 400;
  }
}

const TONES = { good: '#0f7b55', bad: '#b42318', info: '#1d4ed8' } as const;

/** A shield with a check: the product's mark, inline so the page loads nothing else. */
const MARK = `<svg class="mark" viewBox="0 0 32 32" width="32" height="32" aria-hidden="true"><path d="M16 2 4 6.5v8.2C4 22.4 9.1 28.3 16 30c6.9-1.7 12-7.6 12-15.3V6.5L16 2z" fill="#13b5ea"/><path d="m10.5 16.2 3.8 3.8 7.6-7.8" fill="none" stroke="#fff" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

export function renderPage(outcome: ConsentOutcome, context: RenderContext): string {
  const view = pageView(outcome);
  return layout(view, actionHtml(view, context));
}

function actionHtml(view: PageView, context: RenderContext): string {
  if (!view.action) return '';
  const field = context.key.t ? ['t', context.key.t] : context.key.s ? ['s', context.key.s] : undefined;
  if (!field) return '';
  const path = view.action.kind === 'continue' ? context.connectPath : context.freshPath;
  return `<form method="post" action="${escapeHtml(path)}"><input type="hidden" name="${field[0]}" value="${escapeHtml(field[1]!)}"><button type="submit" class="primary">${escapeHtml(view.action.label)}</button></form>`;
}

function layout(view: PageView, action: string): string {
  const colour = TONES[view.tone];
  const lines = view.lines.length > 0 ? `<ul>${view.lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>` : '';
  const next = view.next ? `<p class="next">${escapeHtml(view.next)}</p>` : '';
  const back = view.back ? `<p class="back"><a href="${escapeHtml(view.back.url)}">${escapeHtml(view.back.label)}</a></p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><meta name="referrer" content="no-referrer"><title>${escapeHtml(view.title)} - ${PAGE_WORDS.product}</title>
<style>
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5;color:#1d2939;background:#f2f4f7;font-size:16px}
main{max-width:34rem;margin:3rem auto;padding:0 1rem}
.brand{display:flex;align-items:center;gap:.5rem;font-weight:600;color:#344054;margin-bottom:1rem}
.card{background:#fff;border-radius:12px;border-top:6px solid ${colour};padding:1.5rem;box-shadow:0 1px 3px rgba(16,24,40,.1)}
h1{color:${colour};font-size:1.4rem;line-height:1.3;margin:0 0 .75rem;overflow-wrap:anywhere}
p,li{overflow-wrap:anywhere}
.next{font-weight:500}
ul{padding-left:1.2rem}
form{margin:1.25rem 0 .25rem}
button.primary{width:100%;min-height:48px;border:0;border-radius:8px;background:${colour};color:#fff;font-size:1.05rem;font-weight:600;cursor:pointer;padding:.75rem 1rem}
button.primary:focus-visible{outline:3px solid #13b5ea;outline-offset:2px}
.back{margin-top:1.25rem}
.back a{color:#1d4ed8}
@media (max-width:480px){main{margin:1rem auto}.card{padding:1.1rem}h1{font-size:1.25rem}}
</style></head>
<body><main><div class="brand">${MARK}<span>${PAGE_WORDS.product}</span></div>
<div class="card"><h1>${escapeHtml(view.title)}</h1><p>${escapeHtml(view.text)}</p>${lines}${next}${action}${back}</div></main></body></html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
