import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson, defineSync, listItems, registerSourceAndConnection, runPush, waitForRun, type RunView, type SyncSetup } from '../harness/sync.ts';

/*
 * Items created in SharePoint with empty key columns (newItemKeys), through the path a user takes
 * (HTTP API -> Temporal -> Graph emulator -> PostgreSQL): quarantined under from_list; under
 * generate, given a key from the table's sequence that is reserved before the insert, written back
 * to the item, never echoed, and never inserted twice when a page is repeated after a crash.
 */

describe('new item keys: items made in SharePoint without a key', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let reg: SyncSetup;
  let definitionId: string;
  let listId: string;

  const admin = (path: string, init?: RequestInit) => fetch(`${stack.emulator!.adminUrl}${path}`, init);
  const createItem = async (fields: Record<string, unknown>): Promise<string> => {
    const res = await admin(`/lists/${encodeURIComponent(listId)}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ fields }] }),
    });
    const text = await res.text();
    expect(res.status, text).toBe(201);
    return String((JSON.parse(text) as { ids: Array<string | number> }).ids[0]);
  };
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
    const run = await waitForRun(stack, definitionId, ticket.workflowId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    return run;
  };
  const itemById = async (id: string) => (await listItems(stack, listId)).find((i) => i.id === id)!;
  const rowsTitled = (title: string) => sql<Array<{ id: string; title: string }>>`select id::text, title from tickets where title = ${title} order by id`;
  const reservations = () => stack.store.sql<Array<{ list_item_id: string; source_key: string }>>`
    select list_item_id, source_key from key_reservations where definition_id = ${definitionId} order by list_item_id`;
  const patchDefinition = (json: Record<string, unknown>) => stack.api(`/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json });

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    source = await createTestDatabase('sb_new_item_keys');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql.unsafe(`
      create table tickets (id bigserial primary key, title varchar(200) not null, updated_at timestamptz not null default now());
      insert into tickets (title) select 'Ticket ' || g from generate_series(1, 3) g;
      create table codes (code text primary key, title varchar(200) not null);
    `);
    reg = await registerSourceAndConnection(stack, source, 'newkeys');
    ({ definitionId, listId } = await defineSync(stack, reg, {
      name: 'tickets',
      table: 'tickets',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorColumn: 'updated_at',
      direction: 'both',
      listName: 'Tickets',
      mappings: [
        { sourceColumn: 'id', targetColumn: 'TicketId', targetType: 'number', direction: 'push' },
        { sourceColumn: 'title', targetColumn: 'Title', targetType: 'text', direction: 'both' },
      ],
    }));
    const first = await runPush(stack, definitionId);
    expect(first.counts).toMatchObject({ created: 3 });
  });

  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('from_list (the default) quarantines an item without a key, with the reason', async () => {
    const id = await createItem({ Title: 'No key yet' });
    const run = await runIngress();
    expect(run.counts).toMatchObject({ created: 0, quarantined: 1 });
    const quarantine = await apiJson<{ items: Array<{ reason: string }> }>(stack, `/v1/sync-definitions/${definitionId}/quarantine`);
    expect(quarantine.items.map((q) => q.reason)).toContainEqual(expect.stringContaining(`list item ${id} has no usable key`));
    expect(await rowsTitled('No key yet')).toEqual([]);
  });

  it('validates generate against the key: a key no sequence or uuid fills is refused with the reason', async () => {
    const other = await apiJson<{ id: string }>(
      stack,
      '/v1/sync-definitions',
      {
        method: 'POST',
        json: {
          appId: reg.appId,
          sourceInstanceId: reg.instanceId,
          sourceSchema: 'public',
          sourceTable: 'codes',
          name: 'codes',
          keyStrategy: 'pk',
          keyColumns: ['code'],
          cursorStrategy: 'full_scan',
          cursorColumn: null,
        },
      },
      201,
    );
    const res = await stack.api(`/v1/sync-definitions/${other.id}`, { method: 'PATCH', json: { newItemKeys: 'generate' } });
    const text = await res.text();
    expect(res.status, text).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.parse(text).errors).toEqual([expect.objectContaining({ field: 'body.newItemKeys', message: expect.stringContaining('no generator') })]);
    const bad = await stack.api(`/v1/sync-definitions/${other.id}`, { method: 'PATCH', json: { newItemKeys: 'sometimes' } });
    expect(bad.status).toBe(400);
  });

  it('generate: the item gets the next key of the table, written back to the item, and nothing echoes', async () => {
    const patched = await patchDefinition({ newItemKeys: 'generate' });
    expect(patched.status, await patched.clone().text()).toBe(200);
    expect(await patched.json()).toMatchObject({ newItemKeys: 'generate' });
    const next = (await sql<Array<{ next: string }>>`select (last_value + 1)::text as next from tickets_id_seq`)[0]!.next;
    const id = await createItem({ Title: 'Made in SharePoint' });
    const run = await runIngress();
    expect(run.counts).toMatchObject({ created: 1, quarantined: 0, keysWritten: 1 });
    expect(await rowsTitled('Made in SharePoint')).toEqual([{ id: next, title: 'Made in SharePoint' }]);
    const item = await itemById(id);
    expect(item.fields).toMatchObject({ SyncBridgeKey: next, TicketId: Number(next), Title: 'Made in SharePoint' });
    expect(await reservations()).toEqual([]);
    // No echo either way: push finds the row as the list has it, and ingress finds the item as it left it.
    const push = await runPush(stack, definitionId);
    expect(push.counts).toMatchObject({ created: 0, updated: 0 });
    expect(push.counts.ingressCreated ?? 0).toBe(0);
    expect((await runIngress()).counts).toMatchObject({ created: 0, updated: 0, keysWritten: 0 });
    // The application's own inserts go on from the sequence: no key is handed out twice.
    await sql`insert into tickets (title) values ('By the application')`;
    const [app] = await rowsTitled('By the application');
    expect(BigInt(app!.id)).toBeGreaterThan(BigInt(next));
  });

  it('a quarantined keyless item comes in once it changes, now that keys are generated', async () => {
    const [held] = (await listItems(stack, listId)).filter((i) => i.fields.Title === 'No key yet');
    await editItem(held!.id, { Title: 'No key yet, edited' });
    expect((await runIngress()).counts).toMatchObject({ created: 1, quarantined: 0 });
    expect(await rowsTitled('No key yet, edited')).toHaveLength(1);
    const quarantine = await apiJson<{ items: Array<{ reason: string }> }>(stack, `/v1/sync-definitions/${definitionId}/quarantine`);
    expect(quarantine.items).toEqual([]);
  });

  it('a page repeated after a crash uses the reserved key: the row is found, or inserted under it, never twice', async () => {
    // As a worker killed after the reservation and the insert, before the ledger commit, leaves it.
    const inserted = await createItem({ Title: 'Crashed after the insert' });
    const k1 = (await sql<Array<{ k: string }>>`select nextval('tickets_id_seq')::text as k`)[0]!.k;
    await sql`insert into tickets (id, title) values (${k1}, 'Crashed after the insert')`;
    // And one killed after the reservation, before the insert.
    const reservedOnly = await createItem({ Title: 'Crashed before the insert' });
    const k2 = (await sql<Array<{ k: string }>>`select nextval('tickets_id_seq')::text as k`)[0]!.k;
    const [target] = await stack.store.sql<Array<{ id: string }>>`select id from sync_targets where definition_id = ${definitionId}`;
    await stack.store.sql`insert into key_reservations (definition_id, target_id, list_item_id, source_key)
      values (${definitionId}, ${target!.id}, ${inserted}, ${k1}), (${definitionId}, ${target!.id}, ${reservedOnly}, ${k2})`;

    const run = await runIngress();
    // Unchanged: the row found under the reserved key (and the item stamped in the test before, seen again).
    expect(run.counts).toMatchObject({ created: 1, unchanged: 2, keysWritten: 2, quarantined: 0 });
    expect(await rowsTitled('Crashed after the insert')).toEqual([{ id: k1, title: 'Crashed after the insert' }]);
    expect(await rowsTitled('Crashed before the insert')).toEqual([{ id: k2, title: 'Crashed before the insert' }]);
    expect((await itemById(inserted)).fields).toMatchObject({ SyncBridgeKey: k1, TicketId: Number(k1) });
    expect((await itemById(reservedOnly)).fields).toMatchObject({ SyncBridgeKey: k2, TicketId: Number(k2) });
    expect(await reservations()).toEqual([]);
    // Push has only the application's own row to create; nothing it ingested goes back.
    const push = await runPush(stack, definitionId);
    expect(push.counts).toMatchObject({ created: 1, updated: 0 });
    const rows = (await sql<Array<{ n: number }>>`select count(*)::int as n from tickets`)[0]!.n;
    expect(rows).toBe((await listItems(stack, listId)).length);
  });
});
