import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WORKER_BUILD_PATH } from '../../services/worker/src/build.ts';
import { workerNodeFlags } from '../../services/worker/src/node-flags.ts';
import { provided, type TestStack } from './stack.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves once the worker polls its task queue. */
  ready: Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * A real worker process (services/worker) on the stack's task queue, to kill mid-run: compiled, as
 * deployments run it (the tests' global setup and the benchmarks' stack build it: ensureWorkerBuild).
 */
export function startWorkerProcess(stack: TestStack, env: Record<string, string> = {}): WorkerProcess {
  // With the memory flags a deployment starts it with (services/worker/src/node-flags.ts).
  const child = spawn(process.execPath, [...workerNodeFlags({ ...process.env, ...env }), WORKER_BUILD_PATH], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: stack.db.url,
      TEMPORAL_ADDRESS: stack.temporalAddress,
      TEMPORAL_TASK_QUEUE: stack.taskQueue,
      SYNCBRIDGE_ENCRYPTION_KEYS: stack.encryptionKeys,
      LOG_LEVEL: 'info',
      WORKER_SHUTDOWN_GRACE_MS: '1000',
      // The tests' sources and the emulator are on 127.0.0.1.
      SYNCBRIDGE_EGRESS_ALLOW_LOCAL: 'true',
      // The run's one bundle (global setup), instead of compiling it again at each start.
      ...(provided('workerProcessBundlePath') ? { WORKER_WORKFLOW_BUNDLE: provided('workerProcessBundlePath') } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const append = (d: Buffer) => {
    out = (out + d.toString()).slice(-200_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes('"worker started"')) {
        clearInterval(timer);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`worker exited before it started: ${out.slice(-2000)}`));
      }
    }, 100);
  });
  return {
    child,
    output: () => out,
    ready,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
