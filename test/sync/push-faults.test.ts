import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { encodeSourceKey } from '@syncbridge/shared/mapping';
import { apiJson, listItems, provision, registerSourceAndConnection, waitForRun } from '../harness/sync.ts';
import { startWorkerProcess, type WorkerProcess } from '../harness/worker-process.ts';

/**
 * Exactly-once effect under failure: the worker process is killed mid-run several
 * times while Graph answers 429s, 503s and loses responses to writes it applied.
 * Afterwards the list, the ledger and the table must agree exactly.
 */
describe('push sync survives worker crashes and Graph faults', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let definitionId: string;
  let listId: string;
  let worker: WorkerProcess;

  const ledgerCount = async () =>
    (await stack.store.sql<{ n: number }[]>`select count(*)::int as n from sync_ledger where definition_id = ${definitionId}`)[0]!.n;
  const setFaults = (faults: Record<string, unknown>) =>
    fetch(`${stack.emulator!.adminUrl}/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults) });
  const until = async (check: () => Promise<boolean>, what: string, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const restartWorker = async () => {
    await worker.kill('SIGKILL');
    worker = startWorkerProcess(stack);
    await worker.ready;
  };

  /** The list equals the table: same keys, no duplicates, names current; the ledger points at real items. */
  async function expectListEqualsTable() {
    const rows = await sql<Array<{ id: number; name: string }>>`select id, name from items order by id`;
    const expected = new Map(rows.map((r) => [encodeSourceKey([r.id], ['integer']), r.name]));
    const items = await listItems(stack, listId);
    const byKey = new Map<string, (typeof items)[number]>();
    for (const item of items) {
      const key = item.fields.SyncBridgeKey as string;
      expect(byKey.has(key), `duplicate list item for key ${key}`).toBe(false);
      byKey.set(key, item);
    }
    expect([...byKey.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, name] of expected) expect(byKey.get(key)!.fields.name, key).toBe(name);
    const ledger = await stack.store.sql<
      { source_key: string; list_item_id: string }[]
    >`select source_key, list_item_id from sync_ledger where definition_id = ${definitionId}`;
    expect(ledger.length).toBe(rows.length);
    for (const l of ledger) expect(byKey.get(l.source_key)?.id).toBe(l.list_item_id);
  }
  const runEvents = async (workflowId: string) =>
    (
      await stack.store.sql<
        { n: number }[]
      >`select count(*)::int as n from ledger_events e join sync_runs r on r.id = e.run_id where r.workflow_id = ${workflowId}`
    )[0]!.n;

  beforeAll(async () => {
    stack = await startTestStack({ emulator: true });
    worker = startWorkerProcess(stack);
    source = await createTestDatabase('sb_source');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql`create table items (id integer primary key, name text not null, qty integer not null, updated_at timestamptz not null default now())`;
    await sql`insert into items (id, name, qty, updated_at) select g, 'item ' || g, g % 7, timestamptz '2025-01-01' + g * interval '1 millisecond' from generate_series(1, 1200) g`;
    const reg = await registerSourceAndConnection(stack, source);
    const def = await apiJson(
      stack,
      '/v1/sync-definitions',
      {
        method: 'POST',
        json: {
          appId: reg.appId,
          name: 'items',
          sourceInstanceId: reg.instanceId,
          sourceSchema: 'public',
          sourceTable: 'items',
          keyStrategy: 'pk',
          keyColumns: ['id'],
          cursorStrategy: 'updated_at',
          cursorColumn: 'updated_at',
          batchSize: 40,
        },
      },
      201,
    );
    definitionId = def.id;
    await apiJson(
      stack,
      `/v1/sync-definitions/${definitionId}/targets`,
      { method: 'POST', json: { connectionId: reg.connectionId, siteId: reg.siteId, listDisplayName: 'Items', isDefault: true } },
      201,
    );
    await worker.ready;
    await provision(stack, definitionId);
    listId = (await apiJson<{ items: Array<{ listId: string }> }>(stack, `/v1/sync-definitions/${definitionId}/targets`)).items[0]!.listId;
  });
  afterAll(async () => {
    await worker?.kill('SIGKILL');
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('initial load: killed twice, throttled and losing responses, ends with no duplicates and nothing missing', async () => {
    expect(
      (
        await setFaults({
          throttleProbability: 0.08,
          unavailableProbability: 0.04,
          retryAfterSeconds: 0.2,
          lostResponseProbability: 0.05,
          lostResponseMode: 'destroy',
        })
      ).status,
    ).toBe(200);
    const started = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/runs`, { method: 'POST' }, 202);
    await until(async () => (await ledgerCount()) >= 200, 'the first 200 rows');
    await restartWorker();
    await until(async () => (await ledgerCount()) >= 600, '600 rows');
    await restartWorker();
    const run = await waitForRun(stack, definitionId, started.workflowId, 240_000);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');

    // The faults really happened: injected 429s/503s and writes applied whose answers were lost.
    const { totals } = (await (await fetch(`${stack.emulator!.adminUrl}/counters`)).json()) as {
      totals: { injected429: number; injected503: number; lostResponses: number };
    };
    expect(totals.injected429).toBeGreaterThan(0);
    expect(totals.injected503).toBeGreaterThan(0);
    expect(totals.lostResponses).toBeGreaterThan(0);
    await setFaults({ throttleProbability: 0, unavailableProbability: 0, lostResponseProbability: 0 });
    await expectListEqualsTable();
    // Each kill costs the push activity's heartbeat timeout (30 s) before another worker takes the batch over.
  }, 360_000);

  it('incremental changes under faults with a crash mid-run converge too', async () => {
    await sql`update items set name = name || ' (edited)', updated_at = now() where id % 10 = 0`;
    await sql`delete from items where id % 25 = 1`;
    await sql`insert into items (id, name, qty) select g, 'new ' || g, 1 from generate_series(5001, 5150) g`;
    await setFaults({ throttleProbability: 0.05, unavailableProbability: 0.05, retryAfterSeconds: 0.1, lostResponseProbability: 0.05 });
    const started = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/runs`, { method: 'POST' }, 202);
    await until(async () => (await runEvents(started.workflowId)) >= 60, 'the run to be under way');
    await restartWorker();
    const run = await waitForRun(stack, definitionId, started.workflowId, 240_000);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    await setFaults({ throttleProbability: 0, unavailableProbability: 0, lostResponseProbability: 0 });
    await expectListEqualsTable();
    const edited = (await listItems(stack, listId)).filter((i) => String(i.fields.name).endsWith('(edited)'));
    expect(edited.length).toBe((await sql`select count(*)::int as n from items where name like '%(edited)'`)[0]!.n);
  }, 360_000);
});
