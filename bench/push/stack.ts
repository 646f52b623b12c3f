/**
 * The whole SyncBridge stack for a benchmark, in this process where the product runs
 * (admin API over real HTTP, one Temporal worker, meta-store on the local PostgreSQL)
 * plus a real Temporal dev server and the SharePoint emulator. Reuses the integration
 * test harness for the API and the worker; everything it creates is removed by `close()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startTemporalDevServer, type DevServer } from '../../deploy/stack/temporal-dev-server.ts';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID, startEmulator } from '../../services/sharepoint-emulator/src/index.ts';
import { connectPostgresSource } from '../../shared/src/sources/index.ts';
import { TEST_PG_ADMIN_URL } from '../../test/harness/database.ts';
import { startTestStack, type TestStack } from '../../test/harness/stack.ts';
import { ensureWorkerBuild } from '../../services/worker/src/build.ts';
import { startWorkerProcess } from '../../test/harness/worker-process.ts';
import { createBenchSource, MYSQL_ADMIN_URL, type BenchEngine, type BenchSource, type PgSql } from './source.ts';

export type SourceSql = PgSql;

export interface EmulatorEndpoints {
  graphBaseUrl: string;
  authorityHost: string;
  adminUrl: string;
  caCertificatePem: string;
}

export interface LogLine {
  time?: number | string;
  level?: number | string;
  msg?: string;
  [k: string]: unknown;
}

export interface BenchStack {
  stack: TestStack;
  emulator: EmulatorEndpoints;
  /** The source database (PostgreSQL or MariaDB, `--engine`) and what registering and seeding it needs. */
  source: BenchSource;
  /** A connection to the local PostgreSQL server: the source's with `--engine postgres`, else the meta-store's (the CPU meter lists backends through it). */
  pgSql: SourceSql;
  /** The PostgreSQL databases whose backends count as "postgres" CPU: the meta-store and, with `--engine postgres`, the source. */
  pgDatabases: string[];
  /** Where the worker's and the API's log lines go (JSON lines). */
  logFile: string;
  /** Sees every log line as it is drained (set per scenario to count things). */
  onLogLine: ((line: LogLine) => void) | undefined;
  /** Moves captured log lines to the log file (bounded memory), through `onLogLine`. */
  drainLogs(): void;
  /** `worker`: the worker process, when the stack runs its worker in one (`worker: 'process'`). */
  pids: { emulator: number | null; temporal: number | null; worker: number | null };
  close(): Promise<void>;
}

const CLOSE_STEP_TIMEOUT_MS = 30_000;

export const TEMPORAL_CLI_DEFAULT = '/root/.cache/syncbridge/temporal-cli-v1.5.1/temporal';

export function temporalCliPath(): string {
  const cli = process.env.TEMPORAL_CLI_PATH || TEMPORAL_CLI_DEFAULT;
  if (!existsSync(cli)) throw new Error(`no Temporal CLI at ${cli}: set TEMPORAL_CLI_PATH (npm test / npm start install one)`);
  return cli;
}

