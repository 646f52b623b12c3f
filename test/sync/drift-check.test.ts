import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import {
  apiJson,
  defineSync,
  listItems,
  provision,
  registerSourceAndConnection,
  runPush,
  waitForRun,
  waitForRunState,
  type EmulatorItem,
  type RunView,
  type SyncSetup,
} from '../harness/sync.ts';

/*
 * The read-only drift check through the path a user takes (HTTP API -> Temporal -> PostgreSQL
 * -> Graph emulator): each class produced on purpose, counted exactly, and nothing changed.
 */

interface DriftReport {
  id: string;
  definitionId: string;
  runId: string | null;
  counts: Record<string, number>;
  samples: Record<string, Array<{ sourceKey: string; targetId?: string | null; listItemId?: string | null; detail?: string }>>;
  graphRequests: number;
  createdAt: string;
}

const CLASSES = ['orphanItems', 'missingItems', 'valueDrift', 'ledgerDrift', 'duplicates'] as const;

describe('drift check: table, ledger and lists compared, nothing changed', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let reg: SyncSetup;

  const admin = (path: string, init?: RequestInit) => fetch(`${stack.emulator!.adminUrl}${path}`, init);
  const sendJson = (method: string, body: unknown): RequestInit => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  const createTable = async (name: string, rows: number) =>
    sql.unsafe(`
      create table ${name} (
        id integer primary key,
        name text not null,
        score numeric(10,2),
        active boolean,
        due date,
        updated_at timestamptz not null default now()
      );
      insert into ${name} (id, name, score, active, due)
        select g, 'Item ' || g, g * 1.25, g % 2 = 0, date '2026-01-01' + g from generate_series(1, ${rows}) g;
    `);

  const define = async (table: string) => {
    const { definitionId, listId } = await defineSync(stack, reg, { name: table, table, keyStrategy: 'pk', keyColumns: ['id'], cursorColumn: 'updated_at' });
    const pushed = await runPush(stack, definitionId);
    expect(pushed.status, JSON.stringify(pushed.errors)).toBe('succeeded');
    return { definitionId, listId };
  };

  const runDriftCheck = async (definitionId: string): Promise<{ run: RunView; report: DriftReport }> => {
    const ticket = await apiJson<{ workflowId: string; runId: string; state: string }>(
      stack,
      `/v1/sync-definitions/${definitionId}/operations/drift_check`,
      { method: 'POST' },
      202,
    );
    expect(ticket.state).toBe('started');
    const run = await waitForRun(stack, definitionId, ticket.workflowId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    const page = await apiJson<{ items: DriftReport[] }>(stack, `/v1/sync-definitions/${definitionId}/drift-reports?limit=1`);
    const newest = page.items[0]!;
    expect(newest.runId).toBe(ticket.runId);
    const report = await apiJson<DriftReport>(stack, `/v1/drift-reports/${newest.id}`);
    expect(report).toEqual(newest);
    return { run, report };
  };

  const classCounts = (r: DriftReport) => Object.fromEntries(CLASSES.map((c) => [c, r.counts[c]]));
  const sortedItems = async (listId: string) => (await listItems(stack, listId)).sort((a, b) => Number(a.id) - Number(b.id));
  const ledgerOf = (definitionId: string) =>
    stack.store
      .sql`select source_key, target_id, list_item_id, content_hash, etag, updated_at from sync_ledger where definition_id = ${definitionId} order by source_key`;

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    source = await createTestDatabase('sb_drift_check');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await createTable('clean_items', 8);
    await createTable('drift_items', 10);
    await createTable('token_items', 8);
    reg = await registerSourceAndConnection(stack, source, 'drift');
  });

  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('reports zeros for a definition whose lists hold what push wrote', async () => {
    const { definitionId, listId } = await define('clean_items');
    const before = await sortedItems(listId);
    const { run, report } = await runDriftCheck(definitionId);
    expect(classCounts(report)).toEqual({ orphanItems: 0, missingItems: 0, valueDrift: 0, ledgerDrift: 0, duplicates: 0 });
    expect(report.counts).toMatchObject({ itemsRead: 8, rowsRead: 8, ledgerEntries: 8, unkeyedItems: 0 });
    expect(report.graphRequests).toBeGreaterThanOrEqual(1);
    expect(report.counts.graphRequests).toBe(report.graphRequests);
    expect(run.counts).toMatchObject(classCounts(report));
    expect(await sortedItems(listId)).toEqual(before);
  });

  it('counts each class produced on purpose, exactly, and changes nothing', async () => {
    const { definitionId, listId } = await define('drift_items');
    const items = await sortedItems(listId);
    const itemOf = (id: number): EmulatorItem => items.find((i) => i.fields.SyncBridgeKey === String(id))!;
    const list = encodeURIComponent(listId);
    const mappings = await apiJson<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>(
      stack,
      `/v1/sync-definitions/${definitionId}/field-mappings?limit=100`,
    );
    const col = new Map(mappings.items.map((m) => [m.sourceColumn, m.targetColumn]));

    // Missing + ledger drift: item 1 deleted in the list (its ledger entry points at nothing now).
    expect((await admin(`/lists/${list}/items/${itemOf(1).id}`, { method: 'DELETE' })).status).toBe(204);
    // Value drift: item 2 edited in the list.
    expect((await admin(`/lists/${list}/items/${itemOf(2).id}`, sendJson('PATCH', { fields: { [col.get('name')!]: 'Edited in SharePoint' } }))).status).toBe(
      200,
    );
    // Orphans: rows 3 and 4 deleted behind the ledger's back (4's entry removed too).
    await sql`delete from drift_items where id in (3, 4)`;
    await stack.store.sql`delete from sync_ledger where definition_id = ${definitionId} and source_key = '4'`;
    // A second (non-default) list of the definition, where an interrupted move would leave items.
    const second = await apiJson<{ id: string }>(
      stack,
      `/v1/sync-definitions/${definitionId}/targets`,
      { method: 'POST', json: { connectionId: reg.connectionId, siteId: reg.siteId, listDisplayName: 'drift_items_old', isDefault: false } },
      201,
    );
    await provision(stack, definitionId);
    const targets = await apiJson<{ items: Array<{ id: string; listId: string }> }>(stack, `/v1/sync-definitions/${definitionId}/targets`);
    const oldListId = targets.items.find((t) => t.id === second.id)!.listId;
    // Duplicate: an item carrying key 5 in the other list too (SharePoint's unique index on the key holds within one list).
    const copy = Object.fromEntries(Object.entries(itemOf(5).fields).filter(([k]) => k === 'SyncBridgeKey' || k === 'Title' || [...col.values()].includes(k)));
    expect((await admin(`/lists/${encodeURIComponent(oldListId)}/items`, sendJson('POST', { items: [{ fields: copy }] }))).status).toBe(201);
    // Ledger drift: the entry of 6 points at an item that does not exist (item 6 itself is still there) ...
    await stack.store.sql`update sync_ledger set list_item_id = '999999' where definition_id = ${definitionId} and source_key = '6'`;
    // ... and the entry of 7 at the other list, whose item 7 lives in the first.
    await stack.store.sql`update sync_ledger set target_id = ${second.id} where definition_id = ${definitionId} and source_key = '7'`;
    // Missing without a ledger entry: a row push has not written yet.
    await sql`insert into drift_items (id, name, score, active, due) values (11, 'Item 11', 13.75, false, date '2026-02-01')`;

    const itemsBefore = [...(await sortedItems(listId)), ...(await sortedItems(oldListId))];
    const rowsBefore = await sql`select * from drift_items order by id`;
    const ledgerBefore = await ledgerOf(definitionId);

    const { run, report } = await runDriftCheck(definitionId);
    expect(classCounts(report), JSON.stringify(report.samples)).toEqual({ orphanItems: 2, missingItems: 2, valueDrift: 1, ledgerDrift: 3, duplicates: 1 });
    expect(report.counts).toMatchObject({ itemsRead: 10, rowsRead: 9, ledgerEntries: 9, unkeyedItems: 0, rowsNotWritten: 0, misrouted: 0 });
    // One page per list: the two lists are read with one Graph request each.
    expect(report.graphRequests).toBe(2);
    expect(run.counts).toMatchObject(classCounts(report));
    const keys = (cls: string) => report.samples[cls]!.map((s) => s.sourceKey).sort();
    expect(keys('orphanItems')).toEqual(['3', '4']);
    expect(keys('missingItems')).toEqual(['1', '11']);
    expect(keys('valueDrift')).toEqual(['2']);
    expect(keys('ledgerDrift')).toEqual(['1', '6', '7']);
    expect(keys('duplicates')).toEqual(['5']);

    // Read-only: the list, the table and the ledger are as they were.
    expect([...(await sortedItems(listId)), ...(await sortedItems(oldListId))]).toEqual(itemsBefore);
    expect(await sql`select * from drift_items order by id`).toEqual(rowsBefore);
    expect(await ledgerOf(definitionId)).toEqual(ledgerBefore);

    expect(report.counts).toMatchObject({ listsEnumerated: 2, listsFromDeltaToken: 0 });

    // A second check finds the same and lists newest first. It reads each list from the delta token the first
    // one kept: one request per list, answering that nothing changed.
    const again = await runDriftCheck(definitionId);
    expect(classCounts(again.report)).toEqual(classCounts(report));
    expect(again.report.counts).toMatchObject({ listsEnumerated: 0, listsFromDeltaToken: 2, itemsRead: 10 });
    expect(again.report.graphRequests).toBe(2);
    const all = await apiJson<{ items: DriftReport[]; nextCursor: string | null }>(stack, `/v1/sync-definitions/${definitionId}/drift-reports?limit=1`);
    expect(all.items[0]!.id).toBe(again.report.id);
    expect(all.nextCursor).not.toBeNull();
    const next = await apiJson<{ items: DriftReport[]; nextCursor: string | null }>(
      stack,
      `/v1/sync-definitions/${definitionId}/drift-reports?limit=1&cursor=${encodeURIComponent(all.nextCursor!)}`,
    );
    expect(next.items.map((r) => r.id)).toEqual([report.id]);
  });

  it('reads a list from the delta token the last check kept: only what changed since, nothing missed', async () => {
    const { definitionId, listId } = await define('token_items');
    const before = await sortedItems(listId);
    const first = await runDriftCheck(definitionId);
    expect(first.report.counts).toMatchObject({ listsEnumerated: 1, listsFromDeltaToken: 0, itemsRead: 8 });

    // What changes in the list after a check is seen through the delta token the check kept: one item edited, one
    // deleted in SharePoint. The list is not enumerated again.
    const mappings = await apiJson<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>(
      stack,
      `/v1/sync-definitions/${definitionId}/field-mappings`,
    );
    const nameColumn = mappings.items.find((m) => m.sourceColumn === 'name')!.targetColumn;
    const list = encodeURIComponent(listId);
    expect((await admin(`/lists/${list}/items/${before[0]!.id}`, sendJson('PATCH', { fields: { [nameColumn]: 'Edited later' } }))).status).toBe(200);
    expect((await admin(`/lists/${list}/items/${before[1]!.id}`, { method: 'DELETE' })).status).toBe(204);
    const later = await runDriftCheck(definitionId);
    expect(later.report.counts).toMatchObject({ listsEnumerated: 0, listsFromDeltaToken: 1, itemsRead: 7 });
    expect(later.report.graphRequests).toBe(1);
    expect(classCounts(later.report)).toEqual({ orphanItems: 0, missingItems: 1, valueDrift: 1, ledgerDrift: 1, duplicates: 0 });

    // A token the service no longer serves (410) starts the copy over: the list is enumerated again, the same found.
    expect((await admin('/delta/expire', sendJson('POST', { listId }))).status).toBe(200);
    const afterExpiry = await runDriftCheck(definitionId);
    expect(afterExpiry.report.counts).toMatchObject({ listsEnumerated: 1, listsFromDeltaToken: 0, itemsRead: 7 });
    expect(classCounts(afterExpiry.report)).toEqual(classCounts(later.report));
  });

  it('runs from a schedule like any operation', async () => {
    const [def] = await stack.store.sql<Array<{ id: string }>>`select id from sync_definitions where source_table = 'clean_items'`;
    const definitionId = def!.id;
    const reports = async () => (await apiJson<{ items: DriftReport[] }>(stack, `/v1/sync-definitions/${definitionId}/drift-reports`)).items.length;
    const before = await reports();
    await apiJson(stack, `/v1/sync-definitions/${definitionId}/schedules/drift_check`, { method: 'PUT', json: { intervalSeconds: 3600, paused: true } });
    await apiJson(stack, `/v1/sync-definitions/${definitionId}/schedules/drift_check/trigger`, { method: 'POST' }, 202);
    const deadline = Date.now() + 60_000;
    while ((await reports()) === before) {
      expect(Date.now(), 'no report from the scheduled drift check').toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 250));
    }
    const runs = await apiJson<{ items: Array<{ status: string; trigger: string }> }>(stack, `/v1/sync-runs?definitionId=${definitionId}&kind=drift_check`);
    expect(runs.items[0]).toMatchObject({ trigger: 'schedule' });
    await apiJson(stack, `/v1/sync-definitions/${definitionId}/schedules/drift_check`, { method: 'DELETE' }, 204);
  });

  it('answers 404 problems for unknown reports and definitions', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const path of [`/v1/drift-reports/${missing}`, `/v1/sync-definitions/${missing}/drift-reports`]) {
      const res = await stack.api(path);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  describe('drift repair', () => {
    interface Plan {
      status: string;
      summary: { total: number; byClass: Record<string, Record<string, number>> };
      actions: Array<{ class: string; op: string; sourceKey: string }>;
      actionsTotal: number;
      outcome: { done: Record<string, number>; failed: number } | null;
      decidedBy: string | null;
    }
    const definitionOf = async (table: string) =>
      (await stack.store.sql<Array<{ id: string }>>`select id from sync_definitions where source_table = ${table}`)[0]!.id;
    const startRepair = (definitionId: string, options: Record<string, unknown> = {}) =>
      apiJson<{ runId: string; workflowId: string }>(
        stack,
        `/v1/sync-definitions/${definitionId}/operations/drift_repair`,
        { method: 'POST', json: { options } },
        202,
      );
    const planOf = (runId: string) => apiJson<Plan>(stack, `/v1/sync-runs/${runId}/plan`);

    it('plans what the check found, waits for approval, applies it; a new check is clean and push has nothing to do', async () => {
      const definitionId = await definitionOf('drift_items');
      const reports = await apiJson<{ items: DriftReport[] }>(stack, `/v1/sync-definitions/${definitionId}/drift-reports?limit=1`);
      const reportId = reports.items[0]!.id;
      // A report of another definition is refused before anything runs.
      const other = await definitionOf('clean_items');
      const wrong = await stack.api(`/v1/sync-definitions/${other}/operations/drift_repair`, { method: 'POST', json: { options: { reportId } } });
      expect(wrong.status).toBe(422);

      const dry = await startRepair(definitionId, { reportId, dryRun: true });
      const dryRun = await waitForRun(stack, definitionId, dry.workflowId);
      expect(dryRun.status, JSON.stringify(dryRun.errors)).toBe('succeeded');
      expect((await planOf(dry.runId)).status).toBe('planned');

      const started = await startRepair(definitionId, { reportId });
      const held = await waitForRunState<RunView & { hold: { kind: string; actions: number } | null }>(
        stack,
        started.runId,
        (r) => r.status === 'awaiting_approval',
      );
      expect(held.hold).toMatchObject({ kind: 'drift-repair', actions: 8 });
      const plan = await planOf(started.runId);
      // The plan matches the report: orphans and the stray copy deleted, missing items created, the edit overwritten,
      // the two entries pointing at the wrong place re-linked to the items that carry their keys (1 is re-created).
      expect(plan.summary.byClass).toEqual({
        orphanItems: { deleteItem: 2 },
        missingItems: { create: 2 },
        valueDrift: { update: 1 },
        ledgerDrift: { relink: 2 },
        duplicates: { deleteItem: 1 },
      });
      expect(plan).toMatchObject({ status: 'planned', actionsTotal: 8, outcome: null });
      // Nothing changed while it waits.
      expect((await runDriftCheck(definitionId)).report.counts).toMatchObject({ orphanItems: 2, missingItems: 2, valueDrift: 1 });

      const approved = await stack.api(`/v1/sync-runs/${started.runId}/approve-plan`, { method: 'POST' });
      expect(approved.status, await approved.clone().text()).toBe(202);
      const done = await waitForRun(stack, definitionId, started.workflowId);
      expect(done.status, JSON.stringify(done.errors)).toBe('succeeded');
      expect(done.counts).toMatchObject({ plannedActions: 8, repaired: 8 });
      expect(done.counts.repairFailed ?? 0).toBe(0);
      const applied = await planOf(started.runId);
      expect(applied).toMatchObject({ status: 'applied', outcome: { done: { deleteItem: 3, create: 2, update: 1, relink: 2 }, failed: 0 } });
      expect(applied.decidedBy).toBeTruthy();

      const { report } = await runDriftCheck(definitionId);
      expect(classCounts(report), JSON.stringify(report.samples)).toEqual({ orphanItems: 0, missingItems: 0, valueDrift: 0, ledgerDrift: 0, duplicates: 0 });
      const push = await runPush(stack, definitionId, { fullResync: true });
      expect(push.counts).toMatchObject({ created: 0, updated: 0, deleted: 0 });
      // A decision on a run that no longer waits is refused.
      expect((await stack.api(`/v1/sync-runs/${started.runId}/reject-plan`, { method: 'POST' })).status).toBe(409);
    });

    it('a rejected plan changes nothing; a plan within driftRepairAutoApproveMax applies without asking', async () => {
      const definitionId = await definitionOf('clean_items');
      const listId = (await stack.store.sql<Array<{ list_id: string }>>`select list_id from sync_targets where definition_id = ${definitionId}`)[0]!.list_id;
      const item = (await sortedItems(listId))[0]!;
      const mappings = await apiJson<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>(
        stack,
        `/v1/sync-definitions/${definitionId}/field-mappings?limit=100`,
      );
      const nameField = mappings.items.find((m) => m.sourceColumn === 'name')!.targetColumn;
      expect((await admin(`/lists/${encodeURIComponent(listId)}/items/${item.id}`, sendJson('PATCH', { fields: { [nameField]: 'Edited' } }))).status).toBe(200);

      const started = await startRepair(definitionId);
      await waitForRunState(stack, started.runId, (r: RunView) => r.status === 'awaiting_approval');
      expect((await stack.api(`/v1/sync-runs/${started.runId}/reject-plan`, { method: 'POST' })).status).toBe(202);
      const rejected = await waitForRun(stack, definitionId, started.workflowId);
      expect(rejected.counts).toMatchObject({ plannedActions: 1, repairRejected: 1 });
      expect((await planOf(started.runId)).status).toBe('rejected');
      expect((await sortedItems(listId)).find((i) => i.id === item.id)!.fields[nameField]).toBe('Edited');

      const patched = await stack.api(`/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { driftRepairAutoApproveMax: 5 } });
      expect(patched.status, await patched.clone().text()).toBe(200);
      const auto = await startRepair(definitionId);
      const run = await waitForRun(stack, definitionId, auto.workflowId);
      expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
      expect(run.counts).toMatchObject({ plannedActions: 1, repaired: 1, repairedUpdate: 1 });
      expect((await sortedItems(listId)).find((i) => i.id === item.id)!.fields[nameField]).not.toBe('Edited');
      expect((await planOf(auto.runId)).decidedBy).toContain('auto-approved');
    });

    it('re-links an entry whose row is gone by the time the plan applies, without writing; the next push deletes the item', async () => {
      await createTable('relink_items', 5);
      const { definitionId, listId } = await define('relink_items');
      const items = await sortedItems(listId);
      const item4 = items.find((i) => i.fields.SyncBridgeKey === '4')!;
      const [target] = await stack.store.sql<Array<{ id: string }>>`select id from sync_targets where definition_id = ${definitionId}`;
      // The entry of 4 points at an item that does not exist; item 4 still carries the key.
      await stack.store.sql`update sync_ledger set list_item_id = '999999' where definition_id = ${definitionId} and source_key = '4'`;
      const started = await startRepair(definitionId);
      await waitForRunState(stack, started.runId, (r: RunView) => r.status === 'awaiting_approval');
      const plan = await planOf(started.runId);
      expect(plan.summary.byClass).toMatchObject({ ledgerDrift: { relink: 1 }, orphanItems: {}, missingItems: {} });
      expect(plan.actions).toEqual([expect.objectContaining({ class: 'ledgerDrift', op: 'relink', sourceKey: '4', listItemId: item4.id })]);
      // The row is deleted while the plan waits: the relink finds no row to write to the item.
      await sql`delete from relink_items where id = 4`;
      expect((await stack.api(`/v1/sync-runs/${started.runId}/approve-plan`, { method: 'POST' })).status).toBe(202);
      const done = await waitForRun(stack, definitionId, started.workflowId);
      expect(done.status, JSON.stringify(done.errors)).toBe('succeeded');
      expect(done.counts).toMatchObject({ plannedActions: 1, repaired: 1, repairedRelink: 1, repairFailed: 0 });
      expect(await planOf(started.runId)).toMatchObject({ status: 'applied', outcome: { done: { relink: 1 }, failed: 0 } });
      // The entry points at the item found, its hash cleared for the next push to compare; nothing was written.
      const [entry] = await stack.store
        .sql`select target_id, list_item_id, content_hash, etag from sync_ledger where definition_id = ${definitionId} and source_key = '4'`;
      expect(entry).toEqual({ target_id: target!.id, list_item_id: item4.id, content_hash: '', etag: null });
      expect(await sortedItems(listId)).toEqual(items);
      const events = await stack.store.sql`select kind, to_target_id, list_item_id from ledger_events where run_id = ${started.runId} and source_key = '4'`;
      expect(events).toEqual([{ kind: 'adopt', to_target_id: target!.id, list_item_id: item4.id }]);

      // The row is gone: the next push's delete sweep removes the item the entry now points at, and the entry.
      const push = await runPush(stack, definitionId);
      expect(push.status, JSON.stringify(push.errors)).toBe('succeeded');
      expect(push.counts).toMatchObject({ read: 4, created: 0, updated: 0, deleted: 1 });
      expect(await sortedItems(listId)).toEqual(items.filter((i) => i.id !== item4.id));
      expect(await stack.store.sql`select 1 from sync_ledger where definition_id = ${definitionId} and source_key = '4'`).toHaveLength(0);
    });

    it('unlinks, not re-links, an entry whose key is on an orphan item the same repair deletes (the row was gone at check time)', async () => {
      await createTable('gone_items', 5);
      const { definitionId, listId } = await define('gone_items');
      const items = await sortedItems(listId);
      const item4 = items.find((i) => i.fields.SyncBridgeKey === '4')!;
      await stack.store.sql`update sync_ledger set list_item_id = '999999' where definition_id = ${definitionId} and source_key = '4'`;
      await sql`delete from gone_items where id = 4`;
      const started = await startRepair(definitionId);
      await waitForRunState(stack, started.runId, (r: RunView) => r.status === 'awaiting_approval');
      const plan = await planOf(started.runId);
      // Item 4 is an orphan (no row): it goes, and the entry with it; pointing the entry at it would leave the entry dangling.
      expect(plan.summary.byClass).toMatchObject({ orphanItems: { deleteItem: 1 }, ledgerDrift: { unlink: 1 } });
      expect(plan.actions.map((a) => `${a.op} ${a.sourceKey}`).sort()).toEqual(['deleteItem 4', 'unlink 4']);
      expect((await stack.api(`/v1/sync-runs/${started.runId}/approve-plan`, { method: 'POST' })).status).toBe(202);
      const done = await waitForRun(stack, definitionId, started.workflowId);
      expect(done.status, JSON.stringify(done.errors)).toBe('succeeded');
      expect(done.counts).toMatchObject({ repaired: 2, repairFailed: 0 });
      expect(await sortedItems(listId)).toEqual(items.filter((i) => i.id !== item4.id));
      expect(await stack.store.sql`select 1 from sync_ledger where definition_id = ${definitionId} and source_key = '4'`).toHaveLength(0);
      const { report } = await runDriftCheck(definitionId);
      expect(classCounts(report), JSON.stringify(report.samples)).toEqual({ orphanItems: 0, missingItems: 0, valueDrift: 0, ledgerDrift: 0, duplicates: 0 });
    });
  });
});
