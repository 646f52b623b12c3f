import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Local-only secrets for the embedded stack: generated once, kept in the data
 * folder with owner-only permissions. Production supplies them from its secret
 * store through the environment instead.
 */
function persisted(dir: string, file: string, make: () => string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, file);
  if (!existsSync(path)) writeFileSync(path, make(), { mode: 0o600 });
  return readFileSync(path, 'utf8').trim();
}

export function localSecrets(dataDir: string) {
  const dir = join(dataDir, 'secrets');
  return {
    dir,
    encryptionKeys: persisted(dir, 'encryption-keys', () => `local1:${randomBytes(32).toString('base64')}`),
    adminApiKey: persisted(dir, 'admin-api-key', () => `sbk_${randomBytes(32).toString('base64url')}`),
  };
}
