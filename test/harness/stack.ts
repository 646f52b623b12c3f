import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { serve, type ServerType } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { createApp, ensureBootstrapAdminKey, type ApiDeps } from '@syncbridge/api';
import { SecretBox, EnvKeyProvider } from '@syncbridge/shared/crypto';
import { applyMigrations, connectMetaStore, type MetaStore } from '@syncbridge/shared/db';
import { createLogger } from '@syncbridge/shared/logger';
import { createSyncBridgeWorker, WORKFLOWS_PATH } from '@syncbridge/worker';
import { createActivityDeps } from '@syncbridge/activities';
import { GatewayRegistry, SharedBudgetStore } from '@syncbridge/shared/graph';
import { EgressPolicy } from '@syncbridge/shared/net';
import { CoordinatorClient } from '@syncbridge/workflows/client';
import { startEmulator, type RunningEmulator } from '@syncbridge/sharepoint-emulator';
import { createTestDatabase, type TestDatabase } from './database.ts';

/** Every log line the stack wrote, to assert on (e.g. that no secret was logged). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void) {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

// Keep the SDK's own worker lifecycle chatter out of test output.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed in this process by an earlier test file
}

/** What the global setup provided, or undefined outside a vitest run (the benchmarks use this harness too). */
export function provided<K extends 'workflowBundlePath' | 'workerProcessBundlePath'>(key: K): string | undefined {
  try {
    return inject(key);
  } catch {
    return undefined;
  }
}

let bundle: Promise<{ code: string }> | undefined;
/**
 * The workflow bundle: the one global setup built for the whole run (test/harness/global-setup.ts),
 * or, where no setup provided one, compiled once per test file.
 */
export const workflowBundle = async (): Promise<{ codePath: string } | { code: string }> => {
  const codePath = provided('workflowBundlePath');
  if (codePath) return { codePath };
  return (bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } }));
};

