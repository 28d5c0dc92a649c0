// Tokens at rest: AES-256-GCM envelopes "v1.<keyId>.<iv>.<tag>.<ciphertext>" (base64url parts).
// The key id travels with each envelope, so keys can rotate: the first key encrypts, any listed
// key decrypts. A wrong key or a tampered envelope fails loudly (GCM tag), never returns garbage.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { err, ok, type Result } from '../../domain/result.ts';

export type EncryptionKey = { id: string; key: Buffer };

export interface TokenCipher {
  encrypt(plain: string): string;
  decrypt(envelope: string): Result<string, { code: 'unknown_key' | 'malformed' | 'tampered'; keyId?: string }>;
}

export function createTokenCipher(keys: readonly EncryptionKey[]): TokenCipher {
  const first = keys[0];
  // A start-up configuration bug: config.ts already guarantees at least one 32-byte key.
  if (!first) throw new Error('TOKEN_ENCRYPTION_KEY holds no key');
  for (const k of keys) if (k.key.length !== 32) throw new Error(`TOKEN_ENCRYPTION_KEY ${k.id} is not 32 bytes`);
  const byId = new Map(keys.map((k) => [k.id, k.key]));
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', first.key, iv);
      // The key id is authenticated too: moving a ciphertext under another key id fails the tag.
      cipher.setAAD(Buffer.from(first.id));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v1', first.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    decrypt(envelope) {
      const parts = envelope.split('.');
      if (parts.length !== 5 || parts[0] !== 'v1') return err({ code: 'malformed' });
      const [, keyId, iv, tag, body] = parts as [string, string, string, string, string];
      const key = byId.get(keyId);
      if (!key) return err({ code: 'unknown_key', keyId });
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(keyId));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return ok(Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8'));
      } catch {
        // The only failure here is a bad tag (wrong key material or edited bytes); the code says so.
        return err({ code: 'tampered', keyId });
      }
    },
  };
}
