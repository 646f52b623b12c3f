import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, inArray } from 'drizzle-orm';
import { keysetBefore, keysetOrderNewestFirst, schema, toPage } from '@syncbridge/shared/db';
import { ACTIVE_RUN_STATUSES, OPERATION_KINDS } from '@syncbridge/shared/domain';
import { definitionWorkflowId } from '@syncbridge/shared/temporal/ids';
import type { App, ApiDeps } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { bearerSecurity, jsonContent, uuidPathParam } from '../lib/openapi-route.ts';
import { pageQuery } from '../lib/crud.ts';
import { OperationTicketSchema, operationOptions, operationRequests } from '../lib/operation-request.ts';
import { ApiError, commonErrorResponses, ErrorCode, notFound } from '../lib/problem.ts';
import { estimateRun, RunEstimateSchema } from '../lib/run-estimate.ts';
import { RunSchema, runView } from './run-view.ts';

const security = bearerSecurity;
const json = jsonContent;
const definitionParam = uuidPathParam('id');
const kindParam = z
  .enum(OPERATION_KINDS)
  .openapi({ param: { name: 'kind', in: 'path' }, description: 'Operation kind (see the operations table in the README)' });

const Ticket = OperationTicketSchema;

const RunStarted = Ticket.extend({ estimate: RunEstimateSchema }).openapi('StartedRun');

