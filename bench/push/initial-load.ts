/**
 * Push sync at scale, end to end: admin API (HTTP) -> Temporal -> worker -> PostgreSQL or
 * MariaDB source -> Graph `$batch` -> SharePoint emulator, on one source table of `--rows` rows.
 *
 *   npx tsx bench/push/initial-load.ts [--engine postgres|mariadb] [--rows 100000] [--changed 100] [--latency 0|25|[10,40]] [--batch 500] [--ru 1000000] [--sweep every_run|interval] [--worker inline|process] [--emulator process|inline]
 *
 *   --engine    the source database (default postgres, or BENCH_ENGINE): `postgres` on the local
 *               PostgreSQL, `mariadb` on the local MariaDB (TEST_MYSQL_ADMIN_URL), the same table
 *               and rows either way (bench/push/source.ts); the meta-store stays on PostgreSQL
 *   --rows      rows in the source table (default 100000), generated server-side (INSERT … SELECT)
 *   --changed   rows touched (updated_at = now()) before the incremental run (default 100)
 *   --naive     rows of the naive loop after the scenarios (default 2000; 0: none; PostgreSQL): per row a
 *               SELECT by key, one POST of one item and one INSERT into a ledger table, as a simple script
 *               does; the initial load's rows/s is printed as a ratio to it
 *   --latency   extra emulator latency per Graph request and per `$batch` sub-request, ms:
 *               a number or an inclusive range `[min,max]`. Without it the scenarios run
 *               twice, at 0 ms and at [20,60] ms; with it, once at that setting.
 *   --batch     the sync definition's batchSize: rows per pushBatch activity (default 500)
 *   --ru        the connection's RU budget per minute (default 1000000, which does not bind);
 *               when given, the emulator enforces the same budget (otherwise it is unthrottled)
 *   --sweep     the definition's deleteSweep: `every_run` (default) or `interval` (hourly: the
 *               incremental and no-op runs then skip the sweep over the whole ledger)
 *   --worker    `inline` (default): the worker in this process beside the API; `process`: a worker
 *               process of its own, whose peak memory is then printed apart
 *   --emulator  `process` (default): the emulator in a child process, so its CPU time does not
 *               compete with the worker's event loop; `inline`: in this process, as the tests run it
 *
 * Per latency setting, one sync definition (and list) on the same table:
 *   initial load   POST /runs (again if a run fails) until one succeeds: every row is created
 *   incremental    after `--changed` rows got updated_at = now(): the watermark pass plus the delete sweep
 *   no-op          nothing changed: mostly the delete sweep over the whole ledger
 * Graph requests and RU come from the emulator's counters (`GET /_emulator/counters`);
 * "requests" counts each `$batch` sub-request, "$batch" the envelopes. Worker and API logs
 * are kept in a temp file whose path is printed at the end.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID } from '../../services/sharepoint-emulator/src/index.ts';
import { fetchToken, naivePost } from '../graph/naive-client.ts';
import { CpuMeter, cpuDiff, peakRssMb, type CpuSeconds } from './cpu.ts';
import { BENCH_ENGINES, type BenchEngine } from './source.ts';
import { startBenchStack, type BenchStack, type LogLine } from './stack.ts';

type Latency = number | [number, number];

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: process.env.BENCH_ENGINE || 'postgres' },
    rows: { type: 'string', default: '100000' },
    changed: { type: 'string', default: '100' },
    latency: { type: 'string' },
    batch: { type: 'string', default: '500' },
    ru: { type: 'string' },
    emulator: { type: 'string', default: 'process' },
    sweep: { type: 'string', default: 'every_run' },
    worker: { type: 'string', default: 'inline' },
    naive: { type: 'string', default: '2000' },
  },
});

function fail(message: string): never {
  console.error(`initial-load: ${message}`);
  process.exit(2);
}
function intArg(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be an integer between ${min} and ${max}, got '${raw}'`);
  return n;
}
function latencyArg(raw: string): Latency {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.trim());
  } catch {
    fail(`--latency must be a number of ms or a range like [10,40], got '${raw}'`);
  }
  const ok = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  if (ok(parsed)) return parsed as number;
  if (Array.isArray(parsed) && parsed.length === 2 && parsed.every(ok)) return parsed as [number, number];
  fail(`--latency must be a number of ms or a range like [10,40], got '${raw}'`);
}

const ROWS = intArg('rows', values.rows, 1, 10_000_000);
const CHANGED = intArg('changed', values.changed, 0, ROWS);
/** Rows of the naive one-request-per-row loop the initial load is compared with (PostgreSQL; 0: none). */
const NAIVE = intArg('naive', values.naive, 0, ROWS);
const BATCH = intArg('batch', values.batch, 1, 5000);
const RU = values.ru === undefined ? 1_000_000 : intArg('ru', values.ru, 10, 1_000_000);
const EMULATOR_RU = values.ru === undefined ? 0 : RU;
if (values.emulator !== 'process' && values.emulator !== 'inline') fail(`--emulator must be 'process' or 'inline', got '${values.emulator}'`);
const EMULATOR_MODE: 'process' | 'inline' = values.emulator;
if (!['every_run', 'interval'].includes(values.sweep)) fail(`--sweep must be 'every_run' or 'interval', got '${values.sweep}'`);
/** The definition's deleteSweep: every run (the default), or at most hourly (the first run sweeps; incremental and no-op runs do not). */
if (values.worker !== 'inline' && values.worker !== 'process') fail(`--worker must be 'inline' or 'process', got '${values.worker}'`);
const WORKER_MODE: 'inline' | 'process' = values.worker;
const SWEEP = values.sweep === 'interval' ? { deleteSweep: 'interval', deleteSweepIntervalSeconds: 3_600 } : { deleteSweep: 'every_run' };
if (!(BENCH_ENGINES as readonly string[]).includes(values.engine))
  fail(`--engine (or BENCH_ENGINE) must be ${BENCH_ENGINES.join(' or ')}, got '${values.engine}'`);
