import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { createKey, startTestStack, type TestStack } from '../harness/stack.ts';

type Json = Record<string, unknown> & { id: string };
interface Problem {
  status: number;
  code: string;
  detail: string;
  requestId: string;
  errors?: Array<{ field: string; message: string }>;
}
interface Mapping {
  id: string;
  definitionId: string;
  sourceColumn: string;
  targetColumn: string;
  targetType: string;
  converterOptions: Record<string, unknown>;
  transforms: unknown[];
  direction: string;
  createdAt: string;
  updatedAt: string;
}
type MappingInput = Pick<Mapping, 'sourceColumn' | 'targetColumn' | 'targetType'> & Partial<Pick<Mapping, 'converterOptions' | 'transforms' | 'direction'>>;

const DOCUMENT_COLUMNS = ['id', 'code', 'region', 'slug', 'title', 'summary', 'body', 'payload', 'kind', 'updated_at', 'version_label', 'score'];

describe('sync definitions and field mappings are validated against the live source', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let appId: string;
  let databaseId: string;
  let instanceId: string;
  let deadInstanceId: string;
  let operator: string;

  const call = (method: string, path: string, json?: unknown) => stack.api(path, { method, key: operator, ...(json === undefined ? {} : { json }) });
  const ok = async <T = Json>(res: Response, status: number): Promise<T> => {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    return JSON.parse(text) as T;
  };
  const problemOf = async (res: Response, status: number) => {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = JSON.parse(text) as Problem;
    expect(body.requestId).toBeTruthy();
    return body;
  };
  const fields = (p: Problem) => (p.errors ?? []).map((e) => e.field);
  const definitionCount = async (name: string) =>
    (await stack.store.sql<{ n: number }[]>`select count(*)::int as n from sync_definitions where name = ${name}`)[0]!.n;

  const documents = (overrides: Record<string, unknown> = {}) => ({
    appId,
    name: 'documents',
    sourceInstanceId: instanceId,
    sourceSchema: 'public',
    sourceTable: 'documents',
    keyStrategy: 'pk',
    keyColumns: ['id'],
    cursorStrategy: 'updated_at',
    cursorColumn: 'updated_at',
    ...overrides,
  });

  beforeAll(async () => {
    stack = await startTestStack();
    source = await createTestDatabase('sb_source');
    sql = postgres(source.url, { max: 1, onnotice: () => {} });
    await sql.unsafe(`
      create type doc_kind as enum ('memo', 'letter', 'report');
      create table public.documents (
        id integer primary key,
        code varchar(40) not null,
        region text not null,
        slug text not null,
        title varchar(300),
        summary varchar(100),
        body text,
        payload bytea,
        kind doc_kind not null default 'memo',
        updated_at timestamptz not null default now(),
        version_label text,
        score double precision,
        constraint documents_region_slug_uq unique (region, slug)
      );
      create index documents_region_idx on public.documents (region);`);
    appId = (await ok<Json>(await stack.api('/v1/apps', { method: 'POST', json: { name: 'docs', ownerTeam: 'records' } }), 201)).id;
    databaseId = (
      await ok<Json>(await stack.api('/v1/databases', { method: 'POST', json: { appId, name: 'docs-db', engine: 'postgres', environment: 'dev' } }), 201)
    ).id;
    const u = new URL(source.url);
    instanceId = (
      await ok<Json>(
        await stack.api('/v1/database-instances', {
          method: 'POST',
          json: {
            databaseId,
            name: 'primary',
            host: u.hostname,
            port: Number(u.port || 5432),
            databaseName: source.name,
            username: decodeURIComponent(u.username) || 'postgres',
            password: 'trust-auth-ignores-it',
            sslMode: 'disable',
            role: 'primary',
          },
        }),
        201,
      )
    ).id;
    deadInstanceId = (
      await ok<Json>(
        await stack.api('/v1/database-instances', {
          method: 'POST',
          json: {
            databaseId,
            name: 'dead-replica',
            host: '127.0.0.1',
            port: 1,
            databaseName: 'x',
            username: 'u',
            password: 'dead-replica-password',
            sslMode: 'disable',
            role: 'replica',
          },
        }),
        201,
      )
    ).id;
    operator = await createKey(stack, 'operator');
  });
  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('documents the live checks and their 503 on every route that makes them', async () => {
    const doc = (await (await stack.api('/openapi.json', { key: null })).json()) as {
      paths: Record<string, Record<string, { description?: string; responses: Record<string, unknown> }>>;
    };
    const routes: Array<[string, string]> = [
      ['/v1/sync-definitions', 'post'],
      ['/v1/sync-definitions/{id}', 'patch'],
      ['/v1/sync-definitions/{definitionId}/field-mappings', 'post'],
      ['/v1/sync-definitions/{definitionId}/field-mappings', 'put'],
      ['/v1/sync-definitions/{definitionId}/field-mappings/{id}', 'patch'],
      ['/v1/sync-definitions/{definitionId}/field-mappings/propose', 'post'],
    ];
    for (const [path, method] of routes) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(Object.keys(op!.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['422', '503']));
      expect(op!.description, `${method} ${path}`).toMatch(/live/);
    }
  });

  describe('definitions', () => {
    it('refuses a pk strategy whose columns are not the primary key (422 naming keyColumns)', async () => {
      const p = await problemOf(await call('POST', '/v1/sync-definitions', documents({ keyColumns: ['code'] })), 422);
      expect(p.code).toBe('validation_failed');
      expect(p.errors).toEqual([{ field: 'body.keyColumns', message: 'the primary key is (id), not (code)' }]);
      expect(await definitionCount('documents')).toBe(0);
    });

    it('refuses a composite key over columns that are not guaranteed unique', async () => {
      const p = await problemOf(await call('POST', '/v1/sync-definitions', documents({ keyStrategy: 'composite', keyColumns: ['region', 'code'] })), 422);
      expect(fields(p)).toEqual(['body.keyColumns']);
      expect(p.errors![0]!.message).toMatch(/not guaranteed unique/);
      // Nullable and float key columns are refused with the column named.
      const nullable = await problemOf(await call('POST', '/v1/sync-definitions', documents({ keyStrategy: 'composite', keyColumns: ['id', 'title'] })), 422);
      expect(nullable.errors).toEqual([{ field: 'body.keyColumns', message: expect.stringContaining('"title" is nullable') }]);
      // A unique strategy needs exactly a unique constraint's columns.
      const unique = await problemOf(await call('POST', '/v1/sync-definitions', documents({ keyStrategy: 'unique', keyColumns: ['slug'] })), 422);
      expect(unique.errors![0]).toMatchObject({ field: 'body.keyColumns', message: expect.stringContaining('no unique constraint') });
    });

    it('refuses a text cursor column (422 naming cursorColumn) and an unknown one', async () => {
      const p = await problemOf(await call('POST', '/v1/sync-definitions', documents({ cursorColumn: 'version_label' })), 422);
      expect(p.errors).toEqual([{ field: 'body.cursorColumn', message: expect.stringContaining('"version_label" (text) cannot be a cursor') }]);
      const missing = await problemOf(await call('POST', '/v1/sync-definitions', documents({ cursorColumn: 'modified_at' })), 422);
      expect(missing.errors).toEqual([
        {
          field: 'body.cursorColumn',
          message: 'column "modified_at" does not exist in public.documents; columns that could be the cursor: "updated_at" (timestamp with time zone)',
        },
      ]);
      // Key and cursor problems are reported together.
      const both = await problemOf(await call('POST', '/v1/sync-definitions', documents({ keyColumns: ['slug'], cursorColumn: 'body' })), 422);
      expect(fields(both)).toEqual(['body.keyColumns', 'body.cursorColumn']);
    });

    it('refuses a table that does not exist (422 naming schema.table)', async () => {
      const p = await problemOf(await call('POST', '/v1/sync-definitions', documents({ sourceTable: 'documentz' })), 422);
      expect(p.detail).toContain('public.documentz');
      expect(p.errors).toEqual([{ field: 'body.sourceTable', message: expect.stringContaining('public.documentz does not exist') }]);
      const schema = await problemOf(await call('POST', '/v1/sync-definitions', documents({ sourceSchema: 'archive' })), 422);
      expect(schema.detail).toContain('archive.documents');
      const instance = await problemOf(
        await call('POST', '/v1/sync-definitions', documents({ sourceInstanceId: '00000000-0000-4000-8000-000000000000' })),
        422,
      );
      expect(fields(instance)).toEqual(['body.sourceInstanceId']);
    });

    it('answers 503 when the source is unreachable, and saves nothing', async () => {
      const p = await problemOf(await call('POST', '/v1/sync-definitions', documents({ name: 'documents-on-dead', sourceInstanceId: deadInstanceId })), 503);
      expect(p.code).toBe('unavailable');
      expect(p.detail).toMatch(/cannot be validated now/);
      expect(p.detail).toContain('dead-replica');
      expect(p.detail).not.toContain('dead-replica-password');
      expect(await definitionCount('documents-on-dead')).toBe(0);
    });

    it('checks the cross-field rules before going to the source (400 stays 400)', async () => {
      const p = await problemOf(await call('POST', '/v1/sync-definitions', documents({ sourceInstanceId: deadInstanceId, cursorColumn: undefined })), 400);
      expect(fields(p)).toEqual(['body.cursorColumn']);
    });

    let definition: Json & { sourceSnapshotId: string | null; keyColumns: string[] };

    it('creates a valid definition (201) with the snapshot it was validated against', async () => {
      definition = await ok(await call('POST', '/v1/sync-definitions', documents()), 201);
      expect(definition.sourceSnapshotId).toMatch(/^[0-9a-f-]{36}$/);
      const [snap] = await stack.store.sql<{ instance_id: string; scope: unknown; tables: string[] }[]>`
        select instance_id, snapshot -> 'scope' as scope, array(select t ->> 'name' from jsonb_array_elements(snapshot -> 'tables') t) as tables
        from schema_snapshots where id = ${definition.sourceSnapshotId}`;
      expect(snap).toEqual({ instance_id: instanceId, scope: { schema: 'public', table: 'documents' }, tables: ['documents'] });
      // The same scope as the schema endpoint's filter: one history per table.
      const viewed = await ok<{ snapshotId: string }>(await stack.api(`/v1/database-instances/${instanceId}/schema?schema=public&table=documents`), 200);
      expect(viewed.snapshotId).toBe(definition.sourceSnapshotId);
      expect((await ok<Json>(await call('GET', `/v1/sync-definitions/${definition.id}`), 200)).sourceSnapshotId).toBe(definition.sourceSnapshotId);
    });

    it('re-validates a patch of the key, cursor or source, and leaves the definition unchanged when it does not fit', async () => {
      const bad = await problemOf(await call('PATCH', `/v1/sync-definitions/${definition.id}`, { keyStrategy: 'unique', keyColumns: ['region'] }), 422);
      expect(fields(bad)).toEqual(['body.keyColumns']);
      const cursor = await problemOf(await call('PATCH', `/v1/sync-definitions/${definition.id}`, { cursorColumn: 'summary' }), 422);
      expect(fields(cursor)).toEqual(['body.cursorColumn']);
      const moved = await problemOf(await call('PATCH', `/v1/sync-definitions/${definition.id}`, { sourceTable: 'gone' }), 422);
      expect(moved.detail).toContain('public.gone');
      const dead = await problemOf(await call('PATCH', `/v1/sync-definitions/${definition.id}`, { sourceInstanceId: deadInstanceId }), 503);
      expect(dead.detail).toMatch(/cannot be validated now/);
      const unchanged = await ok<Json>(await call('GET', `/v1/sync-definitions/${definition.id}`), 200);
      expect(unchanged).toMatchObject({
        keyStrategy: 'pk',
        keyColumns: ['id'],
        cursorColumn: 'updated_at',
        sourceTable: 'documents',
        sourceInstanceId: instanceId,
      });

      // A fitting change is saved, with the snapshot it was checked against (a new one after a schema change).
      await sql`alter table public.documents add column revision bigint not null default 0`;
      const patched = await ok<Json & { sourceSnapshotId: string }>(
        await call('PATCH', `/v1/sync-definitions/${definition.id}`, { keyStrategy: 'unique', keyColumns: ['region', 'slug'], cursorColumn: 'revision' }),
        200,
      );
      expect(patched).toMatchObject({ keyStrategy: 'unique', keyColumns: ['region', 'slug'], cursorColumn: 'revision' });
      expect(patched.sourceSnapshotId).not.toBe(definition.sourceSnapshotId);
      const viewed = await ok<{ snapshotId: string }>(await stack.api(`/v1/database-instances/${instanceId}/schema?schema=public&table=documents`), 200);
      expect(viewed.snapshotId).toBe(patched.sourceSnapshotId);

      await ok(await call('PATCH', `/v1/sync-definitions/${definition.id}`, { keyStrategy: 'pk', keyColumns: ['id'], cursorColumn: 'updated_at' }), 200);
      await sql`alter table public.documents drop column revision`;

      // Fields that do not touch the source (or repeat its current values) need no source: an outage cannot block a rename.
      // (Moving the instance needs its password again: it decides where the password is sent.)
      const u = new URL(source.url);
      await ok(await stack.api(`/v1/database-instances/${instanceId}`, { method: 'PATCH', json: { port: 1, password: 'trust-auth-ignores-it' } }), 200);
      try {
        const renamed = await ok<Json>(
          await call('PATCH', `/v1/sync-definitions/${definition.id}`, { name: 'documents-renamed', keyColumns: ['id'], sourceTable: 'documents' }),
          200,
        );
        expect(renamed.name).toBe('documents-renamed');
        await problemOf(await call('PATCH', `/v1/sync-definitions/${definition.id}`, { cursorStrategy: 'full_scan', cursorColumn: null }), 503);
      } finally {
        await ok(
          await stack.api(`/v1/database-instances/${instanceId}`, {
            method: 'PATCH',
            json: { port: Number(u.port || 5432), password: 'trust-auth-ignores-it' },
          }),
          200,
        );
      }
    });
  });

  describe('field mappings', () => {
    let definitionId: string;
    let base: string;
    const list = async () => (await ok<{ items: Mapping[] }>(await call('GET', `${base}?limit=200`), 200)).items;

    beforeAll(async () => {
      definitionId = (await ok<Json>(await call('POST', '/v1/sync-definitions', documents({ name: 'documents-mapped' })), 201)).id;
      base = `/v1/sync-definitions/${definitionId}/field-mappings`;
    });

    it('refuses a mapping of an unknown source column (422 naming sourceColumn)', async () => {
      const p = await problemOf(await call('POST', base, { sourceColumn: 'author', targetColumn: 'Author1', targetType: 'text' }), 422);
      expect(p.code).toBe('validation_failed');
      expect(p.errors).toEqual([{ field: 'body.sourceColumn', message: 'column "author" does not exist in public.documents' }]);
      expect(await list()).toEqual([]);
    });

    it('refuses varchar(300) to a single line of text but accepts it as note', async () => {
      const p = await problemOf(await call('POST', base, { sourceColumn: 'title', targetColumn: 'DocTitle', targetType: 'text' }), 422);
      expect(p.errors).toEqual([
        { field: 'body.targetType', message: expect.stringContaining('character varying(300) values can exceed 255 characters: map to "note"') },
      ]);
      const note = await ok<Mapping>(await call('POST', base, { sourceColumn: 'title', targetColumn: 'DocTitle', targetType: 'note' }), 201);
      expect(note).toMatchObject({ sourceColumn: 'title', targetColumn: 'DocTitle', targetType: 'note', direction: 'both' });
      // Unbounded text too; an explicit maxLength accepts that longer values quarantine.
      await problemOf(await call('POST', base, { sourceColumn: 'body', targetColumn: 'Body', targetType: 'text' }), 422);
      const tooLong = await problemOf(
        await call('POST', base, { sourceColumn: 'body', targetColumn: 'Body', targetType: 'text', converterOptions: { maxLength: 400 } }),
        422,
      );
      expect(fields(tooLong)).toEqual(['body.converterOptions.maxLength']);
      await ok(await call('POST', base, { sourceColumn: 'body', targetColumn: 'Body', targetType: 'text', converterOptions: { maxLength: 255 } }), 201);
    });

    it('refuses impossible conversions such as bytea to number', async () => {
      const p = await problemOf(await call('POST', base, { sourceColumn: 'payload', targetColumn: 'Payload', targetType: 'number' }), 422);
      expect(p.errors).toEqual([{ field: 'body.targetType', message: 'a bytea column cannot convert to number (possible: note, text)' }]);
      const choice = await problemOf(await call('POST', base, { sourceColumn: 'code', targetColumn: 'CodeChoice', targetType: 'choice' }), 422);
      expect(fields(choice)).toEqual(['body.converterOptions.choices']);
    });

    it('refuses reserved and duplicate target names and a second mapping of a column', async () => {
      const reserved = await problemOf(await call('POST', base, { sourceColumn: 'code', targetColumn: 'Modified', targetType: 'text' }), 422);
      expect(reserved.errors).toEqual([{ field: 'body.targetColumn', message: '"Modified" is a reserved SharePoint field name' }]);
      const key = await problemOf(await call('POST', base, { sourceColumn: 'code', targetColumn: 'SyncBridgeKey', targetType: 'text' }), 422);
      expect(fields(key)).toEqual(['body.targetColumn']);
      const code = await ok<Mapping>(await call('POST', base, { sourceColumn: 'code', targetColumn: 'Code', targetType: 'text' }), 201);
      // Target names are case-insensitive in SharePoint; the message names the mapping it collides with.
      const dup = await problemOf(await call('POST', base, { sourceColumn: 'summary', targetColumn: 'CODE', targetType: 'text' }), 422);
      expect(dup.errors).toEqual([
        { field: 'body.targetColumn', message: expect.stringContaining(`already used by the field mapping ${code.id} (code -> Code)`) },
      ]);
      const again = await problemOf(await call('POST', base, { sourceColumn: 'code', targetColumn: 'Code2', targetType: 'text' }), 422);
      expect(fields(again)).toEqual(['body.sourceColumn']);
    });

    it('validates a patch as the merged mapping within the set', async () => {
      const [title] = (await list()).filter((m) => m.sourceColumn === 'title');
      const p = await problemOf(await call('PATCH', `${base}/${title!.id}`, { targetType: 'text' }), 422);
      expect(fields(p)).toEqual(['body.targetType']);
      const dup = await problemOf(await call('PATCH', `${base}/${title!.id}`, { targetColumn: 'code' }), 422);
      expect(fields(dup)).toEqual(['body.targetColumn']);
      const renamed = await ok<Mapping>(
        await call('PATCH', `${base}/${title!.id}`, { targetColumn: 'Title', targetType: 'text', converterOptions: { maxLength: 255 } }),
        200,
      );
      expect(renamed).toMatchObject({ targetColumn: 'Title', targetType: 'text' });
      // Patching a mapping onto itself is not a duplicate.
      await ok(await call('PATCH', `${base}/${title!.id}`, { transforms: [{ op: 'trim' }] }), 200);
    });

    it('answers 503 for a mapping change while the source is unreachable, and changes nothing', async () => {
      const before = await list();
      const u = new URL(source.url);
      await ok(await stack.api(`/v1/database-instances/${instanceId}`, { method: 'PATCH', json: { port: 1, password: 'trust-auth-ignores-it' } }), 200);
      try {
        const p = await problemOf(await call('POST', base, { sourceColumn: 'summary', targetColumn: 'Summary', targetType: 'text' }), 503);
        expect(p.detail).toMatch(/cannot be validated now/);
        await problemOf(await call('PATCH', `${base}/${before[0]!.id}`, { direction: 'push' }), 503);
      } finally {
        await ok(
          await stack.api(`/v1/database-instances/${instanceId}`, {
            method: 'PATCH',
            json: { port: Number(u.port || 5432), password: 'trust-auth-ignores-it' },
          }),
          200,
        );
      }
      expect(await list()).toEqual(before);
    });

    it('proposes the default mapping for every column without saving it', async () => {
      const before = await list();
      const proposal = await ok<{ table: { schema: string; name: string }; items: MappingInput[]; issues: unknown[] }>(
        await call('POST', `${base}/propose`),
        200,
      );
      expect(proposal.table).toEqual({ schema: 'public', name: 'documents' });
      expect(proposal.items.map((m) => m.sourceColumn)).toEqual(DOCUMENT_COLUMNS);
      expect(proposal.issues).toEqual([]);
      const byColumn = new Map(proposal.items.map((m) => [m.sourceColumn, m]));
      expect(byColumn.get('title')).toMatchObject({ targetType: 'note' });
      expect(byColumn.get('summary')).toMatchObject({ targetType: 'text' });
      expect(byColumn.get('payload')).toMatchObject({ targetType: 'note', direction: 'push' });
      expect(byColumn.get('kind')).toMatchObject({ targetType: 'choice' });
      expect(byColumn.get('score')).toMatchObject({ targetType: 'number' });
      expect(byColumn.get('id')).toMatchObject({ targetType: 'number', direction: 'push' });
      expect(proposal.items.every((m) => m.targetColumn !== 'Title')).toBe(true);
      expect(await list()).toEqual(before);

      const fewer = await ok<{ items: MappingInput[] }>(await call('POST', `${base}/propose`, { exclude: ['payload', 'body'] }), 200);
      expect(fewer.items.map((m) => m.sourceColumn)).toEqual(DOCUMENT_COLUMNS.filter((c) => c !== 'payload' && c !== 'body'));
      const unknown = await problemOf(await call('POST', `${base}/propose`, { exclude: ['nope'] }), 422);
      expect(fields(unknown)).toEqual(['body.exclude']);
      // A viewer may look but not propose (it is the first step of changing mappings).
      const viewer = await createKey(stack, 'viewer');
      expect((await stack.api(`${base}/propose`, { method: 'POST', key: viewer })).status).toBe(403);
    });

    it('replaces the whole set atomically with PUT, keeping ids of columns that stay', async () => {
      const before = await list();
      const code = before.find((m) => m.sourceColumn === 'code')!;
      const proposal = await ok<{ items: MappingInput[] }>(await call('POST', `${base}/propose`, { exclude: ['payload'] }), 200);
      const wanted = proposal.items.map((m) => (m.sourceColumn === 'code' ? { ...m, targetColumn: 'Title', targetType: 'text' } : m));
      const replaced = await ok<{ items: Mapping[] }>(await call('PUT', base, { mappings: wanted }), 200);
      expect(replaced.items.map((m) => [m.sourceColumn, m.targetColumn, m.targetType])).toEqual(
        wanted.map((m) => [m.sourceColumn, m.targetColumn, m.targetType]),
      );
      expect(replaced.items.find((m) => m.sourceColumn === 'code')!.id).toBe(code.id);
      const stored = await list();
      expect(stored.map((m) => m.id).sort()).toEqual(replaced.items.map((m) => m.id).sort());
      expect(stored.some((m) => m.sourceColumn === 'payload')).toBe(false);

      // Swapping two target names at once works: the set is checked as a whole, not row by row.
      const swapped = wanted.map((m) =>
        m.sourceColumn === 'code' ? { ...m, targetColumn: 'Summary' } : m.sourceColumn === 'summary' ? { ...m, targetColumn: 'Title' } : m,
      );
      const afterSwap = await ok<{ items: Mapping[] }>(await call('PUT', base, { mappings: swapped }), 200);
      expect(afterSwap.items.find((m) => m.sourceColumn === 'summary')!.targetColumn).toBe('Title');
      expect(afterSwap.items.find((m) => m.sourceColumn === 'code')!.targetColumn).toBe('Summary');
    });

    it('refuses a bad set with 422 naming each mapping, and changes nothing', async () => {
      const before = await list();
      const p = await problemOf(
        await call('PUT', base, {
          mappings: [
            { sourceColumn: 'id', targetColumn: 'DocId', targetType: 'number', direction: 'push' },
            { sourceColumn: 'title', targetColumn: 'Title', targetType: 'text' },
            { sourceColumn: 'payload', targetColumn: 'Payload', targetType: 'number' },
            { sourceColumn: 'missing', targetColumn: 'Missing', targetType: 'text' },
            { sourceColumn: 'summary', targetColumn: 'docid', targetType: 'text' },
          ],
        }),
        422,
      );
      expect(p.detail).toMatch(/nothing was changed/);
      expect(fields(p)).toEqual(['body.mappings.1.targetType', 'body.mappings.2.targetType', 'body.mappings.3.sourceColumn', 'body.mappings.4.targetColumn']);
      expect(await list()).toEqual(before);
      // Malformed entries are a 400 from the schema, also before anything changes.
      const malformed = await problemOf(await call('PUT', base, { mappings: [{ sourceColumn: 'id', targetColumn: 'Has Space', targetType: 'number' }] }), 400);
      expect(fields(malformed)).toEqual(['body.mappings.0.targetColumn']);
      expect(await list()).toEqual(before);
      // An empty set clears the mappings (provisioning then proposes the defaults again).
      expect((await ok<{ items: Mapping[] }>(await call('PUT', base, { mappings: [] }), 200)).items).toEqual([]);
      expect(await list()).toEqual([]);
    });
  });
});
