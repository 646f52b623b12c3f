import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson, defineSync, listItems, registerSourceAndConnection, waitForRun, waitForRunState, type SyncSetup } from '../harness/sync.ts';
import { startWorkerProcess, type WorkerProcess } from '../harness/worker-process.ts';

/*
 * Scale-out (issue "Scale", must-have 4): three worker processes on one task queue share the work of
 * two definitions and one tenant's budget; one is SIGKILLed mid-run and the others finish both runs,
 * every row in its list once. The emulator enforces the tenant's budget with 429s like SharePoint
 * (a 3 s window instead of a minute, the workers told the same); the workers together never make
 * it say 429, because they book every request in the one budget in the meta-store.
 */

const WINDOW_MS = 3_000;
const BUDGET = 150;
const ROWS = 400;

describe('several workers, one tenant budget', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let reg: SyncSetup;
  const workers: WorkerProcess[] = [];

  const emulatorAdmin = (path: string, init?: RequestInit) => fetch(`${stack.emulator!.adminUrl}${path}`, init);
  const throttled = async () => ((await (await emulatorAdmin('/counters')).json()) as { totals: { throttled: number } }).totals.throttled;

  beforeAll(async () => {
    stack = await startTestStack({ emulator: true });
    for (let i = 0; i < 3; i++) workers.push(startWorkerProcess(stack, { GRAPH_BUDGET_WINDOW_MS: String(WINDOW_MS) }));
    source = await createTestDatabase('sb_scale_out');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    for (const t of ['east', 'west'])
      await sql.unsafe(`create table ${t} (id integer primary key, note varchar(100) not null, updated_at timestamptz not null default now());
        insert into ${t} (id, note) select g, '${t} ' || g from generate_series(1, ${ROWS}) g;`);
    reg = await registerSourceAndConnection(stack, source, 'scale-out');
    await Promise.all(workers.map((w) => w.ready));
  });

  afterAll(async () => {
    for (const w of workers) await w.kill('SIGKILL');
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('shares the work and the budget; a worker killed mid-run leaves the others to finish it, every row once', async () => {
    const east = await defineSync(stack, reg, { name: 'east', table: 'east', keyStrategy: 'pk', keyColumns: ['id'], cursorColumn: 'updated_at' });
    const west = await defineSync(stack, reg, { name: 'west', table: 'west', keyStrategy: 'pk', keyColumns: ['id'], cursorColumn: 'updated_at' });
    // From here SharePoint (the emulator) enforces a small budget per window, and the connection says so.
    await apiJson(stack, `/v1/sharepoint-connections/${reg.connectionId}`, { method: 'PATCH', json: { ruPerMinute: BUDGET } });
    const settings = await emulatorAdmin('/settings', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ruPerMinute: BUDGET, throttleWindowMs: WINDOW_MS }),
    });
    expect(settings.status).toBe(200);
    const throttledBefore = await throttled();
    const limitedFrom = Date.now();

    const runs = await Promise.all(
      [east, west].map((d) => apiJson<{ runId: string; workflowId: string }>(stack, `/v1/sync-definitions/${d.definitionId}/runs`, { method: 'POST' }, 202)),
    );
    // Both runs are under way; then a worker dies without a word.
    for (const r of runs) await waitForRunState<{ status: string; counts: Record<string, number> }>(stack, r.runId, (x) => (x.counts.read ?? 0) > 0, 60_000);
    const busy = workers.find((w) => w.output().includes('push batch committed')) ?? workers[0]!;
    expect(await busy.kill('SIGKILL')).toBeNull();

    const finished = await Promise.all([east, west].map((d, i) => waitForRun(stack, d.definitionId, runs[i]!.workflowId, 180_000)));
    for (const run of finished) {
      expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    }
    for (const d of [east, west]) {
      const keys = (await listItems(stack, d.listId)).map((i) => String(i.fields.SyncBridgeKey));
      expect(keys).toHaveLength(ROWS);
      expect(new Set(keys).size).toBe(ROWS);
    }
    // The work was shared: more than one worker committed batches.
    const committing = workers.filter((w) => w.output().includes('push batch committed'));
    expect(committing.length).toBeGreaterThanOrEqual(2);
    // One budget: in no window did the workers together spend more than it, and SharePoint never said 429.
    const grants = (
      await stack.store.sql<Array<{ at: string; cost: number }>>`
        select (extract(epoch from at) * 1000)::bigint as at, cost from graph_budget_grants where priority is not null order by at`
    ).map((g) => ({ at: Number(g.at), cost: g.cost }));
    const late = grants.filter((g) => g.at >= limitedFrom);
    expect(late.length).toBeGreaterThan(0);
    for (const g of late) {
      const inWindow = late.filter((x) => x.at > g.at - WINDOW_MS && x.at <= g.at).reduce((s, x) => s + x.cost, 0);
      expect(inWindow).toBeLessThanOrEqual(BUDGET);
    }
    expect(await throttled()).toBe(throttledBefore);
  }, 300_000);
});
