// Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
// `${webhook-id}.${webhook-timestamp}.${body}`, sent as `v1,<base64>`, made by the maintained
// `standardwebhooks` library. Every configured secret signs, the first one first: during a
// rotation receivers still holding the old secret keep verifying (the spec allows several
// space-separated signatures); drop the old secret once every receiver has the new one.
import { Webhook } from 'standardwebhooks';

export type SignedHeaders = { 'webhook-id': string; 'webhook-timestamp': string; 'webhook-signature': string };

export function createSigner(secrets: readonly string[]) {
  if (secrets.length === 0) throw new Error('a webhook endpoint needs at least one secret');
  const signers = secrets.map((secret) => new Webhook(secret));
  return {
    headers(id: string, at: Date, body: string): SignedHeaders {
      return {
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signers.map((signer) => signer.sign(id, at, body)).join(' '),
      };
    },
  };
}
