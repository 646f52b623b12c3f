import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson, provision, registerSourceAndConnection } from '../harness/sync.ts';

interface ListColumn {
  name: string;
  displayName: string | null;
  type: string;
  indexed: boolean;
  hidden: boolean;
  required: boolean;
  readOnly: boolean;
  enforceUniqueValues: boolean;
  maxLength?: number;
  allowMultipleLines?: boolean;
  decimalPlaces?: number | string;
  format?: string;
  choices?: string[];
  allowTextEntry?: boolean;
}
interface Item {
  sourceColumn: string;
  targetColumn: string;
  targetType: string;
  converterOptions: Record<string, unknown>;
  direction: string;
  listColumn: ListColumn | null;
  warnings: string[];
}
interface Proposal {
  table: { schema: string; name: string };
  items: Item[];
  keyColumn: ListColumn;
  title: { filledFrom: string; sourceColumns: string[]; listColumn: ListColumn };
  sensitive: Array<{ sourceColumn: string; reason: string; key: boolean; proposed: boolean }>;
  issues: unknown[];
}
interface Problem {
  status: number;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

const SENSITIVE = ['password_hash', 'api_token'];

describe('field-mapping proposals show what provisioning creates, and keep secrets out by default', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let reg: Awaited<ReturnType<typeof registerSourceAndConnection>>;
  let definitionId: string;

  const propose = (body?: unknown, expected = 200) =>
    apiJson<Proposal>(
      stack,
      `/v1/sync-definitions/${definitionId}/field-mappings/propose`,
      { method: 'POST', ...(body === undefined ? {} : { json: body }) },
      expected,
    );
  const bySource = (items: Item[]) => new Map(items.map((i) => [i.sourceColumn, i]));
  const createDefinition = async (name: string, listDisplayName: string) => {
    const def = await apiJson(
      stack,
      '/v1/sync-definitions',
      {
        method: 'POST',
        json: {
          appId: reg.appId,
          name,
          sourceInstanceId: reg.instanceId,
          sourceSchema: 'public',
          sourceTable: 'accounts',
          keyStrategy: 'pk',
          keyColumns: ['id'],
          cursorStrategy: 'updated_at',
          cursorColumn: 'updated_at',
        },
      },
      201,
    );
    await apiJson(
      stack,
      `/v1/sync-definitions/${def.id}/targets`,
      { method: 'POST', json: { connectionId: reg.connectionId, siteId: reg.siteId, listDisplayName, isDefault: true } },
      201,
    );
    return def.id;
  };
  /** The provisioned list's columns, as the API's columns view shows them. */
  const listColumnsOf = async (id: string) => {
    const targets = await apiJson<{ items: Array<{ listId: string | null; connectionId: string; siteId: string }> }>(
      stack,
      `/v1/sync-definitions/${id}/targets`,
    );
    const t = targets.items[0]!;
    expect(t.listId).toBeTruthy();
    const cols = await apiJson<{ items: ListColumn[] }>(
      stack,
      `/v1/sharepoint-connections/${t.connectionId}/sites/${encodeURIComponent(t.siteId)}/lists/${t.listId}/columns`,
    );
    return new Map(cols.items.map((c) => [c.name, c]));
  };

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    source = await createTestDatabase('sb_proposal');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql`create type mood as enum ('sad', 'ok', 'happy')`;
    await sql`
      create table accounts (
        id integer primary key,
        balance numeric(12,3),
        opened_on date,
        seen_at timestamptz,
        mood mood,
        code varchar(40),
        notes text,
        password_hash text,
        api_token text,
        updated_at timestamptz not null default now()
      )`;
    await sql`insert into accounts (id, balance, opened_on, seen_at, mood, code, notes, password_hash, api_token) values (1, 12.345, '2024-02-29', now(), 'ok', 'A-1', 'hello', 'x', 'y')`;
    reg = await registerSourceAndConnection(stack, source);
    definitionId = await createDefinition('accounts', 'Accounts');
  });
  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it("shows each proposed column's list options, the key column and the Title rule", async () => {
    const proposal = await propose();
    expect(proposal.issues).toEqual([]);
    const items = bySource(proposal.items);
    expect(items.get('balance')!.listColumn).toMatchObject({ name: 'balance', type: 'number', decimalPlaces: 3, indexed: false });
    expect(items.get('opened_on')!.listColumn).toMatchObject({ type: 'dateTime', format: 'dateOnly' });
    expect(items.get('seen_at')!.listColumn).toMatchObject({ type: 'dateTime', format: 'dateTime' });
    expect(items.get('mood')!.listColumn).toMatchObject({ type: 'choice', choices: ['sad', 'ok', 'happy'], allowTextEntry: false });
    expect(items.get('code')!.listColumn).toMatchObject({ type: 'text', maxLength: 40, allowMultipleLines: false });
    expect(items.get('notes')!.listColumn).toMatchObject({ type: 'note', allowMultipleLines: true });
    expect(items.get('notes')!.listColumn).not.toHaveProperty('maxLength');
    expect(items.get('id')!.listColumn).toMatchObject({ name: 'id_2', displayName: 'id', type: 'number', decimalPlaces: 0 });
    expect(proposal.items.every((i) => i.warnings.length === 0)).toBe(true);

    expect(proposal.keyColumn).toMatchObject({ name: 'SyncBridgeKey', type: 'text', hidden: true, indexed: true, enforceUniqueValues: true, maxLength: 255 });
    expect(proposal.title).toMatchObject({ filledFrom: 'key', sourceColumns: ['id'], listColumn: { name: 'Title', type: 'text', maxLength: 255 } });
  });

  it('flags sensitive columns and leaves them out unless opted in, then push-only with a warning', async () => {
    const proposal = await propose({});
    expect(proposal.items.map((i) => i.sourceColumn)).toEqual(['id', 'balance', 'opened_on', 'seen_at', 'mood', 'code', 'notes', 'updated_at']);
    expect(proposal.sensitive).toEqual([
      { sourceColumn: 'password_hash', reason: expect.stringContaining('password'), key: false, proposed: false },
      { sourceColumn: 'api_token', reason: expect.stringContaining('token'), key: false, proposed: false },
    ]);

    const one = await propose({ includeSensitive: ['api_token'] });
    const token = bySource(one.items).get('api_token')!;
    expect(token).toMatchObject({ direction: 'push', warnings: [expect.stringContaining('opted in')], listColumn: { type: 'note' } });
    expect(bySource(one.items).has('password_hash')).toBe(false);
    expect(one.sensitive.map((s) => [s.sourceColumn, s.proposed])).toEqual([
      ['password_hash', false],
      ['api_token', true],
    ]);

    const all = await propose({ includeSensitive: true });
    expect(all.items.filter((i) => i.warnings.length > 0).map((i) => [i.sourceColumn, i.direction])).toEqual([
      ['password_hash', 'push'],
      ['api_token', 'push'],
    ]);
    // exclude wins over the opt-in.
    const excluded = await propose({ includeSensitive: true, exclude: ['api_token'] });
    expect(excluded.items.some((i) => i.sourceColumn === 'api_token')).toBe(false);
  });

  it('refuses unknown or malformed opt-ins with a problem naming the field', async () => {
    const unknown = await apiJson<Problem>(
      stack,
      `/v1/sync-definitions/${definitionId}/field-mappings/propose`,
      { method: 'POST', json: { includeSensitive: ['passwrd'] } },
      422,
    );
    expect(unknown.errors).toEqual([{ field: 'body.includeSensitive', message: 'column "passwrd" does not exist in public.accounts' }]);
    expect(unknown.detail).toMatch(/unknown columns/);
    const res = await stack.api(`/v1/sync-definitions/${definitionId}/field-mappings/propose`, { method: 'POST', json: { includeSensitive: 'yes' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it("shows saved mappings' list columns before provisioning, and the list has exactly those after", async () => {
    const proposal = await propose({ includeSensitive: ['api_token'] });
    // The proposal goes back as it is (listColumn and warnings are ignored), with one edit: index code.
    const mappings = proposal.items.map((i) => (i.sourceColumn === 'code' ? { ...i, converterOptions: { indexed: true } } : i));
    const saved = await apiJson<{ items: Item[] }>(stack, `/v1/sync-definitions/${definitionId}/field-mappings`, { method: 'PUT', json: { mappings } });
    expect(bySource(saved.items).get('code')!.listColumn).toMatchObject({ type: 'text', maxLength: 40, indexed: true });
    expect(saved.items[0]).not.toHaveProperty('warnings');

    // Mapping a sensitive column explicitly is the opt-in: allowed.
    const explicit = await apiJson<Item>(
      stack,
      `/v1/sync-definitions/${definitionId}/field-mappings`,
      {
        method: 'POST',
        json: { sourceColumn: 'password_hash', targetColumn: 'PasswordHash', targetType: 'text', converterOptions: { maxLength: 100 }, direction: 'push' },
      },
      201,
    );
    expect(explicit.listColumn).toMatchObject({ name: 'PasswordHash', type: 'text', maxLength: 100 });

    const before = await apiJson<{ items: Item[] }>(stack, `/v1/sync-definitions/${definitionId}/field-mappings?limit=100`);
    expect(before.items).toHaveLength(proposal.items.length + 1);
    expect(before.items.every((m) => m.listColumn !== null)).toBe(true);

    await provision(stack, definitionId);
    const after = await listColumnsOf(definitionId);
    for (const m of before.items) expect(after.get(m.listColumn!.name), m.sourceColumn).toEqual(m.listColumn);
    expect(after.get('SyncBridgeKey')).toEqual(proposal.keyColumn);
    expect(after.get('Title')).toEqual(proposal.title.listColumn);
    expect(after.get('balance')).toMatchObject({ decimalPlaces: 3 });
    expect(after.get('opened_on')).toMatchObject({ format: 'dateOnly' });
    expect(after.get('mood')).toMatchObject({ choices: ['sad', 'ok', 'happy'] });
    expect(after.get('code')).toMatchObject({ maxLength: 40, indexed: true });
  });

  it('provisions a definition without mappings with the same rule: sensitive columns are not mapped', async () => {
    const id = await createDefinition('accounts-default', 'Accounts default');
    await provision(stack, id);
    const mappings = await apiJson<{ items: Item[] }>(stack, `/v1/sync-definitions/${id}/field-mappings?limit=100`);
    const sources = mappings.items.map((m) => m.sourceColumn);
    expect(sources).toContain('balance');
    for (const s of SENSITIVE) expect(sources).not.toContain(s);
    const after = await listColumnsOf(id);
    for (const s of SENSITIVE) expect(after.has(s)).toBe(false);
    for (const m of mappings.items) expect(after.get(m.listColumn!.name)).toEqual(m.listColumn);
  });
});
