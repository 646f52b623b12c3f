import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, connectMetaStore, type MetaStore } from '@syncbridge/shared/db';
import { analyzeLedgerIfGrown, ledgerEntries, ledgerEntriesQuery } from '@syncbridge/shared/domain';
import { sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';

/*
 * The ledger's hot queries on real PostgreSQL with the statistics a first load leaves behind: the
 * planner believes the ledger empty while it holds 200,000 entries. A page's key lookup must still be
 * one index probe per key, and the ledger gets analysed once enough has been written.
 */

interface PlanNode {
  'Node Type': string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

describe('ledger queries on a ledger the statistics do not know yet', () => {
  let db: TestDatabase;
  let store: MetaStore;
  const definitionId = randomUUID();
  const key = (i: number) => `k-${String(i).padStart(7, '0')}`;
  const reltuples = async () =>
    Number((await store.sql<Array<{ n: number }>>`select reltuples::float8 as n from pg_class where oid = 'sync_ledger'::regclass`)[0]!.n);

  beforeAll(async () => {
    db = await createTestDatabase('sb_ledger');
    store = connectMetaStore(db.url, { max: 2 });
    await applyMigrations(store);
    // No autovacuum behind the test's back; the definition row is not needed for the ledger's queries.
    await store.sql`alter table sync_ledger set (autovacuum_enabled = false)`;
    await store.sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`
        insert into sync_ledger (definition_id, source_key, list_item_id, content_hash, provenance)
        select ${definitionId}::uuid, 'k-' || lpad(g::text, 7, '0'), g::text, 'h', 'push' from generate_series(1, 200000) g`;
    });
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('looks up a page of keys with one index probe each, found or not', async () => {
    expect(await reltuples()).toBeLessThan(1);
    const keys = [...Array.from({ length: 250 }, (_, i) => key(1 + i * 797)), ...Array.from({ length: 250 }, (_, i) => `new-${i}`)];
    const [row] = await store.db.execute<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
      sql`explain (analyze, format json) ${ledgerEntriesQuery(definitionId, keys)}`,
    );
    const plan = nodes(row!['QUERY PLAN'][0]!.Plan);
    const onLedger = plan.filter((n) => n['Relation Name'] === 'sync_ledger');
    expect(onLedger.map((n) => n['Node Type'])).not.toContain('Seq Scan');
    expect(plan.map((n) => n['Node Type'])).not.toContain('Hash Join');
    // Rows read from the ledger: the keys that exist, not the definition's 200,000 entries.
    expect(onLedger.reduce((sum, n) => sum + n['Actual Rows'] * n['Actual Loops'], 0)).toBeLessThanOrEqual(keys.length);

    const found = await ledgerEntries(store.db, definitionId, keys);
    expect(found.size).toBe(250);
    expect(found.get(key(1 + 797))).toMatchObject({ listItemId: String(1 + 797), contentHash: 'h' });
    expect(found.has('new-0')).toBe(false);
  });

  it('has the ledger analysed once enough has been written since the last time, not on every page', async () => {
    await analyzeLedgerIfGrown(store.db, 9_999);
    expect(await reltuples()).toBeLessThan(1);
    await analyzeLedgerIfGrown(store.db, 1);
    expect(await reltuples()).toBeGreaterThan(150_000);
    // Now 10% of what the planner knows must be written before the next analyse.
    await store.sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`
        insert into sync_ledger (definition_id, source_key, list_item_id, content_hash, provenance)
        select ${definitionId}::uuid, 'm-' || g, g::text, 'h', 'push' from generate_series(1, 100000) g`;
    });
    await analyzeLedgerIfGrown(store.db, 15_000);
    expect(await reltuples()).toBeLessThan(250_000);
    await analyzeLedgerIfGrown(store.db, 10_000);
    expect(await reltuples()).toBeGreaterThan(250_000);
  });
});
