import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson, defineSync, listItems, registerSourceAndConnection, runPush, waitForRun, type EmulatorItem, type RunView } from '../harness/sync.ts';

/*
 * Ingress through the same path a user takes: the definition's operation `ingress` started
 * through the HTTP API, run by Temporal workers, reading the list's Graph delta from the
 * emulator and writing the table through the PostgreSQL connector. Edits are made in the list
 * the way a person makes them (the emulator's admin API stands in for the SharePoint UI).
 */

describe('ingress: list edits back into the table, without echo (HTTP API -> Temporal -> Graph emulator -> PostgreSQL)', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
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
  const runIngress = async (): Promise<RunView> => {
    const ticket = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/operations/ingress`, { method: 'POST' }, 202);
    return waitForRun(stack, definitionId, ticket.workflowId);
  };
  const itemOf = async (id: number): Promise<EmulatorItem> => (await listItems(stack, listId)).find((i) => i.fields.SyncBridgeKey === String(id))!;
  const rowsOf = async () =>
    sql<Array<{ id: number; name: string; score: string | null; active: boolean | null }>>`select id, name, score::text, active from contacts order by id`;

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    source = await createTestDatabase('sb_ingress');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql.unsafe(`
      create table contacts (id integer primary key, name text not null, score numeric(10,2), active boolean, note text, updated_at timestamptz not null default now());
      create function touch() returns trigger language plpgsql as $$ begin new.updated_at := clock_timestamp(); return new; end $$;
      create trigger contacts_touch before update on contacts for each row execute function touch();
      insert into contacts (id, name, score, active) select g, 'Contact ' || g, g * 1.5, g % 2 = 0 from generate_series(1, 20) g;
    `);
    const reg = await registerSourceAndConnection(stack, source, 'ingress');
    ({ definitionId, listId } = await defineSync(stack, reg, {
      name: 'contacts',
      table: 'contacts',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorColumn: 'updated_at',
      direction: 'both',
      conflictPolicy: 'source_wins',
    }));
    const first = await runPush(stack, definitionId);
    expect(first.status, JSON.stringify(first.errors)).toBe('succeeded');
    expect(first.counts).toMatchObject({ created: 20 });
  });

  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('starts from the list as push left it: the first ingress reads nothing back', async () => {
    const run = await runIngress();
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    expect(run.counts).toMatchObject({ created: 0, updated: 0, deleted: 0 });
  });

  it('writes an edit, a new item and a deletion made in the list into the table', async () => {
    const columns = await apiJson<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>(
      stack,
      `/v1/sync-definitions/${definitionId}/field-mappings?limit=100`,
    );
    const col = new Map(columns.items.map((m) => [m.sourceColumn, m.targetColumn]));
    const three = await itemOf(3);
    await editItem(three.id, { [col.get('name')!]: 'Renamed in SharePoint', [col.get('score')!]: 99.25 });
    const five = await itemOf(5);
    expect((await admin(`/lists/${encodeURIComponent(listId)}/items/${five.id}`, { method: 'DELETE' })).status).toBe(204);
    const created = await admin(`/lists/${encodeURIComponent(listId)}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        items: [{ fields: { Title: 'new', [col.get('id')!]: 100, [col.get('name')!]: 'Made in SharePoint', [col.get('active')!]: true } }],
      }),
    });
    expect(created.status).toBe(201);

    const run = await runIngress();
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    const quarantine = await apiJson<{ items: unknown[] }>(stack, `/v1/sync-definitions/${definitionId}/quarantine`);
    expect(run.counts, JSON.stringify(quarantine.items)).toMatchObject({ updated: 1, created: 1, deleted: 1, quarantined: 0 });
    const rows = await rowsOf();
    expect(rows.find((r) => r.id === 3)).toMatchObject({ name: 'Renamed in SharePoint', score: '99.25' });
    expect(rows.find((r) => r.id === 5)).toBeUndefined();
    expect(rows.find((r) => r.id === 100)).toMatchObject({ name: 'Made in SharePoint', active: true, score: null });
    // The item made in SharePoint now carries its key, so both directions know it by key.
    expect((await itemOf(100)).fields[col.get('name')!]).toBe('Made in SharePoint');
    const ledger = await stack.store.sql<
      Array<{ provenance: string }>
    >`select provenance from sync_ledger where definition_id = ${definitionId} and source_key in ('3', '100')`;
    expect(ledger.map((l) => l.provenance)).toEqual(['ingress', 'ingress']);
  });

  it('does not echo: push sends only what the table itself changed, ingress reads nothing back, and an idle cycle writes nothing', async () => {
    // The trigger moved updated_at of the two rows ingress wrote, and the new row's defaults filled its other columns:
    // those are the table's own changes, and the only ones push sends.
    const push = await runPush(stack, definitionId);
    expect(push.status, JSON.stringify(push.errors)).toBe('succeeded');
    expect(push.counts).toMatchObject({ created: 0, updated: 2, deleted: 0 });
    const again = await runIngress();
    expect(again.counts).toMatchObject({ read: 2, unchanged: 2, created: 0, updated: 0, deleted: 0 });
    // An idle cycle in both directions writes nothing.
    const idlePush = await runPush(stack, definitionId);
    expect(idlePush.counts).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    expect((await runIngress()).counts).toMatchObject({ read: 0, created: 0, updated: 0, deleted: 0 });
  });

  it('settles a row changed on both sides by the definition policy: source wins, and push then sends the table version', async () => {
    const col = new Map(
      (
        await apiJson<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>(stack, `/v1/sync-definitions/${definitionId}/field-mappings?limit=100`)
      ).items.map((m) => [m.sourceColumn, m.targetColumn]),
    );
    await sql`update contacts set name = 'Changed in the table' where id = 7`;
    await editItem((await itemOf(7)).id, { [col.get('name')!]: 'Changed in the list' });
    const run = await runIngress();
    expect(run.counts).toMatchObject({ conflicts: 1, updated: 0 });
    expect((await rowsOf()).find((r) => r.id === 7)!.name).toBe('Changed in the table');
    const push = await runPush(stack, definitionId);
    expect(push.counts).toMatchObject({ updated: 1 });
    expect((await itemOf(7)).fields[col.get('name')!]).toBe('Changed in the table');
    const events = await stack.store.sql<Array<{ detail: { winner: string } }>>`
      select detail from ledger_events where definition_id = ${definitionId} and source_key = '7' and kind = 'conflict'`;
    expect(events.map((e) => e.detail.winner)).toEqual(['source']);
  });

  it('with sharepoint_wins takes the list version; with manual keeps both versions for a person and writes neither', async () => {
    const col = new Map(
      (
        await apiJson<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>(stack, `/v1/sync-definitions/${definitionId}/field-mappings?limit=100`)
      ).items.map((m) => [m.sourceColumn, m.targetColumn]),
    );
    await apiJson(stack, `/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { conflictPolicy: 'sharepoint_wins' } });
    await sql`update contacts set name = 'Table edit 11' where id = 11`;
    await editItem((await itemOf(11)).id, { [col.get('name')!]: 'List edit 11' });
    expect((await runIngress()).counts).toMatchObject({ conflicts: 1, updated: 1 });
    expect((await rowsOf()).find((r) => r.id === 11)!.name).toBe('List edit 11');

    await apiJson(stack, `/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { conflictPolicy: 'manual' } });
    await sql`update contacts set name = 'Table edit 12' where id = 12`;
    await editItem((await itemOf(12)).id, { [col.get('name')!]: 'List edit 12' });
    expect((await runIngress()).counts).toMatchObject({ conflicts: 1, updated: 0 });
    expect((await rowsOf()).find((r) => r.id === 12)!.name).toBe('Table edit 12');
    const open = await stack.store.sql<Array<{ status: string; source_value: { name: string }; list_value: Record<string, unknown> }>>`
      select status, source_value, list_value from conflicts where definition_id = ${definitionId} and source_key = '12'`;
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ status: 'open', source_value: { name: 'Table edit 12' } });
    expect(open[0]!.list_value[col.get('name')!]).toBe('List edit 12');
    await apiJson(stack, `/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { conflictPolicy: 'source_wins' } });
  });

  it('after a 410 (the token can no longer be served) enumerates the list again: edits and deletions made meanwhile land, nothing twice', async () => {
    const col = new Map(
      (
        await apiJson<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>(stack, `/v1/sync-definitions/${definitionId}/field-mappings?limit=100`)
      ).items.map((m) => [m.sourceColumn, m.targetColumn]),
    );
    await editItem((await itemOf(13)).id, { [col.get('name')!]: 'Edited while the token was lost' });
    expect((await admin(`/lists/${encodeURIComponent(listId)}/items/${(await itemOf(14)).id}`, { method: 'DELETE' })).status).toBe(204);
    const expired = await admin('/delta/expire', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ listId }) });
    expect(expired.status).toBe(200);
    const before = (await rowsOf()).length;
    const run = await runIngress();
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    expect(run.counts).toMatchObject({ resyncs: 1, updated: 1, deleted: 1, created: 0 });
    const rows = await rowsOf();
    expect(rows).toHaveLength(before - 1);
    expect(rows.find((r) => r.id === 13)!.name).toBe('Edited while the token was lost');
    expect(rows.find((r) => r.id === 14)).toBeUndefined();
    // A fresh token: the next round reads nothing.
    expect((await runIngress()).counts).toMatchObject({ read: 0, created: 0, updated: 0, deleted: 0 });
  });

  it('converges through throttling, outages and lost responses on delta and on writes: every edit lands once', async () => {
    const col = new Map(
      (
        await apiJson<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>(stack, `/v1/sync-definitions/${definitionId}/field-mappings?limit=100`)
      ).items.map((m) => [m.sourceColumn, m.targetColumn]),
    );
    for (const id of [15, 16, 17, 18]) await editItem((await itemOf(id)).id, { [col.get('name')!]: `Faulty edit ${id}` });
    const created = await admin(`/lists/${encodeURIComponent(listId)}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        items: [200, 201, 202].map((id) => ({ fields: { Title: `n${id}`, [col.get('id')!]: id, [col.get('name')!]: `New ${id}` } })),
      }),
    });
    expect(created.status).toBe(201);
    const faults = (body: unknown) => admin('/faults', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(
      (
        await faults({
          throttleProbability: 0.3,
          unavailableProbability: 0.1,
          lostResponseProbability: 0.3,
          lostResponseMode: 'destroy',
          retryAfterSeconds: 0,
          seed: 11,
        })
      ).status,
    ).toBe(200);
    let run: RunView;
    try {
      run = await runIngress();
    } finally {
      await faults({});
    }
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    expect(run.counts).toMatchObject({ updated: 4, created: 3 });
    const rows = await rowsOf();
    for (const id of [15, 16, 17, 18]) expect(rows.find((r) => r.id === id)!.name).toBe(`Faulty edit ${id}`);
    for (const id of [200, 201, 202]) expect(rows.filter((r) => r.id === id).map((r) => r.name)).toEqual([`New ${id}`]);
    // Whatever the faults did to the key stamps, a further cycle settles without writing rows twice.
    expect((await runIngress()).counts).toMatchObject({ created: 0, deleted: 0 });
  });

  it('a push run of a two-way definition is one cycle: the lists read back first, then the table pushed, both counted on the run', async () => {
    const col = new Map(
      (
        await apiJson<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>(stack, `/v1/sync-definitions/${definitionId}/field-mappings?limit=100`)
      ).items.map((m) => [m.sourceColumn, m.targetColumn]),
    );
    // Settle what earlier ingress-only runs left for push (rows whose trigger moved updated_at).
    expect((await runPush(stack, definitionId)).status).toBe('succeeded');
    await editItem((await itemOf(2)).id, { [col.get('name')!]: 'Cycle: edited in the list' });
    await sql`update contacts set name = 'Cycle: edited in the table' where id = 4`;
    const run = await runPush(stack, definitionId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    // The list edit reached the table (and its trigger-moved updated_at went back once); the table edit reached the list.
    expect(run.counts, JSON.stringify(run.counts)).toMatchObject({ ingressUpdated: 1, updated: 2, created: 0, deleted: 0 });
    expect(run.counts.ingressConflicts ?? 0).toBe(0);
    expect((await rowsOf()).find((r) => r.id === 2)!.name).toBe('Cycle: edited in the list');
    expect((await itemOf(4)).fields[col.get('name')!]).toBe('Cycle: edited in the table');
    // The next cycle reads back only push's own writes, which it recognises, and writes nothing.
    const idle = await runPush(stack, definitionId);
    expect(idle.counts).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    for (const k of ['ingressUpdated', 'ingressCreated', 'ingressDeleted']) expect(idle.counts[k] ?? 0).toBe(0);
    const again = await runPush(stack, definitionId);
    expect(again.counts).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    expect(again.counts.ingressRead ?? 0).toBe(0);
  });

  it('refuses direction both for a table the instance user may only read (422 naming direction), and accepts push', async () => {
    const role = `sb_reader_${Math.random().toString(36).slice(2, 8)}`;
    await sql.unsafe(`create role ${role} login; grant usage on schema public to ${role}; grant select on contacts to ${role}`);
    try {
      const url = new URL(source.url);
      url.username = role;
      const reg = await registerSourceAndConnection(stack, { url: url.toString(), name: source.name }, 'reader');
      const body = {
        appId: reg.appId,
        name: 'read-only contacts',
        sourceInstanceId: reg.instanceId,
        sourceSchema: 'public',
        sourceTable: 'contacts',
        keyStrategy: 'pk',
        keyColumns: ['id'],
        cursorStrategy: 'updated_at',
        cursorColumn: 'updated_at',
      };
      const refused = await stack.api('/v1/sync-definitions', { method: 'POST', json: { ...body, direction: 'both' } });
      expect(refused.status).toBe(422);
      const problem = (await refused.json()) as { errors: Array<{ field: string; message: string }> };
      expect(problem.errors[0]).toMatchObject({ field: 'body.direction', message: expect.stringMatching(/privilege|permission|INSERT|UPDATE/i) });
      const created = await apiJson<{ id: string }>(stack, '/v1/sync-definitions', { method: 'POST', json: body }, 201);
      const patched = await stack.api(`/v1/sync-definitions/${created.id}`, { method: 'PATCH', json: { direction: 'ingress' } });
      expect(patched.status).toBe(422);
    } finally {
      await sql.unsafe(`drop owned by ${role}; drop role ${role}`);
    }
  });

  it('runs on a schedule of kind ingress, like any operation', async () => {
    const col = new Map(
      (
        await apiJson<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>(stack, `/v1/sync-definitions/${definitionId}/field-mappings?limit=100`)
      ).items.map((m) => [m.sourceColumn, m.targetColumn]),
    );
    await editItem((await itemOf(19)).id, { [col.get('name')!]: 'Scheduled edit' });
    await apiJson(stack, `/v1/sync-definitions/${definitionId}/schedules/ingress`, { method: 'PUT', json: { intervalSeconds: 3600, paused: true } });
    const runsOf = async () => (await apiJson<{ items: RunView[] }>(stack, `/v1/sync-runs?definitionId=${definitionId}&kind=ingress&limit=200`)).items;
    const before = (await runsOf()).length;
    await apiJson(stack, `/v1/sync-definitions/${definitionId}/schedules/ingress/trigger`, { method: 'POST' }, 202);
    const deadline = Date.now() + 60_000;
    while ((await rowsOf()).find((r) => r.id === 19)!.name !== 'Scheduled edit') {
      if (Date.now() > deadline) throw new Error('the scheduled ingress did not write the edit within 60 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    const runs = await runsOf();
    expect(runs.length).toBe(before + 1);
    await waitForRun(stack, definitionId, runs[0]!.workflowId);
    await apiJson(stack, `/v1/sync-definitions/${definitionId}/schedules/ingress`, { method: 'DELETE' }, 204);
  });

  it('refuses ingress of a push-only definition with a 409 naming direction', async () => {
    await apiJson(stack, `/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { direction: 'push' } });
    const res = await stack.api(`/v1/sync-definitions/${definitionId}/operations/ingress`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { errors: Array<{ field: string }> }).errors[0]!.field).toBe('direction');
    await apiJson(stack, `/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { direction: 'both' } });
  });

  it('quarantines an item the table refuses, with the reason, and applies the rest', async () => {
    const col = new Map(
      (
        await apiJson<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>(stack, `/v1/sync-definitions/${definitionId}/field-mappings?limit=100`)
      ).items.map((m) => [m.sourceColumn, m.targetColumn]),
    );
    await sql`alter table contacts add constraint score_small check (score < 1000)`;
    await editItem((await itemOf(8)).id, { [col.get('score')!]: 5000 });
    await editItem((await itemOf(9)).id, { [col.get('name')!]: 'Fine edit' });
    const run = await runIngress();
    expect(run.counts).toMatchObject({ updated: 1, quarantined: 1 });
    const q = await apiJson<{ items: Array<{ sourceKey: string; reason: string }> }>(stack, `/v1/sync-definitions/${definitionId}/quarantine`);
    expect(q.items.find((i) => i.sourceKey === '8')?.reason).toMatch(/score_small/);
    expect((await rowsOf()).find((r) => r.id === 9)!.name).toBe('Fine edit');
  });
});
