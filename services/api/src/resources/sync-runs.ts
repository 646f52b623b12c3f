import { createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import { WorkflowNotFoundError } from '@temporalio/client';
import { schema } from '@syncbridge/shared/db';
import { temporalUiLink } from '@syncbridge/shared/temporal';
import { provisionDefinitionWorkflow, provisionWorkflowId, pushProgressQuery, pushRunWorkflowId, pushSyncWorkflow } from '@syncbridge/workflows';
import type { App, ApiDeps } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { ApiError, commonErrorResponses, ErrorCode, notFound } from '../lib/problem.ts';
import { startWorkflowOnce } from '../lib/workflows.ts';

const security = [{ bearerAuth: [] }];
const json = <T extends z.ZodType>(s: T) => ({ content: { 'application/json': { schema: s } } });
const definitionParam = z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) });

const Started = z
  .object({
    workflowId: z.string(),
    temporalUiUrl: z.string().url(),
    alreadyStarted: z.boolean().openapi({ description: 'true when this request id had already started the workflow' }),
  })
  .openapi('StartedWorkflow');

const Run = z
  .object({
    id: z.string().uuid(),
    definitionId: z.string().uuid().nullable(),
    kind: z.enum(schema.runKind.enumValues),
    status: z.enum(schema.runStatus.enumValues),
    trigger: z.string(),
    workflowId: z.string(),
    temporalUiUrl: z.string().url(),
    requestId: z.string().nullable(),
    counts: z.record(z.string(), z.number()).openapi({ description: 'read, created, updated, moved, deleted, unchanged, quarantined' }),
    errors: z.array(z.object({ at: z.string(), message: z.string() })),
    startedAt: z.string().datetime().nullable(),
    finishedAt: z.string().datetime().nullable(),
    createdAt: z.string().datetime(),
    progress: z.record(z.string(), z.unknown()).optional().openapi({ description: 'Live progress from the workflow while it runs' }),
  })
  .openapi('SyncRun');

type RunRow = typeof schema.syncRuns.$inferSelect;

