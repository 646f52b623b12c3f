/**
 * Runbook figures end to end: admin API (HTTP) -> Temporal -> worker -> Graph (the SharePoint
 * emulator in its own process) -> PostgreSQL, on the push benchmark's `products` table
 * (bench/push/source.ts). Reuses the push benchmark's stack (bench/push/stack.ts).
 *
 *   pnpm exec tsx bench/runbooks/run.ts [--rows 100000] [--moves 2000] [--ru 1250]
 *
 *   --rows   rows of `products`, pushed once unthrottled, then drift-checked and ledger-rebuilt (default 100000)
 *   --moves  rows of a second table whose items a reshard moves to another list (default 2000)
 *   --ru     the SharePoint connection's budget (RU per minute) while the reshard moves them (default 1250)
 *
 * Prints, per runbook: wall time, Graph requests and RU (the emulator's counters), and the run's
 * counts; for the reshard also moves per minute. Prints figures; aborts only when data is wrong.
 */
import { parseArgs } from 'node:util';
import { benchApi, numberArg, registerBenchApp, startBenchStack, type BenchStack } from '../push/stack.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    moves: { type: 'string', default: '2000' },
    ru: { type: 'string', default: '1250' },
  },
});
const int = (name: string, raw: string, min: number, max: number) => numberArg('runbooks bench', name, raw, min, max);
const ROWS = int('rows', values.rows, 10, 5_000_000);
const MOVES = int('moves', values.moves, 10, 1_000_000);
const RU = int('ru', values.ru, 100, 10_000_000);

