import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { createTestDatabase, type TestDatabase } from '../../../test/harness/database.ts';
import type { SourceSession } from '../../src/sources/connector.ts';
import { connectPostgresSource, postgresConnector } from '../../src/sources/postgres/index.ts';
import type { SourceConnectionParams } from '../../src/sources/types.ts';

export interface SourceDb {
  db: TestDatabase;
  params: SourceConnectionParams;
  /** A pool for setting up data (DDL, seeding), with the sessions' settings and type parsers. */
  sql: postgres.Sql;
  /** The connector's session, exactly as workers get it. */
  session: SourceSession;
  close(): Promise<void>;
}

/** Connection parameters of a test database URL. */
export function paramsOfUrl(dbUrl: string): SourceConnectionParams {
  const url = new URL(dbUrl);
  return {
    engine: 'postgres',
    host: url.hostname,
    port: Number(url.port || 5432),
    databaseName: url.pathname.slice(1),
    username: decodeURIComponent(url.username),
    password: url.password ? decodeURIComponent(url.password) : null,
    sslMode: 'disable',
  };
}

/** A throw-away database on the server of `adminUrl` (a server other than the harness's, e.g. one with wal_level = logical). */
async function createDatabaseAt(adminUrl: string, prefix: string): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = () => postgres(adminUrl, { max: 1, onnotice: () => {} });
  const create = admin();
  try {
    await create.unsafe(`create database "${name}"`);
  } finally {
    await create.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const a = admin();
      try {
        await a.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** A throw-away database for one test file, reached through the PostgreSQL connector; on the harness's server unless `adminUrl` names another. */
export async function createSourceDb(prefix: string, options: { adminUrl?: string } = {}): Promise<SourceDb> {
  const db = options.adminUrl ? await createDatabaseAt(options.adminUrl, prefix) : await createTestDatabase(prefix);
  const params = paramsOfUrl(db.url);
  const sql = connectPostgresSource(params, { maxConnections: 2 });
  const session = postgresConnector.openSession(params, { maxConnections: 2 });
  return {
    db,
    params,
    sql,
    session,
    async close() {
      await session.close();
      await sql.end({ timeout: 5 });
      await db.drop();
    },
  };
}
