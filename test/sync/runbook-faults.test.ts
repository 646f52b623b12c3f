import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import {
  addInstance,
  apiJson,
  listItems,
  provision,
  registerSourceAndConnection,
  runPush,
  waitForRun,
  waitForRunState,
  type RunView,
  type SyncSetup,
} from '../harness/sync.ts';
import { startWorkerProcess, type WorkerProcess } from '../harness/worker-process.ts';

/*
 * Runbooks survive a worker that dies under them, through the path a user takes (HTTP API ->
 * Temporal -> a real worker process -> PostgreSQL -> Graph emulator):
 * - a reshard whose worker is SIGKILLed in the middle of its moves (items created in the new
 *   list, none deleted from the old one, the ledger not switched) converges once another worker
 *   takes over: every row in its new list exactly once, nothing duplicated or lost;
 * - a rebind whose worker is killed while the run waits for approval goes on from that step
 *   under a new worker.
 * The killed attempt of an activity is retried once its heartbeat times out (a minute).
 */

describe('runbooks under a worker killed mid-way', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let reg: SyncSetup;
  let worker: WorkerProcess;

  const setFaults = async (faults: Record<string, unknown>) => {
    const res = await fetch(`${stack.emulator!.adminUrl}/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(faults),
    });
    expect(res.status).toBe(200);
  };
  const startWorker = async () => {
    worker = startWorkerProcess(stack);
    await worker.ready;
  };
  const until = async (check: () => Promise<boolean>, what: string, timeoutMs = 90_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; worker output: ${worker.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const keysIn = async (listId: string) => (await listItems(stack, listId)).map((i) => String(i.fields.SyncBridgeKey));

  beforeAll(async () => {
    stack = await startTestStack({ emulator: true });
    worker = startWorkerProcess(stack);
    source = await createTestDatabase('sb_runbook_faults');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql.unsafe(`
      create table regions (id integer primary key, name varchar(100) not null, region varchar(10) not null, updated_at timestamptz not null default now());
      insert into regions (id, name, region) select g, 'row ' || g, 'a' from generate_series(1, 200) g;
    `);
    reg = await registerSourceAndConnection(stack, source, 'runbook-faults');
    await worker.ready;
  });
  afterAll(async () => {
    await setFaults({}).catch(() => {});
    await worker?.kill('SIGKILL');
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('a reshard killed in the middle of its moves converges under another worker: every row in its new list once', async () => {
    const def = await apiJson<{ id: string }>(
      stack,
      '/v1/sync-definitions',
      {
        method: 'POST',
        json: {
          appId: reg.appId,
          name: 'regions',
          sourceInstanceId: reg.instanceId,
          sourceSchema: 'public',
          sourceTable: 'regions',
          keyStrategy: 'pk',
          keyColumns: ['id'],
          cursorStrategy: 'updated_at',
          cursorColumn: 'updated_at',
          targetStrategy: 'conditional',
        },
      },
      201,
    );
    const target = (json: Record<string, unknown>) =>
      apiJson<{ id: string }>(
        stack,
        `/v1/sync-definitions/${def.id}/targets`,
        { method: 'POST', json: { connectionId: reg.connectionId, siteId: reg.siteId, ...json } },
        201,
      );
    const a = await target({ listDisplayName: 'Regions A', routingRule: { column: 'region', op: 'eq', value: 'a' }, priority: 10 });
    const b = await target({ listDisplayName: 'Regions B', isDefault: true, priority: 100 });
    await provision(stack, def.id);
    const lists = (await apiJson<{ items: Array<{ id: string; listId: string }> }>(stack, `/v1/sync-definitions/${def.id}/targets`)).items;
    const listA = lists.find((t) => t.id === a.id)!.listId;
    const listB = lists.find((t) => t.id === b.id)!.listId;
    expect((await runPush(stack, def.id)).counts).toMatchObject({ created: 200 });
    await apiJson(stack, `/v1/sync-definitions/${def.id}/targets/${a.id}`, {
      method: 'PATCH',
      json: { routingRule: { column: 'region', op: 'eq', value: 'b' } },
    });

    // Slow Graph, so the kill lands while the moves' creates are in flight.
    await setFaults({ latencyMs: 150 });
    const started = await apiJson<{ runId: string; workflowId: string }>(
      stack,
      `/v1/sync-definitions/${def.id}/operations/reshard`,
      { method: 'POST', json: { options: { approve: true } } },
      202,
    );
    await until(async () => (await keysIn(listB)).length >= 40, 'moves under way');
    await worker.kill('SIGKILL');
    const halfway = { inA: (await keysIn(listA)).length, inB: (await keysIn(listB)).length };
    // Killed mid-move: items created in B, none deleted from A yet (deletes follow the creates), the ledger not switched.
    expect(halfway.inA).toBe(200);
    expect(halfway.inB).toBeGreaterThan(0);
    expect(halfway.inB).toBeLessThan(200);
    const inLedgerB = await stack.store.sql<Array<{ n: number }>>`
      select count(*)::int as n from sync_ledger where definition_id = ${def.id} and target_id = ${b.id}`;
    expect(inLedgerB[0]!.n).toBe(0);

    await setFaults({});
    await startWorker();
    const run = await waitForRun(stack, def.id, started.workflowId, 240_000);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    expect(run.counts).toMatchObject({ plannedMoves: 200, moveFailed: 0 });
    expect(await keysIn(listA)).toEqual([]);
    const inB = await keysIn(listB);
    expect(inB).toHaveLength(200);
    expect(new Set(inB).size).toBe(200);
    const ledger = await stack.store.sql<Array<{ target_id: string; n: number }>>`
      select target_id, count(*)::int as n from sync_ledger where definition_id = ${def.id} group by target_id`;
    expect(ledger).toEqual([{ target_id: b.id, n: 200 }]);
    const after = await runPush(stack, def.id);
    expect(after.counts).toMatchObject({ created: 0, updated: 0, moved: 0, deleted: 0 });
  }, 360_000);

  it('a rebind whose worker dies while it waits for approval goes on from that step under a new worker', async () => {
    const definitionId = (await stack.store.sql<Array<{ id: string }>>`select id from sync_definitions where name = 'regions'`)[0]!.id;
    const replicaId = await addInstance(stack, reg.databaseId, source.url, { name: 'replica' });
    const started = await apiJson<{ runId: string; workflowId: string }>(
      stack,
      `/v1/sync-definitions/${definitionId}/operations/rebind`,
      { method: 'POST', json: { options: { toInstanceId: replicaId } } },
      202,
    );
    await waitForRunState(stack, started.runId, (r: RunView) => r.status === 'awaiting_approval');
    await worker.kill('SIGKILL');
    await startWorker();
    expect((await stack.api(`/v1/sync-runs/${started.runId}/approve-plan`, { method: 'POST' })).status).toBe(202);
    const run = await waitForRun(stack, definitionId, started.workflowId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    expect(run.counts).toMatchObject({ checkPassed: 1, rebound: 1 });
    expect((await apiJson<{ sourceInstanceId: string }>(stack, `/v1/sync-definitions/${definitionId}`)).sourceInstanceId).toBe(replicaId);
  }, 360_000);
});
