import { createActivityDeps } from '@syncbridge/activities';
import { randomUUID } from 'node:crypto';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '@syncbridge/shared/logger';
import { startTelemetry, type Telemetry } from '@syncbridge/shared/telemetry';
import { EnvKeyProvider, SecretBox } from '@syncbridge/shared/crypto';
import { applyMigrations, connectMetaStore, type MetaStore } from '@syncbridge/shared/db';
import { createSyncBridgeWorker } from '@syncbridge/worker';
import { healthCheckWorkflow } from '@syncbridge/workflows';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { LogCapture } from '../harness/stack.ts';

/**
 * Tracing reaches workflow code: the worker bundles its workflows itself with the
 * OpenTelemetry plugin (as in production), so client, workflow and activity spans
 * share one trace.
 */
describe('OpenTelemetry through Temporal', () => {
  const exporter = new InMemorySpanExporter();
  const spanProcessor = new SimpleSpanProcessor(exporter);
  let telemetry: Telemetry;
  let db: TestDatabase;
  let store: MetaStore;

  beforeAll(async () => {
    // The same set-up as the services' (NodeSDK: context manager, propagators), exporting to memory.
    telemetry = startTelemetry({ serviceName: 'otel-test', spanProcessor });
    db = await createTestDatabase();
    store = connectMetaStore(db.url, { max: 2 });
    await applyMigrations(store);
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
    await telemetry?.shutdown();
  });

  it('links the client start, the workflow run and the activity in one trace', async () => {
    const taskQueue = `otel-${randomUUID()}`;
    const address = inject('temporalAddress');
    const nativeConnection = await NativeConnection.connect({ address });
    const worker = await createSyncBridgeWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      deps: createActivityDeps({
        store,
        secrets: new SecretBox(new EnvKeyProvider(`k:${Buffer.alloc(32, 1).toString('base64')}`)),
        logger: createLogger({ service: 'otel-test', destination: new LogCapture() }),
      }),
      telemetry,
      shutdownGraceTime: '1 second',
    });
    const connection = await Connection.connect({ address });
    const client = new Client({ connection, interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } });
    try {
      await worker.runUntil(
        client.workflow.execute(healthCheckWorkflow, {
          taskQueue,
          workflowId: `otel-${randomUUID()}`,
          args: [{ context: { requestId: 'otel-req', requestedBy: 'test' } }],
        }),
      );
    } finally {
      await connection.close();
      await nativeConnection.close();
    }
    await spanProcessor.forceFlush();
    const spans = exporter.getFinishedSpans();
    const names = spans.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['StartWorkflow:healthCheckWorkflow', 'RunWorkflow:healthCheckWorkflow', 'RunActivity:recordHealthProbe']));
    const traceIds = new Set(spans.filter((s) => /healthCheckWorkflow|recordHealthProbe/.test(s.name)).map((s) => s.spanContext().traceId));
    expect(traceIds.size).toBe(1);
  }, 120_000);
});
