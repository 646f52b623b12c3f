import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { IngressActivities, OperationActivities, ProvisionActivities, PushActivities } from '@syncbridge/activities';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { Context } from '@temporalio/activity';

export { Context, TestWorkflowEnvironment, Worker };

/** Every activity a workflow of the bundle may call, as the worker registers them. */
export type AllActivities = OperationActivities & PushActivities & ProvisionActivities & IngressActivities;
/** Mocks keep the real contracts: each one has the signature of the activity it stands in for. */
export type ActivityMocks = Partial<AllActivities>;
/** What a batch activity returns (pushBatch, sweepScan, sweepApply). */
export type StepResult = Awaited<ReturnType<PushActivities['pushBatch']>>;

// Keep the SDK's worker lifecycle chatter out of test output.
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // already installed in this process
}

/**
 * A real Temporal dev server from the CLI the project installs (no download: the machine may be
 * offline). `suggestContinueAsNewAfter` lowers the history length at which Temporal suggests
 * continue-as-new, to reach that path in a few events.
 */
export function startDevServer(opts: { suggestContinueAsNewAfter?: number } = {}): Promise<TestWorkflowEnvironment> {
  const path = process.env.TEMPORAL_CLI_PATH;
  if (!path) throw new Error('TEMPORAL_CLI_PATH must point at the temporal CLI (e.g. ~/.cache/syncbridge/temporal-cli-v1.5.1/temporal)');
  const dynamicConfig = [
    // The history service polls its transfer queue at a limited rate by default: after a burst of
    // about ten, every sequential activity -> workflow task step costs ~100 ms (measured on this
    // CLI). Lifted, a step costs ~10 ms (the 103-batch push: ~1.5 s instead of ~10 s).
    'history.transferProcessorMaxPollRPS=1000',
    // A run that continues as new less than this long after it started waits out the rest (1 s by default).
    'history.workflowIdReuseMinimalInterval="1ms"',
    ...(opts.suggestContinueAsNewAfter ? [`limit.historyCount.suggestContinueAsNew=${opts.suggestContinueAsNewAfter}`] : []),
  ];
  const extraArgs = dynamicConfig.flatMap((kv) => ['--dynamic-config-value', kv]);
  return TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path }, log: { format: 'pretty', level: 'error' }, extraArgs } });
}

let bundle: Promise<{ code: string }> | undefined;
/** The worker's workflow barrel, bundled once per test file (seconds). */
export const workflowBundle = () =>
  (bundle ??= bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../src/index.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  }));

/** A worker on its own task queue with mocked activities, running until `stop()`. */
export async function startWorker(env: TestWorkflowEnvironment, activities: ActivityMocks) {
  const taskQueue = `wf-test-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
    // A cancelled activity learns it from a heartbeat's answer: let every beat through.
    maxHeartbeatThrottleInterval: 50,
    defaultHeartbeatThrottleInterval: 50,
    shutdownGraceTime: '200 ms',
    shutdownForceTime: '2 s',
  });
  const running = worker.run();
  return {
    taskQueue,
    worker,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

/** A promise the test resolves (or rejects) when it chooses. */
export class Gate<T = void> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (err: unknown) => void;
  settled = false;
  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = (v) => {
        this.settled = true;
        resolve(v);
      };
      this.reject = (e) => {
        this.settled = true;
        reject(e);
      };
    });
    this.promise.catch(() => {});
  }
}

/** Gates by name, made on first use by either side. */
export class Gates {
  private readonly gates = new Map<string, Gate<unknown>>();
  get<T = void>(name: string): Gate<T> {
    let g = this.gates.get(name);
    if (!g) this.gates.set(name, (g = new Gate<unknown>()));
    return g as Gate<T>;
  }
  open(name: string, value?: unknown) {
    this.get<unknown>(name).resolve(value);
  }
  /** Lets every waiting activity go (end of a test: the worker's shutdown waits for them). */
  openAll() {
    for (const g of this.gates.values()) if (!g.settled) g.resolve(undefined);
  }
}

/**
 * Inside an activity mock: waits for the gate while heartbeating, as the real batch activities
 * do, so a cancellation reaches it. Rejects with the activity's CancelledFailure when cancelled.
 */
export async function awaitGateInActivity<T>(gate: Gate<T>): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat();
  const beat = setInterval(() => ctx.heartbeat(), 25);
  try {
    return await Promise.race([gate.promise, ctx.cancelled]);
  } finally {
    clearInterval(beat);
  }
}

/** Polls until the check holds; fails with the message (and what was seen last) otherwise. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  message: string | (() => string),
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${typeof message === 'function' ? message() : message}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The run context every workflow input carries. */
export const testContext = () => ({ requestId: `req-${randomUUID()}`, requestedBy: 'key-test' });
