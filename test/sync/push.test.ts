import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import postgres from 'postgres';
import { pushProgressQuery } from '@syncbridge/workflows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, workflowBundle, type TestStack } from '../harness/stack.ts';
import { apiJson, listItems, provision, registerSourceAndConnection, runPush, type EmulatorItem } from '../harness/sync.ts';

const ROWS = 230;

/** A realistic source table: composite key, several type families, an updated_at watermark. */
async function createProducts(sql: postgres.Sql) {
  await sql`create type product_status as enum ('draft', 'active', 'retired')`;
  await sql`
    create table products (
      region text not null,
      sku varchar(40) not null,
      name varchar(200) not null,
      description text,
      price numeric(10,2),
      quantity integer,
      weight double precision,
      active boolean not null default true,
      status product_status not null default 'active',
      launched_on date,
      external_id uuid,
      updated_at timestamptz not null default now(),
      primary key (region, sku)
    )`;
  await sql`
    insert into products (region, sku, name, description, price, quantity, weight, active, status, launched_on, external_id, updated_at)
    select case when g % 2 = 0 then 'eu' else 'us' end, 'SKU-' || lpad(g::text, 5, '0'), 'Product ' || g, 'Long description ' || g,
           (g * 1.25)::numeric(10,2), g, g / 4.0, g % 3 <> 0, (array['draft','active','retired'])[1 + g % 3]::product_status,
           date '2024-01-01' + g, gen_random_uuid(), timestamptz '2025-01-01 00:00:00+00' + (g / 10) * interval '1 second'
    from generate_series(1, ${ROWS}) g`;
}

