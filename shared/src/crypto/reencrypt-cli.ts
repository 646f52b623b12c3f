import { loadSecretsToolConfig } from '../config/env.ts';
import { connectMetaStore } from '../db/client.ts';
import { reencryptSecrets } from './reencrypt.ts';
import { EnvKeyProvider, SecretBox } from './secrets.ts';

// `pnpm secrets:reencrypt`: rewrites every stored secret with SYNCBRIDGE_ACTIVE_KEY_ID (README: rotating keys).
const cfg = loadSecretsToolConfig();
const keys = new EnvKeyProvider(cfg.SYNCBRIDGE_ENCRYPTION_KEYS, cfg.SYNCBRIDGE_ACTIVE_KEY_ID);
const store = connectMetaStore(cfg.DATABASE_URL, { max: 1, applicationName: 'syncbridge-reencrypt' });
try {
  const report = await reencryptSecrets(store, new SecretBox(keys), keys.activeKeyId());
  console.log(JSON.stringify(report));
} finally {
  await store.close();
}
