// The Xero fake on nock, for tests that run the adapter in-process: every request to Xero's real
// hosts (identity.xero.com, api.xero.com, login.xero.com) is answered by the core. Child processes
// cannot be reached by nock: they use the HTTP front-end (http-server.ts) instead.
import nock from 'nock';
import { XERO_URLS, XeroFakeCore, type CoreOptions, type FakeRequest } from './core.ts';

export { GRACE_MS, type Fault, type Route } from './core.ts';

export const IDENTITY = XERO_URLS.identity;
export const API = XERO_URLS.api;
const LOGIN = new URL(XERO_URLS.authorize).origin;

export const ORGS = {
  demoNz: { tenantId: 'fe79f7dd-b6d4-4a92-ba7b-538af6289c58', tenantName: 'Demo Company (NZ)' },
  demoAu: { tenantId: '0a1b2c3d-1111-4222-8333-944455566677', tenantName: 'Demo Company (AU)' },
  acme: { tenantId: '9c8b7a6d-2222-4333-8444-a55566677788', tenantName: 'Acme Widgets Ltd' },
};

export class FakeXero extends XeroFakeCore {
  /** A fresh fake answering on Xero's hosts through nock (persisting interceptors). */
  static async start(options: Omit<CoreOptions, 'urls'> = {}): Promise<FakeXero> {
    const fake = await FakeXero.create({ ...options, urls: XERO_URLS });
    installNock(fake);
    return fake;
  }
}

/** Routes every GET/POST/DELETE on Xero's hosts to `fake.handle`. */
export function installNock(fake: XeroFakeCore): void {
  for (const origin of [IDENTITY, API, LOGIN]) {
    for (const method of ['GET', 'POST', 'DELETE'] as const) {
      nock(origin)
        .persist()
        .intercept(() => true, method)
        .reply(function (uri, body, callback) {
          const request: FakeRequest = {
            method,
            path: uri,
            headers: this.req.headers as FakeRequest['headers'],
            body: typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body),
          };
          fake.handle(request).then(
            (a) => callback(null, [a.status, a.body, a.headers]),
            (error: unknown) => callback(error as Error, [500, '', {}]),
          );
        });
    }
  }
}

export function interceptXeroOnly(): void {
  nock.disableNetConnect();
  nock.enableNetConnect((host) => host.startsWith('127.0.0.1') || host.startsWith('localhost'));
}

export function resetNock(): void {
  nock.cleanAll();
  nock.enableNetConnect();
}