/** The emulator in its own process (see emulator-process.ts); resolves once it printed its URLs. */
async function startEmulatorProcess(ruPerMinute: number): Promise<{ endpoints: EmulatorEndpoints; child: ChildProcess }> {
  const entry = fileURLToPath(new URL('./emulator-process.ts', import.meta.url));
  // e.g. BENCH_EMULATOR_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the emulator (NODE_OPTIONS refuses --cpu-prof).
  const extra = (process.env.BENCH_EMULATOR_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...extra, '--import', import.meta.resolve('tsx'), entry], {
    env: { ...process.env, BENCH_EMULATOR_RU_PER_MINUTE: String(ruPerMinute) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const endpoints = await new Promise<EmulatorEndpoints>((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      child.stdout?.off('data', onData);
      try {
        resolve(JSON.parse(buffered.slice(0, nl)) as EmulatorEndpoints);
      } catch (err) {
        reject(new Error(`the emulator process printed something unexpected: ${buffered.slice(0, 200)} (${(err as Error).message})`));
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the emulator process exited with ${code} before it was ready`)));
    child.once('error', reject);
  });
  child.stdout?.resume();
  return { endpoints, child };
}

export async function startBenchStack(opts: {
  engine: BenchEngine;
  emulator: 'process' | 'inline';
  emulatorRuPerMinute: number;
  /** `inline` (default): the worker in this process, beside the API; `process`: a worker process of its own (its memory measured apart). */
  worker?: 'inline' | 'process';
  say: (msg: string) => void;
}): Promise<BenchStack> {
  const { say } = opts;
  const cleanups: Array<{ what: string; run: () => Promise<unknown> }> = [];
  const onClose = (what: string, run: () => Promise<unknown>) => cleanups.push({ what, run });
  const close = async () => {
    // Newest first; a step that hangs (a worker waiting for activities that ignore cancellation) must not
    // keep the databases from being dropped, so each step gets a deadline.
    for (const { what, run } of cleanups.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), CLOSE_STEP_TIMEOUT_MS)));
      const outcome = await Promise.race([run().catch((err: Error) => say(`while stopping (${what}): ${err.message}`)), deadline]);
      clearTimeout(timer);
      if (outcome === 'timeout') say(`while stopping: ${what} did not finish within ${CLOSE_STEP_TIMEOUT_MS / 1000} s; going on`);
    }
  };
  try {
    const tmp = mkdtempSync(join(tmpdir(), 'syncbridge-bench-push-'));
    const logFile = join(tmp, 'stack.log');
    onClose('temp files', async () => {
      // Keep the logs (they are the first thing to read when a figure looks wrong); drop the rest.
      rmSync(join(tmp, 'temporal.db'), { force: true });
    });

    say(`starting a Temporal dev server (headless, SQLite in ${tmp})`);
    const temporal: DevServer = await startTemporalDevServer({
      cliPath: temporalCliPath(),
      port: await freePort(),
      uiPort: null,
      dbFile: join(tmp, 'temporal.db'),
    });
    onClose('the Temporal dev server', async () => {
      const killer = setTimeout(() => temporal.process.kill('SIGKILL'), 15_000);
      await temporal.stop();
      clearTimeout(killer);
    });

    const pgHost = new URL(TEST_PG_ADMIN_URL).host;
    say(
      opts.engine === 'postgres'
        ? `creating the meta-store and the source database on ${pgHost}; starting the API and one worker`
        : `creating the meta-store on ${pgHost} and the source database on MariaDB at ${new URL(MYSQL_ADMIN_URL).host}; starting the API and one worker`,
    );
    const stack = await startTestStack({ worker: opts.worker !== 'process', temporalAddress: temporal.address, emulator: false });
    // The harness drops the meta-store last, after the worker stopped: drop it here too in case that hung.
    onClose('dropping the meta-store database', () => stack.db.drop());
    onClose('the API, the worker and the meta-store', () => stack.close());
    const source = await createBenchSource(opts.engine);
    onClose('dropping the source database', () => source.drop());
    // The worker's own pools and gateways belong to its activity dependencies: the harness closes them.
    onClose('source connections', () => source.closeConnections());
    let pgSql = source.pgSql;
    if (!pgSql) {
      const m = new URL(stack.db.url);
      const metaSql = connectPostgresSource(
        {
          engine: 'postgres',
          host: m.hostname,
          port: Number(m.port || 5432),
          databaseName: stack.db.name,
          username: decodeURIComponent(m.username) || 'postgres',
          password: null,
          sslMode: 'disable',
        },
        { maxConnections: 1 },
      );
      onClose('the CPU meter connection', () => metaSql.end({ timeout: 5 }));
      pgSql = metaSql;
    }
    const pgDatabases = source.engine === 'postgres' ? [stack.db.name, source.name] : [stack.db.name];

    let emulator: EmulatorEndpoints;
    let emulatorPid: number | null = null;
    if (opts.emulator === 'process') {
      say(`starting the SharePoint emulator in its own process (${opts.emulatorRuPerMinute ? `${opts.emulatorRuPerMinute} RU/min` : 'unthrottled'})`);
      const started = await startEmulatorProcess(opts.emulatorRuPerMinute);
      emulator = started.endpoints;
      emulatorPid = started.child.pid ?? null;
      onClose('the emulator process', async () => {
        if (started.child.exitCode !== null || started.child.signalCode !== null) return;
        const exited = new Promise((r) => started.child.once('exit', r));
        started.child.kill('SIGTERM');
        await exited;
      });
    } else {
      say(`starting the SharePoint emulator in this process (${opts.emulatorRuPerMinute ? `${opts.emulatorRuPerMinute} RU/min` : 'unthrottled'})`);
      const running = await startEmulator({ ruPerMinute: opts.emulatorRuPerMinute });
      emulator = running;
      onClose('the emulator', () => running.close());
    }

    let workerPid: number | null = null;
    if (opts.worker === 'process') {
      say('starting a worker process of its own');
      // With the worker's own memory flags (services/worker/src/node-flags.ts; WORKER_NODE_OPTIONS to try others).
      await ensureWorkerBuild();
      const worker = startWorkerProcess(stack);
      onClose('the worker process', async () => {
        await worker.kill('SIGTERM');
      });
      // Its log lines go where the stack's go: the log file, and the scenario's counters.
      let partial = '';
      worker.child.stdout!.on('data', (chunk: Buffer) => {
        const text = partial + chunk.toString('utf8');
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        stack.logs.lines.push(...lines.filter(Boolean));
      });
      await worker.ready;
      workerPid = worker.child.pid ?? null;
    }
    const bench: BenchStack = {
      stack,
      emulator,
      source,
      pgSql,
      pgDatabases,
      logFile,
      onLogLine: undefined,
      drainLogs() {
        const lines = stack.logs.lines.splice(0);
        if (lines.length === 0) return;
        appendFileSync(logFile, `${lines.join('\n')}\n`);
        const onLine = bench.onLogLine;
        if (!onLine) return;
        for (const raw of lines) {
          try {
            onLine(JSON.parse(raw) as LogLine);
          } catch {
            onLine({ msg: raw });
          }
        }
      },
      pids: { emulator: emulatorPid, temporal: temporal.process.pid ?? null, worker: workerPid },
      close,
    };
    return bench;
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The admin API of a bench stack as a JSON call: throws unless the answer has the expected status.
 * The API shares its process with the worker: a GET that times out while an activity computes is asked again.
 */
export function benchApi(b: BenchStack) {
  return async function api<T>(method: string, path: string, json?: unknown, expected = 200): Promise<T> {
    let res: Response;
    for (let attempt = 1; ; attempt++) {
      try {
        res = await b.stack.api(path, { method, ...(json === undefined ? {} : { json }) });
        break;
      } catch (err) {
        if (method !== 'GET' || attempt >= 10) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    const text = await res.text();
    if (res.status !== expected) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : null) as T;
  };
}

/** A numeric command-line option within bounds, or exit 2 with a message naming it. */
export function numberArg(bench: string, name: string, raw: string, min: number, max: number, integer = true): number {
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    console.error(`${bench}: --${name} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}, got '${raw}'`);
    process.exit(2);
  }
  return n;
}

/**
 * An app, its PostgreSQL source database and instance, and a SharePoint connection to the bench's emulator,
 * registered through the admin API; with the emulator's site the lists go to.
 */
export async function registerBenchApp(b: BenchStack, api: ReturnType<typeof benchApi>, name: string, ruPerMinute: number) {
  const app = await api<{ id: string }>('POST', '/v1/apps', { name, ownerTeam: 'bench' }, 201);
  const database = await api<{ id: string }>('POST', '/v1/databases', { appId: app.id, name: 'bench', engine: 'postgres', environment: 'dev' }, 201);
  const instance = await api<{ id: string }>(
    'POST',
    '/v1/database-instances',
    { databaseId: database.id, name: 'primary', role: 'primary', ...b.source.instance },
    201,
  );
  const connection = await api<{ id: string }>(
    'POST',
    '/v1/sharepoint-connections',
    {
      appId: app.id,
      name: 'bench',
      tenantId: DEFAULT_TENANT_ID,
      clientId: DEFAULT_CLIENT_ID,
      clientSecret: DEFAULT_CLIENT_SECRET,
      graphBaseUrl: b.emulator.graphBaseUrl,
      authorityHost: b.emulator.authorityHost,
      caCertificatePem: b.emulator.caCertificatePem,
      ruPerMinute,
    },
    201,
  );
  const site = (await api<{ items: Array<{ id: string }> }>('GET', `/v1/sharepoint-connections/${connection.id}/sites?search=syncbridge`)).items[0]!.id;
  return { appId: app.id, instanceId: instance.id, connectionId: connection.id, siteId: site };
}
