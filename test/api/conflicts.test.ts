import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { createKey, startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson, defineSync, listItems, registerSourceAndConnection, runPush, waitForRun, type EmulatorItem, type RunView } from '../harness/sync.ts';

/*
 * Conflicts left to a person (conflict policy `manual`) through the HTTP API: listed with both
 * versions, resolved (the list's version, the table's, or values merged by hand) or dismissed.
 * Resolving asks for an ingress run, which writes the chosen version to the table and the list
 * item, and records it in the ledger so neither direction sends it back.
 */

interface ConflictView {
  id: string;
  definitionId: string;
  sourceKey: string;
  status: 'open' | 'resolved' | 'dismissed';
  sourceValue: Record<string, unknown> | null;
  listValue: Record<string, unknown> | null;
  resolution: { keep: string; values?: Record<string, unknown>; by: string; at: string; appliedAt: string | null; error?: string } | null;
  createdAt: string;
  updatedAt: string;
}
interface Ticket {
  runId: string;
  kind: string;
  workflowId: string;
  state: string;
}
interface Problem {
  status: number;
  code: string;
  errors?: Array<{ field: string; message: string }>;
}

describe('conflicts: listed, resolved and dismissed through the API; the resolution applied by ingress', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let definitionId: string;
  let listId: string;
  let col: Map<string, string>;
  let operatorKey: string;
  let viewerKey: string;
  const byKey = new Map<string, ConflictView>();

  const admin = (path: string, init?: RequestInit) => fetch(`${stack.emulator!.adminUrl}${path}`, init);
  const editItem = async (itemId: string, fields: Record<string, unknown>) => {
    const res = await admin(`/lists/${encodeURIComponent(listId)}/items/${itemId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fields }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  };
  const runIngress = async (): Promise<RunView> => {
    const ticket = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/operations/ingress`, { method: 'POST' }, 202);
    return waitForRun(stack, definitionId, ticket.workflowId);
  };
  const itemOf = async (id: number): Promise<EmulatorItem> => (await listItems(stack, listId)).find((i) => i.fields.SyncBridgeKey === String(id))!;
  const rowOf = async (id: number) =>
    (await sql<Array<{ id: number; name: string; score: string | null }>>`select id, name, score::text from contacts where id = ${id}`)[0];
  const problem = async (res: Response, status: number): Promise<Problem> => {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    return JSON.parse(text) as Problem;
  };
  const resolve = (conflictId: string, body: unknown, key = operatorKey) =>
    stack.api(`/v1/conflicts/${conflictId}/resolve`, { method: 'POST', key, json: body });
  const resolveAndWait = async (conflictId: string, body: unknown) => {
    const answer = await apiJson<{ conflict: ConflictView; ticket: Ticket }>(
      stack,
      `/v1/conflicts/${conflictId}/resolve`,
      { method: 'POST', key: operatorKey, json: body },
      202,
    );
    const run = await waitForRun(stack, definitionId, answer.ticket.workflowId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    return { ...answer, run };
  };

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    source = await createTestDatabase('sb_conflicts');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql.unsafe(`
      create table contacts (id integer primary key, name text not null, score numeric(10,2), active boolean, note text, updated_at timestamptz not null default now());
      create function touch() returns trigger language plpgsql as $$ begin new.updated_at := clock_timestamp(); return new; end $$;
      create trigger contacts_touch before update on contacts for each row execute function touch();
      insert into contacts (id, name, score, active) select g, 'Contact ' || g, g * 1.5, g % 2 = 0 from generate_series(1, 12) g;
    `);
    const reg = await registerSourceAndConnection(stack, source, 'conflicts');
    ({ definitionId, listId } = await defineSync(stack, reg, {
      name: 'contacts',
      table: 'contacts',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorColumn: 'updated_at',
      direction: 'both',
      conflictPolicy: 'manual',
    }));
    const first = await runPush(stack, definitionId);
    expect(first.status, JSON.stringify(first.errors)).toBe('succeeded');
    expect((await runIngress()).counts).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    operatorKey = await createKey(stack, 'operator');
    viewerKey = await createKey(stack, 'viewer');
    const mappings = await apiJson<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>(
      stack,
      `/v1/sync-definitions/${definitionId}/field-mappings?limit=100`,
    );
    col = new Map(mappings.items.map((m) => [m.sourceColumn, m.targetColumn]));

    // Rows 3, 4, 6 and 10 change in the table and in the list: four conflicts, kept for a person.
    for (const id of [3, 4, 6, 10]) {
      await sql`update contacts set name = ${`Table edit ${id}`} where id = ${id}`;
      await editItem((await itemOf(id)).id, { [col.get('name')!]: `List edit ${id}`, [col.get('score')!]: id * 10 });
    }
    const run = await runIngress();
    expect(run.counts).toMatchObject({ conflicts: 4, updated: 0 });
  });

  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('lists the open conflicts oldest first, with both versions, in pages', async () => {
    const all = await apiJson<{ items: ConflictView[]; nextCursor: string | null }>(stack, `/v1/sync-definitions/${definitionId}/conflicts?status=open`, {
      key: viewerKey,
    });
    expect(all.items.map((c) => c.sourceKey).sort()).toEqual(['10', '3', '4', '6']);
    expect(all.nextCursor).toBeNull();
    for (const c of all.items) byKey.set(c.sourceKey, c);
    const three = byKey.get('3')!;
    expect(three).toMatchObject({ definitionId, status: 'open', resolution: null, sourceValue: { name: 'Table edit 3' } });
    expect(three.listValue![col.get('name')!]).toBe('List edit 3');

    const first = await apiJson<{ items: ConflictView[]; nextCursor: string | null }>(stack, `/v1/sync-definitions/${definitionId}/conflicts?limit=3`);
    expect(first.items).toHaveLength(3);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await apiJson<{ items: ConflictView[]; nextCursor: string | null }>(
      stack,
      `/v1/sync-definitions/${definitionId}/conflicts?limit=3&cursor=${encodeURIComponent(first.nextCursor!)}`,
    );
    expect(second.nextCursor).toBeNull();
    expect([...first.items, ...second.items].map((c) => c.id)).toEqual(all.items.map((c) => c.id));
    expect((await apiJson<{ items: ConflictView[] }>(stack, `/v1/sync-definitions/${definitionId}/conflicts?status=resolved`)).items).toEqual([]);

    expect(await apiJson<ConflictView>(stack, `/v1/conflicts/${three.id}`, { key: viewerKey })).toEqual(three);
  });

  it('answers problems: 400 for a malformed id or status, 404 for unknown ids, 403 for a viewer, 422 for values that do not fit', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const id = byKey.get('3')!.id;
    await problem(await stack.api('/v1/conflicts/not-a-uuid'), 400);
    await problem(await stack.api('/v1/conflicts/not-a-uuid/resolve', { method: 'POST', json: { keep: 'list' } }), 400);
    await problem(await stack.api(`/v1/sync-definitions/${definitionId}/conflicts?status=bogus`), 400);
    await problem(await stack.api(`/v1/sync-definitions/${definitionId}/conflicts?cursor=garbage`), 400);
    expect((await problem(await stack.api(`/v1/conflicts/${unknown}`), 404)).code).toBe('not_found');
    await problem(await stack.api(`/v1/sync-definitions/${unknown}/conflicts`), 404);
    await problem(await resolve(unknown, { keep: 'list' }), 404);
    await problem(await stack.api(`/v1/conflicts/${unknown}/dismiss`, { method: 'POST', key: operatorKey }), 404);
    await problem(await resolve(id, { keep: 'list' }, viewerKey), 403);
    await problem(await stack.api(`/v1/conflicts/${id}/dismiss`, { method: 'POST', key: viewerKey }), 403);
    await problem(await resolve(id, { keep: 'both' }), 400);
    await problem(await resolve(id, { keep: 'list', extra: 1 }), 400);

    const fieldsOf = async (body: unknown) => (await problem(await resolve(id, body), 422)).errors!.map((e) => e.field);
    expect(await fieldsOf({ keep: 'merged' })).toEqual(['body.values']);
    expect(await fieldsOf({ keep: 'list', values: { name: 'x' } })).toEqual(['body.values']);
    expect(await fieldsOf({ keep: 'source', values: {} })).toEqual(['body.values']);
    expect((await fieldsOf({ keep: 'merged', values: { id: 99, nope: 'x', name: 'ok' } })).sort()).toEqual(['body.values.id', 'body.values.nope']);
    // Nothing was resolved by the refused requests.
    expect((await apiJson<ConflictView>(stack, `/v1/conflicts/${id}`)).status).toBe('open');
  });

  it("keep 'list': the item's version is written to the row, the row to the item, and the conflict records it applied", async () => {
    const conflict = byKey.get('3')!;
    const { conflict: resolved, ticket, run } = await resolveAndWait(conflict.id, { keep: 'list' });
    expect(ticket).toMatchObject({ kind: 'ingress', runId: expect.any(String), workflowId: expect.any(String) });
    expect(resolved).toMatchObject({ id: conflict.id, status: 'resolved', resolution: { keep: 'list', by: 'operator key', appliedAt: null } });
    expect(Date.parse(resolved.resolution!.at)).not.toBeNaN();
    // Resolved once: a second answer is a conflict.
    await problem(await resolve(conflict.id, { keep: 'source' }), 409);

    expect(run.counts).toMatchObject({ resolutionsApplied: 1, resolutionsFailed: 0 });
    expect(await rowOf(3)).toMatchObject({ name: 'List edit 3', score: '30.00' });
    const item = await itemOf(3);
    expect(item.fields[col.get('name')!]).toBe('List edit 3');
    const after = await apiJson<ConflictView>(stack, `/v1/conflicts/${conflict.id}`);
    expect(after.resolution).toMatchObject({ keep: 'list', by: 'operator key', appliedAt: expect.any(String) });
    expect(after.resolution!.error).toBeUndefined();
    const events = await stack.store.sql<Array<{ detail: Record<string, unknown> }>>`
      select detail from ledger_events where definition_id = ${definitionId} and source_key = '3' and kind = 'conflict' order by created_at`;
    expect(events.at(-1)!.detail).toMatchObject({ resolved: 'list', by: 'operator key' });
  });

  it("keep 'source': the table's row is written to the list item; the table is not written", async () => {
    const conflict = byKey.get('4')!;
    const before = await rowOf(4);
    const { run } = await resolveAndWait(conflict.id, { keep: 'source' });
    expect(run.counts).toMatchObject({ resolutionsApplied: 1 });
    expect(await rowOf(4)).toEqual(before);
    const item = await itemOf(4);
    expect(item.fields[col.get('name')!]).toBe('Table edit 4');
    expect(item.fields[col.get('score')!]).toBe(6);
    expect((await apiJson<ConflictView>(stack, `/v1/conflicts/${conflict.id}`)).resolution!.appliedAt).toEqual(expect.any(String));
  });

  it("keep 'merged': the given values are written to the row, columns not named keep the table's value, and the row goes to the item", async () => {
    const conflict = byKey.get('6')!;
    const { conflict: resolved, run } = await resolveAndWait(conflict.id, { keep: 'merged', values: { score: '12.50', note: 'merged by hand' } });
    expect(resolved.resolution).toMatchObject({ keep: 'merged', values: { score: '12.50', note: 'merged by hand' } });
    expect(run.counts).toMatchObject({ resolutionsApplied: 1 });
    const row = (await sql<Array<{ name: string; score: string; note: string }>>`select name, score::text, note from contacts where id = 6`)[0]!;
    expect(row).toEqual({ name: 'Table edit 6', score: '12.50', note: 'merged by hand' });
    const item = await itemOf(6);
    expect(item.fields[col.get('name')!]).toBe('Table edit 6');
    expect(item.fields[col.get('score')!]).toBe(12.5);
    expect(item.fields[col.get('note')!]).toBe('merged by hand');
  });

  it('does not echo: a further ingress and push cycle writes nothing for the resolved rows', async () => {
    const ingress = await runIngress();
    expect(ingress.status, JSON.stringify(ingress.errors)).toBe('succeeded');
    expect(ingress.counts).toMatchObject({ created: 0, updated: 0, deleted: 0, conflicts: 0 });
    // Row 10's conflict is still open: push sends the table's version of it, and nothing else.
    const push = await runPush(stack, definitionId);
    expect(push.status, JSON.stringify(push.errors)).toBe('succeeded');
    expect(push.counts).toMatchObject({ created: 0, updated: 1, deleted: 0 });
    expect((await runIngress()).counts).toMatchObject({ created: 0, updated: 0, deleted: 0, conflicts: 0 });
    expect((await runPush(stack, definitionId)).counts).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    const resolved = await apiJson<{ items: ConflictView[] }>(stack, `/v1/sync-definitions/${definitionId}/conflicts?status=resolved`);
    expect(resolved.items.map((c) => c.sourceKey).sort()).toEqual(['3', '4', '6']);
  });

  it('dismisses an open conflict without writing anything; a settled conflict cannot be dismissed or resolved', async () => {
    const conflict = byKey.get('10')!;
    const before = await rowOf(10);
    const dismissed = await apiJson<ConflictView>(stack, `/v1/conflicts/${conflict.id}/dismiss`, { method: 'POST', key: operatorKey }, 200);
    expect(dismissed).toMatchObject({ id: conflict.id, status: 'dismissed' });
    expect(await rowOf(10)).toEqual(before);
    await problem(await stack.api(`/v1/conflicts/${conflict.id}/dismiss`, { method: 'POST', key: operatorKey }), 409);
    await problem(await resolve(conflict.id, { keep: 'list' }), 409);
    await problem(await stack.api(`/v1/conflicts/${byKey.get('3')!.id}/dismiss`, { method: 'POST', key: operatorKey }), 409);
    expect((await apiJson<{ items: ConflictView[] }>(stack, `/v1/sync-definitions/${definitionId}/conflicts?status=open`)).items).toEqual([]);
  });
});