export interface TestStack {
  baseUrl: string;
  adminKey: string;
  store: MetaStore;
  db: TestDatabase;
  logs: LogCapture;
  taskQueue: string;
  secrets: SecretBox;
  /** SYNCBRIDGE_ENCRYPTION_KEYS of this stack, for worker processes a test starts itself. */
  encryptionKeys: string;
  temporalAddress: string;
  /** The SharePoint emulator, when started with `emulator: true`. */
  emulator: RunningEmulator | undefined;
  /** What the API was built with (e.g. to run its start-up reconciliation again). */
  apiDeps: ApiDeps;
  /** fetch against the API with a key (the admin key unless given). */
  api(path: string, init?: RequestInit & { key?: string | null; json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export interface TestStackOptions {
  worker?: boolean;
  temporalAddress?: string;
  emulator?: boolean;
  /** The API's egress policy; local mode by default (tests reach 127.0.0.1 sources and the emulator, as `npm start` does). */
  egress?: EgressPolicy;
  /** The in-process worker's egress policy; the API's by default. */
  workerEgress?: EgressPolicy;
  /** Per-key limits of live calls to sources and Graph; practically none by default (suites such as the fuzz test call them often). */
  probeLimits?: { perMinute: number; burst: number };
  /**
   * The RU budget's window (default: SharePoint's minute). A connection's ruPerMinute is then spent per
   * this window, so tests of a small budget take seconds, not minutes.
   */
  budgetWindowMs?: number;
  /** The in-process worker's WORKER_PUSH_SLICE_MS (default 5,000; 0: one page per push activity). */
  pushSliceMs?: number;
}

export async function startTestStack(opts: TestStackOptions = {}): Promise<TestStack> {
  const db = await createTestDatabase();
  const store = connectMetaStore(db.url, { max: 5 });
  await applyMigrations(store);
  const logs = new LogCapture();
  const logger = createLogger({ service: 'test', level: 'info', destination: logs });
  const encryptionKeys = `test:${randomBytes(32).toString('base64')}`;
  const secrets = new SecretBox(new EnvKeyProvider(encryptionKeys));
  const adminKey = `sbk_test_${randomBytes(24).toString('base64url')}`;
  await ensureBootstrapAdminKey(store, adminKey);

  const temporalAddress = opts.temporalAddress ?? inject('temporalAddress');
  const taskQueue = `test-${randomUUID()}`;
  const connection = Connection.lazy({ address: temporalAddress });
  const probe = Connection.lazy({ address: temporalAddress, interceptors: [] });
  const client = new Client({ connection });
  const coordinators = new CoordinatorClient(client, taskQueue);
  const egress = opts.egress ?? new EgressPolicy({ allowLocal: true });
  const budgetStore = new SharedBudgetStore(store.sql, logger);
  const budgetWindow = opts.budgetWindowMs ? { budgetWindowMs: opts.budgetWindowMs, budgetMarginMs: 0 } : {};
  const graph = new GatewayRegistry({ egress, budgetStore, ...budgetWindow });
  const probeLimits = opts.probeLimits ?? { perMinute: 100_000, burst: 100_000 };
  const apiDeps = {
    store,
    secrets,
    logger,
    // Failed-authentication throttling off: suites present forged keys on purpose (auth, fuzz) and must
    // not be locked out of the rest of their run; test/api/auth-throttle.test.ts builds its own API with it on.
    config: {
      TEMPORAL_UI_URL: 'http://127.0.0.1:8233',
      API_AUTH_FAILURE_LIMIT: 0,
      API_PROBE_RATE_PER_MINUTE: probeLimits.perMinute,
      API_PROBE_BURST: probeLimits.burst,
    },
    egress,
    temporal: { client, connection, probe, namespace: 'default', taskQueue, uiUrl: 'http://127.0.0.1:8233' },
    coordinators,
    graph,
  };
  const app = createApp(apiDeps);
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  let nativeConnection: NativeConnection | undefined;
  const workerEgressPolicy = opts.workerEgress ?? egress;
  const activityDeps = createActivityDeps({
    store,
    secrets,
    logger,
    coordinators,
    egress: workerEgressPolicy,
    ...(opts.pushSliceMs !== undefined ? { pushSliceMs: opts.pushSliceMs } : {}),
    ...(opts.budgetWindowMs ? { graph: new GatewayRegistry({ egress: workerEgressPolicy, budgetStore, ...budgetWindow }) } : {}),
  });
  if (opts.worker) {
    nativeConnection = await NativeConnection.connect({ address: temporalAddress });
    worker = await createSyncBridgeWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      deps: activityDeps,
      workflowBundle: await workflowBundle(),
      shutdownGraceTime: '2 seconds',
    });
    workerRun = worker.run();
  }
  // Strict: the emulator fails where Graph fails (e.g. $filter on a non-indexed column past 5,000 items).
  const emulator = opts.emulator ? await startEmulator({ ruPerMinute: 0, strict: true }) : undefined;

  return {
    baseUrl,
    adminKey,
    store,
    db,
    logs,
    taskQueue,
    secrets,
    encryptionKeys,
    temporalAddress,
    emulator,
    apiDeps,
    api(path, init = {}) {
      const { key, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      const useKey = key === undefined ? adminKey : key;
      if (useKey) headers.set('authorization', `Bearer ${useKey}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(baseUrl + path, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
    },
    async close() {
      if (worker) {
        worker.shutdown();
        await workerRun;
      }
      await nativeConnection?.close();
      await activityDeps.close();
      await graph.close();
      await emulator?.close();
      await new Promise((r) => server.close(r));
      await connection.close();
      await probe.close();
      await store.close();
      await db.drop();
    },
  };
}

/** Creates a key of a role through the API and returns its value. */
export async function createKey(stack: TestStack, role: 'admin' | 'operator' | 'viewer'): Promise<string> {
  const res = await stack.api('/v1/api-keys', { method: 'POST', json: { name: `${role} key`, role } });
  if (res.status !== 201) throw new Error(`creating a ${role} key answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}
