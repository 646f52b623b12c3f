import type postgres from 'postgres';
import { createTestDatabase, type TestDatabase } from '../../../test/harness/database.ts';
import { connectPostgresSource } from '../../src/sources/postgres.ts';
import type { SourceConnectionParams } from '../../src/sources/types.ts';

export interface SourceDb {
  db: TestDatabase;
  params: SourceConnectionParams;
  /** A pool exactly as workers get it (session settings and type parsers included). */
  sql: postgres.Sql;
  close(): Promise<void>;
}

/** A throw-away database for one test file, reached through connectPostgresSource. */
export async function createSourceDb(prefix: string): Promise<SourceDb> {
  const db = await createTestDatabase(prefix);
  const url = new URL(db.url);
  const params: SourceConnectionParams = {
    engine: 'postgres',
    host: url.hostname,
    port: Number(url.port || 5432),
    databaseName: url.pathname.slice(1),
    username: decodeURIComponent(url.username),
    password: url.password ? decodeURIComponent(url.password) : null,
    sslMode: 'disable',
  };
  const sql = connectPostgresSource(params, { max: 2 });
  return {
    db,
    params,
    sql,
    async close() {
      await sql.end({ timeout: 5 });
      await db.drop();
    },
  };
}
