// Walks a link's pages over HTTP as a browser does: the GET shows the page, its one form (a POST
// with a hidden field) is what "Continue to Xero" or "Send me a fresh link" submits.
import { expect } from 'vitest';

export type PageForm = { action: string; field: string; value: string; label: string };

/** The page's one form, or undefined when it has none. */
export function formOf(html: string): PageForm | undefined {
  const form = /<form method="post" action="([^"]+)"><input type="hidden" name="([ts])" value="([^"]+)"><button type="submit" class="primary">([^<]+)<\/button>/.exec(html);
  if (!form) return undefined;
  return { action: unescape(form[1]!), field: form[2]!, value: unescape(form[3]!), label: unescape(form[4]!) };
}

function unescape(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Submits a page's form; returns the raw response (a 303 to Xero, or a page). */
export function submit(base: string, form: PageForm): Promise<Response> {
  return fetch(new URL(form.action, base), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ [form.field]: form.value }).toString(),
  });
}

/** Opens a link (GET: uses nothing) and presses "Continue to Xero": the consent URL at Xero. */
export async function continueToXero(link: string): Promise<URL> {
  const page = await fetch(link, { redirect: 'manual' });
  const html = await page.text();
  expect(page.status, html).toBe(200);
  const form = formOf(html);
  expect(form?.label).toBe('Continue to Xero');
  const res = await submit(link, form!);
  expect(res.status).toBe(303);
  return new URL(res.headers.get('location')!);
}
