import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

/*
 * The workflow bundle: the workflows barrel compiled (webpack) into one script the worker's
 * sandbox runs. Compiling takes a few hundred MB for a few seconds; done inside the worker that
 * memory stays with the process for its whole life (the heap grows and is not given back). So
 * the worker compiles in a short-lived child process (or loads a bundle built at deploy time,
 * WORKER_WORKFLOW_BUNDLE) and only reads the file.
 */

/** The workflows barrel. */
export const WORKFLOWS_PATH = fileURLToPath(import.meta.resolve('@syncbridge/workflows'));

/**
 * The OpenTelemetry plugin's workflow interceptors: the worker adds the plugin, whose workflow
 * side must be compiled into the bundle (a prebuilt bundle ignores the plugin's module list).
 */
const OTEL_WORKFLOW_INTERCEPTORS = createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

/** Compiles the workflows (with the telemetry interceptors) and writes the bundle to `outFile`. */
export async function writeWorkflowBundle(outFile: string): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: [OTEL_WORKFLOW_INTERCEPTORS], logger: quiet });
  await writeFile(outFile, code);
}

const CLI = fileURLToPath(new URL('./bundle-cli.ts', import.meta.url));
/** The TypeScript loader the child runs the CLI with (the worker itself may run compiled, without it: build.ts). */
const TSX_LOADER = import.meta.resolve('tsx');

/** Compiles the bundle in a child process and resolves when `outFile` is written. */
export function writeWorkflowBundleInChild(outFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX_LOADER, CLI, outFile], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`bundling the workflows failed (${signal ? `signal ${signal}` : `exit code ${String(code)}`})`)),
    );
  });
}
