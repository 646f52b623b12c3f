import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson, listItems, provision, registerSourceAndConnection, runPush, waitForRun, type EmulatorItem, type RunView } from '../harness/sync.ts';
import { startWorkerProcess, type WorkerProcess } from '../harness/worker-process.ts';

/*
 * Ingress (lists -> table) under failure, through the path a user takes: runs requested through
 * the HTTP API, executed by a real worker process on Temporal, reading the emulator's Graph delta
 * and writing PostgreSQL. Edits are made in the lists through the emulator's admin routes (the
 * stand-in for a person in the SharePoint UI).
 *
 * The worker is SIGKILLed at two precise points of one page (ingress/page.ts), found without
 * timing guesses: the test holds a lock the page must wait for, waits until the worker's session
 * is seen waiting on it in pg_stat_activity, and kills the worker there.
 *  1. reading: the page was fetched from Graph and its rows are being read from the table
 *     (the table is held under ACCESS EXCLUSIVE);
 *  2. committing: the page's writes are in the table, its ledger/cursor commit is not
 *     (the list's delta position row in the meta-store is held FOR UPDATE).
 * Each kill costs one activity heartbeat timeout (30 s) before the page is retried.
 *
 * Then moves made from the SharePoint side: a definition routing rows to two lists by a column,
 * direction both, where a person changes that column in an item of one list, with and without a
 * trigger maintaining the watermark column.
 */

type Reg = Awaited<ReturnType<typeof registerSourceAndConnection>>;

