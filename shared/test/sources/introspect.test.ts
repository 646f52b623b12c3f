import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { introspectOnce } from '../../src/sources/call.ts';
import { findTable } from '../../src/sources/find-table.ts';
import { introspectPostgres } from '../../src/sources/postgres/introspect.ts';
import { connectPostgresSource, postgresConnector } from '../../src/sources/postgres/index.ts';
import type { SchemaSnapshot } from '../../src/sources/types.ts';
import { createSourceDb, type SourceDb } from './source-db.ts';

let src: SourceDb;
let snapshot: SchemaSnapshot;

beforeAll(async () => {
  src = await createSourceDb('sb_introspect');
  await src.sql.unsafe(`
    create schema sales;
    create type sales.order_status as enum ('new', 'paid', 'shipped');
    create domain sales.sku_code as varchar(12) not null;
    create table sales.orders (
      id bigint generated always as identity primary key,
      code varchar(20) not null unique,
      sku sales.sku_code,
      status sales.order_status not null default 'new',
      statuses sales.order_status[],
      tags text[],
      amount numeric(12,2),
      ratio numeric,
      flag "char",
      initials char(3),
      created_at timestamptz(3) not null default now(),
      total numeric(14,2) generated always as (amount * 2) stored
    );
    create table sales.lines (order_id bigint not null, line_no int not null, note text, primary key (order_id, line_no));
    create unique index lines_note_partial on sales.lines (note) where note is not null;
    create unique index lines_cover on sales.lines (order_id, note) include (line_no);
    create view sales.orders_v as select id, code from sales.orders;
    create materialized view sales.order_codes as select id, code from sales.orders;
    create unique index order_codes_id on sales.order_codes (id);
    create table public.events (id int not null, at date not null, primary key (id, at)) partition by range (at);
    create table public.events_2024 partition of public.events for values from ('2024-01-01') to ('2025-01-01');
  `);
  snapshot = await introspectPostgres(src.sql);
});

afterAll(async () => {
  await src.close();
});

