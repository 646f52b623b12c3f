import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import {
  apiJson,
  defineSync,
  listItems,
  registerSourceAndConnection,
  runPush,
  waitForRun,
  type EmulatorItem,
  type RunView,
  type SyncSetup,
} from '../harness/sync.ts';

/*
 * What a definition decides about ingress, through the path a user takes (HTTP API -> Temporal
 * -> Graph emulator -> PostgreSQL): mappings that only come back from the list (ingress-only),
 * and what a deletion in the list does to the row (delete, soft_delete, ignore).
 */

describe('ingress policies: ingress-only columns and what a deletion in the list does to its row', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let reg: SyncSetup;
  let definitionId: string;
  let listId: string;

  const admin = (path: string, init?: RequestInit) => fetch(`${stack.emulator!.adminUrl}${path}`, init);
  const editItem = async (itemId: string, fields: Record<string, unknown>) => {
    const res = await admin(`/lists/${encodeURIComponent(listId)}/items/${itemId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fields }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  };
  const deleteItem = async (itemId: string) =>
    expect((await admin(`/lists/${encodeURIComponent(listId)}/items/${itemId}`, { method: 'DELETE' })).status).toBe(204);
  const runIngress = async (): Promise<RunView> => {
    const ticket = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/operations/ingress`, { method: 'POST' }, 202);
    const run = await waitForRun(stack, definitionId, ticket.workflowId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    return run;
  };
  const push = async (): Promise<RunView> => {
    const run = await runPush(stack, definitionId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    return run;
  };
  const itemOf = async (id: number): Promise<EmulatorItem | undefined> => (await listItems(stack, listId)).find((i) => i.fields.SyncBridgeKey === String(id));
  const rowOf = async (id: number) =>
    (
      await sql<
        Array<{ id: number; title: string; reviewer_note: string | null; deleted: boolean }>
      >`select id, title, reviewer_note, deleted from tasks where id = ${id}`
    )[0];
  const patchDefinition = (json: Record<string, unknown>) => stack.api(`/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json });
  const problemOf = async (res: Response, status: number) => {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    return JSON.parse(text) as { detail: string; errors?: Array<{ field: string; message: string }> };
  };

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    source = await createTestDatabase('sb_ingress_policies');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql.unsafe(`
      create table tasks (
        id integer primary key,
        title varchar(200) not null,
        reviewer_note text,
        deleted boolean not null default false,
        deleted_on date,
        updated_at timestamptz not null default now()
      );
      insert into tasks (id, title, reviewer_note) select g, 'Task ' || g, 'from the table ' || g from generate_series(1, 10) g;
    `);
    reg = await registerSourceAndConnection(stack, source, 'policies');
    // The mappings are set before the first provisioning: reviewer_note comes back from the list only.
    ({ definitionId, listId } = await defineSync(stack, reg, {
      name: 'tasks',
      table: 'tasks',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorColumn: 'updated_at',
      direction: 'both',
      ingressDeletePolicy: 'soft_delete',
      softDeleteColumn: 'deleted',
      listName: 'Tasks',
      mappings: [
        { sourceColumn: 'id', targetColumn: 'TaskId', targetType: 'number', direction: 'push' },
        { sourceColumn: 'title', targetColumn: 'Title', targetType: 'text', direction: 'both' },
        { sourceColumn: 'reviewer_note', targetColumn: 'ReviewerNote', targetType: 'note', direction: 'ingress' },
      ],
    }));
    expect((await push()).counts).toMatchObject({ created: 10 });
  });

  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('validates the deletion policy: soft_delete needs a boolean or date column that is not the key', async () => {
    const missing = await problemOf(await patchDefinition({ ingressDeletePolicy: 'delete', softDeleteColumn: 'deleted' }), 400);
    expect(missing.errors?.map((e) => e.field)).toContain('body.softDeleteColumn');
    const text = await problemOf(await patchDefinition({ softDeleteColumn: 'title' }), 422);
    expect(text.errors).toEqual([expect.objectContaining({ field: 'body.softDeleteColumn', message: expect.stringContaining('boolean') })]);
    const absent = await problemOf(await patchDefinition({ softDeleteColumn: 'no_such_column' }), 422);
    expect(absent.errors?.[0]).toMatchObject({ field: 'body.softDeleteColumn', message: expect.stringContaining('does not exist') });
    const key = await problemOf(await patchDefinition({ softDeleteColumn: 'id' }), 400);
    expect(key.errors?.[0]).toMatchObject({ field: 'body.softDeleteColumn', message: expect.stringContaining('key column') });
    const saved = await apiJson<{ ingressDeletePolicy: string; softDeleteColumn: string }>(stack, `/v1/sync-definitions/${definitionId}`);
    expect(saved).toMatchObject({ ingressDeletePolicy: 'soft_delete', softDeleteColumn: 'deleted' });
  });

  it('provisions an ingress-only column, never pushes it, and takes its list edits back into the table', async () => {
    const one = (await itemOf(1))!;
    // Push never wrote the table's value of an ingress-only column.
    expect(one.fields.ReviewerNote ?? null).toBeNull();
    expect(one.fields.TaskId).toBe(1);
    // Only the ingress-only column changes: push's view of the item is unchanged, and still the row takes it.
    await editItem(one.id, { ReviewerNote: 'Looks good' });
    const run = await runIngress();
    expect(run.counts).toMatchObject({ updated: 1, conflicts: 0, quarantined: 0 });
    expect(await rowOf(1)).toMatchObject({ title: 'Task 1', reviewer_note: 'Looks good' });
    // A push-only column edited in the list does not come back.
    await editItem(one.id, { TaskId: 999 });
    await runIngress();
    expect((await rowOf(1))?.id).toBe(1);
    // No echo and nothing left to do: the next cycle writes nothing in either direction.
    await editItem(one.id, { TaskId: 1 });
    const cycle = await push();
    expect(cycle.counts).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    expect(cycle.counts.ingressUpdated ?? 0).toBe(0);
    expect((await itemOf(1))!.fields.ReviewerNote).toBe('Looks good');
  });

  it('soft_delete: an item deleted in the list marks its row, and push neither creates it again nor keeps an item of a row marked in the table', async () => {
    await deleteItem((await itemOf(2))!.id);
    const run = await runIngress();
    expect(run.counts).toMatchObject({ softDeleted: 1, deleted: 0 });
    expect(await rowOf(2)).toMatchObject({ title: 'Task 2', deleted: true });
    const after = await push();
    expect(after.counts).toMatchObject({ created: 0, deleted: 0 });
    expect(await itemOf(2)).toBeUndefined();

    // A row marked in the table is deleted as far as the list is concerned.
    await sql`update tasks set deleted = true, updated_at = now() where id = 3`;
    const marked = await push();
    expect(marked.counts).toMatchObject({ created: 0, deleted: 1 });
    expect(await itemOf(3)).toBeUndefined();
    expect(await rowOf(3)).toMatchObject({ deleted: true });
    const events = await stack.store.sql<Array<{ kind: string; detail: Record<string, unknown> }>>`
      select kind, detail from ledger_events where definition_id = ${definitionId} and source_key = '2' and kind = 'delete'`;
    expect(events).toEqual([expect.objectContaining({ detail: expect.objectContaining({ from: 'list', policy: 'soft_delete', column: 'deleted' }) })]);
  });

  it('soft_delete with a date column sets it to the day of the deletion', async () => {
    // Moving to another mark column: the rows marked so far are marked in it too, or push would bring them back.
    await sql`update tasks set deleted_on = current_date where deleted`;
    expect((await patchDefinition({ softDeleteColumn: 'deleted_on' })).status).toBe(200);
    await deleteItem((await itemOf(4))!.id);
    expect((await runIngress()).counts).toMatchObject({ softDeleted: 1 });
    const [row] = await sql<Array<{ deleted_on: string | null }>>`select deleted_on::text from tasks where id = 4`;
    expect(row?.deleted_on).toBe(new Date().toISOString().slice(0, 10));
    expect((await push()).counts).toMatchObject({ created: 0 });
    expect(await itemOf(4)).toBeUndefined();
  });

  it('ignore: the row stays as it is, and its next change in the table creates the item again', async () => {
    // Without a mark column, rows marked so far would be live rows again: they are purged first, as a user switching would.
    await sql`delete from tasks where deleted or deleted_on is not null`;
    const patched = await patchDefinition({ ingressDeletePolicy: 'ignore' });
    expect(patched.status, await patched.clone().text()).toBe(200);
    expect(await patched.json()).toMatchObject({ ingressDeletePolicy: 'ignore', softDeleteColumn: null });
    await deleteItem((await itemOf(5))!.id);
    expect((await runIngress()).counts).toMatchObject({ deletesIgnored: 1, deleted: 0, softDeleted: 0 });
    expect(await rowOf(5)).toMatchObject({ title: 'Task 5', deleted: false });
    await sql`update tasks set title = 'Task 5 again', updated_at = now() where id = 5`;
    expect((await push()).counts).toMatchObject({ created: 1 });
    expect((await itemOf(5))!.fields.Title).toBe('Task 5 again');
  });
});
