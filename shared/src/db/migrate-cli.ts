import { loadMetaStoreConfig } from '../config/env.ts';
import { connectMetaStore } from './client.ts';
import { applyMigrations } from './migrations.ts';

const cfg = loadMetaStoreConfig();
const store = connectMetaStore(cfg.DATABASE_URL, { max: 1, applicationName: 'syncbridge-migrate' });
try {
  await applyMigrations(store);
  console.log('meta-store migrated');
} finally {
  await store.close();
}
