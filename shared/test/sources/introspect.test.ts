import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceAdapterFor } from '../../src/sources/index.ts';
import { findTable, introspectPostgres } from '../../src/sources/postgres-introspect.ts';
import { connectPostgresSource } from '../../src/sources/postgres.ts';
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
  it('lists user relations with their kinds, skipping partitions and system schemas', () => {
    const names = snapshot.tables.map((t) => `${t.schema}.${t.name}:${t.kind}`);
    expect(names).toEqual([
      'public.events:partitioned_table',
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
    const sql = connectPostgresSource(src.params, { max: 1 });
    try {
      await sql.unsafe('create temporary table scratch (id int)');
      const snap = await introspectPostgres(sql);
      expect(snap.tables.some((t) => t.name === 'scratch' || t.schema.startsWith('pg_'))).toBe(false);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

  it('is reachable through the source adapter', async () => {
    const snap = await sourceAdapterFor('postgres').introspect(src.params, { schema: 'sales', table: 'orders' });
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
