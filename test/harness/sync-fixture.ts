import postgres from 'postgres';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { startTestStack, type TestStack } from './stack.ts';
import { registerSourceAndConnection, type SyncSetup } from './sync.ts';

export interface SyncFixture {
  stack: TestStack;
  source: TestDatabase;
  /** A connection to the source database, for the test's own DDL and changes. */
  sql: postgres.Sql;
  /** App, instance and emulator connection registered through the API. */
  reg: SyncSetup;
  close(): Promise<void>;
}

/**
 * The set-up every sync test shares: a stack with a worker and the SharePoint emulator, a
 * fresh source database prepared by `ddl`, and its instance and connection registered.
 */
export async function startSyncFixture(prefix: string, ddl: string): Promise<SyncFixture> {
  const stack = await startTestStack({ worker: true, emulator: true });
  const source = await createTestDatabase(prefix);
  const sql = postgres(source.url, { max: 2, onnotice: () => {} });
  await sql.unsafe(ddl);
  const reg = await registerSourceAndConnection(stack, source);
  return {
    stack,
    source,
    sql,
    reg,
    async close() {
      await sql.end();
      await stack.close();
      await source.drop();
    },
  };
}
