import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets kept at rest (TOTP seeds) sealed with AES-256-GCM. Each sealed value names the key that sealed it,
 * so keys rotate: the first configured key seals, every configured key opens, and values under an older key
 * are sealed again when next written (`needsReseal`). The caller's context (table, column, row) is bound as
 * associated data, so a sealed value copied to another row or column does not open.
 *
 * Sealed form: `enc:v1:<key id>:<iv>:<ciphertext>:<tag>`, base64url parts.
 */
export interface DataKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

const PREFIX = 'enc:v1:';
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** A value that did not open: tampered with, moved, or sealed under a key no longer configured. */
export class SecretBoxError extends Error {}

export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  readonly currentKeyId: string;

  constructor(keys: readonly DataKey[]) {
    if (!keys.length) throw new Error('at least one data encryption key is needed');
    for (const k of keys) {
      if (!KEY_ID.test(k.id)) throw new Error(`key id "${k.id.slice(0, 40)}" must be 1-32 letters, digits, - or _`);
      if (k.key.length !== 32) throw new Error(`key "${k.id}" must be 32 bytes (AES-256), got ${k.key.length}`);
      if (this.keys.has(k.id)) throw new Error(`key id "${k.id}" appears twice`);
      this.keys.set(k.id, k.key);
    }
    this.currentKeyId = keys[0]!.id;
  }

  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  /** Which key sealed the value; null for a value that is not sealed (stored before encryption). */
  static keyIdOf(value: string): string | null {
    return SecretBox.isSealed(value) ? (value.slice(PREFIX.length).split(':')[0] ?? null) : null;
  }

  /** True for plaintext and for values under a key other than the current one. */
  needsReseal(value: string): boolean {
    return SecretBox.keyIdOf(value) !== this.currentKeyId;
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(aad(this.currentKeyId, context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${PREFIX}${this.currentKeyId}:${iv.toString('base64url')}:${body.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}`;
  }

  /** The plaintext, or SecretBoxError: never a guess, never a partial value. */
  open(sealed: string, context: string): string {
    if (!SecretBox.isSealed(sealed)) throw new SecretBoxError('value is not sealed');
    const parts = sealed.slice(PREFIX.length).split(':');
    if (parts.length !== 4) throw new SecretBoxError('sealed value is malformed');
    const [id, iv, body, tag] = parts as [string, string, string, string];
    const key = this.keys.get(id);
    if (!key) throw new SecretBoxError(`sealed under key "${id.slice(0, 32)}", which is not configured`);
    try {
      const ivBytes = strictBase64url(iv);
      const tagBytes = strictBase64url(tag);
      if (ivBytes.length !== 12 || tagBytes.length !== 16) throw new Error('size');
      const decipher = createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: 16 });
      decipher.setAAD(aad(id, context));
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([decipher.update(strictBase64url(body)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(`sealed value under key "${id}" failed authentication`);
    }
  }
}

const aad = (keyId: string, context: string) => Buffer.from(`${PREFIX}${keyId}|${context}`, 'utf8');

// Node's decoder skips characters it does not know; a changed character must not decode to the same bytes.
function strictBase64url(s: string): Buffer {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error('not base64url');
  const bytes = Buffer.from(s, 'base64url');
  if (bytes.toString('base64url') !== s) throw new Error('not canonical');
  return bytes;
}

/**
 * Keys from configuration: `id:key` entries separated by commas, newest first, each key 32 bytes in base64
 * or base64url (e.g. `openssl rand -base64 32`). The first one seals; all of them open.
 */
export function parseDataKeys(spec: string): DataKey[] {
  const entries = spec.split(',').map((e) => e.trim()).filter(Boolean);
  if (!entries.length) throw new Error('no keys given (expected id:base64key[,id:base64key…])');
  return entries.map((entry, i) => {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new Error('each entry is id:base64key');
    const id = entry.slice(0, colon);
    const raw = entry.slice(colon + 1);
    // Counted, not named: with the parts swapped or a colon inside the key, the "id" is key material.
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(raw)) throw new Error(`entry ${i + 1}'s key is not base64`);
    return { id, key: Buffer.from(raw.replace(/-/g, '+').replace(/_/g, '/'), 'base64') };
  });
}

export const generateDataKey = (id: string): DataKey => ({ id, key: randomBytes(32) });
export const formatDataKey = (k: DataKey) => `${k.id}:${k.key.toString('base64')}`;
