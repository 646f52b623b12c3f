import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { createActivityDeps } from '@syncbridge/activities';
import { CoordinatorClient } from '@syncbridge/workflows/client';
import { loadWorkerConfig } from '@syncbridge/shared/config';
import { secretBoxFromConfig } from '@syncbridge/shared/crypto';
import { assertMigrated, connectMetaStore } from '@syncbridge/shared/db';
import { createLogger } from '@syncbridge/shared/logger';
import { GatewayRegistry, SharedBudgetStore } from '@syncbridge/shared/graph';
import { egressPolicyFromConfig } from '@syncbridge/shared/net';
import { startTelemetry } from '@syncbridge/shared/telemetry';
import { temporalRuntimeLogger } from './runtime-logger.ts';
import { getHeapStatistics } from 'node:v8';
import { writeWorkflowBundleInChild } from './bundle.ts';
import { WORKER_NODE_FLAGS } from './node-flags.ts';
import { createSyncBridgeWorker } from './worker.ts';

const config = loadWorkerConfig();
const logger = createLogger({ service: 'syncbridge-worker', level: config.LOG_LEVEL });
Runtime.install({ logger: temporalRuntimeLogger(logger), shutdownSignals: ['SIGINT', 'SIGTERM'] });
const telemetry = startTelemetry({ serviceName: config.OTEL_SERVICE_NAME ?? 'syncbridge-worker', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });

const store = connectMetaStore(config.DATABASE_URL, { max: config.DATABASE_POOL_MAX, applicationName: 'syncbridge-worker' });
// Activities reach definitions' coordinators through a client of their own (schedules, forwarded starts).
const clientConnection = Connection.lazy({ address: config.TEMPORAL_ADDRESS });
const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
const egress = egressPolicyFromConfig(config);
if (egress.allowLocal)
  logger.warn('egress local mode (SYNCBRIDGE_EGRESS_ALLOW_LOCAL=true): loopback, link-local and the meta-store may be reached; development only');
const deps = createActivityDeps({
  ...(config.GRAPH_BUDGET_WINDOW_MS
    ? {
        graph: new GatewayRegistry({
          egress,
          budgetStore: new SharedBudgetStore(store.sql, logger),
          budgetWindowMs: config.GRAPH_BUDGET_WINDOW_MS,
        }),
      }
    : {}),
  store,
  secrets: secretBoxFromConfig(config),
  logger,
  coordinators: new CoordinatorClient(client, config.TEMPORAL_TASK_QUEUE),
  // Sources and Graph are reached under the same policy as the API's (same variables).
  egress,
  pushSliceMs: config.WORKER_PUSH_SLICE_MS,
});
// The workflow bundle: built at deploy time, or now in a child process (services/worker/src/bundle.ts).
const bundleDir = config.WORKER_WORKFLOW_BUNDLE ? undefined : await mkdtemp(join(tmpdir(), 'syncbridge-workflows-'));
try {
  await assertMigrated(store);
  const codePath = config.WORKER_WORKFLOW_BUNDLE ?? join(bundleDir!, 'workflows.js');
  if (bundleDir) await writeWorkflowBundleInChild(codePath);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await createSyncBridgeWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps,
    telemetry,
    workflowBundle: { codePath },
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    shutdownGraceTime: config.WORKER_SHUTDOWN_GRACE_MS,
  });
  const heapLimitMb = Math.round(getHeapStatistics().heap_size_limit / 1024 / 1024);
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS, heapLimitMb }, 'worker started');
  if (heapLimitMb > 1024)
    logger.warn(
      { heapLimitMb, flags: WORKER_NODE_FLAGS.join(' ') },
      "the worker runs without its memory flags: V8 lets garbage grow with the machine's memory; start it with them (README, Configuration)",
    );
  // run() resolves once SIGINT/SIGTERM has drained in-flight tasks (shutdownGraceTime).
  await worker.run();
  await connection.close();
  logger.info('worker stopped');
} catch (err) {
  logger.fatal({ err }, 'worker failed');
  process.exitCode = 1;
} finally {
  // Source pools and Graph gateways first: they belong to the activities that just drained.
  await deps.close();
  await clientConnection.close();
  await store.close();
  await telemetry.shutdown();
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
}
