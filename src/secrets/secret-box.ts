import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encrypts small secrets at rest (OIDC client secrets and signing keys in Redis) with AES-256-GCM.
 * oidc-provider compares client secrets in plain text, so they cannot be stored as one-way
 * hashes; encrypting them keeps a Redis dump from handing them out.
 *
 * Keys rotate (CLIENT_SECRETS_KEY, newest first): the newest seals, every key still opens, so a
 * new key can be put first on every gateway before `keys reseal` seals everything anew and the
 * old key is dropped.
 */
export class SecretBox {
  private readonly keys: Buffer[];
  /** Secrets opened lately, by their sealed form (a rotation seals anew): every token request opens its client's. */
  private readonly opened = new Map<string, string>();

  constructor(keysBase64Url: string | readonly string[]) {
    this.keys = (typeof keysBase64Url === 'string' ? [keysBase64Url] : keysBase64Url).map((k) => Buffer.from(k, 'base64url'));
    if (this.keys.length === 0 || this.keys.some((k) => k.length !== 32)) throw new Error('SecretBox keys must be 32 bytes each, at least one');
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0]!, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  open(sealed: string): string {
    const known = this.opened.get(sealed);
    if (known !== undefined) return known;
    const plaintext = this.decrypt(sealed).plaintext;
    if (this.opened.size >= 1000) this.opened.delete(this.opened.keys().next().value!);
    this.opened.set(sealed, plaintext);
    return plaintext;
  }

  /** Whether `sealed` was sealed with the newest key (else `keys reseal` seals it anew). */
  sealedWithNewest(sealed: string): boolean {
    return this.decrypt(sealed).keyIndex === 0;
  }

  private decrypt(sealed: string): { plaintext: string; keyIndex: number } {
    if (!sealed.startsWith('v1.')) throw new Error('SecretBox: unknown format');
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    // GCM's tag tells the right key from the others: each is tried, newest first.
    for (const [keyIndex, key] of this.keys.entries()) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(12, 28));
        return { plaintext: Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8'), keyIndex };
      } catch {
        // not this key
      }
    }
    throw new Error('SecretBox: sealed with none of the configured keys (CLIENT_SECRETS_KEY)');
  }
}