export function registerSyncRuns(app: App, deps: ApiDeps) {
  const { db } = deps.store;
  const tags = ['Sync runs'];
  const { ask, assertProvisioned, assertOperationAllowed, ui } = operationRequests(deps);
  const loadDefinition = async (id: string) => {
    const [def] = await db.select().from(schema.syncDefinitions).where(eq(schema.syncDefinitions.id, id));
    if (!def) throw notFound('SyncDefinition', id);
    return def;
  };

  /** 409 for a definition that only ingests: it has no push runs. */
  const assertPushes = (def: { direction: string }) => {
    if (def.direction === 'ingress') throw new ApiError(409, ErrorCode.Conflict, 'this definition syncs lists -> table only; it has no push runs');
  };

  /** 422 unless the target is one of the definition's lists. */
  const assertTargetOf = async (definitionId: string, targetId: string) => {
    const [target] = await db
      .select({ id: schema.syncTargets.id })
      .from(schema.syncTargets)
      .where(and(eq(schema.syncTargets.id, targetId), eq(schema.syncTargets.definitionId, definitionId)));
    if (!target)
      throw new ApiError(422, ErrorCode.ValidationFailed, `target ${targetId} is not one of the definition's lists`, [
        { field: 'body.targetId', message: 'not a target of this definition' },
      ]);
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/sync-definitions/{id}/provision',
      tags,
      security,
      middleware: [requireRole('operator')] as const,
      summary: 'Provision the target lists',
      description:
        "Asks the definition's coordinator for a provision run: it persists the default field mapping if the definition has none, then creates or adopts every target list with the mapped columns and the hidden, indexed key column. Idempotent. Waits (queued) while another writer of the definition runs.",
      request: { params: definitionParam },
      responses: { 202: { description: 'Provisioning accepted', ...json(Ticket) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await loadDefinition(id);
      return c.json(await ask(c, id, 'provision', {}), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/sync-definitions/{id}/runs',
      tags,
      security,
      middleware: [requireRole('operator')] as const,
      summary: 'Run a push sync now',
      description: [
        "Asks the definition's coordinator for a push run. With fullResync every row is re-read and compared with the ledger (changed rows are written, deleted rows removed).",
        'A push already queued or running with the same options is the answer (state joined, its run id): there is never a second writer. While another writer runs (e.g. provisioning) the run is queued and starts after it.',
        "The answer names the run and, for a first load, estimates how long it takes at the connection's budget (2 resource units per item written).",
      ].join(' '),
      request: {
        params: definitionParam,
        body: {
          required: false,
          ...json(
            z
              .object({
                fullResync: z.boolean().default(false),
                targetId: z.string().uuid().optional().openapi({
                  description:
                    "Push this run to this list only (one of the definition's targets): every row is read, only those routed to the list are written there; moves, other lists and deletions wait for an ordinary run, and the watermark stays where it was",
                }),
              })
              .strict()
              .openapi('StartRun'),
          ),
        },
      },
      responses: { 202: { description: 'Run accepted', ...json(RunStarted) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.header('content-type')?.includes('json') ? c.req.valid('json') : { fullResync: false, targetId: undefined };
      const def = await loadDefinition(id);
      assertPushes(def);
      await assertProvisioned(id);
      if (body.targetId) await assertTargetOf(id, body.targetId);
      const ticket = await ask(c, id, 'push', { ...(body.fullResync ? { fullResync: true } : {}), ...(body.targetId ? { targetId: body.targetId } : {}) });
      return c.json({ ...ticket, estimate: await estimateRun(deps, def, body.fullResync) }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sync-definitions/{id}/estimate',
      tags,
      security,
      middleware: [requireRole('viewer')] as const,
      summary: 'What a push run would cost, before it starts',
      description:
        "The estimate POST /v1/sync-definitions/{id}/runs answers with, without starting anything: for a first load the rows the last introspection counted and the time their writes take at the smallest budget among the definition's connections (2 resource units per item created). Read from the meta-store only: no call to the source or to Graph.",
      request: {
        params: definitionParam,
        query: z.object({
          fullResync: z
            .enum(['true', 'false'])
            .default('false')
            .openapi({ description: 'Estimate a full pass (every row re-read and compared) instead of an ordinary run' }),
        }),
      },
      responses: { 200: { description: 'The estimate', ...json(RunEstimateSchema) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { fullResync } = c.req.valid('query');
      const def = await loadDefinition(id);
      assertPushes(def);
      return c.json(await estimateRun(deps, def, fullResync === 'true'), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/sync-definitions/{id}/operations/{kind}',
      tags,
      security,
      middleware: [requireRole('operator')] as const,
      summary: 'Ask for an operation',
      description:
        "Any operation kind, through the definition's coordinator: started, queued behind another writer, or joined to the same operation already going. Kinds this version does not have are a 422.",
      request: {
        params: definitionParam.extend({ kind: kindParam }),
        body: {
          required: false,
          ...json(
            z
              .object({ options: z.record(z.string(), z.unknown()).optional() })
              .strict()
              .openapi('OperationRequestBody'),
          ),
        },
      },
      responses: { 202: { description: 'Operation accepted', ...json(Ticket) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id, kind } = c.req.valid('param');
      const body = c.req.header('content-type')?.includes('json') ? c.req.valid('json') : {};
      const def = await loadDefinition(id);
      const options = operationOptions(kind, body.options ?? {});
      if (kind === 'push' && typeof options.targetId === 'string') await assertTargetOf(id, options.targetId);
      if (kind === 'drift_repair' && typeof options.reportId === 'string') {
        const [report] = await db
          .select({ definitionId: schema.driftReports.definitionId })
          .from(schema.driftReports)
          .where(eq(schema.driftReports.id, options.reportId));
        if (report?.definitionId !== id)
          throw new ApiError(422, ErrorCode.ValidationFailed, `drift report ${options.reportId} is not a report of definition ${id}`, [
            { field: 'body.options.reportId', message: 'not a drift report of this definition' },
          ]);
      }
      await assertOperationAllowed(def, kind);
      return c.json(await ask(c, id, kind, options), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sync-definitions/{id}/operations',
      tags,
      security,
      middleware: [requireRole('viewer')] as const,
      summary: 'Operations of a definition that are queued, running or waiting for approval',
      description: 'In request order. Writers run one at a time; read-only operations run beside them.',
      request: { params: definitionParam },
      responses: {
        200: { description: 'Active runs', ...json(z.object({ items: z.array(RunSchema), coordinatorUiUrl: z.string().url() }).openapi('ActiveOperations')) },
        ...commonErrorResponses,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await loadDefinition(id);
      const rows = await db
        .select()
        .from(schema.syncRuns)
        .where(and(eq(schema.syncRuns.definitionId, id), inArray(schema.syncRuns.status, [...ACTIVE_RUN_STATUSES])))
        .orderBy(schema.syncRuns.createdAt, schema.syncRuns.id);
      return c.json({ items: rows.map((r) => runView(deps, r)), coordinatorUiUrl: ui(definitionWorkflowId(id)) }, 200);
    },
  );

  const listRuns = async (
    filters: { definitionId?: string | undefined; kind?: string | undefined; status?: string | undefined },
    limit: number,
    cursor: string | undefined,
  ) => {
    const rows = await db
      .select()
      .from(schema.syncRuns)
      .where(
        and(
          filters.definitionId ? eq(schema.syncRuns.definitionId, filters.definitionId) : undefined,
          filters.kind ? eq(schema.syncRuns.kind, filters.kind as never) : undefined,
          filters.status ? eq(schema.syncRuns.status, filters.status as never) : undefined,
          keysetBefore(schema.syncRuns, cursor),
        ),
      )
      .orderBy(...keysetOrderNewestFirst(schema.syncRuns))
      .limit(limit + 1);
    const page = toPage(rows, limit);
    return { items: page.items.map((r) => runView(deps, r)), nextCursor: page.nextCursor };
  };
  const RunPage = z.object({ items: z.array(RunSchema), nextCursor: z.string().nullable() }).openapi('SyncRunPage');

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sync-definitions/{id}/runs',
      tags,
      security,
      middleware: [requireRole('viewer')] as const,
      summary: 'List runs of a definition, newest first',
      description: 'Each run carries its progress (rows done and to do, phase, time left); pages with `cursor` / `nextCursor` like every list.',
      request: { params: definitionParam, query: z.object(pageQuery) },
      responses: { 200: { description: 'Runs', ...json(RunPage) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      await loadDefinition(id);
      return c.json(await listRuns({ definitionId: id }, limit, cursor), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sync-runs',
      tags,
      security,
      middleware: [requireRole('viewer')] as const,
      summary: 'List runs of every kind, newest first',
      request: {
        query: z.object({
          ...pageQuery,
          definitionId: z.string().uuid().optional().openapi({ description: 'Only runs of this definition' }),
          kind: z.enum(schema.runKind.enumValues).optional().openapi({ description: 'Only runs of this kind' }),
          status: z.enum(schema.runStatus.enumValues).optional().openapi({ description: 'Only runs in this status' }),
        }),
      },
      responses: { 200: { description: 'Runs', ...json(RunPage) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { limit, cursor, ...filters } = c.req.valid('query');
      return c.json(await listRuns(filters, limit, cursor), 200);
    },
  );
}