const ENGINE = values.engine as BenchEngine;
const REALISTIC_LATENCY: Latency = [20, 60];
const PHASES: Latency[] = values.latency === undefined ? [0, REALISTIC_LATENCY] : [latencyArg(values.latency)];
/** One run should never take this long; a stuck run aborts the benchmark with what it knows. */
const RUN_TIMEOUT_MS = 60 * 60_000;
const MAX_ATTEMPTS = 3;
/** The ledger page a sweep scan activity reads (activities/src/push/sweep.ts, SCAN_PAGE). */
const SWEEP_PAGE = 10_000;

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s`;
const say = (msg: string) => console.log(`[${elapsed()}] ${msg}`);
const fmt = (n: number) => n.toLocaleString('en-US');
const latencyLabel = (l: Latency) => (typeof l === 'number' ? `${l} ms` : `${l[0]}-${l[1]} ms`);

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
  status: string;
  workflowId: string;
  counts: Record<string, number>;
  errors: Array<{ message: string }>;
  startedAt: string | null;
  finishedAt: string | null;
}

interface ScenarioResult {
  scenario: string;
  latency: string;
  /** Rows the scenario is about: created (initial), updated (incremental), swept (no-op). */
  rows: number;
  seconds: number;
  runs: number;
  failedRuns: number;
  counts: Record<string, number>;
  graph: Totals;
  upsertBatches: number;
  /** pushBatch attempts after the first that committed: a retried batch (see the notes printed at the end). */
  retriedBatches: number;
  sweepPages: number;
  warnings: number;
  cpu: CpuSeconds;
  /** Seconds per pushBatch activity, from consecutive "push batch committed" log lines (initial load). */
  batchSeconds?: { p50: number; p95: number; max: number; firstTenth: number; lastTenth: number };
}

class Bench {
  private b!: BenchStack;
  private cpu!: CpuMeter;
  private appId = '';
  private instanceId = '';
  private connectionId = '';
  private siteId = '';
  /** The naive loop's figures per phase, and the initial load's ratio to it. */
  readonly naive: Array<{ latency: string; rows: number; seconds: number; rowsPerSecond: number; ratio: number }> = [];

  constructor(
    private readonly results: ScenarioResult[],
    readonly notes: string[],
  ) {}

  async start() {
    this.b = await startBenchStack({ engine: ENGINE, emulator: EMULATOR_MODE, emulatorRuPerMinute: EMULATOR_RU, worker: WORKER_MODE, say });
    this.cpu = new CpuMeter({ ...this.b.pids, mariadb: this.b.source.serverPid }, this.b.pgSql, this.b.pgDatabases);
    this.cpu.start();
  }

  async close() {
    this.cpu?.stop();
    await this.b?.close();
  }

  get logFile() {
    return this.b?.logFile;
  }

  /** Peak resident memory: this process (API + worker) and the emulator process. */
  peakMemory() {
    return {
      syncbridgeMb: Math.round(process.resourceUsage().maxRSS / 1024),
      emulatorMb: peakRssMb(this.b.pids.emulator),
      workerMb: peakRssMb(this.b.pids.worker),
    };
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

  private async counters(): Promise<Totals> {
    return (await this.emulatorAdmin<{ totals: Totals }>('GET', '/counters')).totals;
  }

  /** A realistic table: composite key, the usual type families, an indexed updated_at watermark (bench/push/source.ts). */
  async createSourceTable() {
    const t0 = performance.now();
    const size = await this.b.source.createProducts(ROWS);
    say(`source table products (${this.b.source.label}): ${fmt(ROWS)} rows (${size}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  /** App, database, instance and SharePoint connection, through the admin API as an operator would. */
  async register() {
    const app = await this.api<{ id: string }>('POST', '/v1/apps', { name: 'bench', ownerTeam: 'performance' }, 201);
    const database = await this.api<{ id: string }>('POST', '/v1/databases', { appId: app.id, name: 'bench-db', engine: ENGINE, environment: 'dev' }, 201);
    const instance = await this.api<{ id: string }>(
      'POST',
      '/v1/database-instances',
      { databaseId: database.id, name: 'primary', ...this.b.source.instance, role: 'primary' },
      201,
    );
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
        ruPerMinute: RU,
      },
      201,
    );
    const sites = await this.api<{ items: Array<{ id: string }> }>('GET', `/v1/sharepoint-connections/${connection.id}/sites?search=syncbridge`);
    if (!sites.items[0]) throw new Error('the emulator offers no site matching "syncbridge"');
    Object.assign(this, { appId: app.id, instanceId: instance.id, connectionId: connection.id, siteId: sites.items[0].id });
  }

  private async waitForRun(definitionId: string, workflowId: string, label: string): Promise<RunView> {
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    const startedAt = Date.now();
    let lastReport = Date.now();
    let lastRead = 0;
    for (;;) {
      const runs = await this.api<{ items: RunView[] }>('GET', `/v1/sync-definitions/${definitionId}/runs?limit=5`);
      const run = runs.items.find((r) => r.workflowId === workflowId);
      if (run && !['queued', 'running'].includes(run.status)) return run;
      if (Date.now() > deadline)
        throw new Error(`${label}: run ${workflowId} did not finish within ${RUN_TIMEOUT_MS / 60_000} minutes (last: ${JSON.stringify(run)}); see the logs`);
      if (Date.now() - lastReport >= 15_000) {
        const read = run?.counts.read ?? 0;
        const rate = (read - lastRead) / ((Date.now() - lastReport) / 1000);
        say(
          `  ${label}: ${fmt(read)} rows read, ${fmt(run?.counts.created ?? 0)} created, ${fmt(run?.counts.deleted ?? 0)} deleted (${rate.toFixed(0)} rows/s over the last 15 s)`,
        );
        lastReport = Date.now();
        lastRead = read;
        this.b.drainLogs();
      }
      // Close to the finish on short runs, without flooding the API (and its log) on long ones.
      await new Promise((r) => setTimeout(r, Date.now() - startedAt < 10_000 ? 200 : 1000));
    }
  }

  async provision(definitionId: string) {
    const t0 = performance.now();
    const { workflowId } = await this.api<{ workflowId: string }>('POST', `/v1/sync-definitions/${definitionId}/provision`, undefined, 202);
    const run = await this.waitForRun(definitionId, workflowId, 'provision');
    if (run.status !== 'succeeded') throw new Error(`provisioning failed: ${JSON.stringify(run.errors)}`);
    say(`provisioned the list in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  /** POST /runs until a run succeeds (at most MAX_ATTEMPTS); counts and Graph figures over all of them. */
  async scenario(name: string, latency: Latency, definitionId: string, rows: number): Promise<ScenarioResult> {
    this.b.drainLogs();
    const before = await this.counters();
    const cpuBefore = await this.cpu.read();
    let upsertBatches = 0;
    let retriedBatches = 0;
    let warnings = 0;
    const batchTimes: number[] = [];
    let lastBatchAt: number | undefined;
    this.b.onLogLine = (line: LogLine) => {
      if (isWarning(line.level)) warnings++;
      if (line.msg === 'push batch committed') {
        upsertBatches++;
        if (typeof line.attempt === 'number' && line.attempt > 1) retriedBatches++;
        const at = typeof line.time === 'number' ? line.time : Date.parse(String(line.time));
        if (Number.isFinite(at)) {
          if (lastBatchAt !== undefined) batchTimes.push((at - lastBatchAt) / 1000);
          lastBatchAt = at;
        }
      }
    };
    const counts: Record<string, number> = {};
    const errors: string[] = [];
    let runs = 0;
    let succeeded = false;
    const t0 = performance.now();
    while (!succeeded && runs < MAX_ATTEMPTS) {
      runs++;
      const { workflowId } = await this.api<{ workflowId: string }>('POST', `/v1/sync-definitions/${definitionId}/runs`, undefined, 202);
      const run = await this.waitForRun(definitionId, workflowId, name);
      this.b.drainLogs();
      for (const [k, v] of Object.entries(run.counts)) counts[k] = (counts[k] ?? 0) + v;
      if (run.status === 'succeeded') succeeded = true;
      else {
        errors.push(...run.errors.map((e) => e.message));
        say(
          `  ${name}: run ${runs} ended ${run.status}: ${run.errors
            .map((e) => e.message)
            .join('; ')
            .slice(0, 300)}`,
        );
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    this.b.drainLogs();
    this.b.onLogLine = undefined;
    const cpu = cpuDiff(await this.cpu.read(), cpuBefore);
    if (!succeeded) throw new Error(`${name}: no run succeeded in ${MAX_ATTEMPTS} attempts (${errors.slice(0, 3).join(' | ')})`);
    const after = await this.counters();
    const graph = Object.fromEntries(Object.keys(before).map((k) => [k, after[k as keyof Totals] - before[k as keyof Totals]])) as unknown as Totals;
    const ledger = await this.ledgerSize(definitionId);
    const sorted = [...batchTimes].sort((a, b) => a - b);
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    const tenth = Math.max(1, Math.floor(batchTimes.length / 10));
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length);
    return {
      scenario: name,
      latency: latencyLabel(latency),
      rows,
      seconds,
      runs,
      failedRuns: runs - 1,
      counts,
      graph,
      upsertBatches,
      retriedBatches,
      // A sweep reads the ledger in pages until one comes back short (deletes happen before that page).
      // With --sweep interval only the first run (the initial load) sweeps; later ones find it not due in one step.
      sweepPages: runs * (values.sweep === 'interval' && name !== 'initial load' ? 1 : Math.floor(ledger / SWEEP_PAGE) + 1),
      warnings,
      cpu,
      ...(sorted.length
        ? {
            batchSeconds: {
              p50: pct(0.5),
              p95: pct(0.95),
              max: sorted.at(-1) ?? 0,
              firstTenth: mean(batchTimes.slice(0, tenth)),
              lastTenth: mean(batchTimes.slice(-tenth)),
            },
          }
        : {}),
    };
  }

  private async ledgerSize(definitionId: string): Promise<number> {
    const [row] = await this.b.stack.store.sql<Array<{ n: number }>>`select count(*)::int as n from sync_ledger where definition_id = ${definitionId}`;
    return row?.n ?? 0;
  }

  private async listItemCount(listId: string): Promise<number> {
    const sites = await this.emulatorAdmin<{ value: Array<{ lists: Array<{ id: string; itemCount: number }> }> }>('GET', '/sites');
    return sites.value.flatMap((s) => s.lists).find((l) => l.id === listId.toLowerCase())?.itemCount ?? -1;
  }

  /** Data that is wrong (list or ledger) aborts the benchmark: its figures would mean nothing. */
  private check(ok: boolean, message: string) {
    if (!ok) throw new Error(`sanity check failed: ${message}; logs in ${this.b.logFile}`);
  }

  /** Figures the product reports wrongly (run counts) are worth knowing, not worth losing the run for. */
  private expect(ok: boolean, message: string) {
    if (ok) return;
    this.notes.push(message);
    say(`  WARNING: ${message}`);
  }

  async phase(index: number, latency: Latency) {
    say(`— phase ${index + 1}: emulator latency ${latencyLabel(latency)} per request${EMULATOR_RU ? `, ${fmt(EMULATOR_RU)} RU/min` : ', unthrottled'} —`);
    await this.emulatorAdmin('PUT', '/faults', { latencyMs: latency });
    const def = await this.api<{ id: string }>(
      'POST',
      '/v1/sync-definitions',
      {
        appId: this.appId,
        name: `products-${index + 1}`,
        sourceInstanceId: this.instanceId,
        sourceSchema: this.b.source.schema,
        sourceTable: 'products',
        keyStrategy: 'composite',
        keyColumns: ['region', 'sku'],
        cursorStrategy: 'updated_at',
        cursorColumn: 'updated_at',
        batchSize: BATCH,
        ...SWEEP,
      },
      201,
    );
    await this.api(
      'POST',
      `/v1/sync-definitions/${def.id}/targets`,
      { connectionId: this.connectionId, siteId: this.siteId, listDisplayName: `Products ${index + 1}`, isDefault: true },
      201,
    );
    await this.provision(def.id);
    const targets = await this.api<{ items: Array<{ listId: string | null }> }>('GET', `/v1/sync-definitions/${def.id}/targets`);
    const listId = targets.items[0]?.listId;
    if (!listId) throw new Error('the target has no list after provisioning');

    say(`initial load of ${fmt(ROWS)} rows, batches of ${BATCH}`);
    const initial = await this.scenario('initial load', latency, def.id, ROWS);
    this.results.push(initial);
    this.check((await this.ledgerSize(def.id)) === ROWS, 'the ledger does not hold one entry per row');
    this.check((await this.listItemCount(listId)) === ROWS, 'the list does not hold one item per row');
    this.expect(
      initial.counts.created === ROWS && (initial.counts.quarantined ?? 0) === 0,
      `initial load (${latencyLabel(latency)}): the list and the ledger hold all ${fmt(ROWS)} rows, but the run reports ${JSON.stringify(initial.counts)}` +
        (initial.retriedBatches
          ? ` (${initial.retriedBatches} pushBatch attempt(s) after the first committed: an attempt that timed out still committed, its result was dropped)`
          : ''),
    );
    say(`  ${report(initial)}`);

    if (CHANGED > 0) {
      const touched = await this.b.source.touch(CHANGED);
      this.check(touched === CHANGED, `touched ${touched} rows instead of ${CHANGED}`);
    }
    say(`incremental run after ${fmt(CHANGED)} changed rows`);
    const since = await this.metaNow();
    const incremental = await this.scenario('incremental', latency, def.id, CHANGED);
    this.results.push(incremental);
    this.check(
      (await this.pushedSince(def.id, since)) === CHANGED,
      `the ledger does not show exactly the ${CHANGED} changed rows as pushed by the incremental run`,
    );
    this.check((await this.listItemCount(listId)) === ROWS, 'the list does not hold one item per row after the incremental run');
    this.expect(
      (incremental.counts.updated ?? 0) === CHANGED && !incremental.counts.created && !incremental.counts.deleted,
      `incremental (${latencyLabel(latency)}): ${CHANGED} rows were pushed, but the run reports ${JSON.stringify(incremental.counts)}`,
    );
    say(`  ${report(incremental)}`);

    say('no-op run (nothing changed)');
    const quiet = await this.metaNow();
    const noop = await this.scenario('no-op', latency, def.id, ROWS);
    this.results.push(noop);
    this.check((await this.pushedSince(def.id, quiet)) === 0 && (await this.ledgerSize(def.id)) === ROWS, 'the no-op run wrote to the ledger');
    this.expect(
      !noop.counts.created && !noop.counts.updated && !noop.counts.deleted,
      `no-op (${latencyLabel(latency)}): the run reports writes: ${JSON.stringify(noop.counts)}`,
    );
    say(`  ${report(noop)}`);

    if (NAIVE > 0 && this.b.source.pgSql && ENGINE === 'postgres') {
      const naive = await this.naiveLoop(index, NAIVE);
      const ratio = initial.rows / initial.seconds / naive.rowsPerSecond;
      this.naive.push({ latency: latencyLabel(latency), ...naive, ratio: Number(ratio.toFixed(1)) });
      say(
        `  naive loop (a SELECT, one POST and one INSERT per row): ${fmt(naive.rows)} rows in ${naive.seconds.toFixed(1)} s = ${naive.rowsPerSecond.toFixed(1)} rows/s; the initial load: ${ratio.toFixed(1)}x`,
      );
    }
  }

  /**
   * What a simple script does (and the original system did): per row, read it by key, POST one item,
   * record it in a ledger table: three round trips, no batching. `rows` of the same table into a list of
   * its own (the key column, Title and the name), through the same emulator.
   */
  private async naiveLoop(index: number, rows: number): Promise<{ rows: number; seconds: number; rowsPerSecond: number }> {
    const sql = this.b.source.pgSql!;
    const token = await fetchToken(this.b.emulator, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET);
    const graph = this.b.emulator.graphBaseUrl;
    const created = await fetch(`${graph}/sites/${this.siteId}/lists`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        displayName: `Naive ${index + 1}`,
        list: { template: 'genericList' },
        columns: [
          { name: 'RowKey', text: {} },
          { name: 'ProductName', text: {} },
        ],
      }),
    });
    if (!created.ok) throw new Error(`the naive loop's list could not be created: ${created.status} ${await created.text()}`);
    const listId = ((await created.json()) as { id: string }).id;
    await sql.unsafe(`create table if not exists naive_ledger (row_key text primary key, item_id text not null)`);
    const keys = await sql<Array<{ region: string; sku: string }>>`select region, sku from products order by region, sku limit ${rows}`;
    const url = `${graph}/sites/${this.siteId}/lists/${listId}/items`;
    const t0 = performance.now();
    let written = 0;
    for (const k of keys) {
      const [row] = await sql<Array<{ name: string }>>`select * from products where region = ${k.region} and sku = ${k.sku}`;
      const rowKey = `${k.region}|${k.sku}`;
      const itemId = await naivePost(url, token, { Title: k.sku, RowKey: rowKey, ProductName: row!.name });
      if (itemId === null) continue;
      await sql`insert into naive_ledger (row_key, item_id) values (${rowKey}, ${itemId}) on conflict (row_key) do update set item_id = excluded.item_id`;
      written++;
    }
    const seconds = (performance.now() - t0) / 1000;
    this.check(written === keys.length, `the naive loop wrote ${written} of ${keys.length} rows`);
    return { rows: written, seconds, rowsPerSecond: written / seconds };
  }

  private async metaNow(): Promise<string> {
    const [row] = await this.b.stack.store.sql<Array<{ now: string }>>`select now()::text as now`;
    return row!.now;
  }

  /** Ledger entries written (pushed) since a meta-store time: what a run really did, whatever its counts say. */
  private async pushedSince(definitionId: string, since: string): Promise<number> {
    const [row] = await this.b.stack.store.sql<
      Array<{ n: number }>
    >`select count(*)::int as n from sync_ledger where definition_id = ${definitionId} and last_pushed_at >= ${since}::timestamptz`;
    return row?.n ?? 0;
  }
}

