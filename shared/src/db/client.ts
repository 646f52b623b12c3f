import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema/index.ts';

export type MetaDb = PostgresJsDatabase<typeof schema>;

export interface MetaStore {
  db: MetaDb;
  sql: postgres.Sql;
  close(): Promise<void>;
}

export function connectMetaStore(url: string, opts: { max?: number; applicationName?: string } = {}): MetaStore {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    onnotice: () => {},
    connection: { application_name: opts.applicationName ?? 'syncbridge' },
  });
  const db = drizzle(sql, { schema, casing: 'snake_case' });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}
