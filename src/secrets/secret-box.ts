import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encrypts small secrets at rest (OIDC client secrets in Redis) with AES-256-GCM. oidc-provider
 * compares client secrets in plain text, so they cannot be stored as one-way hashes; encrypting
 * them keeps a Redis dump from handing them out.
 */
export class SecretBox {
  private readonly key: Buffer;
  /** Secrets opened lately, by their sealed form (a rotation seals anew): every token request opens its client's. */
  private readonly opened = new Map<string, string>();

  constructor(keyBase64Url: string) {
    this.key = Buffer.from(keyBase64Url, 'base64url');
    if (this.key.length !== 32) throw new Error('SecretBox key must be 32 bytes');
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  open(sealed: string): string {
    const known = this.opened.get(sealed);
    if (known !== undefined) return known;
    const plaintext = this.decrypt(sealed);
    if (this.opened.size >= 1000) this.opened.delete(this.opened.keys().next().value!);
    this.opened.set(sealed, plaintext);
    return plaintext;
  }

  private decrypt(sealed: string): string {
    if (!sealed.startsWith('v1.')) throw new Error('SecretBox: unknown format');
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}