describe('ingress under worker crashes, and moves made from the SharePoint side', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let reg: Reg;
  let worker: WorkerProcess;

  const admin = (path: string, init?: RequestInit) => fetch(`${stack.emulator!.adminUrl}${path}`, init);
  const adminJson = (method: string, path: string, body: unknown) =>
    admin(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const editItem = async (listId: string, itemId: string, fields: Record<string, unknown>) => {
    const res = await adminJson('PATCH', `/lists/${encodeURIComponent(listId)}/items/${itemId}`, { fields });
    expect(res.status, await res.clone().text()).toBe(200);
  };
  const deleteItem = async (listId: string, itemId: string) =>
    expect((await admin(`/lists/${encodeURIComponent(listId)}/items/${itemId}`, { method: 'DELETE' })).status).toBe(204);
  const createItems = async (listId: string, items: Array<Record<string, unknown>>) => {
    const res = await adminJson('POST', `/lists/${encodeURIComponent(listId)}/items`, { items: items.map((fields) => ({ fields })) });
    expect(res.status, await res.clone().text()).toBe(201);
  };
  const setFaults = async (faults: Record<string, unknown>) => expect((await adminJson('PUT', '/faults', faults)).status).toBe(200);
  /** Source column -> list column, as provisioning mapped them. */
  const columnsOf = async (definitionId: string) =>
    new Map(
      (
        await apiJson<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>(stack, `/v1/sync-definitions/${definitionId}/field-mappings?limit=100`)
      ).items.map((m) => [m.sourceColumn, m.targetColumn]),
    );
  const until = async (check: () => Promise<boolean>, what: string, timeoutMs = 90_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; worker output: ${worker.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const startWorker = async () => {
    worker = startWorkerProcess(stack);
    await worker.ready;
  };
  const ledgerOf = (definitionId: string) =>
    stack.store.sql<
      Array<{ source_key: string; target_id: string; list_item_id: string }>
    >`select source_key, target_id, list_item_id from sync_ledger where definition_id = ${definitionId} order by source_key`;
  /** The list's delta position as the last committed page left it. */
  const deltaCursor = async (definitionId: string) =>
    (
      await stack.store.sql<Array<{ value: { next?: string; deltaLink?: string } }>>`
        select value from sync_cursors where definition_id = ${definitionId} and kind = 'delta_token'`
    )[0]?.value;
  /** Sessions of the worker (application_name) in a database waiting for a lock (on a statement matching `query`). */
  const waitingSessions = async (database: string, application: string, query = '%') =>
    (
      await stack.store.sql<Array<{ n: number }>>`
        select count(*)::int as n from pg_stat_activity
        where datname = ${database} and application_name = ${application} and wait_event_type = 'Lock' and query ilike ${query}`
    )[0]!.n;

  /** Runs `take` in a transaction kept open (its locks held) until `release()`. */
  function holdLock(db: postgres.Sql, take: (tx: postgres.TransactionSql) => Promise<unknown>) {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let acquired!: Promise<void>;
    const done = new Promise<void>((resolveDone, rejectDone) => {
      acquired = new Promise<void>((resolve, reject) => {
        db.begin(async (tx) => {
          await take(tx);
          resolve();
          await gate;
        }).then(
          () => resolveDone(),
          (err: unknown) => {
            reject(err);
            rejectDone(err);
          },
        );
      });
    });
    return {
      acquired,
      async release() {
        open();
        await done;
      },
    };
  }

  beforeAll(async () => {
    stack = await startTestStack({ emulator: true });
    worker = startWorkerProcess(stack);
    source = await createTestDatabase('sb_ingress_faults');
    sql = postgres(source.url, { max: 3, onnotice: () => {} });
    await sql.unsafe(`
      create function touch() returns trigger language plpgsql as $$ begin new.updated_at := clock_timestamp(); return new; end $$;
      create table contacts (id integer primary key, name text not null, score numeric(10,2), active boolean, note text, updated_at timestamptz not null default now());
      create trigger contacts_touch before update on contacts for each row execute function touch();
      insert into contacts (id, name, score, active) select g, 'Contact ' || g, g * 1.5, g % 2 = 0 from generate_series(1, 300) g;
    `);
    reg = await registerSourceAndConnection(stack, source, 'ingress-faults');
    await worker.ready;
  });
  afterAll(async () => {
    await worker?.kill('SIGKILL');
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('a worker killed while a page is read and again after its table writes but before its commit, then a 410 mid-round: every list change lands exactly once', async () => {
    const def = await apiJson(
      stack,
      '/v1/sync-definitions',
      {
        method: 'POST',
        json: {
          appId: reg.appId,
          name: 'contacts',
          sourceInstanceId: reg.instanceId,
          sourceSchema: 'public',
          sourceTable: 'contacts',
          keyStrategy: 'pk',
          keyColumns: ['id'],
          cursorStrategy: 'updated_at',
          cursorColumn: 'updated_at',
          direction: 'both',
          conflictPolicy: 'source_wins',
          // Delta pages of 25 changes: the edits below take several pages.
          batchSize: 25,
        },
      },
      201,
    );
    const definitionId = def.id;
    await apiJson(
      stack,
      `/v1/sync-definitions/${definitionId}/targets`,
      { method: 'POST', json: { connectionId: reg.connectionId, siteId: reg.siteId, listDisplayName: 'Contacts', isDefault: true } },
      201,
    );
    await provision(stack, definitionId);
    const listId = (await apiJson<{ items: Array<{ listId: string }> }>(stack, `/v1/sync-definitions/${definitionId}/targets`)).items[0]!.listId;
    const runIngress = async () =>
      (await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/operations/ingress`, { method: 'POST' }, 202)).workflowId;

    const first = await runPush(stack, definitionId);
    expect(first.status, JSON.stringify(first.errors)).toBe('succeeded');
    expect(first.counts).toMatchObject({ created: 300 });
    // The list as push left it: ingress reads back only push's own writes, and writes nothing.
    const settle = await waitForRun(stack, definitionId, await runIngress());
    expect(settle.status, JSON.stringify(settle.errors)).toBe('succeeded');
    expect(settle.counts).toMatchObject({ created: 0, updated: 0, deleted: 0, conflicts: 0, quarantined: 0 });

    // A person's afternoon in the list: edits, deletions and new items, interleaved so every delta page holds each kind.
    const col = await columnsOf(definitionId);
    const byKey = new Map((await listItems(stack, listId)).map((i) => [i.fields.SyncBridgeKey as string, i]));
    expect(byKey.size).toBe(300);
    const expected = new Map<number, { name: string; score: number | null; active: boolean | null }>();
    for (let g = 1; g <= 300; g++) expected.set(g, { name: `Contact ${g}`, score: g * 1.5, active: g % 2 === 0 });
    for (let g = 1; g <= 300; g++) {
      const itemId = byKey.get(String(g))!.id;
      if (g % 10 === 3) {
        await deleteItem(listId, itemId);
        expected.delete(g);
      } else if (g % 3 === 0) {
        await editItem(listId, itemId, { [col.get('name')!]: `Edited in SharePoint ${g}`, [col.get('score')!]: g + 0.25 });
        expected.set(g, { ...expected.get(g)!, name: `Edited in SharePoint ${g}`, score: g + 0.25 });
      }
      if (g % 8 === 0) {
        const id = 1000 + g;
        await createItems(listId, [{ Title: `new ${id}`, [col.get('id')!]: id, [col.get('name')!]: `Made in SharePoint ${id}`, [col.get('active')!]: true }]);
        expected.set(id, { name: `Made in SharePoint ${id}`, score: null, active: true });
      }
    }

    // Some latency on Graph, so the run is still reading its list when the first page has committed.
    await setFaults({ latencyMs: 150 });
    const workflowId = await runIngress();
    await until(async () => Boolean((await deltaCursor(definitionId))?.next), 'the first page of the round to commit');

    // Kill 1: a page was fetched from Graph and its rows are being read from the table.
    const tableLock = holdLock(sql, (tx) => tx`lock table contacts in access exclusive mode`);
    await tableLock.acquired;
    await until(async () => (await waitingSessions(source.name, 'syncbridge-source')) > 0, 'a page to wait for the table rows it reads');
    const position = await deltaCursor(definitionId);
    expect(position?.next, 'killed mid-round').toBeTruthy();
    await worker.kill('SIGKILL');
    await setFaults({});

    // Kill 2: the page's writes are in the table, its commit (ledger, events, delta position) waits for the position row.
    const cursorLock = holdLock(
      stack.store.sql,
      (tx) => tx`select 1 from sync_cursors where definition_id = ${definitionId} and kind = 'delta_token' for update`,
    );
    await cursorLock.acquired;
    await tableLock.release();
    const tableBefore = await sql<Array<{ id: number; name: string }>>`select id, name from contacts order by id`;
    await startWorker();
    // The attempt the first kill interrupted is retried once its heartbeat times out (30 s).
    await until(async () => (await waitingSessions(stack.db.name, 'syncbridge-worker', '%sync_cursors%')) > 0, 'the retried page to reach its commit');
    const tableAtCommit = await sql<Array<{ id: number; name: string }>>`select id, name from contacts order by id`;
    expect(tableAtCommit, 'the page wrote the table before its commit').not.toEqual(tableBefore);
    await worker.kill('SIGKILL');
    await cursorLock.release();
    expect(await deltaCursor(definitionId), 'the killed commit did not move the delta position').toEqual(position);
    // And while the worker is down, the list's delta tokens expire mid-round: the next page answers 410, and the list is
    // enumerated again (a resync) from the start, diffed against the ledger.
    expect((await adminJson('POST', '/delta/expire', { listId })).status).toBe(200);
    await startWorker();

    const run = await waitForRun(stack, definitionId, workflowId, 180_000);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    expect(run.counts.resyncs, JSON.stringify(run.counts)).toBe(1);
    expect(run.counts.quarantined ?? 0, JSON.stringify(run.counts)).toBe(0);

    /** Table == list == what the person did; one ledger entry per row, pointing at the item carrying its key. */
    const expectConverged = async () => {
      const rows = await sql<Array<{ id: number; name: string; score: string | null; active: boolean | null }>>`
        select id, name, score::text, active from contacts order by id`;
      expect(new Set(rows.map((r) => r.id)).size, 'no duplicate rows').toBe(rows.length);
      expect(rows.map((r) => r.id)).toEqual([...expected.keys()].sort((a, b) => a - b));
      for (const r of rows) {
        expect({ name: r.name, score: r.score === null ? null : Number(r.score), active: r.active }, `row ${r.id}`).toEqual(expected.get(r.id));
      }
      const items = await listItems(stack, listId);
      const itemByKey = new Map<string, EmulatorItem>();
      for (const item of items) {
        const key = item.fields.SyncBridgeKey as string | undefined;
        expect(key, `item ${item.id} carries its key`).toBeTruthy();
        expect(itemByKey.has(key!), `one item for key ${key}`).toBe(false);
        itemByKey.set(key!, item);
      }
      expect([...itemByKey.keys()].sort()).toEqual(rows.map((r) => String(r.id)).sort());
      for (const r of rows) {
        const fields = itemByKey.get(String(r.id))!.fields;
        expect(fields[col.get('name')!], `item ${r.id}`).toBe(r.name);
      }
      const ledger = await ledgerOf(definitionId);
      expect(ledger.map((l) => l.source_key).sort(), 'one ledger entry per row').toEqual(rows.map((r) => String(r.id)).sort());
      for (const l of ledger) expect(l.list_item_id, `ledger of ${l.source_key}`).toBe(itemByKey.get(l.source_key)!.id);
    };
    await expectConverged();

    // No write from the list is on record twice: at most one create per new item, one delete per deleted one.
    const events = await stack.store.sql<Array<{ kind: string; source_key: string }>>`
      select e.kind, e.source_key from ledger_events e join sync_runs r on r.id = e.run_id
      where r.workflow_id = ${workflowId} and e.kind in ('create', 'delete')`;
    const keysOf = (kind: string) => events.filter((e) => e.kind === kind).map((e) => Number(e.source_key));
    expect(new Set(keysOf('delete')).size).toBe(keysOf('delete').length);
    expect(new Set(keysOf('create')).size).toBe(keysOf('create').length);

    // Nothing is left to apply: a further ingress writes nothing to the table. (It reads back the key stamps of the new
    // items; whether those count as conflicts is the business of the test below, not of this one.)
    const again = await waitForRun(stack, definitionId, await runIngress());
    expect(again.status, JSON.stringify(again.errors)).toBe('succeeded');
    expect(again.counts, `a further ingress writes nothing: ${JSON.stringify(again.counts)}`).toMatchObject({
      created: 0,
      updated: 0,
      deleted: 0,
      quarantined: 0,
    });
    // A two-way cycle sends only what the table itself changed (the trigger moved updated_at of the rows ingress wrote;
    // defaults filled the new rows), reads nothing back into the table, and creates or deletes no item.
    const cycle = await runPush(stack, definitionId);
    expect(cycle.status, JSON.stringify(cycle.errors)).toBe('succeeded');
    expect(cycle.counts, JSON.stringify(cycle.counts)).toMatchObject({ created: 0, deleted: 0 });
    for (const k of ['ingressCreated', 'ingressUpdated', 'ingressDeleted', 'ingressConflicts']) expect(cycle.counts[k] ?? 0, k).toBe(0);
    // And the cycle after it writes nothing anywhere.
    const idle = await runPush(stack, definitionId);
    expect(idle.counts, JSON.stringify(idle.counts)).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    for (const k of ['ingressCreated', 'ingressUpdated', 'ingressDeleted', 'ingressConflicts']) expect(idle.counts[k] ?? 0, k).toBe(0);
    await expectConverged();
  }, 360_000);

  it("an item created in SharePoint is not a conflict on the next round: its key stamp is SyncBridge's own write", async () => {
    await sql.unsafe(`create table tickets (id integer primary key, title text not null, updated_at timestamptz not null default now())`);
    const def = await apiJson(
      stack,
      '/v1/sync-definitions',
      {
        method: 'POST',
        json: {
          appId: reg.appId,
          name: 'tickets',
          sourceInstanceId: reg.instanceId,
          sourceSchema: 'public',
          sourceTable: 'tickets',
          keyStrategy: 'pk',
          keyColumns: ['id'],
          cursorStrategy: 'updated_at',
          cursorColumn: 'updated_at',
          direction: 'both',
          // Manual: every conflict ingress finds is left open for a person.
          conflictPolicy: 'manual',
        },
      },
      201,
    );
    await apiJson(
      stack,
      `/v1/sync-definitions/${def.id}/targets`,
      { method: 'POST', json: { connectionId: reg.connectionId, siteId: reg.siteId, listDisplayName: 'Tickets', isDefault: true } },
      201,
    );
    await provision(stack, def.id);
    const listId = (await apiJson<{ items: Array<{ listId: string }> }>(stack, `/v1/sync-definitions/${def.id}/targets`)).items[0]!.listId;
    expect((await runPush(stack, def.id)).status).toBe('succeeded');
    const col = await columnsOf(def.id);
    const ingress = async () => {
      const ticket = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${def.id}/operations/ingress`, { method: 'POST' }, 202);
      const run = await waitForRun(stack, def.id, ticket.workflowId);
      expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
      return run;
    };
    await createItems(listId, [{ Title: 'new', [col.get('id')!]: 7, [col.get('title')!]: 'Filed in SharePoint' }]);
    expect((await ingress()).counts).toMatchObject({ created: 1, keysWritten: 1, conflicts: 0 });
    expect(await sql`select title from tickets where id = 7`).toEqual([{ title: 'Filed in SharePoint' }]);
    // Since then only SyncBridge touched the item (its key), and only the column default (updated_at) distinguishes the row
    // from the item: nobody changed anything on either side, so there is nothing to decide.
    const next = await ingress();
    expect(next.counts, JSON.stringify(next.counts)).toMatchObject({ created: 0, updated: 0, conflicts: 0 });
    const open = await stack.store.sql`select source_key from conflicts where definition_id = ${def.id} and status = 'open'`;
    expect(open, 'no conflict is left for a person to resolve').toEqual([]);
  });

  /** A two-way definition over `table`, its rows routed by region: 'eu' to one list, everything else to the default list. */
  async function routedDefinition(table: string, label: string) {
    const def = await apiJson(
      stack,
      '/v1/sync-definitions',
      {
        method: 'POST',
        json: {
          appId: reg.appId,
          name: table,
          sourceInstanceId: reg.instanceId,
          sourceSchema: 'public',
          sourceTable: table,
          keyStrategy: 'pk',
          keyColumns: ['id'],
          cursorStrategy: 'updated_at',
          cursorColumn: 'updated_at',
          targetStrategy: 'conditional',
          direction: 'both',
          conflictPolicy: 'source_wins',
          batchSize: 25,
        },
      },
      201,
    );
    const eu = await apiJson(
      stack,
      `/v1/sync-definitions/${def.id}/targets`,
      {
        method: 'POST',
        json: {
          connectionId: reg.connectionId,
          siteId: reg.siteId,
          listDisplayName: `${label} EU`,
          routingRule: { column: 'region', op: 'eq', value: 'eu' },
          priority: 10,
        },
      },
      201,
    );
    const other = await apiJson(
      stack,
      `/v1/sync-definitions/${def.id}/targets`,
      { method: 'POST', json: { connectionId: reg.connectionId, siteId: reg.siteId, listDisplayName: `${label} other`, isDefault: true, priority: 100 } },
      201,
    );
    await provision(stack, def.id);
    const targets = (await apiJson<{ items: Array<{ id: string; listId: string }> }>(stack, `/v1/sync-definitions/${def.id}/targets`)).items;
    const listOf = (id: string) => targets.find((t) => t.id === id)!.listId;
    const first = await runPush(stack, def.id);
    expect(first.status, JSON.stringify(first.errors)).toBe('succeeded');
    expect(first.counts).toMatchObject({ created: 40 });
    // The next cycle reads push's own items back and writes nothing.
    expectIdle(await runPush(stack, def.id));
    return { definitionId: def.id, a: { id: eu.id, listId: listOf(eu.id) }, b: { id: other.id, listId: listOf(other.id) } };
  }

  function expectIdle(run: RunView) {
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    expect(run.counts, JSON.stringify(run.counts)).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    for (const k of ['moved', 'ingressMoved', 'ingressCreated', 'ingressUpdated', 'ingressDeleted', 'ingressConflicts', 'quarantined'])
      expect(run.counts[k] ?? 0, `${k} in ${JSON.stringify(run.counts)}`).toBe(0);
  }

  /**
   * An item edited in list A so that its row now routes to list B: the cycle writes the row, and
   * the item ends up in B only, once, with the ledger pointing at B; nothing loops afterwards.
   * An item deleted in A deletes its row.
   */
  async function moveFromSharePoint(table: string, label: string) {
    // Spaced watermarks: only the newest row is inside push's 5 s overlap window, so a row is pushed again only if it changed.
    await sql.unsafe(`
      insert into ${table} (id, name, region, updated_at)
      select g, 'account ' || g, case when g % 2 = 0 then 'eu' else 'us' end, timestamptz '2025-01-01' + g * interval '1 minute'
      from generate_series(1, 40) g`);
    const { definitionId, a, b } = await routedDefinition(table, label);
    const col = await columnsOf(definitionId);
    const inA = await listItems(stack, a.listId);
    expect(inA.map((i) => i.fields.SyncBridgeKey).sort()).toEqual(Array.from({ length: 20 }, (_, i) => String(2 * (i + 1))).sort());
    const item = (list: EmulatorItem[], key: string) => list.filter((i) => i.fields.SyncBridgeKey === key);

    // Row 4 (eu, in A): a person sets its region to 'us' in list A, and renames it.
    await editItem(a.listId, item(inA, '4')[0]!.id, { [col.get('region')!]: 'us', [col.get('name')!]: 'moved by a person' });
    const cycle = await runPush(stack, definitionId);
    expect(cycle.status, JSON.stringify(cycle.errors)).toBe('succeeded');
    expect(cycle.counts.ingressUpdated, JSON.stringify(cycle.counts)).toBe(1);
    const [row] = await sql<Array<{ name: string; region: string }>>`select name, region from ${sql(table)} where id = 4`;
    expect(row).toEqual({ name: 'moved by a person', region: 'us' });
    const listA = await listItems(stack, a.listId);
    const listB = await listItems(stack, b.listId);
    expect(item(listA, '4'), 'the item left list A').toHaveLength(0);
    const moved = item(listB, '4');
    expect(moved, 'the item is in list B, once').toHaveLength(1);
    expect(moved[0]!.fields[col.get('name')!]).toBe('moved by a person');
    expect(moved[0]!.fields[col.get('region')!]).toBe('us');
    const ledger = (await ledgerOf(definitionId)).filter((l) => l.source_key === '4');
    expect(ledger).toEqual([{ source_key: '4', target_id: b.id, list_item_id: moved[0]!.id }]);
    // The ingress half moves it (the row's watermark need not move, so push might never read it again): push has nothing left.
    expect(cycle.counts, JSON.stringify(cycle.counts)).toMatchObject({ ingressMoved: 1, moved: 0, created: 0, deleted: 0 });
    // The cycles after it read the move back and write nothing: no loop.
    expectIdle(await runPush(stack, definitionId));
    expectIdle(await runPush(stack, definitionId));
    expect(item(await listItems(stack, a.listId), '4')).toHaveLength(0);
    expect(item(await listItems(stack, b.listId), '4')).toHaveLength(1);

    // Row 6 (eu, in A): a person deletes its item in A; the row goes.
    await deleteItem(a.listId, item(listA, '6')[0]!.id);
    const deletion = await runPush(stack, definitionId);
    expect(deletion.status, JSON.stringify(deletion.errors)).toBe('succeeded');
    expect(deletion.counts, JSON.stringify(deletion.counts)).toMatchObject({ ingressDeleted: 1, created: 0, deleted: 0 });
    expect(await sql`select id from ${sql(table)} where id = 6`).toHaveLength(0);
    expect((await ledgerOf(definitionId)).filter((l) => l.source_key === '6')).toHaveLength(0);
    expect(item(await listItems(stack, a.listId), '6')).toHaveLength(0);
    expect(item(await listItems(stack, b.listId), '6')).toHaveLength(0);
    expectIdle(await runPush(stack, definitionId));

    // Everything else stayed where it was: 39 rows, 39 items across both lists, each routed by its region.
    const rows = await sql<Array<{ id: number; region: string }>>`select id, region from ${sql(table)} order by id`;
    expect(rows).toHaveLength(39);
    const finalA = await listItems(stack, a.listId);
    const finalB = await listItems(stack, b.listId);
    expect(finalA.map((i) => i.fields.SyncBridgeKey).sort()).toEqual(
      rows
        .filter((r) => r.region === 'eu')
        .map((r) => String(r.id))
        .sort(),
    );
    expect(finalB.map((i) => i.fields.SyncBridgeKey).sort()).toEqual(
      rows
        .filter((r) => r.region !== 'eu')
        .map((r) => String(r.id))
        .sort(),
    );
  }

  it('moves a row whose routing column a person changed in list A to list B (table with a trigger keeping updated_at)', async () => {
    await sql.unsafe(`
      create table accounts (id integer primary key, name text not null, region text not null, updated_at timestamptz not null default now());
      create trigger accounts_touch before update on accounts for each row execute function touch();`);
    await moveFromSharePoint('accounts', 'Accounts');
  });

  it('moves it as well when no trigger maintains the watermark column (ingress writes back the item version of updated_at)', async () => {
    await sql.unsafe(
      `create table plain_accounts (id integer primary key, name text not null, region text not null, updated_at timestamptz not null default now())`,
    );
    await moveFromSharePoint('plain_accounts', 'Plain accounts');
  });
});