describe('push sync end to end (HTTP API -> Temporal -> PostgreSQL -> Graph emulator)', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let definitionId: string;
  let listId: string;
  let column: (source: string) => string;

  const keyOf = (item: EmulatorItem) => item.fields.SyncBridgeKey as string;
  const byKey = async () => new Map((await listItems(stack, listId)).map((i) => [keyOf(i), i]));
  const itemFor = async (region: string, sku: string) =>
    [...(await byKey()).values()].find((i) => i.fields[column('region')] === region && i.fields[column('sku')] === sku);

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    source = await createTestDatabase('sb_source');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await createProducts(sql);
    const reg = await registerSourceAndConnection(stack, source);
    const def = await apiJson(
      stack,
      '/v1/sync-definitions',
      {
        method: 'POST',
        json: {
          appId: reg.appId,
          name: 'products',
          sourceInstanceId: reg.instanceId,
          sourceSchema: 'public',
          sourceTable: 'products',
          keyStrategy: 'composite',
          keyColumns: ['region', 'sku'],
          cursorStrategy: 'updated_at',
          cursorColumn: 'updated_at',
          batchSize: 100,
        },
      },
      201,
    );
    definitionId = def.id;
    await apiJson(
      stack,
      `/v1/sync-definitions/${definitionId}/targets`,
      { method: 'POST', json: { connectionId: reg.connectionId, siteId: reg.siteId, listDisplayName: 'Products', isDefault: true } },
      201,
    );
  });
  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('provisions the list with the default mapping and the hidden, indexed, unique key column', async () => {
    await provision(stack, definitionId);
    const mappings = await apiJson<{ items: Array<{ sourceColumn: string; targetColumn: string; targetType: string }> }>(
      stack,
      `/v1/sync-definitions/${definitionId}/field-mappings?limit=100`,
    );
    expect(mappings.items.map((m) => m.sourceColumn).sort()).toEqual([
      'active',
      'description',
      'external_id',
      'launched_on',
      'name',
      'price',
      'quantity',
      'region',
      'sku',
      'status',
      'updated_at',
      'weight',
    ]);
    const map = new Map(mappings.items.map((m) => [m.sourceColumn, m]));
    column = (s) => map.get(s)!.targetColumn;
    expect(map.get('description')!.targetType).toBe('note');
    expect(map.get('price')!.targetType).toBe('number');
    expect(map.get('active')!.targetType).toBe('boolean');
    expect(map.get('status')!.targetType).toBe('choice');

    const targets = await apiJson<{ items: Array<{ listId: string | null; connectionId: string; siteId: string }> }>(
      stack,
      `/v1/sync-definitions/${definitionId}/targets`,
    );
    listId = targets.items[0]!.listId!;
    expect(listId).toBeTruthy();
    const t = targets.items[0]!;
    const cols = await apiJson<{ items: Array<{ name: string; indexed: boolean; hidden: boolean }> }>(
      stack,
      `/v1/sharepoint-connections/${t.connectionId}/sites/${encodeURIComponent(t.siteId)}/lists/${listId}/columns`,
    );
    expect(cols.items.find((c) => c.name === 'SyncBridgeKey')).toMatchObject({ indexed: true, hidden: true });
    // Provisioning again adopts the list instead of creating another.
    await provision(stack, definitionId);
    const again = await apiJson<{ items: Array<{ listId: string }> }>(stack, `/v1/sync-definitions/${definitionId}/targets`);
    expect(again.items[0]!.listId).toBe(listId);
  });

  it('pushes every row on the first run, values converted as documented', async () => {
    const run = await runPush(stack, definitionId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    expect(run.counts).toMatchObject({ read: ROWS, created: ROWS, quarantined: 0 });
    const items = await byKey();
    expect(items.size).toBe(ROWS);
    const [row] = await sql`select * from products where region = 'eu' and sku = 'SKU-00010'`;
    const item = await itemFor('eu', 'SKU-00010');
    expect(item).toBeDefined();
    expect(item!.fields[column('name')]).toBe('Product 10');
    expect(item!.fields[column('price')]).toBe(12.5);
    expect(item!.fields[column('quantity')]).toBe(10);
    expect(item!.fields[column('weight')]).toBe(2.5);
    expect(item!.fields[column('active')]).toBe(true);
    expect(item!.fields[column('status')]).toBe('active');
    expect(item!.fields[column('external_id')]).toBe(row!.external_id);
    expect(String(item!.fields[column('launched_on')])).toMatch(/^2024-01-11/);

    const ledger = await stack.store
      .sql`select count(*)::int as n, count(distinct list_item_id)::int as items from sync_ledger where definition_id = ${definitionId}`;
    expect(ledger[0]).toEqual({ n: ROWS, items: ROWS });
  });

  it('propagates inserts, updates and deletes incrementally, and the list equals the table', async () => {
    await sql`insert into products (region, sku, name, price, updated_at) values ('eu', 'NEW-1', 'New one', 1, now()), ('us', 'NEW-2', 'New two', 2, now()), ('eu', 'NEW-3', 'O''Brien & "quotes"', 3, now())`;
    await sql`update products set name = 'Renamed', price = 99.99, updated_at = now() where (region, sku) in (('eu', 'SKU-00002'), ('us', 'SKU-00003'))`;
    await sql`delete from products where (region, sku) in (('eu', 'SKU-00004'), ('us', 'SKU-00005'))`;
    const run = await runPush(stack, definitionId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    expect(run.counts).toMatchObject({ created: 3, updated: 2, deleted: 2, quarantined: 0 });

    const rows = await sql<Array<{ region: string; sku: string; name: string; price: string }>>`select region, sku, name, price::text from products`;
    const items = await listItems(stack, listId);
    expect(items).toHaveLength(rows.length);
    expect(new Set(items.map(keyOf)).size).toBe(rows.length);
    const listed = new Map(items.map((i) => [`${i.fields[column('region')]}|${i.fields[column('sku')]}`, i]));
    for (const r of rows) {
      const item = listed.get(`${r.region}|${r.sku}`);
      expect(item, `${r.region}/${r.sku}`).toBeDefined();
      expect(item!.fields[column('name')]).toBe(r.name);
      expect(item!.fields[column('price')]).toBe(Number(r.price));
    }
    const ledger = await stack.store.sql`select count(*)::int as n from sync_ledger where definition_id = ${definitionId}`;
    expect(ledger[0]!.n).toBe(rows.length);
  });

  it('writes nothing when nothing changed', async () => {
    const run = await runPush(stack, definitionId);
    expect(run.status).toBe('succeeded');
    expect(run.counts.created ?? 0).toBe(0);
    expect(run.counts.updated ?? 0).toBe(0);
    expect(run.counts.deleted ?? 0).toBe(0);
  });

  it('quarantines a row that cannot convert, with its reason, while the rest goes on', async () => {
    await sql`insert into products (region, sku, name, weight, updated_at) values ('eu', 'BAD-1', 'Bad weight', 'NaN', now()), ('eu', 'OK-1', 'Fine', 1, now())`;
    const run = await runPush(stack, definitionId);
    expect(run.status).toBe('succeeded');
    expect(run.counts).toMatchObject({ created: 1, quarantined: 1 });
    const quarantine = await apiJson<{ items: Array<{ sourceKey: string; reason: string }> }>(stack, `/v1/sync-definitions/${definitionId}/quarantine`);
    expect(quarantine.items).toHaveLength(1);
    expect(quarantine.items[0]!.reason).toMatch(/weight/);
    expect(await itemFor('eu', 'OK-1')).toBeDefined();
    expect(await itemFor('eu', 'BAD-1')).toBeUndefined();

    // Fixing the row at the source releases it from quarantine on the next run.
    await sql`update products set weight = 5, updated_at = now() where sku = 'BAD-1'`;
    const fixed = await runPush(stack, definitionId);
    expect(fixed.counts).toMatchObject({ created: 1, quarantined: 0 });
    expect((await apiJson<{ items: unknown[] }>(stack, `/v1/sync-definitions/${definitionId}/quarantine`)).items).toHaveLength(0);
  });

  it('re-pushes rows a mapping change affects, on the next run', async () => {
    const mappings = await apiJson<{ items: Array<{ id: string; sourceColumn: string }> }>(
      stack,
      `/v1/sync-definitions/${definitionId}/field-mappings?limit=100`,
    );
    const name = mappings.items.find((m) => m.sourceColumn === 'name')!;
    await apiJson(stack, `/v1/sync-definitions/${definitionId}/field-mappings/${name.id}`, { method: 'PATCH', json: { transforms: [{ op: 'upper' }] } });
    const run = await runPush(stack, definitionId);
    expect(run.status).toBe('succeeded');
    const count = (await sql`select count(*)::int as n from products`)[0]!.n as number;
    expect(run.counts.updated).toBe(count);
    expect((await itemFor('eu', 'SKU-00010'))!.fields[column('name')]).toBe('PRODUCT 10');
  });
});

