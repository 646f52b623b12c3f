/**
 * Ingress (SharePoint list edits back into the table) end to end: admin API (HTTP) -> Temporal ->
 * worker -> Graph delta from the SharePoint emulator -> PostgreSQL source, on the push
 * benchmark's `products` table (bench/push/source.ts) with a trigger that moves `updated_at`
 * on every UPDATE, as real tables have. Reuses the push benchmark's stack (bench/push/stack.ts).
 *
 *   pnpm exec tsx bench/ingress/run.ts [--rows 20000] [--changes 2000] [--cycle-rows 100000] [--cycle-changes 100]
 *                                      [--batch 500] [--latency-samples 2] [--no-latency] [--no-cycle]
 *
 *   --rows             rows in the throughput table (default 20000), pushed once
 *   --changes          items edited in its list (admin PATCH, 50 in flight) before one ingress run (default 2000)
 *   --cycle-rows       rows in the two-way cycle's table (default 100000)
 *   --cycle-changes    rows changed in the table and, separately, items edited in the list (default 100 each)
 *   --batch            the definitions' batchSize: rows per pushBatch, items per delta page (default 500)
 *   --latency-samples  edit-to-row measurements under an ingress schedule (default 2)
 *   --no-latency       skip the edit-to-row latency (it waits for schedule fires: up to a minute each)
 *   --no-cycle         skip the two-way cycle
 *
 * Scenarios:
 *   1. throughput   --changes items edited in the list, then one ingress run
 *   2. cycle        --cycle-changes rows updated in the table and as many other items edited in the
 *                   list; ingress, then push; then idle cycles (ingress + push) that must write nothing
 *   3. latency      an ingress schedule every 60 s (the product has no default ingress schedule);
 *                   one item edited at a time, the table polled until the row shows the edit
 * Per run: wall time, Graph requests and RU (the emulator's counters), transactions committed in
 * the source database (pg_stat_database.xact_commit: a proxy for SQL round trips, since
 * pg_stat_statements is not loaded) and rows it wrote (tup_inserted/updated/deleted; read through the meta-store's
 * connection, so reading them adds nothing), CPU
 * seconds per part, and the run's counts. Prints figures; aborts only when the data is wrong.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID } from '../../services/sharepoint-emulator/src/index.ts';
import { CpuMeter, cpuDiff, type CpuSeconds } from '../push/cpu.ts';
import { createBenchSource, type BenchSource, type PgSql } from '../push/source.ts';
import { startBenchStack, type BenchStack } from '../push/stack.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '20000' },
    changes: { type: 'string', default: '2000' },
    'cycle-rows': { type: 'string', default: '100000' },
    'cycle-changes': { type: 'string', default: '100' },
    batch: { type: 'string', default: '500' },
    'latency-samples': { type: 'string', default: '2' },
    'no-latency': { type: 'boolean', default: false },
    'no-cycle': { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(`ingress bench: ${message}`);
  process.exit(2);
}
function intArg(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be an integer between ${min} and ${max}, got '${raw}'`);
  return n;
}

const ROWS = intArg('rows', values.rows, 10, 10_000_000);
// One item is edited before the first ingress (see `earlyEdit`): the rest are free for --changes.
const CHANGES = intArg('changes', values.changes, 1, ROWS - 10);
const CYCLE_ROWS = intArg('cycle-rows', values['cycle-rows'], 10, 10_000_000);
const CYCLE_CHANGES = intArg('cycle-changes', values['cycle-changes'], 1, Math.floor(CYCLE_ROWS / 2) - 1);
const BATCH = intArg('batch', values.batch, 1, 5000);
const LATENCY_SAMPLES = intArg('latency-samples', values['latency-samples'], 1, 10);
const LATENCY = !values['no-latency'];
const CYCLE = !values['no-cycle'];
/** Admin PATCHes in flight while editing the list. */
const EDIT_CONCURRENCY = 50;
/** The ingress schedule's interval when the product offers no default (it does not: services/api/src/lib/schedules.ts). */
const SCHEDULE_SECONDS = 60;
const RUN_TIMEOUT_MS = 30 * 60_000;
/**
 * PostgreSQL (15+) flushes a backend's statistics when it goes idle, but not twice within a second: a backend that
 * flushed less than a second ago flushes its next ones 10 s later (PGSTAT_IDLE_INTERVAL). Wait that out after a run,
 * and before one when this benchmark itself wrote to the source since the last reading.
 */
