import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { createKey, startTestStack, type TestStack } from '../harness/stack.ts';

type Json = Record<string, unknown> & { id: string };

interface Column {
  name: string;
  ordinal: number;
  dataType: string;
  typeFamily: string;
  udtName: string;
  nullable: boolean;
  default: string | null;
  maxLength: number | null;
  precision: number | null;
  scale: number | null;
  enumValues: string[] | null;
  elementFamily: string | null;
  generated: boolean;
  identity: string | null;
  domain: { name: string; baseType: string } | null;
}
interface Table {
  schema: string;
  name: string;
  kind: string;
  estimatedRows: number | null;
  columns: Column[];
  primaryKey: { name: string; columns: string[] } | null;
  uniqueConstraints: Array<{ name: string; columns: string[] }>;
  indexes: Array<{ name: string; columns: string[]; unique: boolean; primary: boolean; partial: boolean; hasExpressions: boolean; definition: string }>;
}
interface SchemaDiff {
  addedTables: string[];
  removedTables: string[];
  changedTables: Array<{
    table: string;
    addedColumns: string[];
    removedColumns: string[];
    changedColumns: Array<{ column: string; changes: unknown[] }>;
    primaryKeyChanged: boolean;
  }>;
  addedPartitions: Array<{ table: string; partitionOf: string }>;
  removedPartitions: Array<{ table: string; partitionOf: string }>;
  hasChanges: boolean;
}
interface SchemaResponse {
  snapshotId: string;
  capturedAt: string;
  checkedAt: string;
  serverVersion: string;
  fingerprint: string;
  scope: { schema: string | null; table: string | null };
  tables: Table[];
  changesSince: string | null;
  changes: SchemaDiff | null;
}
interface Problem {
  status: number;
  code: string;
  detail: string;
  requestId: string;
  errors?: Array<{ field: string; message: string }>;
}

const PASSWORD = 'Source-Pa55word-never-in-a-response';

/** A column as the API describes it, with the defaults of a plain column. */
const column = (name: string, ordinal: number, dataType: string, typeFamily: string, extra: Partial<Column> = {}): Column => ({
  name,
  ordinal,
  dataType,
  typeFamily,
  udtName: dataType,
  nullable: true,
  default: null,
  maxLength: null,
  precision: null,
  scale: null,
  enumValues: null,
  elementFamily: null,
  generated: false,
  identity: null,
  domain: null,
  ...extra,
});

