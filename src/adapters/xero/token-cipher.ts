// Tokens at rest: AES-256-GCM envelopes "v1.<keyId>.<iv>.<tag>.<ciphertext>" (base64url parts).
// A key's id is a fingerprint of the key itself (keyIdOf), not its place in TOKEN_ENCRYPTION_KEY
// nor a label the operator may rename, so reordering the list or adding a key never orphans a
// token. The first key encrypts; every listed key decrypts. Envelopes written before ids were
// fingerprints carry a positional or operator label ("k1", "old"): for those, each key is tried
// and the GCM tag tells which one fits. A wrong key or a tampered envelope fails loudly (GCM tag),
// never returns garbage.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { err, ok, type Result } from '../../domain/result.ts';

/** One key of TOKEN_ENCRYPTION_KEY; the label (`old:` in `new:<key>,old:<key>`) is for people only. */
export type EncryptionKey = { key: Buffer; label?: string };

export type DecryptError = { code: 'unknown_key' | 'malformed' | 'tampered'; keyId?: string };

export interface TokenCipher {
  /** The id of the key that encrypts (the first one). */
  readonly currentKeyId: string;
  encrypt(plain: string): string;
  decrypt(envelope: string): Result<string, DecryptError>;
  /** Written under the encrypting key: nothing to re-encrypt. */
  isCurrent(envelope: string): boolean;
}

/** 12 hex digits of a hash of the key: stable for the key, safe to log, never enough to guess it. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('xero-guard token key id\0').update(key).digest('hex').slice(0, 12);
}

export function createTokenCipher(keys: readonly EncryptionKey[]): TokenCipher {
  // A start-up configuration bug: config.ts already guarantees at least one 32-byte key.
  if (keys.length === 0) throw new Error('TOKEN_ENCRYPTION_KEY holds no key');
  if (keys.some((k) => k.key.length !== 32)) throw new Error('TOKEN_ENCRYPTION_KEY holds a key that is not 32 bytes');
  const byId = new Map<string, Buffer>();
  for (const k of keys) if (!byId.has(keyIdOf(k.key))) byId.set(keyIdOf(k.key), k.key);
  const [currentKeyId, currentKey] = [...byId][0]!;
  const all = [...byId.values()];

  return {
    currentKeyId,
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', currentKey, iv);
      // The key id is authenticated too: moving a ciphertext under another key id fails the tag.
      cipher.setAAD(Buffer.from(currentKeyId));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v1', currentKeyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    decrypt(envelope) {
      const parts = envelope.split('.');
      if (parts.length !== 5 || parts[0] !== 'v1') return err({ code: 'malformed' });
      const [, keyId, iv, tag, body] = parts as [string, string, string, string, string];
      const named = byId.get(keyId);
      // The named key first; then every key, for envelopes whose id is a legacy label.
      for (const key of named ? [named, ...all.filter((k) => k !== named)] : all) {
        const plain = open(key, keyId, iv, tag, body);
        if (plain !== undefined) return ok(plain);
      }
      return err({ code: named ? 'tampered' : 'unknown_key', keyId });
    },
    isCurrent(envelope) {
      return envelope.startsWith(`v1.${currentKeyId}.`);
    },
  };
}

function open(key: Buffer, keyId: string, iv: string, tag: string, body: string): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(keyId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    // A bad tag (another key, or edited bytes) or a malformed tag length: the caller tries the next key.
    return undefined;
  }
}
