import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EnvKeyProvider, SecretBox, SecretDecryptionError } from '../src/crypto/secrets.ts';

const key = () => randomBytes(32).toString('base64');

describe('SecretBox (AES-256-GCM with key ids)', () => {
  it('round-trips any string and never leaves the plaintext in the envelope', () => {
    const box = new SecretBox(new EnvKeyProvider(`k1:${key()}`));
    fc.assert(
      fc.property(fc.string({ minLength: 4 }), (secret) => {
        const sealed = box.encrypt(secret);
        expect(sealed.startsWith('v1:k1:')).toBe(true);
        expect(box.decrypt(sealed)).toBe(secret);
      }),
    );
    expect(box.encrypt('same')).not.toBe(box.encrypt('same'));
  });

  it('rotates: new writes use the active key, old envelopes still decrypt', () => {
    const k1 = key();
    const k2 = key();
    const old = new SecretBox(new EnvKeyProvider(`k1:${k1}`)).encrypt('legacy');
    const rotated = new SecretBox(new EnvKeyProvider(`k1:${k1},k2:${k2}`, 'k2'));
    expect(rotated.decrypt(old)).toBe('legacy');
    expect(SecretBox.keyIdOf(rotated.encrypt('new'))).toBe('k2');
  });

  it('refuses tampered data, relabelled key ids and unknown keys', () => {
    const k1 = key();
    const box = new SecretBox(new EnvKeyProvider(`k1:${k1},k2:${k1}`));
    const sealed = box.encrypt('secret');
    const parts = sealed.split(':');
    const flipped = [...parts.slice(0, 4), Buffer.from('xxxxxx').toString('base64')].join(':');
    expect(() => box.decrypt(flipped)).toThrow(SecretDecryptionError);
    // Same key bytes under another id: the authenticated key id makes it fail.
    expect(() => box.decrypt(['v1', 'k2', ...parts.slice(2)].join(':'))).toThrow(SecretDecryptionError);
    expect(() => box.decrypt(['v1', 'k9', ...parts.slice(2)].join(':'))).toThrow(/no encryption key with id "k9"/);
    expect(() => box.decrypt('plaintext')).toThrow(/envelope/);
  });

  it('explains malformed key configuration', () => {
    expect(() => new EnvKeyProvider('nokey')).toThrow(/keyId:base64key/);
    expect(() => new EnvKeyProvider(`k1:${randomBytes(16).toString('base64')}`)).toThrow(/32 bytes/);
    expect(() => new EnvKeyProvider(`k1:${key()}`, 'k2')).toThrow(/SYNCBRIDGE_ACTIVE_KEY_ID/);
  });
});