export function registerSyncRuns(app: App, deps: ApiDeps) {
  const { db } = deps.store;
  const tags = ['Sync runs'];
  const toRun = (r: RunRow) => ({
    id: r.id,
    definitionId: r.definitionId,
    kind: r.kind,
    status: r.status,
    trigger: r.trigger,
    workflowId: r.workflowId,
    temporalUiUrl: temporalUiLink(deps.temporal.uiUrl, deps.temporal.namespace, r.workflowId),
    requestId: r.requestId,
    counts: r.counts as Record<string, number>,
    errors: r.errors as Array<{ at: string; message: string }>,
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
  });
  const loadDefinition = async (id: string) => {
    const [def] = await db.select().from(schema.syncDefinitions).where(eq(schema.syncDefinitions.id, id));
    if (!def) throw notFound('SyncDefinition', id);
    return def;
  };

  app.openapi(
    createRoute({
      method: 'post', path: '/v1/sync-definitions/{id}/provision', tags, security, middleware: [requireRole('operator')] as const,
      summary: 'Provision the target lists',
      description: 'Starts the provisioning workflow: persists the default field mapping if the definition has none, then creates or adopts every target list with the mapped columns and the hidden, indexed key column. Idempotent.',
      request: { params: definitionParam },
      responses: { 202: { description: 'Provisioning started', ...json(Started) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await loadDefinition(id);
      const context = { requestId: c.get('requestId'), requestedBy: c.get('principal').keyId };
      const started = await startWorkflowOnce(deps.temporal, provisionDefinitionWorkflow, { workflowId: provisionWorkflowId(id), args: [{ definitionId: id, context }], context });
      return c.json({ workflowId: started.workflowId, temporalUiUrl: started.uiUrl, alreadyStarted: started.alreadyStarted }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/v1/sync-definitions/{id}/runs', tags, security, middleware: [requireRole('operator')] as const,
      summary: 'Run a push sync now',
      description: 'Starts a push run outside the schedule. With fullResync every row is re-read and compared with the ledger (changed rows are written, deleted rows removed). A run already in progress for the definition makes this 409.',
      request: { params: definitionParam, body: { required: false, ...json(z.object({ fullResync: z.boolean().default(false) }).strict().openapi('StartRun')) } },
      responses: { 202: { description: 'Run started', ...json(Started) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.header('content-type')?.includes('json') ? c.req.valid('json') : { fullResync: false };
      const def = await loadDefinition(id);
      if (def.direction === 'ingress') throw new ApiError(409, ErrorCode.Conflict, 'this definition syncs lists -> table only; it has no push runs');
      const unprovisioned = await db
        .select({ id: schema.syncTargets.id })
        .from(schema.syncTargets)
        .where(and(eq(schema.syncTargets.definitionId, id), isNull(schema.syncTargets.listId)));
      const anyTarget = await db.select({ id: schema.syncTargets.id }).from(schema.syncTargets).where(eq(schema.syncTargets.definitionId, id)).limit(1);
      if (anyTarget.length === 0 || unprovisioned.length > 0) {
        throw new ApiError(409, ErrorCode.Conflict, `the definition has ${anyTarget.length === 0 ? 'no targets' : 'unprovisioned targets'}; add targets and POST /v1/sync-definitions/${id}/provision first`);
      }
      const leased = await db
        .select({ holder: schema.syncDefinitions.leaseHolder })
        .from(schema.syncDefinitions)
        .where(and(eq(schema.syncDefinitions.id, id), isNotNull(schema.syncDefinitions.leaseHolder), sql`${schema.syncDefinitions.leaseExpiresAt} > now()`));
      if (leased[0]?.holder) {
        throw new ApiError(409, ErrorCode.Conflict, `a push run is in progress (${leased[0].holder}): ${temporalUiLink(deps.temporal.uiUrl, deps.temporal.namespace, leased[0].holder)}`);
      }
      const context = { requestId: c.get('requestId'), requestedBy: c.get('principal').keyId };
      const started = await startWorkflowOnce(deps.temporal, pushSyncWorkflow, {
        workflowId: pushRunWorkflowId(id, context.requestId),
        args: [{ definitionId: id, context, trigger: 'api', fullResync: body.fullResync }],
        context,
      });
      return c.json({ workflowId: started.workflowId, temporalUiUrl: started.uiUrl, alreadyStarted: started.alreadyStarted }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/sync-definitions/{id}/runs', tags, security, middleware: [requireRole('viewer')] as const,
      summary: 'List runs of a definition, newest first',
      request: { params: definitionParam, query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }) },
      responses: { 200: { description: 'Runs', ...json(z.object({ items: z.array(Run) })) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await loadDefinition(id);
      const rows = await db.select().from(schema.syncRuns).where(eq(schema.syncRuns.definitionId, id)).orderBy(desc(schema.syncRuns.createdAt)).limit(c.req.valid('query').limit);
      return c.json({ items: rows.map(toRun) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/sync-runs/{id}', tags, security, middleware: [requireRole('viewer')] as const,
      summary: 'Get a run, with live progress while it runs',
      request: { params: z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) }) },
      responses: { 200: { description: 'The run', ...json(Run) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const [row] = await db.select().from(schema.syncRuns).where(eq(schema.syncRuns.id, id));
      if (!row) throw notFound('SyncRun', id);
      let progress: Record<string, unknown> | undefined;
      if (row.kind === 'push' && row.status === 'running') {
        try {
          progress = { ...(await deps.temporal.client.workflow.getHandle(row.workflowId).query(pushProgressQuery)) };
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) c.get('log').warn({ err: (err as Error).message, runId: id }, 'progress query failed');
        }
      }
      return c.json({ ...toRun(row), ...(progress ? { progress } : {}) }, 200);
    },
  );
}
