// Lays out the service's own pages (words in src/domain/views/site.ts): one column that fits a
// 390 px phone without sideways scrolling, system fonts, no scripts and nothing fetched.
import type { SitePage } from '../../domain/views/site.ts';

export function renderSitePage(page: SitePage): string {
  const sections = page.sections
    .map((section) => {
      const paragraphs = section.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('');
      const items = section.items?.length ? `<ul>${section.items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>` : '';
      return `<h2>${escapeHtml(section.heading)}</h2>${paragraphs}${items}`;
    })
    .join('\n');
  const links = page.links.map((l) => `<a href="${escapeHtml(l.href)}">${escapeHtml(l.text)}</a>`).join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title === 'Xero Guard' ? page.title : `${page.title} - Xero Guard`)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1d2939;overflow-wrap:break-word}
h1{font-size:1.6rem;margin-bottom:.5rem}h2{font-size:1.15rem;margin-top:1.5rem}ul{padding-left:1.2rem}a{color:#1f6feb}nav{margin-top:2rem}</style></head>
<body><main><h1>${escapeHtml(page.title)}</h1><p>${escapeHtml(page.intro)}</p>
${sections}
<nav>${links}</nav></main></body></html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
