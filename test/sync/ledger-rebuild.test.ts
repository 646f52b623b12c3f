import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson, defineSync, listItems, registerSourceAndConnection, runPush, waitForRun, type RunView, type SyncSetup } from '../harness/sync.ts';

/*
 * Ledger rebuild (disaster recovery) through the path a user takes (HTTP API -> Temporal ->
 * PostgreSQL -> Graph emulator): the meta-store's ledger lost, or restored from a backup older
 * than the lists, is rebuilt from the lists' key column; a drift check then finds nothing and
 * the next push writes only what truly differs.
 */

const DRIFT = ['orphanItems', 'missingItems', 'valueDrift', 'ledgerDrift', 'duplicates'] as const;

describe('ledger rebuild: the ledger recovered from the lists', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let reg: SyncSetup;
  let definitionId: string;
  let listId: string;

  const admin = (path: string, init?: RequestInit) => fetch(`${stack.emulator!.adminUrl}${path}`, init);
  const operation = async (kind: string, options?: Record<string, unknown>): Promise<RunView> => {
    const ticket = await apiJson<{ workflowId: string }>(
      stack,
      `/v1/sync-definitions/${definitionId}/operations/${kind}`,
      { method: 'POST', ...(options ? { json: { options } } : {}) },
      202,
    );
    const run = await waitForRun(stack, definitionId, ticket.workflowId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    return run;
  };
  const push = async () => {
    const run = await runPush(stack, definitionId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    return run;
  };
  const driftCounts = async () => {
    const run = await operation('drift_check');
    return Object.fromEntries(DRIFT.map((k) => [k, run.counts[k] ?? 0]));
  };
  const ledger = () =>
    stack.store.sql<Array<{ source_key: string; list_item_id: string; etag: string | null }>>`
      select source_key, list_item_id, etag from sync_ledger where definition_id = ${definitionId} order by source_key::int`;
  const loseLedger = async () => {
    await stack.store.sql`delete from sync_ledger where definition_id = ${definitionId}`;
    await stack.store.sql`delete from sync_cursors where definition_id = ${definitionId}`;
  };
  const itemOf = async (key: string) => (await listItems(stack, listId)).find((i) => i.fields.SyncBridgeKey === key);

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    source = await createTestDatabase('sb_ledger_rebuild');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql.unsafe(`
      create table parts (id integer primary key, name varchar(100) not null, qty integer, updated_at timestamptz not null default now());
      insert into parts (id, name, qty) select g, 'Part ' || g, g * 10 from generate_series(1, 30) g;
    `);
    reg = await registerSourceAndConnection(stack, source, 'rebuild');
    ({ definitionId, listId } = await defineSync(stack, reg, {
      name: 'parts',
      table: 'parts',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorColumn: 'updated_at',
    }));
    expect((await push()).counts).toMatchObject({ created: 30 });
  });

  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('refuses options it does not know, before asking for a run', async () => {
    const res = await stack.api(`/v1/sync-definitions/${definitionId}/operations/ledger_rebuild`, { method: 'POST', json: { options: { dryRun: 'yes' } } });
    const text = await res.text();
    expect(res.status, text).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.parse(text).errors[0]).toMatchObject({ field: 'body.options.dryRun' });
    const unknown = await stack.api(`/v1/sync-definitions/${definitionId}/operations/ledger_rebuild`, { method: 'POST', json: { options: { force: true } } });
    expect(unknown.status).toBe(400);
    // Kinds without options refuse any.
    for (const kind of ['drift_check', 'ingress', 'provision']) {
      const res = await stack.api(`/v1/sync-definitions/${definitionId}/operations/${kind}`, { method: 'POST', json: { options: { sampleSize: -1 } } });
      expect(res.status, kind).toBe(400);
      expect(((await res.json()) as { errors: Array<{ field: string }> }).errors[0]?.field).toBe('body.options.sampleSize');
    }
    const [runs] = await stack.store.sql<
      Array<{ n: number }>
    >`select count(*)::int as n from sync_runs where definition_id = ${definitionId} and kind <> 'push' and kind <> 'provision'`;
    expect(runs!.n).toBe(0);
  });

  it('rebuilds a lost ledger exactly: a dry run only counts, the rebuild records every item, then nothing is drift and push writes nothing', async () => {
    const before = await ledger();
    expect(before).toHaveLength(30);
    await loseLedger();

    const dry = await operation('ledger_rebuild', { dryRun: true });
    expect(dry.counts).toMatchObject({ dryRun: 1, entries: 30, inSync: 30, differing: 0, orphanItems: 0, duplicates: 0, previousEntries: 0 });
    expect(await ledger()).toEqual([]);

    const run = await operation('ledger_rebuild');
    expect(run.counts).toMatchObject({ dryRun: 0, entries: 30, inSync: 30, itemsRead: 30, rowsWithoutItem: 0 });
    // The same items, under the same keys, with the eTags of the items as they are.
    expect((await ledger()).map((e) => [e.source_key, e.list_item_id])).toEqual(before.map((e) => [e.source_key, e.list_item_id]));
    expect(await driftCounts()).toEqual({ orphanItems: 0, missingItems: 0, valueDrift: 0, ledgerDrift: 0, duplicates: 0 });
    // A full pass compares every row with the rebuilt ledger, and finds nothing to write.
    const after = await push();
    expect(after.counts).toMatchObject({ read: 30, created: 0, updated: 0, deleted: 0 });
  });

  it('replaces a ledger restored from an old backup: rows changed, added and deleted since are known as the lists hold them', async () => {
    const backup = await stack.store.sql`select * from sync_ledger where definition_id = ${definitionId}`;
    await sql`update parts set name = 'Part 2 renamed', updated_at = now() where id = 2`;
    await sql`insert into parts (id, name, qty) values (31, 'Part 31', 310)`;
    await sql`delete from parts where id = 3`;
    expect((await push()).counts).toMatchObject({ created: 1, updated: 1, deleted: 1 });
    // The meta-store comes back from the backup: 30 entries, one of a deleted item, none of the new one.
    await stack.store.sql`delete from sync_ledger where definition_id = ${definitionId}`;
    await stack.store.sql`insert into sync_ledger ${stack.store.sql(backup as never)}`;

    const run = await operation('ledger_rebuild');
    expect(run.counts).toMatchObject({ entries: 30, inSync: 30, previousEntries: 30, orphanItems: 0 });
    const keys = (await ledger()).map((e) => e.source_key);
    expect(keys).toContain('31');
    expect(keys).not.toContain('3');
    expect(await driftCounts()).toEqual({ orphanItems: 0, missingItems: 0, valueDrift: 0, ledgerDrift: 0, duplicates: 0 });
    expect((await push()).counts).toMatchObject({ created: 0, updated: 0, deleted: 0 });
  });

  it('lets the table win where an item differs, and removes an item whose row is gone (push-only definition)', async () => {
    const edited = (await itemOf('4'))!;
    const res = await admin(`/lists/${encodeURIComponent(listId)}/items/${edited.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fields: { name: 'Edited in SharePoint' } }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    await loseLedger();
    // Deleted from the table while the meta-store was gone: no run saw it.
    await sql`delete from parts where id = 5`;

    const run = await operation('ledger_rebuild');
    expect(run.counts).toMatchObject({ entries: 30, inSync: 28, differing: 1, orphanItems: 1 });
    expect(await driftCounts()).toMatchObject({ orphanItems: 1, valueDrift: 1, ledgerDrift: 0, missingItems: 0 });
    const after = await push();
    expect(after.counts).toMatchObject({ created: 0, updated: 1, deleted: 1 });
    expect((await itemOf('4'))!.fields.name).toBe('Part 4');
    expect(await itemOf('5')).toBeUndefined();
    expect(await driftCounts()).toEqual({ orphanItems: 0, missingItems: 0, valueDrift: 0, ledgerDrift: 0, duplicates: 0 });
  });

  it('lets the list win where the definition trusts it (two-way, sharepoint_wins): the next cycle reads the item back into the row', async () => {
    const patched = await stack.api(`/v1/sync-definitions/${definitionId}`, {
      method: 'PATCH',
      json: { direction: 'both', conflictPolicy: 'sharepoint_wins' },
    });
    expect(patched.status, await patched.clone().text()).toBe(200);
    expect((await push()).counts).toMatchObject({ created: 0, updated: 0 });
    const edited = (await itemOf('6'))!;
    const res = await admin(`/lists/${encodeURIComponent(listId)}/items/${edited.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fields: { name: 'Renamed in SharePoint' } }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    await loseLedger();

    const run = await operation('ledger_rebuild');
    expect(run.counts).toMatchObject({ entries: 29, inSync: 28, differing: 1 });
    // One cycle: the list enumerated once (the items the ledger knows by eTag cost nothing), the edit read back.
    const cycle = await push();
    expect(cycle.counts).toMatchObject({ ingressUpdated: 1, created: 0, updated: 0, deleted: 0 });
    const [row] = await sql<Array<{ name: string }>>`select name from parts where id = 6`;
    expect(row?.name).toBe('Renamed in SharePoint');
    expect((await push()).counts).toMatchObject({ created: 0, updated: 0 });
    expect(await driftCounts()).toEqual({ orphanItems: 0, missingItems: 0, valueDrift: 0, ledgerDrift: 0, duplicates: 0 });
  });
});