const STATS_SETTLE_MS = 11_000;

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s`;
const say = (msg: string) => console.log(`[${elapsed()}] ${msg}`);
const fmt = (n: number) => n.toLocaleString('en-US');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Totals {
  requests: number;
  batches: number;
  ruSpent: number;
  throttled: number;
  injected429: number;
  injected503: number;
}

interface RunView {
  id: string;
  kind: string;
  status: string;
  trigger: string;
  counts: Record<string, number>;
  errors: Array<{ message: string }>;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
}

interface DbStats {
  /** pg_stat_database of the source database. */
  commits: number;
  rollbacks: number;
  /** Rows written in the source database (pg_stat_database: `products` is its only table). */
  inserted: number;
  updated: number;
  deleted: number;
}

interface RunResult {
  scenario: string;
  kind: 'push' | 'ingress';
  /** The changes the run is about (list edits for ingress, changed rows for push). */
  changes: number;
  seconds: number;
  counts: Record<string, number>;
  graph: Totals;
  db: DbStats;
  cpu: CpuSeconds;
}

interface Table {
  label: string;
  source: BenchSource;
  sql: PgSql;
  instanceId: string;
  definitionId: string;
  listId: string;
  /** Source column -> the list's internal column name. */
  col: Map<string, string>;
}

interface Item {
  id: string;
  fields: Record<string, unknown>;
}

class IngressBench {
  private b!: BenchStack;
  private cpu!: CpuMeter;
  private readonly cpuDatabases: string[] = [];
  private readonly extraSources: BenchSource[] = [];
  private appId = '';
  private connectionId = '';
  private siteId = '';

  constructor(readonly results: RunResult[]) {}

  async start() {
    this.b = await startBenchStack({ engine: 'postgres', emulator: 'process', emulatorRuPerMinute: 0, say });
    this.cpuDatabases.push(...this.b.pgDatabases);
    // Through the meta-store's connection: its sampling must not add transactions to the source database.
    this.cpu = new CpuMeter(this.b.pids, this.b.stack.store.sql, this.cpuDatabases);
    this.cpu.start();
  }

  async close() {
    this.cpu?.stop();
    for (const s of this.extraSources.splice(0)) {
      await s.closeConnections().catch(() => {});
      await s.drop().catch((err: Error) => say(`while stopping: dropping ${s.name}: ${err.message}`));
    }
    await this.b?.close();
  }

  get logFile() {
    return this.b?.logFile;
  }

  private async api<T>(method: string, path: string, json?: unknown, expected?: number): Promise<T> {
    const res = await this.b.stack.api(path, { method, ...(json === undefined ? {} : { json }) });
    const text = await res.text();
    if (expected !== undefined ? res.status !== expected : !res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  private async emulatorAdmin<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.b.emulator.adminUrl}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`emulator ${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  private check(ok: boolean, message: string) {
    if (!ok) throw new Error(`sanity check failed: ${message}; logs in ${this.b.logFile}`);
  }

  /** App and SharePoint connection, once; a database and instance per table. */
  async registerApp() {
    const app = await this.api<{ id: string }>('POST', '/v1/apps', { name: 'bench-ingress', ownerTeam: 'performance' }, 201);
    const e = this.b.emulator;
    const connection = await this.api<{ id: string }>(
      'POST',
      '/v1/sharepoint-connections',
      {
        appId: app.id,
        name: 'bench-sharepoint',
        tenantId: DEFAULT_TENANT_ID,
        clientId: DEFAULT_CLIENT_ID,
        clientSecret: DEFAULT_CLIENT_SECRET,
        graphBaseUrl: e.graphBaseUrl,
        authorityHost: e.authorityHost,
        caCertificatePem: e.caCertificatePem,
        ruPerMinute: 1_000_000,
      },
      201,
    );
    const sites = await this.api<{ items: Array<{ id: string }> }>('GET', `/v1/sharepoint-connections/${connection.id}/sites?search=syncbridge`);
    if (!sites.items[0]) throw new Error('the emulator offers no site matching "syncbridge"');
    Object.assign(this, { appId: app.id, connectionId: connection.id, siteId: sites.items[0].id });
  }

  /**
   * `products` with `rows` rows in a source database of its own (the stack's for the first table), a trigger
   * moving updated_at on every UPDATE, a definition with direction `both`, its list provisioned and pushed once.
   */
  async createTable(label: string, rows: number, own: boolean): Promise<Table> {
    let source = this.b.source;
    if (own) {
      source = await createBenchSource('postgres');
      this.extraSources.push(source);
      this.cpuDatabases.push(source.name);
    }
    const sql = source.pgSql!;
    this.dirty = true;
    const t0 = performance.now();
    const size = await source.createProducts(rows);
    await sql.unsafe(`
      create function touch() returns trigger language plpgsql as $$ begin new.updated_at := clock_timestamp(); return new; end $$;
      create trigger products_touch before update on products for each row execute function touch();`);
    say(`${label}: products with ${fmt(rows)} rows (${size}) in ${source.name}, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const database = await this.api<{ id: string }>(
      'POST',
      '/v1/databases',
      { appId: this.appId, name: `${label}-db`, engine: 'postgres', environment: 'dev' },
      201,
    );
    const instance = await this.api<{ id: string }>(
      'POST',
      '/v1/database-instances',
      { databaseId: database.id, name: 'primary', ...source.instance, role: 'primary' },
      201,
    );
    const def = await this.api<{ id: string }>(
      'POST',
      '/v1/sync-definitions',
      {
        appId: this.appId,
        name: `products-${label}`,
        sourceInstanceId: instance.id,
        sourceSchema: source.schema,
        sourceTable: 'products',
        keyStrategy: 'composite',
        keyColumns: ['region', 'sku'],
        cursorStrategy: 'updated_at',
        cursorColumn: 'updated_at',
        batchSize: BATCH,
        direction: 'both',
        conflictPolicy: 'source_wins',
      },
      201,
    );
    await this.api(
      'POST',
      `/v1/sync-definitions/${def.id}/targets`,
      { connectionId: this.connectionId, siteId: this.siteId, listDisplayName: `Products ${label}`, isDefault: true },
      201,
    );
    const { runId } = await this.api<{ runId: string }>('POST', `/v1/sync-definitions/${def.id}/provision`, undefined, 202);
    const provisioned = await this.waitForRun(def.id, runId, 'provision');
    this.check(provisioned.status === 'succeeded', `provisioning failed: ${JSON.stringify(provisioned.errors)}`);
    const targets = await this.api<{ items: Array<{ listId: string | null }> }>('GET', `/v1/sync-definitions/${def.id}/targets`);
    const listId = targets.items[0]?.listId;
    if (!listId) throw new Error('the target has no list after provisioning');
    const mappings = await this.api<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>(
      'GET',
      `/v1/sync-definitions/${def.id}/field-mappings?limit=100`,
    );
    const col = new Map(mappings.items.map((m) => [m.sourceColumn, m.targetColumn]));
    for (const c of ['region', 'sku', 'name', 'quantity']) if (!col.has(c)) throw new Error(`no field mapping for ${c}`);
    const table: Table = { label, source, sql, instanceId: instance.id, definitionId: def.id, listId, col };

    say(`${label}: initial push of ${fmt(rows)} rows`);
    const push = await this.run(table, 'push', 'initial push', rows);
    this.check(push.counts.created === rows, `the initial push created ${push.counts.created} items, not ${rows}`);
    say(`  ${report(push)}`);
    return table;
  }

  private async waitForRun(definitionId: string, runId: string, label: string): Promise<RunView> {
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    const startedAt = Date.now();
    let lastReport = Date.now();
    for (;;) {
      const runs = await this.api<{ items: RunView[] }>('GET', `/v1/sync-definitions/${definitionId}/runs?limit=10`);
      const run = runs.items.find((r) => r.id === runId);
      if (run && !['queued', 'running', 'awaiting_approval'].includes(run.status)) return run;
      if (Date.now() > deadline)
        throw new Error(`${label}: run ${runId} did not finish within ${RUN_TIMEOUT_MS / 60_000} minutes (last: ${JSON.stringify(run)})`);
      if (Date.now() - lastReport >= 15_000) {
        say(`  ${label}: ${JSON.stringify(run?.counts ?? {})}`);
        lastReport = Date.now();
      }
      this.b.drainLogs();
      await sleep(Date.now() - startedAt < 10_000 ? 100 : 500);
    }
  }

  private async counters(): Promise<Totals> {
    return (await this.emulatorAdmin<{ totals: Totals }>('GET', '/counters')).totals;
  }

  /** The source database was written by this benchmark since the last statistics reading. */
  private dirty = true;

  /**
   * pg_stat_database of the source database, read through the meta-store's connection: reading adds no transaction
   * to the source database. Rows are the whole database's (`products` is its only table; a temporary table would count).
   */
  private async dbStats(t: Table, settle: boolean): Promise<DbStats> {
    if (settle || this.dirty) await sleep(STATS_SETTLE_MS);
    this.dirty = false;
    const [d] = await this.b.stack.store.sql<Array<Record<keyof DbStats, string>>>`
      select xact_commit::text as commits, xact_rollback::text as rollbacks,
             tup_inserted::text as inserted, tup_updated::text as updated, tup_deleted::text as deleted
      from pg_stat_database where datname = ${t.source.name}`;
    return {
      commits: Number(d?.commits ?? NaN),
      rollbacks: Number(d?.rollbacks ?? NaN),
      inserted: Number(d?.inserted ?? NaN),
      updated: Number(d?.updated ?? NaN),
      deleted: Number(d?.deleted ?? NaN),
    };
  }

  /** One push or ingress run, started through the API; figures from just before the request to just after it finished. */
  async run(t: Table, kind: 'push' | 'ingress', scenario: string, changes: number): Promise<RunResult> {
    this.b.drainLogs();
    await this.emulatorAdmin('POST', '/counters/reset');
    const dbBefore = await this.dbStats(t, false);
    const cpuBefore = await this.cpu.read();
    const t0 = performance.now();
    const path = kind === 'push' ? `/v1/sync-definitions/${t.definitionId}/runs` : `/v1/sync-definitions/${t.definitionId}/operations/ingress`;
    const { runId } = await this.api<{ runId: string }>('POST', path, undefined, 202);
    const run = await this.waitForRun(t.definitionId, runId, `${t.label} ${scenario}`);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuDiff(await this.cpu.read(), cpuBefore);
    const graph = await this.counters();
    const dbAfter = await this.dbStats(t, true);
    this.b.drainLogs();
    this.check(run.status === 'succeeded', `${scenario}: the ${kind} run ended ${run.status}: ${run.errors.map((e) => e.message).join('; ')}`);
    const db = Object.fromEntries(Object.keys(dbBefore).map((k) => [k, dbAfter[k as keyof DbStats] - dbBefore[k as keyof DbStats]])) as unknown as DbStats;
    const result: RunResult = { scenario, kind, changes, seconds, counts: run.counts, graph, db, cpu };
    this.results.push(result);
    return result;
  }

  async items(t: Table): Promise<Item[]> {
    return (await this.emulatorAdmin<{ value: Item[] }>('GET', `/lists/${encodeURIComponent(t.listId)}/items`)).value;
  }

  /** Edits items as a person would (the emulator's admin API), EDIT_CONCURRENCY at a time; resolves with edits per second. */
  async edit(t: Table, items: Item[], fields: (item: Item, i: number) => Record<string, unknown>): Promise<number> {
    const t0 = performance.now();
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < items.length; i = next++) {
        const item = items[i]!;
        await this.emulatorAdmin('PATCH', `/lists/${encodeURIComponent(t.listId)}/items/${item.id}`, { fields: fields(item, i) });
      }
    };
    await Promise.all(Array.from({ length: Math.min(EDIT_CONCURRENCY, items.length) }, worker));
    return items.length / ((performance.now() - t0) / 1000);
  }

  private async count(t: Table, where: string): Promise<number> {
    this.dirty = true;
    const [row] = await t.sql.unsafe<Array<{ n: number }>>(`select count(*)::int as n from products where ${where}`);
    return row?.n ?? -1;
  }

  // 1. Throughput.
  async throughput(): Promise<Table> {
    say(`— 1. throughput: ${fmt(ROWS)} rows, ${fmt(CHANGES)} list edits, one ingress run —`);
    const t = await this.createTable('throughput', ROWS, false);
    const all = shuffle(await this.items(t));
    this.check(all.length === ROWS, `the list holds ${all.length} items, not ${ROWS}`);
    const name = t.col.get('name')!;
    const quantity = t.col.get('quantity')!;

    // An edit made before the definition's first ingress must land too (a first ingress that started the list's delta at
    // `token=latest` would skip it).
    const early = all.pop()!;
    await this.edit(t, [early], () => ({ [name]: 'Edited before the first ingress' }));
    const first = await this.run(t, 'ingress', 'first ingress', 1);
    say(`  first ingress (one item edited since the initial push): ${report(first)}`);
    const earlyLanded = await this.count(t, `name = 'Edited before the first ingress'`);
    if (earlyLanded !== 1) {
      notes.push(
        "an item edited after the initial push but before the definition's first ingress run never reaches the table: that run starts the list's delta at token=latest, past the edit (activities/src/ingress/page.ts, \"if (pushed) start = 'latest'\")",
      );
      say(`  NOTE: ${notes.at(-1)}`);
    }

    const edited = all.slice(0, CHANGES);
    say(`editing ${fmt(CHANGES)} items in the list (${EDIT_CONCURRENCY} admin PATCHes in flight)`);
    const rate = await this.edit(t, edited, (_, i) => ({ [name]: `Edited in list ${i}`, [quantity]: 100_000 + i }));
    say(`  ${fmt(Math.round(rate))} edits/s`);
    const r = await this.run(t, 'ingress', 'ingress', CHANGES);
    say(`  ${report(r)}`);
    this.check((await this.count(t, `name like 'Edited in list %'`)) === CHANGES, `the table does not show all ${CHANGES} edits after ingress`);
    if (r.counts.updated !== CHANGES) {
      notes.push(`the table shows all ${CHANGES} edits, but the ingress run reports ${JSON.stringify(r.counts)}`);
      say(`  NOTE: ${notes.at(-1)}`);
    }
    return t;
  }

  // 2. A two-way cycle, then idle cycles.
  async cycle() {
    say(`— 2. two-way cycle: ${fmt(CYCLE_ROWS)} rows, ${fmt(CYCLE_CHANGES)} table changes + ${fmt(CYCLE_CHANGES)} list edits —`);
    const t = await this.createTable('cycle', CYCLE_ROWS, true);
    const first = await this.run(t, 'ingress', 'first ingress', 0);
    say(`  first ingress: ${report(first)}`);
    const all = shuffle(await this.items(t));
    const edited = all.slice(0, CYCLE_CHANGES);
    const skus = edited.map((i) => String(i.fields[t.col.get('sku')!]));
    this.dirty = true;
    const touched = await t.sql`
      update products set quantity = quantity + 1
      where sku in (select sku from products where sku <> all(${skus}::text[]) order by random() limit ${CYCLE_CHANGES}::int)`;
    this.check(touched.count === CYCLE_CHANGES, `updated ${touched.count} rows instead of ${CYCLE_CHANGES}`);
    const name = t.col.get('name')!;
    await this.edit(t, edited, (_, i) => ({ [name]: `Cycle edit ${i}` }));
    say(`changed ${fmt(CYCLE_CHANGES)} rows in the table (trigger moves updated_at) and edited ${fmt(CYCLE_CHANGES)} other items in the list`);

    const ingress = await this.run(t, 'ingress', 'cycle ingress', CYCLE_CHANGES);
    say(`  ingress: ${report(ingress)}`);
    this.check((await this.count(t, `name like 'Cycle edit %'`)) === CYCLE_CHANGES, 'the table does not show the list edits after ingress');
    // The table's own changes, plus updated_at moved by the trigger on the rows ingress wrote (README: the table's own change, sent once).
    const push = await this.run(t, 'push', 'cycle push', 2 * CYCLE_CHANGES);
    say(`  push: ${report(push)}`);
    for (let i = 1; i <= 2; i++) {
      const idleIngress = await this.run(t, 'ingress', `idle ingress ${i}`, 0);
      say(`  idle ingress ${i}: ${report(idleIngress)}`);
      const idlePush = await this.run(t, 'push', `idle push ${i}`, 0);
      say(`  idle push ${i}: ${report(idlePush)}`);
      for (const r of [idleIngress, idlePush]) {
        const writes = (r.counts.created ?? 0) + (r.counts.updated ?? 0) + (r.counts.deleted ?? 0);
        // Writes by the run's counts and by the source's statistics; its Graph requests (delta reads) are in the table.
        if (writes || r.db.inserted + r.db.updated + r.db.deleted) {
          notes.push(
            `${r.scenario} wrote: counts ${JSON.stringify(r.counts)}, ${r.graph.requests} Graph requests, products rows +${r.db.inserted} ~${r.db.updated} -${r.db.deleted}`,
          );
          say(`  NOTE: ${notes.at(-1)}`);
        }
      }
    }
  }

  // 3. Edit-to-row latency under an ingress schedule.
  async latency(t: Table): Promise<Array<{ seconds: number; runSeconds: number | null; trigger: string }>> {
    say(`— 3. edit-to-row latency: ingress schedule every ${SCHEDULE_SECONDS} s, ${LATENCY_SAMPLES} sample(s) on the ${t.label} table —`);
    // A definition is created disabled, which keeps its schedules paused.
    await this.api('PATCH', `/v1/sync-definitions/${t.definitionId}`, { enabled: true });
    await this.api('PUT', `/v1/sync-definitions/${t.definitionId}/schedules/ingress`, { intervalSeconds: SCHEDULE_SECONDS });
    const out: Array<{ seconds: number; runSeconds: number | null; trigger: string }> = [];
    try {
      const name = t.col.get('name')!;
      const items = shuffle((await this.items(t)).filter((i) => !String(i.fields[name]).startsWith('Edited')));
      for (let s = 0; s < LATENCY_SAMPLES; s++) {
        const item = items[s]!;
        const sku = String(item.fields[t.col.get('sku')!]);
        const marker = `Latency probe ${s}`;
        // Edits at a random point of the interval, as people make them.
        await sleep(Math.random() * SCHEDULE_SECONDS * 1000);
        const since = new Date().toISOString();
        const t0 = performance.now();
        await this.edit(t, [item], () => ({ [name]: marker }));
        const deadline = Date.now() + (2 * SCHEDULE_SECONDS + 120) * 1000;
        for (;;) {
          this.dirty = true;
          const [row] = await t.sql<Array<{ name: string }>>`select name from products where sku = ${sku}`;
          if (row?.name === marker) break;
          if (Date.now() > deadline) throw new Error(`latency: the edit of ${sku} did not reach the table within ${(deadline - Date.now()) / 1000} s`);
          this.b.drainLogs();
          await sleep(100);
        }
        const seconds = (performance.now() - t0) / 1000;
        // The run that carried it: the first ingress run created after the edit.
        const runs = await this.api<{ items: RunView[] }>('GET', `/v1/sync-definitions/${t.definitionId}/runs?limit=10`);
        const run = runs.items.filter((r) => r.kind === 'ingress' && r.createdAt >= since).at(-1);
        let runSeconds: number | null = null;
        if (run?.startedAt) {
          const done = await this.waitForRun(t.definitionId, run.id, 'latency');
          if (done.finishedAt) runSeconds = (Date.parse(done.finishedAt) - Date.parse(run.startedAt)) / 1000;
        }
        out.push({ seconds, runSeconds, trigger: run?.trigger ?? '?' });
        say(
          `  sample ${s + 1}: ${seconds.toFixed(1)} s from the edit to the row (the ingress run itself: ${runSeconds?.toFixed(1) ?? '?'} s, trigger ${run?.trigger ?? '?'})`,
        );
      }
    } finally {
      await this.api('DELETE', `/v1/sync-definitions/${t.definitionId}/schedules/ingress`).catch((err: Error) => say(`removing the schedule: ${err.message}`));
    }
    return out;
  }
}

function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

const cpuOrDash = (v: number | null) => (v === null ? '-' : v.toFixed(1));

function countsText(counts: Record<string, number>): string {
  return (
    Object.entries(counts)
      .filter(([, v]) => v)
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(', ') || 'all 0'
  );
}

function report(r: RunResult): string {
  return `${r.seconds.toFixed(1)} s; ${countsText(r.counts)}; ${fmt(r.graph.requests)} Graph requests (${fmt(r.graph.batches)} $batch), ${fmt(r.graph.ruSpent)} RU; source: ${fmt(r.db.commits)} transactions, products rows +${r.db.inserted} ~${r.db.updated} -${r.db.deleted}`;
}

function printTable(results: RunResult[]) {
  const header = [
    'scenario',
    'kind',
    'changes',
    'seconds',
    'changes/s',
    'graph req',
    '$batch',
    'RU',
    'RU/change',
    'src xacts',
    'rows ins/upd/del',
    'cpu s: sb / emu / pg / temporal',
    'counts',
  ];
  const table = results.map((r) => [
    r.scenario,
    r.kind,
    fmt(r.changes),
    r.seconds.toFixed(1),
    r.changes ? fmt(Math.round(r.changes / r.seconds)) : '-',
    fmt(r.graph.requests),
    fmt(r.graph.batches),
    fmt(r.graph.ruSpent),
    r.changes ? (r.graph.ruSpent / r.changes).toFixed(2) : '-',
    fmt(r.db.commits),
    `${r.db.inserted}/${r.db.updated}/${r.db.deleted}`,
    `${r.cpu.syncbridge.toFixed(1)} / ${cpuOrDash(r.cpu.emulator)} / ${cpuOrDash(r.cpu.postgres)} / ${cpuOrDash(r.cpu.temporal)}`,
    countsText(r.counts),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 || i >= cells.length - 1 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' | ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of table) console.log(line(row));
  console.log(
    'changes: list edits (ingress) or table changes (push: the cycle counts the rows ingress wrote too, whose updated_at the trigger moved); ' +
      'src xacts: pg_stat_database.xact_commit of the source database; rows: tup_inserted/updated/deleted of the same; ' +
      'cpu: this process (API + worker) / emulator process / PostgreSQL backends of the benchmark databases / Temporal server',
  );
}

const results: RunResult[] = [];
const notes: string[] = [];
const bench = new IngressBench(results);
let closing = false;
const shutdown = async (code: number) => {
  if (closing) return;
  closing = true;
  say('stopping the stack and dropping the databases');
  await bench.close();
  if (bench.logFile) console.log(`worker and API logs: ${bench.logFile}`);
  process.exit(code);
};
const onSignal = (code: number) => (closing ? process.exit(code) : void shutdown(code));
process.on('SIGINT', () => onSignal(130));
process.on('SIGTERM', () => onSignal(143));

say(
  `ingress benchmark: ${fmt(ROWS)} rows / ${fmt(CHANGES)} edits; cycle ${CYCLE ? `${fmt(CYCLE_ROWS)} rows / ${fmt(CYCLE_CHANGES)}+${fmt(CYCLE_CHANGES)} changes` : 'skipped'}; latency ${LATENCY ? `${LATENCY_SAMPLES} sample(s)` : 'skipped'}; batch ${BATCH}; emulator in its own process, unthrottled, no added latency`,
);
try {
  await bench.start();
  await bench.registerApp();
  const small = await bench.throughput();
  if (CYCLE) await bench.cycle();
  const latency = LATENCY ? await bench.latency(small) : [];
  console.log('');
  printTable(results);
  if (latency.length) {
    console.log(
      `edit-to-row latency, ingress every ${SCHEDULE_SECONDS} s: ${latency.map((l) => `${l.seconds.toFixed(1)} s (run ${l.runSeconds?.toFixed(1) ?? '?'} s, ${l.trigger})`).join('; ')}`,
    );
  }
  for (const note of notes) console.log(`NOTE: ${note}`);
  console.log(
    JSON.stringify({
      benchmark: 'ingress/run',
      rows: ROWS,
      changes: CHANGES,
      cycleRows: CYCLE ? CYCLE_ROWS : null,
      cycleChanges: CYCLE ? CYCLE_CHANGES : null,
      batchSize: BATCH,
      totalSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
      peakMemoryMb: Math.round(process.resourceUsage().maxRSS / 1024),
      notes,
      latency,
      results: results.map((r) => ({
        ...r,
        seconds: Number(r.seconds.toFixed(2)),
        cpu: Object.fromEntries(Object.entries(r.cpu).map(([k, v]) => [k, v === null ? null : Number(v.toFixed(2))])),
      })),
    }),
  );
  await shutdown(0);
} catch (err) {
  if (!closing) console.error(`ingress bench: ${(err as Error).stack ?? String(err)}`);
  await shutdown(1);
}
