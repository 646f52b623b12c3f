import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import { keysetBefore, keysetOrderNewestFirst, schema, toPage } from '@syncbridge/shared/db';
import { temporalUiLink } from '@syncbridge/shared/temporal';
import { provisionDefinitionWorkflow, provisionWorkflowId, pushRunWorkflowId, pushSyncWorkflow } from '@syncbridge/workflows';
import type { App, ApiDeps } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { ApiError, commonErrorResponses, ErrorCode, notFound } from '../lib/problem.ts';
import { startWorkflowOnce } from '../lib/workflows.ts';
import { pageQuery } from '../lib/crud.ts';
import { estimateRun, RunEstimateSchema } from '../lib/run-estimate.ts';
import { RunSchema, runView } from './run-view.ts';

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

export function registerSyncRuns(app: App, deps: ApiDeps) {
  const { db } = deps.store;
  const tags = ['Sync runs'];
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

  const RunStarted = Started.extend({
    runId: z.string().uuid().openapi({ description: 'The run: GET /v1/sync-runs/{runId} shows its progress, POST .../cancel stops it' }),
    estimate: RunEstimateSchema,
  }).openapi('StartedRun');

  app.openapi(
    createRoute({
      method: 'post', path: '/v1/sync-definitions/{id}/runs', tags, security, middleware: [requireRole('operator')] as const,
      summary: 'Run a push sync now',
      description: [
        'Starts a push run outside the schedule. With fullResync every row is re-read and compared with the ledger (changed rows are written, deleted rows removed).',
        'The answer names the run and, for a first load, estimates how long it takes at the connection\'s budget (2 resource units per item written).',
        'A run already in progress (or held by the mass-delete guard) for the definition makes this 409, naming it.',
      ].join(' '),
      request: { params: definitionParam, body: { required: false, ...json(z.object({ fullResync: z.boolean().default(false) }).strict().openapi('StartRun')) } },
      responses: { 202: { description: 'Run started', ...json(RunStarted) }, ...commonErrorResponses },
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
      const [leased] = await db
        .select({ holder: schema.syncDefinitions.leaseHolder, runId: schema.syncRuns.id, status: schema.syncRuns.status })
        .from(schema.syncDefinitions)
        .leftJoin(schema.syncRuns, eq(schema.syncRuns.workflowId, schema.syncDefinitions.leaseHolder))
        .where(and(eq(schema.syncDefinitions.id, id), isNotNull(schema.syncDefinitions.leaseHolder), sql`${schema.syncDefinitions.leaseExpiresAt} > now()`));
      if (leased?.holder) {
        const which = leased.runId ? `run ${leased.runId}` : leased.holder;
        const why = leased.status === 'awaiting_approval' ? `${which} is held by the mass-delete guard: approve or reject its deletions (POST /v1/sync-runs/${leased.runId}/approve-deletions or .../reject-deletions) or cancel it` : `a push run is in progress (${which})`;
        throw new ApiError(409, ErrorCode.Conflict, `${why}: ${temporalUiLink(deps.temporal.uiUrl, deps.temporal.namespace, leased.holder)}`);
      }
      const context = { requestId: c.get('requestId'), requestedBy: c.get('principal').keyId };
      const workflowId = pushRunWorkflowId(id, context.requestId);
      // The run row exists before the workflow, so the answer can name it (the workflow's first activity adopts it).
      const [run] = await db
        .insert(schema.syncRuns)
        .values({ definitionId: id, workflowId, kind: 'push', status: 'queued', trigger: 'api', requestId: context.requestId, progress: { pass: body.fullResync ? 'full' : null, phase: 'starting' } })
        .onConflictDoUpdate({ target: schema.syncRuns.workflowId, set: { workflowId } })
        .returning({ id: schema.syncRuns.id });
      const started = await startWorkflowOnce(deps.temporal, pushSyncWorkflow, {
        workflowId,
        args: [{ definitionId: id, context, trigger: 'api', fullResync: body.fullResync }],
        context,
      }).catch(async (err: unknown) => {
        await db.delete(schema.syncRuns).where(and(eq(schema.syncRuns.id, run!.id), eq(schema.syncRuns.status, 'queued')));
        throw err;
      });
      const estimate = await estimateRun(deps, def, body.fullResync);
      return c.json({ runId: run!.id, workflowId: started.workflowId, temporalUiUrl: started.uiUrl, alreadyStarted: started.alreadyStarted, estimate }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/v1/sync-definitions/{id}/runs', tags, security, middleware: [requireRole('viewer')] as const,
      summary: 'List runs of a definition, newest first',
      description: 'Each run carries its progress (rows done and to do, phase, time left); pages with `cursor` / `nextCursor` like every list.',
      request: {
        params: definitionParam,
        query: z.object(pageQuery),
      },
      responses: { 200: { description: 'Runs', ...json(z.object({ items: z.array(RunSchema), nextCursor: z.string().nullable() }).openapi('SyncRunPage')) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      await loadDefinition(id);
      const rows = await db
        .select()
        .from(schema.syncRuns)
        .where(and(eq(schema.syncRuns.definitionId, id), keysetBefore(schema.syncRuns, cursor)))
        .orderBy(...keysetOrderNewestFirst(schema.syncRuns))
        .limit(limit + 1);
      const page = toPage(rows, limit);
      return c.json({ items: page.items.map((r) => runView(deps, r)), nextCursor: page.nextCursor }, 200);
    },
  );
}