describe('introspectPostgres', () => {
  it('lists user relations with their kinds, partitions included, skipping system schemas', () => {
    const names = snapshot.tables.map((t) => `${t.schema}.${t.name}:${t.kind}`);
    expect(names).toEqual([
      'public.events:partitioned_table',
      'public.events_2024:partition',
      'sales.lines:table',
      'sales.order_codes:materialized_view',
      'sales.orders:table',
      'sales.orders_v:view',
    ]);
    expect(snapshot.engine).toBe('postgres');
    expect(snapshot.serverVersion).toMatch(/^\d+/);
    expect(Number.isNaN(Date.parse(snapshot.capturedAt))).toBe(false);
  });

  it('describes columns: format_type, family, nullability, defaults, lengths, enums, domains, arrays', () => {
    const orders = findTable(snapshot, 'sales', 'orders');
    const col = (n: string) => orders?.columns.find((c) => c.name === n);
    expect(col('id')).toMatchObject({ ordinal: 1, dataType: 'bigint', typeFamily: 'bigint', udtName: 'int8', nullable: false, identity: 'always' });
    expect(col('code')).toMatchObject({ dataType: 'character varying(20)', typeFamily: 'text', maxLength: 20, nullable: false });
    // A domain keeps its own name but takes family, length and NOT NULL from its definition.
    expect(col('sku')).toMatchObject({ dataType: 'sales.sku_code', udtName: 'sku_code', typeFamily: 'text', maxLength: 12, nullable: false });
    expect(col('sku')?.domain).toEqual({ name: 'sku_code', baseType: 'character varying(12)' });
    expect(col('code')?.domain).toBeUndefined();
    expect(col('status')).toMatchObject({ typeFamily: 'enum', enumValues: ['new', 'paid', 'shipped'], defaultExpr: "'new'::sales.order_status" });
    expect(col('statuses')).toMatchObject({ typeFamily: 'array', elementFamily: 'enum', enumValues: ['new', 'paid', 'shipped'] });
    expect(col('tags')).toMatchObject({ dataType: 'text[]', typeFamily: 'array', elementFamily: 'text' });
    expect(col('amount')).toMatchObject({ dataType: 'numeric(12,2)', typeFamily: 'numeric', numericPrecision: 12, numericScale: 2, nullable: true });
    expect(col('ratio')).toMatchObject({ typeFamily: 'numeric', numericPrecision: null, numericScale: null });
    expect(col('flag')).toMatchObject({ dataType: '"char"', typeFamily: 'text', maxLength: 1 });
    expect(col('initials')).toMatchObject({ dataType: 'character(3)', typeFamily: 'text', maxLength: 3 });
    expect(col('created_at')).toMatchObject({ dataType: 'timestamp(3) with time zone', typeFamily: 'timestamptz', defaultExpr: 'now()' });
    expect(col('total')).toMatchObject({ generated: true, defaultExpr: null });
  });

  it('reports primary keys, unique constraints and indexes (partial, INCLUDE)', () => {
    const orders = findTable(snapshot, 'sales', 'orders');
    expect(orders?.primaryKey).toEqual({ name: 'orders_pkey', columns: ['id'] });
    expect(orders?.uniqueConstraints).toEqual([{ name: 'orders_code_key', columns: ['code'] }]);
    const lines = findTable(snapshot, 'sales', 'lines');
    expect(lines?.primaryKey?.columns).toEqual(['order_id', 'line_no']);
    const idx = (n: string) => lines?.indexes.find((i) => i.name === n);
    expect(idx('lines_pkey')).toMatchObject({ columns: ['order_id', 'line_no'], unique: true, primary: true, partial: false });
    expect(idx('lines_note_partial')).toMatchObject({ columns: ['note'], unique: true, primary: false, partial: true });
    expect(idx('lines_note_partial')?.definition).toContain('WHERE (note IS NOT NULL)');
    // INCLUDE columns do not count for uniqueness and are not listed.
    expect(idx('lines_cover')?.columns).toEqual(['order_id', 'note']);
    const mv = findTable(snapshot, 'sales', 'order_codes');
    expect(mv?.indexes.map((i) => [i.name, i.unique])).toEqual([['order_codes_id', true]]);
    expect(findTable(snapshot, 'sales', 'orders_v')?.primaryKey).toBeNull();
    expect(findTable(snapshot, 'public', 'events')?.primaryKey?.columns).toEqual(['id', 'at']);
  });

  it('filters by schema and table with bind parameters (a quote in a name is just a character)', async () => {
    const sales = await introspectPostgres(src.sql, { schema: 'sales' });
    expect(sales.tables.every((t) => t.schema === 'sales')).toBe(true);
    const one = await introspectPostgres(src.sql, { schema: 'sales', table: 'lines' });
    expect(one.tables.map((t) => t.name)).toEqual(['lines']);
    const none = await introspectPostgres(src.sql, { table: "lines' or '1'='1" });
    expect(none.tables).toEqual([]);
  });

  it('never includes temporary tables', async () => {
    const sql = connectPostgresSource(src.params, { maxConnections: 1 });
    try {
      await sql.unsafe('create temporary table scratch (id int)');
      const snap = await introspectPostgres(sql);
      expect(snap.tables.some((t) => t.name === 'scratch' || t.schema.startsWith('pg_'))).toBe(false);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

  it('is reachable through the connector, in a one-shot session', async () => {
    const snap = await introspectOnce(postgresConnector, src.params, { schema: 'sales', table: 'orders' });
    expect(snap.tables).toHaveLength(1);
    expect(snap.tables[0]?.columns.map((c) => c.name)).toEqual(findTable(snapshot, 'sales', 'orders')?.columns.map((c) => c.name));
  });
});

describe('diffSnapshots on real schema changes', () => {
  it('reports added/removed tables and added/removed/changed columns', async () => {
    const { diffSnapshots } = await import('../../src/sources/schema-diff.ts');
    const before = await introspectPostgres(src.sql, { schema: 'sales' });
    await src.sql.unsafe(`
      drop materialized view sales.order_codes;
      drop view sales.orders_v;
      alter table sales.lines add column qty int;
      alter table sales.lines drop column note;
      alter table sales.orders alter column code type varchar(40);
      alter table sales.orders alter column amount set not null;
      alter type sales.order_status add value 'returned';
      create table sales.refunds (id int primary key);
    `);
    const after = await introspectPostgres(src.sql, { schema: 'sales' });
    const diff = diffSnapshots(before, after);
    expect(diff.hasChanges).toBe(true);
    expect(diff.addedTables).toEqual(['sales.refunds']);
    expect(diff.removedTables).toEqual(['sales.order_codes', 'sales.orders_v']);
    const lines = diff.changedTables.find((t) => t.table === 'sales.lines');
    expect(lines).toMatchObject({ addedColumns: ['qty'], removedColumns: ['note'], changedColumns: [], primaryKeyChanged: false });
    const orders = diff.changedTables.find((t) => t.table === 'sales.orders');
    const enumChange = { property: 'enumValues', before: ['new', 'paid', 'shipped'], after: ['new', 'paid', 'shipped', 'returned'] };
    expect(orders?.changedColumns).toEqual([
      { column: 'code', changes: [{ property: 'dataType', before: 'character varying(20)', after: 'character varying(40)' }] },
      { column: 'status', changes: [enumChange] },
      { column: 'statuses', changes: [enumChange] },
      { column: 'amount', changes: [{ property: 'nullable', before: true, after: false }] },
    ]);
    expect(diffSnapshots(after, after).hasChanges).toBe(false);
  });
});

describe('introspection tells the truth about partitions, row counts, unique indexes and domains', () => {
  let billing: SchemaSnapshot;
  const table = (name: string) => {
    const t = findTable(billing, 'billing', name);
    if (!t) throw new Error(`billing.${name} is not in the snapshot`);
    return t;
  };

  beforeAll(async () => {
    // autovacuum off: nothing may analyse these tables behind the test's back.
    await src.sql.unsafe(`
      create schema billing;
      create domain billing.email_address as varchar(254) check (value like '%@%');
      create table billing.payments (id bigint not null, paid_on date not null, amount numeric(10,2), email billing.email_address, primary key (id, paid_on))
        partition by range (paid_on);
      create table billing.payments_2023 partition of billing.payments for values from ('2023-01-01') to ('2024-01-01') with (autovacuum_enabled = false);
      create table billing.payments_2024 partition of billing.payments for values from ('2024-01-01') to ('2025-01-01') partition by range (paid_on);
      create table billing.payments_2024_h1 partition of billing.payments_2024 for values from ('2024-01-01') to ('2024-07-01') with (autovacuum_enabled = false);
      create table billing.payments_2024_h2 partition of billing.payments_2024 for values from ('2024-07-01') to ('2025-01-01') with (autovacuum_enabled = false);
      create table billing.payments_default partition of billing.payments default with (autovacuum_enabled = false);
      insert into billing.payments select g, date '2023-03-01' + (g % 200), 10, 'a@b.c' from generate_series(1, 30) g;
      insert into billing.payments select 100 + g, date '2024-02-01' + g, 10, null from generate_series(1, 20) g;
      insert into billing.payments select 200 + g, date '2024-08-01' + g, 10, null from generate_series(1, 10) g;
      insert into billing.payments select 300 + g, date '2030-01-01' + g, 10, null from generate_series(1, 5) g;
      analyze billing.payments_2023;

      create table billing.customers (id int primary key, email billing.email_address not null, code text not null, tenant int not null, region text,
        constraint customers_tenant_code_key unique (tenant, code)) with (autovacuum_enabled = false);
      create unique index customers_email_uq on billing.customers (email);
      create unique index customers_code_tenant_dup on billing.customers (code, tenant);
      create unique index customers_region_partial on billing.customers (region) where region is not null;
      create unique index customers_lower_code on billing.customers (lower(code));
      insert into billing.customers select g, 'c' || g || '@x.org', 'C' || g, 1, null from generate_series(1, 25) g;
      analyze billing.customers;

      create table billing.ledger (id int primary key, note text) with (autovacuum_enabled = false);
      insert into billing.ledger select g, 'n' from generate_series(1, 40) g;
      create view billing.recent as select id, paid_on from billing.payments;
    `);
    billing = await introspectPostgres(src.sql, { schema: 'billing' });
  });

  it('lists partitions under their parent, with their immediate parent, the root and the bound', () => {
    expect(billing.tables.map((t) => `${t.name}:${t.kind}`)).toEqual([
      'customers:table',
      'ledger:table',
      'payments:partitioned_table',
      'payments_2023:partition',
      'payments_2024:partition',
      'payments_2024_h1:partition',
      'payments_2024_h2:partition',
      'payments_default:partition',
      'recent:view',
    ]);
    expect(table('payments').partitions).toEqual(['billing.payments_2023', 'billing.payments_2024', 'billing.payments_default']);
    expect(table('payments').partitionOf).toBeUndefined();
    expect(table('payments_2023')).toMatchObject({
      partitionOf: 'billing.payments',
      partitionRoot: 'billing.payments',
      partitionBound: "FOR VALUES FROM ('2023-01-01') TO ('2024-01-01')",
    });
    expect(table('payments_2023').partitions).toBeUndefined();
    // A sub-partition names the partition it belongs to, and the root a definition must use.
    expect(table('payments_2024')).toMatchObject({ partitionOf: 'billing.payments', partitions: ['billing.payments_2024_h1', 'billing.payments_2024_h2'] });
    expect(table('payments_2024_h1')).toMatchObject({ partitionOf: 'billing.payments_2024', partitionRoot: 'billing.payments' });
    expect(table('payments_default').partitionBound).toBe('DEFAULT');
    expect(table('ledger').partitions).toBeUndefined();
  });

  it('estimates rows for every relation and says how: statistics, an exact count, or none', () => {
    expect(table('customers').rowEstimate).toEqual({ rows: 25, source: 'statistics' });
    // Never analysed (reltuples -1): small, so counted exactly rather than reported as 0 or null.
    expect(table('ledger').rowEstimate).toEqual({ rows: 40, source: 'count' });
    expect(table('recent').rowEstimate).toEqual({ rows: null, source: 'none' });
    expect(table('payments_2023').rowEstimate).toEqual({ rows: 30, source: 'statistics' });
    expect(table('payments_2024_h1').rowEstimate).toEqual({ rows: 20, source: 'count' });
    expect(table('payments_default').rowEstimate).toEqual({ rows: 5, source: 'count' });
    // Partitioned tables sum their leaves at every depth; the source is the least exact among them.
    expect(table('payments_2024').rowEstimate).toEqual({ rows: 30, source: 'count' });
    expect(table('payments').rowEstimate).toEqual({ rows: 65, source: 'statistics' });
    for (const t of billing.tables) expect(t.estimatedRows, t.name).toBe(t.rowEstimate.rows);
  });

  it('sums the partitions even when the filter names only the partitioned table', async () => {
    const only = await introspectPostgres(src.sql, { schema: 'billing', table: 'payments' });
    expect(only.tables.map((t) => t.name)).toEqual(['payments']);
    expect(only.tables[0]).toMatchObject({
      rowEstimate: { rows: 65, source: 'statistics' },
      partitions: ['billing.payments_2023', 'billing.payments_2024', 'billing.payments_default'],
    });
  });

  it('estimates from the size on disk when a relation without statistics is too large to count', async () => {
    const sized = await introspectPostgres(src.sql, { schema: 'billing', table: 'ledger' }, { exactCountMaxBytes: 0 });
    const estimate = sized.tables[0]!.rowEstimate;
    expect(estimate.source).toBe('size');
    // One 8 kB page of (int, text) rows: at least the 40 it holds, at most what a page can.
    expect(estimate.rows).toBeGreaterThanOrEqual(40);
    expect(estimate.rows).toBeLessThanOrEqual(8192 / 28);
    // The budget caps what all counts together may read: one page here, so one leaf is counted.
    const budget = await introspectPostgres(src.sql, { schema: 'billing' }, { exactCountBudgetBytes: 8192 });
    const sources = budget.tables
      .filter((t) => ['ledger', 'payments_2024_h1', 'payments_2024_h2', 'payments_default'].includes(t.name))
      .map((t) => t.rowEstimate.source);
    expect(sources.filter((s) => s === 'count')).toHaveLength(1);
    expect(sources.filter((s) => s === 'size')).toHaveLength(3);
  });

  it('lists every column set usable as a unique key, unique indexes included, each set once', () => {
    const customers = table('customers');
    expect(customers.uniqueConstraints).toEqual([{ name: 'customers_tenant_code_key', columns: ['tenant', 'code'] }]);
    // Not the partial index (other rows may repeat) nor the expression index (code itself may repeat);
    // customers_code_tenant_dup is the same set as the constraint.
    expect(customers.uniqueKeys).toEqual([
      { name: 'customers_pkey', columns: ['id'], source: 'primary_key' },
      { name: 'customers_tenant_code_key', columns: ['tenant', 'code'], source: 'unique_constraint' },
      { name: 'customers_email_uq', columns: ['email'], source: 'unique_index' },
    ]);
    expect(table('payments').uniqueKeys).toEqual([{ name: 'payments_pkey', columns: ['id', 'paid_on'], source: 'primary_key' }]);
    expect(table('recent').uniqueKeys).toEqual([]);
  });

  it('flags domain columns with their base type', () => {
    const email = table('customers').columns.find((c) => c.name === 'email');
    expect(email).toMatchObject({
      dataType: 'billing.email_address',
      udtName: 'email_address',
      typeFamily: 'text',
      maxLength: 254,
      domain: { name: 'email_address', baseType: 'character varying(254)' },
    });
    expect(table('customers').columns.find((c) => c.name === 'code')?.domain).toBeUndefined();
  });

  it('keeps diffs quiet about partitions: column changes once on the parent, partitions listed apart, statistics ignored', async () => {
    const { diffSnapshots } = await import('../../src/sources/schema-diff.ts');
    const { snapshotFingerprint } = await import('../../src/sources/fingerprint.ts');
    // Neither statistics nor an index on one partition change what a sync of the parent reads.
    await src.sql.unsafe('analyze billing.ledger; create index payments_h1_amount on billing.payments_2024_h1 (amount)');
    const analysed = await introspectPostgres(src.sql, { schema: 'billing' });
    expect(findTable(analysed, 'billing', 'ledger')?.rowEstimate.source).toBe('statistics');
    expect(findTable(analysed, 'billing', 'payments_2024_h1')?.indexes.map((i) => i.name)).toContain('payments_h1_amount');
    expect(snapshotFingerprint(analysed)).toBe(snapshotFingerprint(billing));
    expect(diffSnapshots(billing, analysed).hasChanges).toBe(false);

    await src.sql.unsafe(`
      alter table billing.payments add column note text;
      create table billing.payments_2025 partition of billing.payments for values from ('2025-01-01') to ('2026-01-01');
      alter table billing.payments detach partition billing.payments_2023;`);
    const after = await introspectPostgres(src.sql, { schema: 'billing' });
    const diff = diffSnapshots(billing, after);
    expect(diff.changedTables).toEqual([
      { table: 'billing.payments', addedColumns: ['note'], removedColumns: [], changedColumns: [], primaryKeyChanged: false },
    ]);
    expect(diff.addedPartitions).toEqual([{ table: 'billing.payments_2025', partitionOf: 'billing.payments' }]);
    expect(diff.removedPartitions).toEqual([{ table: 'billing.payments_2023', partitionOf: 'billing.payments' }]);
    // Detached, it is a table of its own now.
    expect(diff.addedTables).toEqual(['billing.payments_2023']);
    expect(diff.removedTables).toEqual([]);
    expect(snapshotFingerprint(after)).not.toBe(snapshotFingerprint(billing));

    // A snapshot stored before partitions were recorded: they are not reported as new.
    const legacy: SchemaSnapshot = {
      ...after,
      tables: after.tables
        .filter((t) => t.kind !== 'partition')
        .map(({ partitions: _p, uniqueKeys: _u, rowEstimate: _r, ...t }) => t as SchemaSnapshot['tables'][number]),
    };
    expect(diffSnapshots(legacy, after)).toEqual({
      addedTables: [],
      removedTables: [],
      changedTables: [],
      addedPartitions: [],
      removedPartitions: [],
      hasChanges: false,
    });
  });
});