describe('GET /v1/database-instances/{id}/schema: live introspection with snapshots', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let databaseId: string;
  let instanceId: string;

  const post = async (path: string, json: unknown) => {
    const res = await stack.api(path, { method: 'POST', json });
    const body = (await res.json()) as Json;
    expect(res.status, JSON.stringify(body)).toBe(201);
    return body;
  };
  const getSchema = async (query = '', key?: string) => {
    const res = await stack.api(`/v1/database-instances/${instanceId}/schema${query}`, key ? { key } : {});
    const text = await res.text();
    expect(res.status, text).toBe(200);
    return JSON.parse(text) as SchemaResponse;
  };
  const problemOf = async (res: Response, status: number) => {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    return { body: JSON.parse(text) as Problem, text };
  };
  const snapshotRows = async () =>
    (await stack.store.sql<{ n: number }[]>`select count(*)::int as n from schema_snapshots where instance_id = ${instanceId}`)[0]!.n;

  beforeAll(async () => {
    stack = await startTestStack();
    source = await createTestDatabase('sb_source');
    sql = postgres(source.url, { max: 1, onnotice: () => {} });
    await sql.unsafe(`
      create type ticket_status as enum ('open', 'pending', 'closed');
      create table public.customers (
        id bigint generated always as identity primary key,
        email varchar(300) not null,
        name text,
        avatar bytea,
        status ticket_status not null default 'open',
        balance numeric(12,2),
        constraint customers_email_uq unique (email)
      );
      create index customers_name_idx on public.customers (name);
      create table public.order_lines (
        order_id bigint not null,
        line_no integer not null,
        sku varchar(40) not null,
        quantity integer not null default 1,
        updated_at timestamptz not null default now(),
        primary key (order_id, line_no)
      );
      create unique index order_lines_order_sku_uq on public.order_lines (order_id, sku);
      create index order_lines_updated_idx on public.order_lines (updated_at) where quantity > 0;
      create schema crm;
      create table crm.notes (id uuid primary key, body text);`);

    const appId = (await post('/v1/apps', { name: 'schema-app', ownerTeam: 'data' })).id;
    databaseId = (await post('/v1/databases', { appId, name: 'shop', engine: 'postgres', environment: 'dev' })).id;
    const u = new URL(source.url);
    instanceId = (
      await post('/v1/database-instances', {
        databaseId,
        name: 'primary',
        host: u.hostname,
        port: Number(u.port || 5432),
        databaseName: source.name,
        username: decodeURIComponent(u.username) || 'postgres',
        password: PASSWORD,
        sslMode: 'disable',
        role: 'primary',
      })
    ).id;
  });
  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  let first: SchemaResponse;

  it('describes every table exactly: columns, types, enum labels, keys, unique constraints and indexes', async () => {
    first = await getSchema();
    expect(first.snapshotId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.serverVersion).toMatch(/^\d+/);
    expect(first.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(first.scope).toEqual({ schema: null, table: null });
    expect(first.changes).toBeNull();
    expect(first.changesSince).toBeNull();
    expect(first.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(['crm.notes', 'public.customers', 'public.order_lines']);

    const customers = first.tables.find((t) => t.name === 'customers')!;
    expect(customers.kind).toBe('table');
    expect(customers.columns).toEqual([
      column('id', 1, 'bigint', 'bigint', { udtName: 'int8', nullable: false, identity: 'always' }),
      column('email', 2, 'character varying(300)', 'text', { udtName: 'varchar', nullable: false, maxLength: 300 }),
      column('name', 3, 'text', 'text'),
      column('avatar', 4, 'bytea', 'bytea'),
      column('status', 5, 'ticket_status', 'enum', { nullable: false, default: "'open'::ticket_status", enumValues: ['open', 'pending', 'closed'] }),
      column('balance', 6, 'numeric(12,2)', 'numeric', { udtName: 'numeric', precision: 12, scale: 2 }),
    ]);
    expect(customers.primaryKey).toEqual({ name: 'customers_pkey', columns: ['id'] });
    expect(customers.uniqueConstraints).toEqual([{ name: 'customers_email_uq', columns: ['email'] }]);
    expect(customers.indexes).toEqual([
      {
        name: 'customers_email_uq',
        columns: ['email'],
        unique: true,
        primary: false,
        partial: false,
        hasExpressions: false,
        definition: 'CREATE UNIQUE INDEX customers_email_uq ON public.customers USING btree (email)',
      },
      {
        name: 'customers_name_idx',
        columns: ['name'],
        unique: false,
        primary: false,
        partial: false,
        hasExpressions: false,
        definition: 'CREATE INDEX customers_name_idx ON public.customers USING btree (name)',
      },
      {
        name: 'customers_pkey',
        columns: ['id'],
        unique: true,
        primary: true,
        partial: false,
        hasExpressions: false,
        definition: 'CREATE UNIQUE INDEX customers_pkey ON public.customers USING btree (id)',
      },
    ]);

    const lines = first.tables.find((t) => t.name === 'order_lines')!;
    expect(lines.columns.map((c) => [c.name, c.dataType, c.typeFamily, c.nullable, c.default])).toEqual([
      ['order_id', 'bigint', 'bigint', false, null],
      ['line_no', 'integer', 'integer', false, null],
      ['sku', 'character varying(40)', 'text', false, null],
      ['quantity', 'integer', 'integer', false, '1'],
      ['updated_at', 'timestamp with time zone', 'timestamptz', false, 'now()'],
    ]);
    expect(lines.primaryKey).toEqual({ name: 'order_lines_pkey', columns: ['order_id', 'line_no'] });
    expect(lines.uniqueConstraints).toEqual([]);
    expect(lines.indexes.map((i) => [i.name, i.columns, i.unique, i.primary, i.partial])).toEqual([
      ['order_lines_order_sku_uq', ['order_id', 'sku'], true, false, false],
      ['order_lines_pkey', ['order_id', 'line_no'], true, true, false],
      ['order_lines_updated_idx', ['updated_at'], false, false, true],
    ]);

    const notes = first.tables.find((t) => t.name === 'notes')!;
    expect(notes.columns.map((c) => [c.name, c.typeFamily])).toEqual([
      ['id', 'uuid'],
      ['body', 'text'],
    ]);

    // Stored once, with its scope.
    const [row] = await stack.store.sql<{ fingerprint: string; server_version: string; scope: unknown }[]>`
      select fingerprint, server_version, snapshot -> 'scope' as scope from schema_snapshots where id = ${first.snapshotId}`;
    expect(row).toEqual({ fingerprint: first.fingerprint, server_version: first.serverVersion, scope: { schema: null, table: null } });
    expect(await snapshotRows()).toBe(1);
  });

  it('returns the same snapshot while nothing changed, without storing another one', async () => {
    // Statistics are not schema: an ANALYZE in between must not make a new snapshot.
    await sql`insert into public.customers (email, name) select 'c' || g || '@example.com', 'Customer ' || g from generate_series(1, 50) g`;
    await sql`analyze public.customers`;
    const again = await getSchema();
    expect(again.snapshotId).toBe(first.snapshotId);
    expect(again.capturedAt).toBe(first.capturedAt);
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(again.changesSince).toBe(first.snapshotId);
    expect(again.changes).toEqual({ addedTables: [], removedTables: [], changedTables: [], addedPartitions: [], removedPartitions: [], hasChanges: false });
    expect(again.tables.find((t) => t.name === 'customers')!.estimatedRows).toBe(50);
    expect(await snapshotRows()).toBe(1);
  });

  it('keeps filtered snapshots apart from unfiltered ones', async () => {
    const crm = await getSchema('?schema=crm');
    expect(crm.tables.map((t) => `${t.schema}.${t.name}`)).toEqual(['crm.notes']);
    expect(crm.scope).toEqual({ schema: 'crm', table: null });
    // The first snapshot of its own scope: not compared with the unfiltered one (which has more tables).
    expect(crm.snapshotId).not.toBe(first.snapshotId);
    expect(crm.changes).toBeNull();

    const one = await getSchema('?schema=public&table=customers');
    expect(one.tables.map((t) => t.name)).toEqual(['customers']);
    expect(one.changes).toBeNull();
    expect((await getSchema('?schema=public&table=customers')).snapshotId).toBe(one.snapshotId);
    // The unfiltered scope still matches its own latest snapshot.
    expect((await getSchema()).snapshotId).toBe(first.snapshotId);
    // Empty parameters mean no filter.
    expect((await getSchema('?schema=&table=')).snapshotId).toBe(first.snapshotId);
    expect(await snapshotRows()).toBe(3);
  });

  it('records a new snapshot and names the change after ALTER TABLE ... ADD COLUMN', async () => {
    const crmBefore = await getSchema('?schema=crm');
    await sql`alter table public.customers add column loyalty_tier varchar(20)`;
    const changed = await getSchema();
    expect(changed.snapshotId).not.toBe(first.snapshotId);
    expect(changed.fingerprint).not.toBe(first.fingerprint);
    expect(new Date(changed.capturedAt).getTime()).toBeGreaterThan(new Date(first.capturedAt).getTime());
    expect(changed.changesSince).toBe(first.snapshotId);
    expect(changed.changes).toEqual({
      addedTables: [],
      removedTables: [],
      changedTables: [{ table: 'public.customers', addedColumns: ['loyalty_tier'], removedColumns: [], changedColumns: [], primaryKeyChanged: false }],
      addedPartitions: [],
      removedPartitions: [],
      hasChanges: true,
    });
    expect(changed.tables.find((t) => t.name === 'customers')!.columns.at(-1)).toEqual(
      column('loyalty_tier', 7, 'character varying(20)', 'text', { udtName: 'varchar', maxLength: 20 }),
    );
    // Stable again afterwards; a scope the change does not touch keeps its snapshot.
    const stable = await getSchema();
    expect(stable.snapshotId).toBe(changed.snapshotId);
    expect(stable.changes?.hasChanges).toBe(false);
    expect((await getSchema('?schema=crm')).snapshotId).toBe(crmBefore.snapshotId);

    // A type change and a new enum label are reported per column.
    await sql.unsafe(`alter table public.customers alter column name type varchar(120); alter type ticket_status add value 'archived'`);
    const typed = await getSchema('?schema=public&table=customers');
    expect(typed.changes?.changedTables).toEqual([
      {
        table: 'public.customers',
        addedColumns: ['loyalty_tier'],
        removedColumns: [],
        changedColumns: [
          { column: 'name', changes: [{ property: 'dataType', before: 'text', after: 'character varying(120)' }] },
          { column: 'status', changes: [{ property: 'enumValues', before: ['open', 'pending', 'closed'], after: ['open', 'pending', 'closed', 'archived'] }] },
        ],
        primaryKeyChanged: false,
      },
    ]);
  });

  it('answers 200 with no tables for an unknown schema and 404 for a missing table', async () => {
    const none = await getSchema('?schema=does_not_exist');
    expect(none.tables).toEqual([]);
    const before = await snapshotRows();
    const { body } = await problemOf(await stack.api(`/v1/database-instances/${instanceId}/schema?schema=public&table=nope`), 404);
    expect(body.code).toBe('not_found');
    expect(body.detail).toContain('public.nope');
    expect(await snapshotRows()).toBe(before);
    await problemOf(await stack.api('/v1/database-instances/00000000-0000-4000-8000-000000000000/schema'), 404);
  });

  it('answers 503 naming the instance and the driver error when the source is unreachable, never the password', async () => {
    const down = await post('/v1/database-instances', {
      databaseId,
      name: 'unreachable-replica',
      host: '127.0.0.1',
      port: 1,
      databaseName: 'x',
      username: 'sync_user',
      password: PASSWORD,
      sslMode: 'disable',
      role: 'replica',
    });
    const { body, text } = await problemOf(await stack.api(`/v1/database-instances/${down.id}/schema`), 503);
    expect(body.code).toBe('unavailable');
    expect(body.detail).toContain('unreachable-replica');
    expect(body.detail).toContain(down.id);
    // The class of failure in the answer; the driver's own error (ECONNREFUSED) only in the log (issue 8, defect 3).
    expect(body.detail).toMatch(/\(unreachable\): 127\.0\.0\.1:1 refused the connection/);
    expect(stack.logs.text()).toMatch(/ECONNREFUSED/);
    expect(text).not.toContain(PASSWORD);
    expect(stack.logs.text()).not.toContain(PASSWORD);
    const [row] = await stack.store.sql<{ n: number }[]>`select count(*)::int as n from schema_snapshots where instance_id = ${down.id}`;
    expect(row!.n).toBe(0);
  });

  it('answers 422 for an engine without a source adapter', async () => {
    const appId = (await post('/v1/apps', { name: 'mssql-app', ownerTeam: 'data' })).id;
    const mssqlDb = (await post('/v1/databases', { appId, name: 'legacy', engine: 'sqlserver', environment: 'dev' })).id;
    const inst = await post('/v1/database-instances', {
      databaseId: mssqlDb,
      name: 'm1',
      host: '127.0.0.1',
      port: 1433,
      databaseName: 'legacy',
      username: 'u',
      role: 'primary',
    });
    const { body } = await problemOf(await stack.api(`/v1/database-instances/${inst.id}/schema`), 422);
    expect(body.code).toBe('validation_failed');
    expect(body.detail).toMatch(/sqlserver.*not supported/);
  });

  it('lets a viewer introspect, and refuses a request without a key', async () => {
    const viewer = await createKey(stack, 'viewer');
    const viewed = await getSchema('?schema=crm', viewer);
    expect(viewed.tables.map((t) => t.name)).toEqual(['notes']);
    const { body } = await problemOf(await stack.api(`/v1/database-instances/${instanceId}/schema`, { key: null }), 401);
    expect(body.code).toBe('unauthenticated');
  });

  it('documents the route, its response schema and the 503 in the OpenAPI document', async () => {
    const doc = (await (await stack.api('/openapi.json', { key: null })).json()) as {
      paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }>; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const op = doc.paths['/v1/database-instances/{id}/schema']?.get;
    expect(op).toBeDefined();
    expect(Object.keys(op!.responses)).toEqual(expect.arrayContaining(['200', '401', '404', '422', '503']));
    expect(op!.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(expect.arrayContaining(['path:id', 'query:schema', 'query:table']));
    expect(Object.keys(doc.components.schemas.SourceColumn?.properties ?? {})).toEqual(
      expect.arrayContaining(['name', 'dataType', 'typeFamily', 'nullable', 'default', 'maxLength', 'precision', 'scale', 'enumValues']),
    );
    expect(Object.keys(doc.components.schemas.SourceTable?.properties ?? {})).toEqual(expect.arrayContaining(['primaryKey', 'uniqueConstraints', 'indexes']));
  });
});