describe('push workflow: progress query and deterministic replay', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let definitionId: string;

  beforeAll(async () => {
    // One page per push activity: 120 one-row pages are enough activities for the workflow to continue as new.
    stack = await startTestStack({ worker: true, emulator: true, pushSliceMs: 0 });
    source = await createTestDatabase('sb_source');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql`create table events (id bigint primary key, kind text not null, at timestamptz not null default now())`;
    await sql`insert into events (id, kind) select g, 'kind ' || (g % 4) from generate_series(1, 120) g`;
    const reg = await registerSourceAndConnection(stack, source);
    definitionId = (
      await apiJson(
        stack,
        '/v1/sync-definitions',
        {
          method: 'POST',
          json: {
            appId: reg.appId,
            name: 'events',
            sourceInstanceId: reg.instanceId,
            sourceSchema: 'public',
            sourceTable: 'events',
            keyStrategy: 'pk',
            keyColumns: ['id'],
            cursorStrategy: 'updated_at',
            cursorColumn: 'at',
            batchSize: 1,
          },
        },
        201,
      )
    ).id;
    await apiJson(
      stack,
      `/v1/sync-definitions/${definitionId}/targets`,
      { method: 'POST', json: { connectionId: reg.connectionId, siteId: reg.siteId, listDisplayName: 'Events', isDefault: true } },
      201,
    );
    await provision(stack, definitionId);
  });
  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  // One row per batch: 120 batches is past the 100 a workflow run takes before it continues as new.
  it('reports progress through the workflow query and the run resource, across continue-as-new', async () => {
    const run = await runPush(stack, definitionId);
    expect(run.status).toBe('succeeded');
    const client = new Client({ connection: await Connection.connect({ address: stack.temporalAddress }) });
    try {
      const progress = await client.workflow.getHandle(run.workflowId).query(pushProgressQuery);
      expect(progress).toMatchObject({ definitionId, phase: 'done', pass: 'watermark', counts: { read: 120, created: 120 } });
      expect(progress.batches).toBeGreaterThanOrEqual(120);

      const view = await apiJson<{ id: string; status: string; counts: Record<string, number>; temporalUiUrl: string }>(stack, `/v1/sync-runs/${run.id}`);
      expect(view).toMatchObject({ id: run.id, status: 'succeeded', counts: { read: 120, created: 120 } });
      expect(view.temporalUiUrl).toContain(encodeURIComponent(run.workflowId));

      // The recorded history replays against the current workflow code without non-determinism.
      const history = await client.workflow.getHandle(run.workflowId).fetchHistory();
      // The last run was continued from an earlier one, carrying positions and counts, not rows.
      expect(history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId).toBeTruthy();
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), replayName: 'push' }, history);
    } finally {
      await client.connection.close();
    }
  });
});
