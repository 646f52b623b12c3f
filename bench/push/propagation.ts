/**
 * Propagation: the time from a row change's COMMIT to the new value in its list, with PostgreSQL
 * logical replication (cursor strategy logical_replication: a watcher asks for a push run when the
 * slot holds changes) and, for comparison, with the updated_at watermark on a schedule. Admin API
 * (HTTP) -> Temporal -> worker -> Graph (the SharePoint emulator in its own process, enforcing the
 * tenant's budget like SharePoint) -> PostgreSQL. Reuses the push benchmark's stack (stack.ts).
 *
 *   pnpm exec tsx bench/push/propagation.ts [--samples 60] [--rate 1] [--rows 1000] [--interval 10] [--ru 1250]
 *
 * `--samples` single-row updates at `--rate` changes per second on a table of `--rows` rows, first on
 * the logical definition, then on the watermark one (a `--interval` s schedule); p50/p95/max of each.
 * Prints figures; aborts only when a change never arrives.
 */
import { parseArgs } from 'node:util';
import { benchApi, numberArg, registerBenchApp, startBenchStack, type BenchStack } from './stack.ts';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '60' },
    rate: { type: 'string', default: '1' },
    rows: { type: 'string', default: '1000' },
    interval: { type: 'string', default: '10' },
    ru: { type: 'string', default: '1250' },
  },
});
const SAMPLES = numberArg('propagation bench', 'samples', values.samples, 3, 10_000);
const RATE = numberArg('propagation bench', 'rate', values.rate, 0.1, 20, false);
const ROWS = numberArg('propagation bench', 'rows', values.rows, 10, 100_000);
const INTERVAL = numberArg('propagation bench', 'interval', values.interval, 10, 600);
const RU = numberArg('propagation bench', 'ru', values.ru, 100, 1_000_000);