const cpuOrDash = (v: number | null) => (v === null ? '-' : v.toFixed(1));
const cpuText = (c: CpuSeconds) =>
  `syncbridge ${cpuOrDash(c.syncbridge)}, emulator ${c.emulator === null ? '(inline)' : cpuOrDash(c.emulator)}, postgres ${cpuOrDash(c.postgres)}${ENGINE === 'mariadb' ? `, mariadb ${cpuOrDash(c.mariadb)}` : ''}, temporal ${cpuOrDash(c.temporal)}`;

/** pino writes numeric levels by default, labels when configured so (the product does). */
const isWarning = (level: unknown) => (typeof level === 'number' ? level >= 40 : ['warn', 'error', 'fatal'].includes(String(level)));

function report(r: ScenarioResult): string {
  const counts = Object.entries(r.counts)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');
  const b = r.batchSeconds;
  const batches = b
    ? `\n      per pushBatch: p50 ${b.p50.toFixed(2)} s, p95 ${b.p95.toFixed(2)} s, max ${b.max.toFixed(2)} s; first tenth ${b.firstTenth.toFixed(2)} s, last tenth ${b.lastTenth.toFixed(2)} s`
    : '';
  return `${r.seconds.toFixed(1)} s, ${r.runs} run(s): ${counts || 'no counts'}; ${r.upsertBatches} upsert + ${r.sweepPages} sweep activities; ${fmt(r.graph.requests)} Graph requests in ${fmt(r.graph.batches)} $batch${batches}\n      CPU s: ${cpuText(r.cpu)}`;
}

