/**
 * One tenant, many workers and syncs: the shared RU budget (shared/src/graph/shared-budget.ts) end to
 * end. Admin API (HTTP) -> Temporal -> workers -> Graph (the SharePoint emulator in its own process,
 * enforcing the tenant's budget with 429s like SharePoint) -> PostgreSQL. Reuses the push benchmark's
 * stack (bench/push/stack.ts) and adds worker processes (test/harness/worker-process.ts).
 *
 *   pnpm exec tsx bench/tenant/run.ts [--minutes 10] [--workers 3] [--ru 1250] [--samples 20] [--interval 10]
 *
 * 1. Budget efficiency: `--workers` workers (this process's and more in their own processes) push three
 *    big tables through one connection at `--ru` RU/min for `--minutes`: RU spent / RU allowed, and 429s.
 * 2. Propagation of single-row changes in a small table on a `--interval` s schedule, `--samples` changes,
 *    alone and then beside a first load of a big table: p50/p95 from the UPDATE's commit to the value in
 *    the list, and their ratio (goal: p95 with the load within 1.5x of p95 without it).
 * Prints figures; aborts only when data is wrong.
 */
import { parseArgs } from 'node:util';
import { ensureWorkerBuild } from '../../services/worker/src/build.ts';
import { startWorkerProcess, type WorkerProcess } from '../../test/harness/worker-process.ts';
import { benchApi, numberArg, registerBenchApp, startBenchStack, type BenchStack } from '../push/stack.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    workers: { type: 'string', default: '3' },
    ru: { type: 'string', default: '1250' },
    samples: { type: 'string', default: '20' },
    interval: { type: 'string', default: '10' },
    skip: { type: 'string', default: '' },
  },
});
const num = (name: string, raw: string, min: number, max: number) => numberArg('tenant bench', name, raw, min, max, false);
const MINUTES = num('minutes', values.minutes, 0.5, 120);
const WORKERS = Math.round(num('workers', values.workers, 1, 8));
const RU = Math.round(num('ru', values.ru, 100, 1_000_000));
const SAMPLES = Math.round(num('samples', values.samples, 3, 1_000));
const INTERVAL = Math.round(num('interval', values.interval, 10, 600));
const SKIP = new Set(values.skip.split(',').filter(Boolean));