const started = performance.now();
const say = (msg: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

let b: BenchStack;

async function main() {
  b = await startBenchStack({ engine: 'postgres', emulator: 'process', emulatorRuPerMinute: RU, say });
  const api = benchApi(b);
  const lines: string[] = [];
  try {
    const sql = b.source.pgSql!;
    const [setting] = await sql<Array<{ wal_level: string }>>`show wal_level`;
    const wal_level = setting?.wal_level;
    if (wal_level !== 'logical') throw new Error(`the source server runs with wal_level=${wal_level}; set wal_level=logical (ALTER SYSTEM, restart)`);
    for (const t of ['prices_logical', 'prices_watermark'])
      await sql.unsafe(`create table ${t} (id integer primary key, price numeric(10,2) not null, updated_at timestamptz not null default now());
        insert into ${t} (id, price) select g, g from generate_series(1, ${ROWS}) g;`);
    const reg = await registerBenchApp(b, api, 'bench-propagation', RU);
    const waitForRun = async (runId: string) => {
      for (;;) {
        const run = await api<{ status: string }>('GET', `/v1/sync-runs/${runId}`);
        if (['succeeded', 'failed', 'cancelled'].includes(run.status)) return run;
        await sleep(500);
        b.drainLogs();
      }
    };
    const define = async (table: string, cursor: Record<string, unknown>) => {
      const def = await api<{ id: string }>(
        'POST',
        '/v1/sync-definitions',
        {
          appId: reg.appId,
          name: table,
          sourceInstanceId: reg.instanceId,
          sourceSchema: b.source.schema,
          sourceTable: table,
          keyStrategy: 'pk',
          keyColumns: ['id'],
          ...cursor,
        },
        201,
      );
      await api(
        'POST',
        `/v1/sync-definitions/${def.id}/targets`,
        { connectionId: reg.connectionId, siteId: reg.siteId, listDisplayName: table, isDefault: true },
        201,
      );
      const { runId } = await api<{ runId: string }>('POST', `/v1/sync-definitions/${def.id}/provision`, undefined, 202);
      if ((await waitForRun(runId)).status !== 'succeeded') throw new Error(`provisioning ${table} failed`);
      const first = await api<{ runId: string }>('POST', `/v1/sync-definitions/${def.id}/runs`, {}, 202);
      if ((await waitForRun(first.runId)).status !== 'succeeded') throw new Error(`the first load of ${table} failed`);
      const targets = await api<{ items: Array<{ listId: string }> }>('GET', `/v1/sync-definitions/${def.id}/targets`);
      const mapped = await api<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>('GET', `/v1/sync-definitions/${def.id}/field-mappings`);
      const col = (c: string) => mapped.items.find((m) => m.sourceColumn === c)!.targetColumn;
      return { id: def.id, table, listId: targets.items[0]!.listId, keyCol: col('id'), priceCol: col('price') };
    };
    say(`two tables of ${ROWS} rows: one read from the log, one by its watermark on a ${INTERVAL} s schedule`);
    const logical = await define('prices_logical', { cursorStrategy: 'logical_replication' });
    const watermark = await define('prices_watermark', { cursorStrategy: 'updated_at', cursorColumn: 'updated_at', scheduleIntervalSeconds: INTERVAL });

    let change = 0;
    /** `SAMPLES` updates at `RATE` per second; each one's COMMIT-to-list time, sorted. */
    const measure = async (d: typeof logical): Promise<number[]> => {
      await api('PATCH', `/v1/sync-definitions/${d.id}`, { enabled: true });
      await sleep(2_000);
      const pending = new Map<number, { id: number; price: number; at: number }>();
      const done: number[] = [];
      let writing = true;
      const writer = (async () => {
        for (let s = 0; s < SAMPLES; s++) {
          change++;
          const id = (change % ROWS) + 1;
          const price = 100_000 + change;
          await sql.unsafe(`update ${d.table} set price = $1, updated_at = now() where id = $2`, [price, id]);
          pending.set(change, { id, price, at: performance.now() });
          await sleep(1000 / RATE);
        }
        writing = false;
      })();
      const deadline = () => performance.now() + 300_000;
      let giveUp = deadline();
      while (writing || pending.size) {
        const res = await fetch(`${b.emulator.adminUrl}/lists/${encodeURIComponent(d.listId)}/items`);
        const items = ((await res.json()) as { value: Array<{ fields: Record<string, unknown> }> }).value;
        const now = performance.now();
        const prices = new Map(items.map((it) => [Number(it.fields[d.keyCol]), Number(it.fields[d.priceCol])]));
        for (const [n, p] of pending) {
          // A later change of the same row carries a higher price: the earlier one has arrived too.
          if ((prices.get(p.id) ?? 0) >= p.price) {
            done.push(now - p.at);
            pending.delete(n);
            giveUp = deadline();
          }
        }
        if (now > giveUp) throw new Error(`${pending.size} change(s) never reached ${d.table}'s list`);
        b.drainLogs();
        await sleep(100);
      }
      await writer;
      await api('PATCH', `/v1/sync-definitions/${d.id}`, { enabled: false });
      return done.sort((x, y) => x - y);
    };
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    for (const [label, d] of [
      ['logical replication', logical],
      [`updated_at watermark, ${INTERVAL} s schedule`, watermark],
    ] as const) {
      say(`${label}: ${SAMPLES} single-row changes at ${RATE}/s`);
      const xs = await measure(d);
      const line = `propagation, ${label}: ${SAMPLES} changes at ${RATE}/s on ${ROWS} rows at ${RU} RU/min: p50 ${s(percentile(xs, 50))}, p95 ${s(percentile(xs, 95))}, max ${s(xs.at(-1)!)}`;
      say(line);
      lines.push(line);
    }
    const slot = await api<{ lagBytes: number | null; retainedBytes: number | null; lostCount: number }>(
      'GET',
      `/v1/sync-definitions/${logical.id}/replication`,
    );
    lines.push(`slot after the run: lag ${slot.lagBytes} bytes, WAL held back ${slot.retainedBytes} bytes, lost ${slot.lostCount} times`);
    console.log(`\n${lines.join('\n')}`);
  } finally {
    await b.close();
  }
}

main().catch((err: Error) => {
  console.error(`propagation bench failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
