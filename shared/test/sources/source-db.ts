import type postgres from 'postgres';
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

/** A throw-away database for one test file, reached through the PostgreSQL connector. */
export async function createSourceDb(prefix: string): Promise<SourceDb> {
  const db = await createTestDatabase(prefix);
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
