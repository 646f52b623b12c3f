import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets at rest: AES-256-GCM with the key id stored beside the ciphertext, so
 * keys can rotate (new writes use the active key, old rows still decrypt).
 * Format: `v1:<keyId>:<iv b64>:<tag b64>:<ciphertext b64>`.
 */

/** Where data keys come from. The environment implements it today; a KMS can tomorrow. */
export interface KeyProvider {
  activeKeyId(): string;
  getKey(keyId: string): Buffer;
}

export class SecretDecryptionError extends Error {
  override name = 'SecretDecryptionError';
}

const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** Parses `keyId:base64key[,keyId:base64key…]`; each key must decode to 32 bytes. */
export class EnvKeyProvider implements KeyProvider {
  private readonly keys = new Map<string, Buffer>();
  private readonly active: string;

  constructor(spec: string, activeKeyId?: string) {
    for (const part of spec
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const sep = part.indexOf(':');
      const id = part.slice(0, sep);
      if (sep <= 0 || !KEY_ID.test(id)) {
        throw new Error('SYNCBRIDGE_ENCRYPTION_KEYS: each entry must be "keyId:base64key" with a key id of letters, digits, ".", "_" or "-"');
      }
      const key = Buffer.from(part.slice(sep + 1), 'base64');
      if (key.length !== 32) throw new Error(`SYNCBRIDGE_ENCRYPTION_KEYS: key "${id}" must be 32 bytes (base64 of 32 random bytes)`);
      this.keys.set(id, key);
    }
    const first = this.keys.keys().next();
    if (first.done) throw new Error('SYNCBRIDGE_ENCRYPTION_KEYS: no key given');
    this.active = activeKeyId ?? first.value;
    if (!this.keys.has(this.active)) throw new Error(`SYNCBRIDGE_ACTIVE_KEY_ID "${this.active}" is not among SYNCBRIDGE_ENCRYPTION_KEYS`);
  }

  activeKeyId(): string {
    return this.active;
  }

  getKey(keyId: string): Buffer {
    const key = this.keys.get(keyId);
    if (!key) throw new SecretDecryptionError(`no encryption key with id "${keyId}" is configured`);
    return key;
  }
}

export class SecretBox {
  constructor(private readonly keys: KeyProvider) {}

  encrypt(plaintext: string): string {
    const keyId = this.keys.activeKeyId();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.getKey(keyId), iv);
    // The key id is authenticated too, so a ciphertext cannot be re-labelled.
    cipher.setAAD(Buffer.from(keyId));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', keyId, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(':');
  }

  decrypt(sealed: string): string {
    const [version, keyId, iv, tag, ct] = sealed.split(':');
    if (version !== 'v1' || !keyId || !iv || !tag || ct === undefined) {
      throw new SecretDecryptionError('stored secret is not in the v1 envelope format');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.keys.getKey(keyId), Buffer.from(iv, 'base64'));
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64')), decipher.final()]).toString('utf8');
    } catch (err) {
      if (err instanceof SecretDecryptionError) throw err;
      throw new SecretDecryptionError(`stored secret could not be decrypted with key "${keyId}" (wrong key or tampered data)`);
    }
  }

  /** Key id a stored secret was sealed with, for rotation reports. */
  static keyIdOf(sealed: string): string | undefined {
    return sealed.split(':')[1];
  }
}

export function secretBoxFromConfig(cfg: { SYNCBRIDGE_ENCRYPTION_KEYS: string; SYNCBRIDGE_ACTIVE_KEY_ID?: string | undefined }): SecretBox {
  return new SecretBox(new EnvKeyProvider(cfg.SYNCBRIDGE_ENCRYPTION_KEYS, cfg.SYNCBRIDGE_ACTIVE_KEY_ID));
}
