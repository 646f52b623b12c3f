import { serve } from '@hono/node-server';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { Client, Connection } from '@temporalio/client';
import { loadApiConfig } from '@syncbridge/shared/config';
import { secretBoxFromConfig } from '@syncbridge/shared/crypto';
import { assertMigrated, connectMetaStore } from '@syncbridge/shared/db';
import { createLogger } from '@syncbridge/shared/logger';
import { startTelemetry } from '@syncbridge/shared/telemetry';
import { GatewayRegistry, SharedBudgetStore } from '@syncbridge/shared/graph';
import { egressPolicyFromConfig } from '@syncbridge/shared/net';
import { CoordinatorClient } from '@syncbridge/workflows/client';
import { createApp, ensureBootstrapAdminKey } from './app.ts';
import { reconcileAllSchedules } from './lib/schedules.ts';

const config = loadApiConfig();
const logger = createLogger({ service: 'syncbridge-api', level: config.LOG_LEVEL });
const telemetry = startTelemetry({ serviceName: config.OTEL_SERVICE_NAME ?? 'syncbridge-api', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
const store = connectMetaStore(config.DATABASE_URL, { max: config.DATABASE_POOL_MAX, applicationName: 'syncbridge-api' });

try {
  await assertMigrated(store);
} catch (err) {
  logger.fatal({ err: { message: (err as Error).message } }, 'refusing to start');
  await store.close();
  process.exit(1);
}
if (await ensureBootstrapAdminKey(store, config.SYNCBRIDGE_BOOTSTRAP_ADMIN_KEY)) logger.info('bootstrap admin API key registered');

// lazy: the API starts (and /readyz reports) even while Temporal is still coming up.
const connection = Connection.lazy({ address: config.TEMPORAL_ADDRESS });
const probe = Connection.lazy({ address: config.TEMPORAL_ADDRESS, interceptors: [] });
const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } });
// Where tests, introspection and discovery may connect: loopback, link-local and SyncBridge's own servers are refused outside local mode.
const egress = egressPolicyFromConfig(config);
if (egress.allowLocal)
  logger.warn('egress local mode (SYNCBRIDGE_EGRESS_ALLOW_LOCAL=true): loopback, link-local and the meta-store may be reached; development only');
const budgets = new SharedBudgetStore(store.sql, logger);
const graph = new GatewayRegistry({ egress, budgetStore: budgets });
const deps = {
  store,
  secrets: secretBoxFromConfig(config),
  logger,
  config,
  egress,
  temporal: { client, connection, probe, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE, uiUrl: config.TEMPORAL_UI_URL },
  coordinators: new CoordinatorClient(client, config.TEMPORAL_TASK_QUEUE),
  graph,
};
const app = createApp(deps);
// Temporal Schedules follow the meta-store: restore any deleted by hand, drop orphans and 0.1's.
// In the background: the API answers while Temporal comes up; failures are logged and retried.
void reconcileAllSchedules(deps, { retryUntilDone: true });

const server = serve({ fetch: app.fetch, hostname: config.API_HOST, port: config.API_PORT }, (info) => {
  logger.info({ url: `http://${config.API_HOST}:${info.port}`, docs: `http://${config.API_HOST}:${info.port}/docs` }, 'api listening');
});

async function shutdown(signal: string) {
  logger.info({ signal }, 'api stopping');
  server.close();
  await graph.close();
  await connection.close();
  await probe.close();
  await store.close();
  await telemetry.shutdown();
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