const started = performance.now();
const say = (msg: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${msg}`);
const fmt = (n: number) => n.toLocaleString('en-US');

interface Totals {
  requests: number;
  batches: number;
  ruSpent: number;
  throttled: number;
}
interface RunView {
  status: string;
  counts: Record<string, number>;
  errors: Array<{ message: string }>;
}
interface Figure {
  runbook: string;
  seconds: number;
  graph: Totals;
  counts: Record<string, number>;
  note?: string;
}

let b: BenchStack;
let api: ReturnType<typeof benchApi>;

async function counters(): Promise<Totals> {
  const res = await fetch(`${b.emulator.adminUrl}/counters`);
  return ((await res.json()) as { totals: Totals }).totals;
}
const diff = (a: Totals, z: Totals): Totals => ({
  requests: z.requests - a.requests,
  batches: z.batches - a.batches,
  ruSpent: z.ruSpent - a.ruSpent,
  throttled: z.throttled - a.throttled,
});

async function waitForRun(runId: string): Promise<RunView> {
  for (;;) {
    const run = await api<RunView>('GET', `/v1/sync-runs/${runId}`);
    if (['succeeded', 'failed', 'cancelled'].includes(run.status)) return run;
    await new Promise((r) => setTimeout(r, 500));
    b.drainLogs();
  }
}

/** Runs an operation and measures it (wall time from the request to the run's end, Graph spend between). */
async function measure(runbook: string, definitionId: string, kind: string, options: Record<string, unknown> = {}, note?: string): Promise<Figure> {
  const before = await counters();
  const t0 = performance.now();
  const path = kind === 'push' ? `/v1/sync-definitions/${definitionId}/runs` : `/v1/sync-definitions/${definitionId}/operations/${kind}`;
  const ticket = await api<{ runId: string }>('POST', path, kind === 'push' ? {} : { options }, 202);
  const run = await waitForRun(ticket.runId);
  const seconds = (performance.now() - t0) / 1000;
  if (run.status !== 'succeeded') throw new Error(`${runbook}: ${run.status} ${JSON.stringify(run.errors)}`);
  const figure = { runbook, seconds, graph: diff(before, await counters()), counts: run.counts, ...(note ? { note } : {}) };
  say(`${runbook}: ${seconds.toFixed(1)} s, ${fmt(figure.graph.requests)} Graph requests, ${fmt(figure.graph.ruSpent)} RU; ${JSON.stringify(run.counts)}`);
  return figure;
}

async function main() {
  b = await startBenchStack({ engine: 'postgres', emulator: 'process', emulatorRuPerMinute: 0, say });
  api = benchApi(b);
  const figures: Figure[] = [];
  try {
    const source = b.source;
    say(`creating products (${fmt(ROWS)} rows) and moves (${fmt(MOVES)} rows)`);
    await source.createProducts(ROWS);
    const sql = source.pgSql!;
    await sql.unsafe(`create table moves (id integer primary key, name varchar(100) not null, region varchar(10) not null, updated_at timestamptz not null default now());
      insert into moves (id, name, region) select g, 'row ' || g, 'a' from generate_series(1, ${MOVES}) g;`);

    const reg = await registerBenchApp(b, api, 'bench-runbooks', 1_000_000);
    const app = { id: reg.appId };
    const instance = { id: reg.instanceId };
    const connection = { id: reg.connectionId };
    const site = reg.siteId;
    const define = async (table: string, keyColumns: string[], routed: boolean) => {
      const def = await api<{ id: string }>(
        'POST',
        '/v1/sync-definitions',
        {
          appId: app.id,
          name: table,
          sourceInstanceId: instance.id,
          sourceSchema: source.schema,
          sourceTable: table,
          keyStrategy: keyColumns.length > 1 ? 'composite' : 'pk',
          keyColumns,
          cursorStrategy: 'updated_at',
          cursorColumn: 'updated_at',
          targetStrategy: routed ? 'conditional' : 'single',
          batchSize: 500,
        },
        201,
      );
      const targets: string[] = [];
      if (routed) {
        targets.push(
          (
            await api<{ id: string }>(
              'POST',
              `/v1/sync-definitions/${def.id}/targets`,
              {
                connectionId: connection.id,
                siteId: site,
                listDisplayName: `${table} A`,
                routingRule: { column: 'region', op: 'eq', value: 'a' },
                priority: 10,
              },
              201,
            )
          ).id,
        );
      }
      targets.push(
        (
          await api<{ id: string }>(
            'POST',
            `/v1/sync-definitions/${def.id}/targets`,
            { connectionId: connection.id, siteId: site, listDisplayName: `${table} B`, isDefault: true },
            201,
          )
        ).id,
      );
      const { runId } = await api<{ runId: string }>('POST', `/v1/sync-definitions/${def.id}/provision`, undefined, 202);
      if ((await waitForRun(runId)).status !== 'succeeded') throw new Error('provisioning failed');
      return { id: def.id, targets };
    };

    const products = await define('products', ['region', 'sku'], false);
    say(`pushing ${fmt(ROWS)} rows (unthrottled)`);
    figures.push(await measure('initial load (for reference)', products.id, 'push'));
    figures.push(await measure('drift check, no delta token yet (enumerates the list)', products.id, 'drift_check'));
    figures.push(await measure('drift check with its delta token (nothing changed)', products.id, 'drift_check'));
    // 1% of the items edited in SharePoint: the next check reads only those through its token.
    const edits = Math.max(1, Math.floor(ROWS / 100));
    const listId = (await b.stack.store.sql<Array<{ list_id: string }>>`select list_id from sync_targets where definition_id = ${products.id}`)[0]!.list_id;
    const some = (await (await fetch(`${b.emulator.adminUrl}/lists/${encodeURIComponent(listId)}/items`)).json()) as { value: Array<{ id: string }> };
    const mapped = await api<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>(
      'GET',
      `/v1/sync-definitions/${products.id}/field-mappings?limit=100`,
    );
    const nameColumn = mapped.items.find((m) => m.sourceColumn === 'name')!.targetColumn;
    for (const item of some.value.slice(0, edits)) {
      const res = await fetch(`${b.emulator.adminUrl}/lists/${encodeURIComponent(listId)}/items/${item.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ fields: { [nameColumn]: `edited ${item.id}` } }),
      });
      if (res.status !== 200) throw new Error(`editing item ${item.id}: ${res.status}`);
    }
    const edited = await measure(`drift check with its delta token (${fmt(edits)} items edited)`, products.id, 'drift_check');
    if (edited.counts.valueDrift !== edits) throw new Error(`the check found ${edited.counts.valueDrift} value drifts of ${edits} edits`);
    edited.note = `${fmt(edits)} value drifts found`;
    figures.push(edited);
    await b.stack.store.sql`delete from sync_ledger where definition_id = ${products.id}`;
    figures.push(await measure('ledger rebuild (ledger lost)', products.id, 'ledger_rebuild'));
    figures.push(await measure('drift check after the rebuild', products.id, 'drift_check'));
    if ((figures.at(-1)!.counts.ledgerDrift ?? 0) !== 0) throw new Error('the rebuilt ledger drifts');

    const moves = await define('moves', ['id'], true);
    figures.push(await measure(`moves: initial load into list A`, moves.id, 'push'));
    await api('PATCH', `/v1/sync-definitions/${moves.id}/targets/${moves.targets[0]}`, { routingRule: { column: 'region', op: 'eq', value: 'b' } });
    await api('PATCH', `/v1/sharepoint-connections/${connection.id}`, { ruPerMinute: RU });
    const reshard = await measure(`reshard: ${fmt(MOVES)} moves at ${fmt(RU)} RU/min`, moves.id, 'reshard', { approve: true });
    if (reshard.counts.moved !== MOVES) throw new Error(`the reshard moved ${reshard.counts.moved} of ${MOVES}`);
    reshard.note = `${fmt(Math.round(MOVES / (reshard.seconds / 60)))} moves/min; ${(reshard.graph.ruSpent / MOVES).toFixed(2)} RU/move`;
    figures.push(reshard);

    console.log('\nrunbook | wall s | Graph requests | $batch | RU | throttled | note');
    console.log('---|---:|---:|---:|---:|---:|---');
    for (const f of figures)
      console.log(
        `${f.runbook} | ${f.seconds.toFixed(1)} | ${fmt(f.graph.requests)} | ${fmt(f.graph.batches)} | ${fmt(f.graph.ruSpent)} | ${fmt(f.graph.throttled)} | ${f.note ?? ''}`,
      );
  } finally {
    await b.close();
  }
}

main().catch((err: Error) => {
  console.error(`runbooks bench failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