const started = performance.now();
const say = (msg: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${msg}`);
const fmt = (n: number) => n.toLocaleString('en-US');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let b: BenchStack;
let api: ReturnType<typeof benchApi>;

interface Totals {
  requests: number;
  ruSpent: number;
  throttled: number;
}
async function counters(): Promise<Totals> {
  return ((await (await fetch(`${b.emulator.adminUrl}/counters`)).json()) as { totals: Totals }).totals;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function main() {
  b = await startBenchStack({ engine: 'postgres', emulator: 'process', emulatorRuPerMinute: RU, say });
  api = benchApi(b);
  const workers: WorkerProcess[] = [];
  const lines: string[] = [];
  try {
    const sql = b.source.pgSql!;
    // Enough rows that no table runs out within the measured minutes at the whole budget.
    const bigRows = Math.max(2_000, Math.ceil((RU * MINUTES) / 2));
    say(`creating three tables of ${fmt(bigRows)} rows and a small one`);
    for (const t of ['load_a', 'load_b', 'load_c'])
      await sql.unsafe(`create table ${t} (id integer primary key, note varchar(100) not null, updated_at timestamptz not null default now());
        insert into ${t} (id, note) select g, 'row ' || g from generate_series(1, ${bigRows}) g;`);
    await sql.unsafe(`create table prices (id integer primary key, price numeric(10,2) not null, updated_at timestamptz not null default now());
      insert into prices (id, price) select g, g from generate_series(1, 50) g;`);

    const reg = await registerBenchApp(b, api, 'bench-tenant', RU);
    const app = { id: reg.appId };
    const instance = { id: reg.instanceId };
    const connection = { id: reg.connectionId };
    const site = reg.siteId;
    const waitForRun = async (runId: string, until = (s: string) => ['succeeded', 'failed', 'cancelled'].includes(s)) => {
      for (;;) {
        const run = await api<{ status: string; counts: Record<string, number>; errors: unknown[] }>('GET', `/v1/sync-runs/${runId}`);
        if (until(run.status)) return run;
        await sleep(500);
        b.drainLogs();
      }
    };
    const define = async (table: string) => {
      const def = await api<{ id: string }>(
        'POST',
        '/v1/sync-definitions',
        {
          appId: app.id,
          name: table,
          sourceInstanceId: instance.id,
          sourceSchema: b.source.schema,
          sourceTable: table,
          keyStrategy: 'pk',
          keyColumns: ['id'],
          cursorStrategy: 'updated_at',
          cursorColumn: 'updated_at',
        },
        201,
      );
      await api('POST', `/v1/sync-definitions/${def.id}/targets`, { connectionId: connection.id, siteId: site, listDisplayName: table, isDefault: true }, 201);
      const { runId } = await api<{ runId: string }>('POST', `/v1/sync-definitions/${def.id}/provision`, undefined, 202);
      if ((await waitForRun(runId)).status !== 'succeeded') throw new Error(`provisioning ${table} failed`);
      const targets = await api<{ items: Array<{ listId: string }> }>('GET', `/v1/sync-definitions/${def.id}/targets`);
      return { id: def.id, listId: targets.items[0]!.listId };
    };
    const loads = [await define('load_a'), await define('load_b'), await define('load_c')];
    const prices = await define('prices');

    await ensureWorkerBuild();
    for (let i = 1; i < WORKERS; i++) {
      const w = startWorkerProcess(b.stack);
      workers.push(w);
      await w.ready;
    }
    say(`${WORKERS} worker(s) on one task queue`);

    if (!SKIP.has('efficiency')) {
      // The emulator's window must start clean: wait a window after provisioning's spend.
      await sleep(61_000);
      const before = await counters();
      const t0 = performance.now();
      const runs = await Promise.all(loads.map((l) => api<{ runId: string }>('POST', `/v1/sync-definitions/${l.id}/runs`, {}, 202)));
      say(`three first loads started; measuring ${MINUTES} min at ${fmt(RU)} RU/min`);
      const deadline = Date.now() + MINUTES * 60_000;
      let peek = Date.now();
      // RU the emulator counted per 10 s, to see where a minute fell short of the budget.
      const trace: number[] = [];
      let last = before.ruSpent;
      let tick = Date.now();
      while (Date.now() < deadline) {
        await sleep(2_000);
        b.drainLogs();
        if (Date.now() - tick >= 10_000) {
          tick = Date.now();
          const now = (await counters()).ruSpent;
          trace.push(now - last);
          last = now;
        }
        if (Date.now() - peek > 60_000) {
          peek = Date.now();
          const budget = await api<{ spentLastMinute: number; queue: unknown[] }>('GET', `/v1/sharepoint-connections/${connection.id}/budget`);
          say(`budget: ${fmt(budget.spentLastMinute)} RU in the last minute, ${budget.queue.length} waiting`);
        }
      }
      const after = await counters();
      const seconds = (performance.now() - t0) / 1000;
      for (const r of runs) await api('POST', `/v1/sync-runs/${r.runId}/cancel`, undefined, 202);
      for (const r of runs) await waitForRun(r.runId);
      const allowed = (RU * seconds) / 60;
      const spent = after.ruSpent - before.ruSpent;
      const line = `budget efficiency: ${WORKERS} workers, 3 definitions, ${fmt(RU)} RU/min for ${(seconds / 60).toFixed(1)} min: ${fmt(spent)} RU spent of ${fmt(Math.round(allowed))} allowed = ${(spent / allowed).toFixed(3)}; 429s: ${after.throttled - before.throttled}; Graph requests: ${fmt(after.requests - before.requests)}`;
      say(line);
      say(`RU per 10 s: ${trace.join(' ')}`);
      lines.push(line);
      await sleep(61_000);
    }

    // Propagation of single-row changes: alone, then beside a first load.
    const mapped = await api<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>('GET', `/v1/sync-definitions/${prices.id}/field-mappings`);
    const col = (c: string) => mapped.items.find((m) => m.sourceColumn === c)!.targetColumn;
    const [keyCol, priceCol] = [col('id'), col('price')];
    const first = await api<{ runId: string }>('POST', `/v1/sync-definitions/${prices.id}/runs`, {}, 202);
    await waitForRun(first.runId);
    await api('PATCH', `/v1/sync-definitions/${prices.id}`, { scheduleIntervalSeconds: INTERVAL, enabled: true });
    let change = 0;
    const propagate = async (): Promise<number[]> => {
      const out: number[] = [];
      for (let s = 0; s < SAMPLES; s++) {
        change++;
        const id = (change % 50) + 1;
        const price = 10_000 + change;
        // Changes land at random points of the schedule's cycle, as users' do.
        await sleep(Math.random() * INTERVAL * 1000);
        await sql`update prices set price = ${price}, updated_at = now() where id = ${id}`;
        const t = performance.now();
        for (;;) {
          const res = await fetch(`${b.emulator.adminUrl}/lists/${encodeURIComponent(prices.listId)}/items`);
          const items = ((await res.json()) as { value: Array<{ fields: Record<string, unknown> }> }).value;
          if (items.some((it) => Number(it.fields[keyCol]) === id && Number(it.fields[priceCol]) === price)) break;
          if (performance.now() - t > 600_000) throw new Error(`change ${change} never reached its list`);
          await sleep(100);
        }
        out.push(performance.now() - t);
        b.drainLogs();
      }
      return out.sort((x, y) => x - y);
    };
    say(`propagation: ${SAMPLES} single-row changes on a ${INTERVAL} s schedule, the tenant otherwise idle`);
    const idle = await propagate();
    say(`propagation: the same beside a first load of ${fmt(bigRows)} rows through the same connection`);
    await api('PATCH', `/v1/sync-definitions/${loads[0]!.id}`, { batchSize: 500 });
    const loadRun = await api<{ runId: string }>('POST', `/v1/sync-definitions/${loads[0]!.id}/runs`, { fullResync: true }, 202);
    await waitForRun(loadRun.runId, (s) => s !== 'queued');
    const busy = await propagate();
    const loadState = await api<{ status: string; counts: Record<string, number> }>('GET', `/v1/sync-runs/${loadRun.runId}`);
    await api('PATCH', `/v1/sync-definitions/${prices.id}`, { enabled: false });
    if (loadState.status === 'running') await api('POST', `/v1/sync-runs/${loadRun.runId}/cancel`, undefined, 202);
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const p = (xs: number[]) => ({ p50: percentile(xs, 50), p95: percentile(xs, 95) });
    const [pi, pb] = [p(idle), p(busy)];
    const line = `propagation at ${fmt(RU)} RU/min, ${INTERVAL} s schedule, ${SAMPLES} changes: idle p50 ${s(pi.p50)} p95 ${s(pi.p95)}; beside a first load (${loadState.status}, ${fmt(loadState.counts.read ?? 0)} rows read meanwhile) p50 ${s(pb.p50)} p95 ${s(pb.p95)}; p95 ratio ${(pb.p95 / pi.p95).toFixed(2)}`;
    say(line);
    lines.push(line);
    console.log(`\n${lines.join('\n')}`);
  } finally {
    for (const w of workers) await w.kill('SIGTERM');
    await b.close();
  }
}

main().catch((err: Error) => {
  console.error(`tenant bench failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
