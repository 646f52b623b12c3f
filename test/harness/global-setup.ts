import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { ensureWorkerBuild } from '../../services/worker/src/build.ts';
import { startTestTemporal } from './temporal-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    /** The workflow bundle every test file's in-process worker (and the replay test) loads, built once per run. */
    workflowBundlePath: string;
    /** The bundle a deployment builds (`pnpm worker:bundle`, with the telemetry interceptors), for worker processes. */
    workerProcessBundlePath: string;
  }
}

let server: Awaited<ReturnType<typeof startTestTemporal>> | undefined;
let bundleDir: string | undefined;

const BUNDLES_SCRIPT = fileURLToPath(new URL('./workflow-bundles.ts', import.meta.url));

/** Compiles the workflow bundles into `dir` in a child process (webpack's heap is not kept in this one). */
function buildWorkflowBundles(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', BUNDLES_SCRIPT, dir], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bundling the workflows failed (exit code ${String(code)})`))));
  });
}

/**
 * One real Temporal dev server per integration project (each test uses its own task queue), and
 * one workflow bundle for every file (compiling it costs seconds; once per file added minutes).
 */
export async function setup(project: TestProject) {
  const cli = process.env.TEMPORAL_CLI_PATH;
  if (!cli) {
    throw new Error('TEMPORAL_CLI_PATH is not set: run the tests through `npm test` (deploy/scripts/test.sh), which installs the Temporal CLI');
  }
  bundleDir = mkdtempSync(join(tmpdir(), 'syncbridge-test-workflows-'));
  // Worker processes (test/harness/worker-process.ts) run the compiled worker, built here when stale.
  const [started] = await Promise.all([startTestTemporal(cli), buildWorkflowBundles(bundleDir), ensureWorkerBuild()]);
  server = started;
  project.provide('temporalAddress', started.address);
  project.provide('workflowBundlePath', join(bundleDir, 'workflows.js'));
  project.provide('workerProcessBundlePath', join(bundleDir, 'workflows-otel.js'));
}

export async function teardown() {
  await server?.stop();
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
}
