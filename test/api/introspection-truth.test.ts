import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson, registerSource } from '../harness/sync.ts';

/*
 * What a new user sees when introspecting a real-world shaped database (partitioned payments,
 * a domain, unique indexes, tables never analysed) and the next step an error gives them.
 */

interface Table {
  schema: string;
  name: string;
  kind: string;
  estimatedRows: number | null;
  rowEstimate: { rows: number | null; source: string };
  partitionOf: string | null;
  partitionRoot: string | null;
  partitionBound: string | null;
  partitions: string[];
  columns: Array<{ name: string; dataType: string; typeFamily: string; maxLength: number | null; domain: { name: string; baseType: string } | null }>;
  uniqueConstraints: Array<{ name: string; columns: string[] }>;
  uniqueKeys: Array<{ name: string; columns: string[]; source: string }>;
}
interface SchemaResponse {
  snapshotId: string;
  tables: Table[];
  changes: {
    addedTables: string[];
    removedTables: string[];
    changedTables: unknown[];
    addedPartitions: unknown[];
    removedPartitions: unknown[];
    hasChanges: boolean;
  } | null;
}
interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

describe('introspection tells the truth, and errors say what to do next', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let appId: string;
  let instanceId: string;
  let schema: SchemaResponse;

  const table = (name: string) => {
    const t = schema.tables.find((x) => x.name === name);
    if (!t) throw new Error(`${name} is not in the response`);
    return t;
  };
  const problemOf = async (res: Response, status: number) => {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    return JSON.parse(text) as Problem;
  };
  const definition = (overrides: Record<string, unknown>) => ({
    appId,
    name: `def-${Math.random().toString(36).slice(2, 8)}`,
    sourceInstanceId: instanceId,
    sourceSchema: 'public',
    keyStrategy: 'pk',
    cursorStrategy: 'updated_at',
    ...overrides,
  });
  const definitionsOn = async (tableName: string) =>
    (await stack.store.sql<{ n: number }[]>`select count(*)::int as n from sync_definitions where source_table = ${tableName}`)[0]!.n;

  beforeAll(async () => {
    stack = await startTestStack();
    source = await createTestDatabase('sb_truth');
    sql = postgres(source.url, { max: 1, onnotice: () => {} });
    // autovacuum off on the leaves: the estimates asserted below must not change under the test.
    await sql.unsafe(`
      create domain public.email_address as varchar(254) check (value like '%@%');
      create table public.payments (
        payment_id integer not null, customer_email email_address, amount numeric(8,2) not null, payment_date timestamptz not null,
        primary key (payment_id, payment_date)
      ) partition by range (payment_date);
      create table public.payments_2022_01 partition of public.payments for values from ('2022-01-01') to ('2022-02-01') with (autovacuum_enabled = false);
      create table public.payments_2022_02 partition of public.payments for values from ('2022-02-01') to ('2022-03-01') with (autovacuum_enabled = false);
      create table public.payments_default partition of public.payments default with (autovacuum_enabled = false);
      insert into public.payments select g, 'c' || g || '@example.com', 9.99, timestamptz '2022-01-05' + g * interval '1 hour' from generate_series(1, 12) g;
      insert into public.payments select 100 + g, null, 4.99, timestamptz '2022-02-05' + g * interval '1 hour' from generate_series(1, 8) g;
      analyze public.payments_2022_01;
      create view public.payment_totals as select payment_date::date as day, sum(amount) as total from public.payments group by 1;
      create table public.film (
        film_id integer primary key, title text not null, rental_rate numeric(4,2), created_on date, last_update timestamp not null default now()
      ) with (autovacuum_enabled = false);
      create unique index film_title_uq on public.film (title);
      insert into public.film select g, 'Film ' || g, 2.99, date '2020-01-01', now() from generate_series(1, 7) g;
      create table public.tags (id integer primary key, label text not null);`);
    ({ appId, instanceId } = await registerSource(stack, source, 'truth'));
    schema = await apiJson<SchemaResponse>(stack, `/v1/database-instances/${instanceId}/schema?schema=public`);
  });
  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('lists partitions under their partitioned table, each with its kind, parent and bound', () => {
    expect(schema.tables.map((t) => `${t.name}:${t.kind}`)).toEqual([
      'film:table',
      'payment_totals:view',
      'payments:partitioned_table',
      'payments_2022_01:partition',
      'payments_2022_02:partition',
      'payments_default:partition',
      'tags:table',
    ]);
    expect(table('payments')).toMatchObject({
      partitions: ['public.payments_2022_01', 'public.payments_2022_02', 'public.payments_default'],
      partitionOf: null,
      partitionRoot: null,
      partitionBound: null,
    });
    expect(table('payments_2022_02')).toMatchObject({
      partitionOf: 'public.payments',
      partitionRoot: 'public.payments',
      partitionBound: "FOR VALUES FROM ('2022-02-01 00:00:00+00') TO ('2022-03-01 00:00:00+00')",
      partitions: [],
    });
    expect(table('payments_default').partitionBound).toBe('DEFAULT');
    expect(table('film')).toMatchObject({ partitions: [], partitionOf: null });
  });

  it('gives every table a row estimate and says where it comes from', () => {
    expect(table('payments_2022_01').rowEstimate).toEqual({ rows: 12, source: 'statistics' });
    // Never analysed: counted exactly instead of answering 0 or null.
    expect(table('payments_2022_02').rowEstimate).toEqual({ rows: 8, source: 'count' });
    expect(table('payments_default').rowEstimate).toEqual({ rows: 0, source: 'count' });
    expect(table('film').rowEstimate).toEqual({ rows: 7, source: 'count' });
    // The partitioned table sums its partitions; part of it comes from statistics.
    expect(table('payments').rowEstimate).toEqual({ rows: 20, source: 'statistics' });
    expect(table('payment_totals').rowEstimate).toEqual({ rows: null, source: 'none' });
    for (const t of schema.tables) expect(t.estimatedRows, t.name).toBe(t.rowEstimate.rows);
  });

  it('shows unique indexes as unique keys and domain columns with their base type', () => {
    const film = table('film');
    expect(film.uniqueConstraints).toEqual([]);
    expect(film.uniqueKeys).toEqual([
      { name: 'film_pkey', columns: ['film_id'], source: 'primary_key' },
      { name: 'film_title_uq', columns: ['title'], source: 'unique_index' },
    ]);
    const email = table('payments').columns.find((c) => c.name === 'customer_email')!;
    expect(email).toMatchObject({
      dataType: 'email_address',
      typeFamily: 'text',
      maxLength: 254,
      domain: { name: 'email_address', baseType: 'character varying(254)' },
    });
    expect(table('payments').columns.find((c) => c.name === 'amount')!.domain).toBeNull();
  });

  it('finds a partition by name, and refuses a definition on it naming the partitioned table to sync', async () => {
    const one = await apiJson<SchemaResponse>(stack, `/v1/database-instances/${instanceId}/schema?schema=public&table=payments_2022_01`);
    expect(one.tables.map((t) => [t.name, t.kind, t.partitionOf])).toEqual([['payments_2022_01', 'partition', 'public.payments']]);

    const body = definition({
      sourceTable: 'payments_2022_01',
      keyColumns: ['payment_id', 'payment_date'],
      keyStrategy: 'composite',
      cursorColumn: 'payment_date',
    });
    const p = await problemOf(await stack.api('/v1/sync-definitions', { method: 'POST', json: body }), 422);
    const message = 'public.payments_2022_01 is a partition of public.payments; sync the partitioned table public.payments instead';
    expect(p.code).toBe('validation_failed');
    expect(p.errors).toEqual([{ field: 'body.sourceTable', message }]);
    expect(p.detail).toContain(message);
    expect(await definitionsOn('payments_2022_01')).toBe(0);

    // The partitioned table itself is the normal path.
    const created = await apiJson(stack, '/v1/sync-definitions', { method: 'POST', json: { ...body, sourceTable: 'payments' } }, 201);
    expect(created).toMatchObject({ sourceTable: 'payments', keyColumns: ['payment_id', 'payment_date'] });
  });

  it('answers a missing cursor column with the columns that could be the cursor', async () => {
    const body = definition({ sourceTable: 'film', keyColumns: ['film_id'], cursorColumn: 'updated_at' });
    const p = await problemOf(await stack.api('/v1/sync-definitions', { method: 'POST', json: body }), 422);
    expect(p.errors).toEqual([
      {
        field: 'body.cursorColumn',
        message:
          'column "updated_at" does not exist in public.film; columns that could be the cursor: "last_update" (timestamp without time zone), "created_on" (date)',
      },
    ]);
    const wrongType = await problemOf(await stack.api('/v1/sync-definitions', { method: 'POST', json: { ...body, cursorColumn: 'title' } }), 422);
    expect(wrongType.errors?.[0]?.message).toMatch(/^column "title" \(text\) cannot be a cursor: .*"last_update"/);
    expect(await definitionsOn('film')).toBe(0);
    await apiJson(stack, '/v1/sync-definitions', { method: 'POST', json: { ...body, cursorColumn: 'last_update' } }, 201);
  });

  it('suggests cursorStrategy full_scan when the table has no column that could be the cursor', async () => {
    const body = definition({ sourceTable: 'tags', keyColumns: ['id'], cursorColumn: 'updated_at' });
    const p = await problemOf(await stack.api('/v1/sync-definitions', { method: 'POST', json: body }), 422);
    expect(p.errors).toEqual([{ field: 'body.cursorColumn', message: expect.stringContaining('public.tags has no timestamp, date or version column') }]);
    expect(p.errors?.[0]?.message).toContain('use cursorStrategy: "full_scan"');
    expect(p.detail).toContain('cursorStrategy: "full_scan"');
    // Following the advice works.
    await apiJson(stack, '/v1/sync-definitions', { method: 'POST', json: { ...body, cursorStrategy: 'full_scan', cursorColumn: null } }, 201);
  });

  it('reports a new partition as such in the next snapshot, not as a table, and statistics not at all', async () => {
    await sql.unsafe(`
      analyze public.film;
      create table public.payments_2022_03 partition of public.payments for values from ('2022-03-01') to ('2022-04-01');`);
    const next = await apiJson<SchemaResponse>(stack, `/v1/database-instances/${instanceId}/schema?schema=public`);
    expect(next.snapshotId).not.toBe(schema.snapshotId);
    expect(next.changes).toEqual({
      addedTables: [],
      removedTables: [],
      changedTables: [],
      addedPartitions: [{ table: 'public.payments_2022_03', partitionOf: 'public.payments' }],
      removedPartitions: [],
      hasChanges: true,
    });
    expect(next.tables.find((t) => t.name === 'film')!.rowEstimate).toEqual({ rows: 7, source: 'statistics' });
  });

  it('refuses a sub-partition naming its parent partition and the top-level table to sync', async () => {
    await sql.unsafe(`
      create table public.payments_2023 partition of public.payments for values from ('2023-01-01') to ('2024-01-01') partition by range (payment_date);
      create table public.payments_2023_q1 partition of public.payments_2023 for values from ('2023-01-01') to ('2023-04-01');`);
    const one = await apiJson<SchemaResponse>(stack, `/v1/database-instances/${instanceId}/schema?schema=public&table=payments_2023_q1`);
    expect(one.tables.map((t) => [t.kind, t.partitionOf, t.partitionRoot])).toEqual([['partition', 'public.payments_2023', 'public.payments']]);
    const body = definition({
      sourceTable: 'payments_2023_q1',
      keyStrategy: 'composite',
      keyColumns: ['payment_id', 'payment_date'],
      cursorColumn: 'payment_date',
    });
    const p = await problemOf(await stack.api('/v1/sync-definitions', { method: 'POST', json: body }), 422);
    expect(p.errors).toEqual([
      {
        field: 'body.sourceTable',
        message:
          'public.payments_2023_q1 is a partition of public.payments_2023 (itself a partition of public.payments); sync the partitioned table public.payments instead',
      },
    ]);
  });

  it('documents the new fields in the OpenAPI document', async () => {
    const doc = (await (await stack.api('/openapi.json', { key: null })).json()) as {
      components: { schemas: Record<string, { properties?: Record<string, { description?: string }> }> };
    };
    const { SourceTable, SourceColumn, SourceRowEstimate, SchemaDiff } = doc.components.schemas;
    expect(Object.keys(SourceTable?.properties ?? {})).toEqual(
      expect.arrayContaining(['kind', 'estimatedRows', 'rowEstimate', 'partitionOf', 'partitionRoot', 'partitionBound', 'partitions', 'uniqueKeys']),
    );
    expect(SourceTable?.properties?.partitionOf?.description).toMatch(/partition/);
    expect(SourceTable?.properties?.uniqueKeys?.description).toMatch(/unique indexes/);
    expect(SourceRowEstimate?.properties?.source?.description).toMatch(/statistics.*count.*size.*none/s);
    expect(SourceColumn?.properties?.domain?.description).toMatch(/domain/);
    expect(Object.keys(SchemaDiff?.properties ?? {})).toEqual(expect.arrayContaining(['addedPartitions', 'removedPartitions']));
  });
});