function printTable(results: ScenarioResult[]) {
  const header = ['scenario', 'latency', 'rows', 'seconds', 'rows/s', 'graph requests', '$batch', 'RU', 'RU/row', 'activities', 'retried', 'runs', '429s'];
  const table = results.map((r) => [
    r.scenario,
    r.latency,
    fmt(r.rows),
    r.seconds.toFixed(1),
    r.rows ? fmt(Math.round(r.rows / r.seconds)) : '-',
    fmt(r.graph.requests),
    fmt(r.graph.batches),
    fmt(r.graph.ruSpent),
    r.rows ? (r.graph.ruSpent / r.rows).toFixed(2) : '-',
    `${r.upsertBatches}+${r.sweepPages}`,
    String(r.retriedBatches),
    String(r.runs),
    String(r.graph.throttled + r.graph.injected429),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' | ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of table) console.log(line(row));
  console.log(
    'rows: rows loaded (initial load), changed rows (incremental), ledger entries swept (no-op); activities: pushBatch + sweep pages; retried: pushBatch attempts > 1 that committed',
  );
  console.log('');
  const mariadb = ENGINE === 'mariadb';
  const cpuHeader = ['scenario', 'latency', 'wall s', 'cpu s: syncbridge', 'emulator', 'postgres', ...(mariadb ? ['mariadb'] : []), 'temporal'];
  const cpuRows = results.map((r) => [
    r.scenario,
    r.latency,
    r.seconds.toFixed(1),
    r.cpu.syncbridge.toFixed(1),
    r.cpu.emulator === null ? 'inline' : cpuOrDash(r.cpu.emulator),
    cpuOrDash(r.cpu.postgres),
    ...(mariadb ? [cpuOrDash(r.cpu.mariadb)] : []),
    cpuOrDash(r.cpu.temporal),
  ]);
  const cw = cpuHeader.map((h, i) => Math.max(h.length, ...cpuRows.map((row) => (row[i] as string).length)));
  const cline = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(cw[i] as number) : c.padStart(cw[i] as number))).join(' | ');
  console.log(cline(cpuHeader));
  console.log(cw.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of cpuRows) console.log(cline(row));
  console.log(
    mariadb
      ? 'syncbridge: this process (API, worker, benchmark; and the emulator when --emulator inline); postgres: backends of the meta-store; mariadb: the whole MariaDB server process (the source)'
      : 'syncbridge: this process (API, worker, benchmark; and the emulator when --emulator inline); postgres: backends of the two benchmark databases',
  );
  // The emulator shares this machine's cores with SyncBridge, PostgreSQL and Temporal: what it burns is not SyncBridge's.
  const loads = results.filter((r) => r.scenario === 'initial load' && r.cpu.emulator !== null);
  const emulatorCpu = loads.reduce((sum, r) => sum + (r.cpu.emulator ?? 0), 0);
  const loadWall = loads.reduce((sum, r) => sum + r.seconds, 0);
  if (loads.length && emulatorCpu > 0.4 * loadWall) {
    console.log(
      `note: the emulator spent ${emulatorCpu.toFixed(0)} s of CPU in ${loadWall.toFixed(0)} s of initial loads, on the cores SyncBridge ` +
        "used too; against SharePoint that work is Microsoft's, so the initial load's figures understate what SyncBridge alone does.",
    );
  }
}

