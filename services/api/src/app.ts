import { randomUUID } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import { API_LIMIT_DEFAULTS } from '@syncbridge/shared/config';
import type { ApiDeps, AppEnv } from './lib/context.ts';
import { authenticate } from './lib/auth.ts';
import { FailureThrottle } from './lib/auth-throttle.ts';
import { limitBody, noStore, registerDocs, securityHeaders } from './lib/hardening.ts';
import { documentHardening, recordRequiredRoles } from './lib/openapi-hardening.ts';
import { onError } from './lib/errors.ts';
import { ApiError, ErrorCode, problemResponse } from './lib/problem.ts';
import { defaultHook } from './lib/validation.ts';
import { registerApiKeys } from './resources/api-keys.ts';
import { registerApps } from './resources/apps.ts';
import { registerDatabaseInstances } from './resources/database-instances.ts';
import { registerDatabases } from './resources/databases.ts';
import { registerDefinitionSummary } from './resources/definition-summary.ts';
import { registerFieldMappings } from './resources/field-mappings.ts';
import { registerMe } from './resources/me.ts';
import { registerSharePointConnections } from './resources/sharepoint-connections.ts';
import { registerSharePointDiscovery } from './resources/sharepoint-discovery.ts';
import { registerConnectionBudget } from './resources/connection-budget.ts';
import { registerReplication } from './resources/replication.ts';
import { registerSyncDefinitions } from './resources/sync-definitions.ts';
import { registerSyncInspection } from './resources/sync-inspection.ts';
import { registerConflicts } from './resources/conflicts.ts';
import { registerDriftReports } from './resources/drift-reports.ts';
import { registerOperationPlans } from './resources/operation-plans.ts';
import { registerSyncRuns } from './resources/sync-runs.ts';
import { registerRunControl } from './resources/run-control.ts';
import { registerSchedules } from './resources/schedules.ts';
import { registerSyncTargets } from './resources/sync-targets.ts';
import { registerDiagnosticsRoutes } from './routes/diagnostics.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerUi } from './ui/index.tsx';

export type { ApiDeps } from './lib/context.ts';
export { ensureBootstrapAdminKey, generateApiKey } from './lib/auth.ts';
export { reconcileAllSchedules } from './lib/schedules.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const API_VERSION = '0.1.0';

/** The document's top (the routes add the rest); GET /openapi.json and `pnpm openapi` serve the same. */
export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'SyncBridge admin API',
    version: API_VERSION,
    description: 'Configure sources, SharePoint connections and sync definitions, and run syncs. Errors are RFC 9457 problem+json with a request id.',
  },
  servers: [{ url: '/' }],
};

/** A configured limit, or its default (`pnpm openapi` builds the app from stand-ins that are no numbers). */
const limitOf = (value: unknown, fallback: number): number => (typeof value === 'number' ? value : fallback);

export function createApp(deps: ApiDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook });
  recordRequiredRoles(app);
  const bodyLimitBytes = limitOf(deps.config.API_BODY_LIMIT_BYTES, API_LIMIT_DEFAULTS.API_BODY_LIMIT_BYTES);
  const failureLimit = limitOf(deps.config.API_AUTH_FAILURE_LIMIT, API_LIMIT_DEFAULTS.API_AUTH_FAILURE_LIMIT);
  const windowMs = limitOf(deps.config.API_AUTH_FAILURE_WINDOW_SECONDS, API_LIMIT_DEFAULTS.API_AUTH_FAILURE_WINDOW_SECONDS) * 1000;

  // Request id first: every later log line and every error body carries it.
  app.use(
    '*',
    createMiddleware<AppEnv>(async (c, next) => {
      const incoming = c.req.header('x-request-id');
      const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
      c.set('requestId', requestId);
      const log = deps.logger.child({ requestId });
      c.set('log', log);
      c.header('x-request-id', requestId);
      const started = performance.now();
      await next();
      log.info({ method: c.req.method, path: c.req.path, status: c.res.status, durationMs: Math.round(performance.now() - started) }, 'request');
    }),
  );
  app.use('*', securityHeaders);
  app.use('/v1/*', noStore);
  // Before authentication: an oversized body is refused on its Content-Length, unread.
  app.use('/v1/*', limitBody(bodyLimitBytes));
  app.use(
    '/v1/*',
    authenticate(deps.store, {
      throttle: {
        byAddress: new FailureThrottle({ limit: failureLimit, windowMs }),
        byPrefix: new FailureThrottle({ limit: failureLimit, windowMs }),
      },
    }),
  );

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key (sbk_…). Roles: viewer (read), operator (read, sync definitions and runs), admin (everything, incl. credentials and keys).',
  });

  registerHealthRoutes(app, deps);
  registerApiKeys(app, deps);
  registerMe(app);
  registerApps(app, deps);
  registerDatabases(app, deps);
  registerDatabaseInstances(app, deps);
  registerSharePointConnections(app, deps);
  registerSharePointDiscovery(app, deps);
  registerConnectionBudget(app, deps);
  registerSyncDefinitions(app, deps);
  registerSyncTargets(app, deps);
  registerFieldMappings(app, deps);
  registerSyncRuns(app, deps);
  registerRunControl(app, deps);
  registerSchedules(app, deps);
  registerSyncInspection(app, deps);
  registerConflicts(app, deps);
  registerDriftReports(app, deps);
  registerOperationPlans(app, deps);
  registerDefinitionSummary(app, deps);
  registerReplication(app, deps);
  registerDiagnosticsRoutes(app, deps);

  documentHardening(app, { bodyLimitBytes });
  app.doc31('/openapi.json', OPENAPI_DOCUMENT);
  registerDocs(app);
  registerUi(app, deps, { failureLimit, windowMs });

  app.notFound((c) => problemResponse(c, new ApiError(404, ErrorCode.NotFound, `no route ${c.req.method} ${c.req.path}`)));
  app.onError(onError);
  return app;
}
