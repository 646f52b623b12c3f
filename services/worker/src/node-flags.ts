/**
 * V8 memory flags the worker process is started with (npm start, `pnpm --filter @syncbridge/worker start`,
 * the tests' and benchmarks' worker processes). Without them V8 sizes its heap from the machine's memory
 * and lets garbage pile up: a 100,000-row load peaked at 571 MB resident; with them at about 300 MB, at
 * the same rate (bench/README.md). The young generation is what matters most (a batch's rows and Graph
 * answers die young); the old-space limit leaves room for the heavier activities (a drift check or a
 * ledger rebuild holds a list's keys). Override with WORKER_NODE_OPTIONS (space-separated flags). The worker
 * package's `start` script (services/worker/package.json) spells the same flags.
 */
export const WORKER_NODE_FLAGS = ['--max-old-space-size=256', '--max-semi-space-size=2'];

/** The flags to start a worker process with: WORKER_NODE_OPTIONS when set, else the defaults above. */
export function workerNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const own = env.WORKER_NODE_OPTIONS?.trim();
  return own ? own.split(/\s+/) : WORKER_NODE_FLAGS;
}