const results: ScenarioResult[] = [];
const notes: string[] = [];
const bench = new Bench(results, notes);
let closing = false;
const shutdown = async (code: number) => {
  if (closing) return;
  closing = true;
  say('stopping the stack and dropping the databases');
  await bench.close();
  if (bench.logFile) console.log(`worker and API logs: ${bench.logFile}`);
  process.exit(code);
};
// A second Ctrl+C leaves at once (the databases may then remain: their names start with sb_bench_src_ / sb_test_; MariaDB's too with --engine mariadb).
const onSignal = (code: number) => (closing ? process.exit(code) : void shutdown(code));
process.on('SIGINT', () => onSignal(130));
process.on('SIGTERM', () => onSignal(143));

say(
  `push benchmark: ${ENGINE === 'mariadb' ? 'MariaDB' : 'PostgreSQL'} source, ${fmt(ROWS)} rows, batch ${BATCH}, ${fmt(CHANGED)} changed, connection budget ${fmt(RU)} RU/min, emulator ${EMULATOR_MODE} ${EMULATOR_RU ? `at ${fmt(EMULATOR_RU)} RU/min` : 'unthrottled'}, latency ${PHASES.map(latencyLabel).join(' then ')}`,
);
try {
  await bench.start();
  await bench.createSourceTable();
  await bench.register();
  for (const [i, latency] of PHASES.entries()) await bench.phase(i, latency);
  console.log('');
  printTable(results);
  for (const n of bench.naive)
    console.log(
      `naive loop (${n.latency}): ${fmt(n.rows)} rows at ${n.rowsPerSecond.toFixed(1)} rows/s; the initial load is ${n.ratio}x faster (a SELECT, one POST and one INSERT per row against batches)`,
    );
  for (const note of notes) console.log(`WARNING: ${note}`);
  const memory = bench.peakMemory();
  console.log(
    `peak memory: this process ${fmt(memory.syncbridgeMb)} MB${memory.workerMb === null ? '' : `, worker process ${fmt(memory.workerMb)} MB`}${memory.emulatorMb === null ? '' : `, emulator process ${fmt(memory.emulatorMb)} MB`}`,
  );
  const summary = {
    benchmark: 'push/initial-load',
    engine: ENGINE,
    rows: ROWS,
    changed: CHANGED,
    batchSize: BATCH,
    ruPerMinute: RU,
    emulatorRuPerMinute: EMULATOR_RU || null,
    emulator: EMULATOR_MODE,
    totalSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    peakMemory: memory,
    naiveLoop: bench.naive,
    notes,
    results: results.map((r) => ({
      scenario: r.scenario,
      latency: r.latency,
      rows: r.rows,
      seconds: Number(r.seconds.toFixed(2)),
      rowsPerSecond: r.rows ? Number((r.rows / r.seconds).toFixed(1)) : null,
      graphRequests: r.graph.requests,
      batchEnvelopes: r.graph.batches,
      ru: r.graph.ruSpent,
      ruPerRow: r.rows ? Number((r.graph.ruSpent / r.rows).toFixed(3)) : null,
      throttled: r.graph.throttled + r.graph.injected429,
      runs: r.runs,
      upsertBatches: r.upsertBatches,
      retriedBatches: r.retriedBatches,
      sweepPages: r.sweepPages,
      counts: r.counts,
      ...(r.batchSeconds ? { batchSeconds: r.batchSeconds } : {}),
      warnings: r.warnings,
      cpuSeconds: Object.fromEntries(Object.entries(r.cpu).map(([k, v]) => [k, v === null ? null : Number(v.toFixed(2))])),
    })),
  };
  console.log(JSON.stringify(summary));
  await shutdown(0);
} catch (err) {
  // After Ctrl+C the stack goes away under the benchmark: its errors then are no news.
  if (!closing) console.error(`initial-load: ${(err as Error).stack ?? String(err)}`);
  await shutdown(1);
}
