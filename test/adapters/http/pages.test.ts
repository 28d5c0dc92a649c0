// The service's own pages, through HTTP as a browser (or the Teams About page) reaches them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpApp, finishHttpApp, listen, closeServer } from '../../../src/adapters/http/server.ts';
import { createMetrics } from '../../../src/adapters/observability/metrics.ts';
import { fillManifest, readManifestTemplate } from '../../../scripts/teams-package.ts';
import { captureLogs } from '../../support/log-capture.ts';

let server: http.Server;
let base: string;

beforeAll(async () => {
  const logs = captureLogs();
  const app = createHttpApp({ logger: logs.logger, metrics: createMetrics(), health: async () => ({ database: true }) });
  finishHttpApp(app, logs.logger);
  server = await listen(app, 0);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await closeServer(server);
});

async function page(path: string): Promise<{ status: number; type: string | null; html: string; text: string }> {
  const res = await fetch(`${base}${path}`);
  const html = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), html, text: html.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ') };
}

const linksOf = (html: string) => [...html.matchAll(/<a href="([^"]+)"/g)].map((m) => m[1]!);

describe('the service’s own pages', () => {
  it('answers GET / with a small product page that links to health, privacy and terms', async () => {
    const home = await page('/');
    expect(home.status).toBe(200);
    expect(home.type).toMatch(/^text\/html; charset=utf-8/);
    expect(home.html).toContain('<title>Xero Guard</title>');
    expect(home.text).toMatch(/Xero Guard watches your Xero connections and tells your team in Slack or Microsoft Teams/);
    expect(linksOf(home.html)).toEqual(['/healthz', '/privacy', '/terms']);
    for (const link of linksOf(home.html)) expect((await fetch(`${base}${link}`)).status, link).toBe(200);
    expect(home.text).not.toMatch(/not_found/);
  });

  it('says on /privacy what is stored and that nothing is sold', async () => {
    const privacy = await page('/privacy');
    expect(privacy.status).toBe(200);
    expect(privacy.type).toMatch(/^text\/html/);
    expect(privacy.text).toMatch(/tokens .*encrypted/i);
    expect(privacy.text).toMatch(/chat ids/i);
    expect(privacy.text).toMatch(/log of every check and action/i);
    expect(privacy.text).toMatch(/nothing is sold/i);
    expect(linksOf(privacy.html)).toEqual(['/', '/privacy', '/terms']);
  });

  it('serves /terms', async () => {
    const terms = await page('/terms');
    expect(terms.status).toBe(200);
    expect(terms.text).toMatch(/Terms of use/);
    expect(terms.text).toMatch(/not made or endorsed by Xero/);
  });

  it('serves the pages the Teams package links to by default', async () => {
    const manifest = fillManifest(readManifestTemplate(), { MicrosoftAppId: '00000000-0000-0000-0000-000000000001', PUBLIC_URL: 'https://guard.example.com' });
    const developer = manifest.developer as { websiteUrl: string; privacyUrl: string; termsOfUseUrl: string };
    for (const url of [developer.websiteUrl, developer.privacyUrl, developer.termsOfUseUrl]) {
      const res = await fetch(`${base}${new URL(url).pathname}`);
      expect(res.status, url).toBe(200);
      expect(res.headers.get('content-type'), url).toMatch(/^text\/html/);
    }
  });

  it('fits a 390 px phone: device-width viewport, no fixed width wider than the screen, long words wrap', async () => {
    for (const path of ['/', '/privacy', '/terms']) {
      const { html } = await page(path);
      expect(html, path).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
      const css = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
      const pixelWidths = [...css.matchAll(/(?:^|[;{])\s*(?:min-)?width\s*:\s*(\d+)px/g)].map((m) => Number(m[1]));
      expect(pixelWidths.filter((w) => w > 390), path).toEqual([]);
      expect(css).toMatch(/max-width:\s*40rem/);
      expect(css).toMatch(/padding:\s*0 1rem/);
      expect(css).toMatch(/overflow-wrap:\s*break-word/);
      expect(html).not.toMatch(/<table|<img|<pre/);
    }
  });
});
