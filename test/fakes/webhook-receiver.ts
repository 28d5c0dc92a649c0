// A host app's webhook endpoint on 127.0.0.1: it verifies every request the Standard Webhooks way
// with its own HMAC (node:crypto, written from the spec, not the library the service signs with),
// refuses what does not verify, and records what it accepted. `answer` scripts outages.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceivedEvent = {
  id: string;
  timestamp: number;
  type: string;
  data: Record<string, unknown> & { connectionId: string; sequence: number; organisation: { tenantId: string; name: string } };
  body: unknown;
  /** Which of the receiver's secrets verified it (index into `secrets`). */
  verifiedWith: number;
};

export type Answer = { status: number; headers?: Record<string, string> };

/**
 * Standard Webhooks, section "Verifying webhook authenticity": the signed content is
 * `${id}.${timestamp}.${body}`, the key is the base64 part of `whsec_…`, the header holds
 * space-separated `v1,<base64 HMAC-SHA256>` entries; any one matching is enough.
 */
export function verifyStandardWebhook(secret: string, headers: http.IncomingHttpHeaders, body: string, nowSeconds: number): { ok: true } | { ok: false; reason: string } {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signature = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string') return { ok: false, reason: 'missing headers' };
  if (!/^\d+$/.test(timestamp)) return { ok: false, reason: 'bad timestamp' };
  if (Math.abs(nowSeconds - Number(timestamp)) > 300) return { ok: false, reason: 'timestamp outside tolerance' };
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest();
  for (const entry of signature.split(' ')) {
    const [version, value] = entry.split(',');
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value, 'base64');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, reason: 'no matching signature' };
}

export class WebhookReceiver {
  readonly accepted: ReceivedEvent[] = [];
  /** Every request, verified or not, with the answer it got. */
  readonly requests: { id: string | undefined; status: number; reason?: string }[] = [];
  /** What to answer next; null: accept (204). */
  answer: ((id: string) => Answer | null) | null = null;
  private server!: http.Server;
  url = '';

  private constructor(
    private readonly secrets: readonly string[],
    private readonly nowSeconds: () => number,
  ) {}

  static async start(secrets: readonly string[], now: () => Date = () => new Date()): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(secrets, () => Math.floor(now().getTime() / 1000));
    await receiver.listen();
    return receiver;
  }

  private async listen(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.handle(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  private handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const id = typeof req.headers['webhook-id'] === 'string' ? req.headers['webhook-id'] : undefined;
    const reply = (status: number, headers: Record<string, string> = {}, reason?: string) => {
      this.requests.push({ id, status, ...(reason ? { reason } : {}) });
      res.writeHead(status, headers).end();
    };
    const scripted = id ? this.answer?.(id) : null;
    if (scripted) return reply(scripted.status, scripted.headers);
    let verifiedWith = -1;
    let reason = 'no secret';
    for (const [index, secret] of this.secrets.entries()) {
      const result = verifyStandardWebhook(secret, req.headers, body, this.nowSeconds());
      if (result.ok) {
        verifiedWith = index;
        break;
      }
      reason = result.reason;
    }
    if (verifiedWith < 0 || req.method !== 'POST' || !req.headers['content-type']?.startsWith('application/json')) return reply(401, {}, reason);
    const parsed = JSON.parse(body) as { type: string; data: ReceivedEvent['data'] };
    this.accepted.push({ id: id!, timestamp: Number(req.headers['webhook-timestamp']), type: parsed.type, data: parsed.data, body: parsed, verifiedWith });
    reply(204);
  }

  /** Accepted events, one per webhook-id (a repeat after a crash keeps its id), in arrival order. */
  unique(): ReceivedEvent[] {
    const seen = new Set<string>();
    return this.accepted.filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)));
  }

  typesFor(connectionId: string): string[] {
    return this.unique()
      .filter((e) => e.data.connectionId === connectionId)
      .map((e) => e.type);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function aWebhookSecret(): string {
  return `whsec_${Buffer.from(Array.from({ length: 32 }, () => Math.floor(Math.random() * 256))).toString('base64')}`;
}
