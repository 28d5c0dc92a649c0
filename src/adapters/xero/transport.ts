// The wire under xero-node. xero-node's axios calls have no timeout and hard-code Xero's hosts;
// its openid-client calls share one process-wide timeout. Here every call we make runs inside a
// scope (AsyncLocalStorage) that gives its requests a timeout and an abort signal, sends them to
// the configured hosts (fakes in benchmarks), and reports the response headers to the rate budget.
// Requests made outside a scope (anyone else using axios) are left untouched.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import type { AxiosStatic, InternalAxiosRequestConfig, AxiosResponse } from 'axios';

// xero-node is CommonJS and requires its own axios and openid-client: load exactly those module
// instances (an ESM `import axios` would be a second copy whose interceptors xero-node never sees).
const requireHere = createRequire(import.meta.url);
const requireFromXeroNode = createRequire(requireHere.resolve('xero-node'));
export const xeroNode = requireFromXeroNode('xero-node') as typeof import('xero-node');
export const xeroAxios = requireFromXeroNode('axios') as AxiosStatic;
export const openid = requireFromXeroNode('openid-client') as typeof import('openid-client');

export const XERO_IDENTITY_HOST = 'https://identity.xero.com';
export const XERO_API_HOST = 'https://api.xero.com';

export type Hosts = { identityUrl: string; apiUrl: string };

export type CallScope = {
  timeoutMs: number;
  signal: AbortSignal;
  hosts: Hosts;
  onResponse?: (status: number, headers: Record<string, string | undefined>) => void;
};

const scopes = new AsyncLocalStorage<CallScope>();
let installed = false;

/** Registers the interceptors once per process; they act only inside `inScope`. */
function install(): void {
  if (installed) return;
  installed = true;
  xeroAxios.interceptors.request.use((config: InternalAxiosRequestConfig) => {
    const scope = scopes.getStore();
    if (!scope) return config;
    if (config.url) config.url = rewriteHost(config.url, scope.hosts);
    config.timeout = scope.timeoutMs;
    config.signal ??= scope.signal;
    return config;
  });
  xeroAxios.interceptors.response.use(
    (response: AxiosResponse) => {
      scopes.getStore()?.onResponse?.(response.status, flatHeaders(response.headers));
      return response;
    },
    (error: unknown) => {
      const response = (error as { response?: AxiosResponse }).response;
      if (response) scopes.getStore()?.onResponse?.(response.status, flatHeaders(response.headers));
      return Promise.reject(error);
    },
  );
}

export type ScopedRun<T> = { value: T; timedOut: false } | { error: unknown; timedOut: boolean };

/**
 * Runs one Xero operation with a deadline. Axios requests are aborted at the deadline; anything
 * else (openid-client) is raced against it, so the caller never waits longer than `timeoutMs`.
 */
export async function inScope<T>(
  options: { timeoutMs: number; hosts: Hosts; onResponse?: CallScope['onResponse'] },
  run: () => Promise<T>,
): Promise<ScopedRun<T>> {
  install();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`Xero call timed out after ${options.timeoutMs} ms`));
      reject(new DeadlineExceeded(options.timeoutMs));
    }, options.timeoutMs);
  });
  const scope: CallScope = { timeoutMs: options.timeoutMs, signal: controller.signal, hosts: options.hosts, onResponse: options.onResponse };
  const work = scopes.run(scope, run);
  // If the deadline wins, the work's late rejection must not become an unhandled rejection.
  work.catch(() => undefined);
  try {
    const value = await Promise.race([work, deadline]);
    return { value, timedOut: false };
  } catch (error) {
    return { error, timedOut: controller.signal.aborted || error instanceof DeadlineExceeded };
  } finally {
    clearTimeout(timer);
  }
}

export class DeadlineExceeded extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Xero call timed out after ${timeoutMs} ms`);
    this.name = 'DeadlineExceeded';
  }
}

export function rewriteHost(url: string, hosts: Hosts): string {
  if (url.startsWith(XERO_IDENTITY_HOST)) return trimSlash(hosts.identityUrl) + url.slice(XERO_IDENTITY_HOST.length);
  if (url.startsWith(XERO_API_HOST)) return trimSlash(hosts.apiUrl) + url.slice(XERO_API_HOST.length);
  return url;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

export function flatHeaders(headers: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (!headers || typeof headers !== 'object') return out;
  const source = typeof (headers as { toJSON?: unknown }).toJSON === 'function' ? (headers as { toJSON(): object }).toJSON() : headers;
  for (const [key, value] of Object.entries(source as Record<string, unknown>)) {
    if (value === undefined || value === null) continue;
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}
