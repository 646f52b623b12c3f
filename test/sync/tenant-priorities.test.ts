import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson, defineSync, listItems, registerSourceAndConnection, waitForRun, waitForRunState, type SyncSetup } from '../harness/sync.ts';

/*
 * One tenant, two syncs (issue "One tenant, many syncs"): a first load of a big table and a stream of
 * single-row changes in a small one share one SharePoint connection at a small budget. The changes go
 * first (incremental priority; the load is bulk work with its floor), each reaches its list within its
 * schedule interval plus a few seconds, and the load still finishes. Through the API, real Temporal,
 * PostgreSQL and the emulator; the budget's window is 3 s instead of a minute so it takes seconds.
 */

const WINDOW_MS = 3_000;
/** RU per window: 20 RU/s, a $batch of 20 writes (40 RU) every two seconds. */
const BUDGET = 60;
const BULK_ROWS = 700;
const INTERVAL_S = 10;
const CHANGES = 4;

describe('priorities inside one tenant budget', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let reg: SyncSetup;
  let bulk: { definitionId: string; listId: string };
  let small: { definitionId: string; listId: string };

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true, budgetWindowMs: WINDOW_MS });
    source = await createTestDatabase('sb_source');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql`create table orders (id integer primary key, note text not null, updated_at timestamptz not null default now())`;
    await sql`insert into orders (id, note) select g, 'order ' || g from generate_series(1, ${BULK_ROWS}) g`;
    await sql`create table prices (id integer primary key, price numeric(10,2) not null, updated_at timestamptz not null default now())`;
    await sql`insert into prices (id, price) select g, g from generate_series(1, 10) g`;
    reg = await registerSourceAndConnection(stack, source);
    bulk = await defineSync(stack, reg, { name: 'orders', table: 'orders', keyStrategy: 'pk', keyColumns: ['id'], cursorColumn: 'updated_at' });
    small = await defineSync(stack, reg, {
      name: 'prices',
      table: 'prices',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorColumn: 'updated_at',
      budgetWeight: 2,
    });
    // The small table's first load while the budget is still large; then the tenant's real (small) budget.
    const first = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${small.definitionId}/runs`, { method: 'POST' }, 202);
    expect((await waitForRun(stack, small.definitionId, first.workflowId)).status).toBe('succeeded');
    await apiJson(stack, `/v1/sharepoint-connections/${reg.connectionId}`, { method: 'PATCH', json: { ruPerMinute: BUDGET, bulkShare: 0.5 } });
  });

  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('single-row changes reach their list within the schedule interval while a first load takes the budget, and the load finishes', async () => {
    const load = await apiJson<{ runId: string; workflowId: string }>(stack, `/v1/sync-definitions/${bulk.definitionId}/runs`, { method: 'POST' }, 202);
    // The load is bulk work however it was started, and it waits for budget: its progress says so.
    const waiting = await waitForRunState<{ status: string; progress: { budgetWait?: { requests: number }; waitingFor: string | null } }>(
      stack,
      load.runId,
      (r) => r.progress.budgetWait !== undefined,
      60_000,
    );
    expect(waiting.progress.waitingFor).toMatch(/SharePoint budget/);
    // The connection's budget view: the load's share of the spend, at bulk priority.
    type Budget = {
      ruPerMinute: number;
      bulkShare: number;
      operations: Array<{ runId: string | null; priority: string; spentLastMinute: number }>;
      queue: Array<{ runId: string | null; priority: string }>;
    };
    let budget: Budget;
    for (const deadline = Date.now() + 30_000; ;) {
      budget = await apiJson<Budget>(stack, `/v1/sharepoint-connections/${reg.connectionId}/budget`);
      if (budget.operations.some((o) => o.runId === load.runId) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(budget).toMatchObject({ ruPerMinute: BUDGET, bulkShare: 0.5 });
    expect(budget.operations, JSON.stringify(budget)).toContainEqual(expect.objectContaining({ runId: load.runId, priority: 'bulk' }));

    // Now the small sync runs on its schedule, and its rows change one at a time.
    await apiJson(stack, `/v1/sync-definitions/${small.definitionId}`, { method: 'PATCH', json: { scheduleIntervalSeconds: INTERVAL_S, enabled: true } });
    const column = await priceColumn();
    const latencies: number[] = [];
    for (let i = 1; i <= CHANGES; i++) {
      const price = `${1000 + i}.50`;
      const changedAt = Date.now();
      await sql`update prices set price = ${price}, updated_at = now() where id = ${i}`;
      for (;;) {
        const item = (await listItems(stack, small.listId)).find((it) => Number(it.fields[column.key]) === i);
        if (item && Number(item.fields[column.price]) === Number(price)) break;
        expect(Date.now() - changedAt, `change ${i} still not in its list`).toBeLessThan((INTERVAL_S + 15) * 1000);
        await new Promise((r) => setTimeout(r, 200));
      }
      latencies.push(Date.now() - changedAt);
      // The load is still going: the change did not just wait for it to end.
      const run = await apiJson<{ status: string }>(stack, `/v1/sync-runs/${load.runId}`);
      expect(run.status).toBe('running');
    }
    console.log(`single-row change to list (ms) with a first load running: ${latencies.join(', ')}`);
    // Within its schedule interval plus a few seconds, every one.
    for (const ms of latencies) expect(ms).toBeLessThanOrEqual((INTERVAL_S + 6) * 1000);

    const finished = await waitForRun(stack, bulk.definitionId, load.workflowId, 180_000);
    expect(finished.status, JSON.stringify(finished.errors)).toBe('succeeded');
    expect(finished.counts.created).toBe(BULK_ROWS);
    expect(await listItems(stack, bulk.listId)).toHaveLength(BULK_ROWS);
    await apiJson(stack, `/v1/sync-definitions/${small.definitionId}`, { method: 'PATCH', json: { enabled: false } });
  }, 240_000);

  /** The list columns the prices table maps to. */
  async function priceColumn(): Promise<{ key: string; price: string }> {
    const mappings = await apiJson<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>(
      stack,
      `/v1/sync-definitions/${small.definitionId}/field-mappings`,
    );
    const of = (c: string) => mappings.items.find((m) => m.sourceColumn === c)!.targetColumn;
    return { key: of('id'), price: of('price') };
  }
});
