import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowNotFoundError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { repairDecisionSignal } from '@syncbridge/workflows';
import type { App, ApiDeps } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { bearerSecurity, jsonContent, uuidPathParam } from '../lib/openapi-route.ts';
import { ApiError, commonErrorResponses, ErrorCode, notFound } from '../lib/problem.ts';

/*
 * The plan of a drift repair run (POST /v1/sync-definitions/{id}/operations/drift_repair) and
 * the decision on it: what it found now and will do per class, every action, and once applied
 * the outcome of each. A run over the definition's auto-approve limit waits (awaiting_approval)
 * until approved or rejected here.
 */

const security = bearerSecurity;
const json = jsonContent;
const params = uuidPathParam('id');

const RepairAction = z
  .object({
    class: z.enum(['orphanItems', 'missingItems', 'valueDrift', 'ledgerDrift', 'duplicates']),
    op: z.enum(['create', 'update', 'deleteItem', 'relink', 'unlink']).openapi({
      description:
        'create: the item from its row; update: the row written over the item; deleteItem: the item deleted; relink: the ledger entry pointed at the item that carries the key; unlink: the ledger entry dropped',
    }),
    sourceKey: z.string(),
    targetId: z.string().uuid().nullable().optional(),
    listItemId: z.string().nullable().optional(),
  })
  .openapi('DriftRepairAction');

const RepairPlan = z
  .object({
    runId: z.string().uuid(),
    definitionId: z.string().uuid(),
    reportId: z.string().uuid().nullable(),
    status: z.enum(schema.driftRepairStatus.enumValues),
    summary: z
      .object({
        total: z.number().int(),
        byClass: z.record(z.string(), z.record(z.string(), z.number().int())).openapi({ description: 'Per drift class, the number of actions of each op' }),
        autoApproveMax: z.number().int().nullable(),
        comparison: z.record(z.string(), z.number()).openapi({ description: "The fresh comparison's counts (as a drift report's)" }),
      })
      .passthrough(),
    actions: z.array(RepairAction).openapi({ description: 'The first `limit` actions, in plan order' }),
    actionsTotal: z.number().int(),
    outcome: z
      .object({
        done: z.record(z.string(), z.number().int()),
        failed: z.number().int(),
        failures: z.array(z.object({ action: RepairAction, reason: z.string() })).openapi({ description: 'Up to 100 actions that failed, with why' }),
      })
      .nullable(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().datetime().nullable(),
    createdAt: z.string().datetime(),
  })
  .openapi('DriftRepairPlan');

type PlanRow = typeof schema.driftRepairs.$inferSelect;

export function registerDriftRepairs(app: App, deps: ApiDeps) {
  const { db } = deps.store;
  const tags = ['Sync runs'];
  const loadRun = async (id: string) => {
    const [run] = await db.select().from(schema.syncRuns).where(eq(schema.syncRuns.id, id));
    if (!run) throw notFound('SyncRun', id);
    return run;
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sync-runs/{id}/repair-plan',
      tags,
      security,
      middleware: [requireRole('viewer')] as const,
      summary: "A drift repair run's plan",
      description:
        'What the repair found and will do (or did): counts per class and op, the actions (the first `limit`), and once applied the outcome of each. 404 when the run is not a drift repair or has not planned yet.',
      request: { params, query: z.object({ limit: z.coerce.number().int().min(0).max(10_000).default(1000) }) },
      responses: { 200: { description: 'The plan', ...json(RepairPlan) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { limit } = c.req.valid('query');
      await loadRun(id);
      const [plan] = await db.select().from(schema.driftRepairs).where(eq(schema.driftRepairs.runId, id));
      if (!plan) throw new ApiError(404, ErrorCode.NotFound, `run ${id} has no drift repair plan (not a drift_repair run, or it has not planned yet)`);
      return c.json(view(plan, limit), 200);
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/sync-runs/{id}/${decision}-repair`,
        tags,
        security,
        middleware: [requireRole('operator')] as const,
        summary: decision === 'approve' ? 'Let a drift repair apply its plan' : 'End a drift repair without changing anything',
        description:
          decision === 'approve'
            ? 'For a drift repair run waiting for approval (status awaiting_approval): it applies the plan shown by GET /v1/sync-runs/{id}/repair-plan. Who decided is recorded with the plan.'
            : 'For a drift repair run waiting for approval: it ends, nothing changed. Who decided is recorded with the plan.',
        request: { params },
        responses: { 202: { description: 'Decision sent to the run' }, ...commonErrorResponses },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const run = await loadRun(id);
        if (run.kind !== 'drift_repair' || run.status !== 'awaiting_approval')
          throw new ApiError(
            409,
            ErrorCode.Conflict,
            `run ${id} is a ${run.kind} run, ${run.status}: only a drift repair waiting for approval takes this decision`,
          );
        try {
          await deps.temporal.client.workflow.getHandle(run.workflowId!).signal(repairDecisionSignal, { decision, by: c.get('principal').keyId });
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) throw new ApiError(409, ErrorCode.Conflict, `run ${id} is no longer running`);
          throw err;
        }
        c.get('log').info({ runId: id, decision }, 'drift repair decision sent');
        return c.json({ runId: id, decision }, 202);
      },
    );
  }
}

function view(p: PlanRow, limit: number) {
  const actions = (p.actions as Array<z.infer<typeof RepairAction>>) ?? [];
  return {
    runId: p.runId,
    definitionId: p.definitionId,
    reportId: p.reportId ?? null,
    status: p.status,
    summary: p.summary as z.infer<typeof RepairPlan>['summary'],
    actions: actions.slice(0, limit),
    actionsTotal: actions.length,
    outcome: (p.outcome as z.infer<typeof RepairPlan>['outcome']) ?? null,
    decidedBy: p.decidedBy ?? null,
    decidedAt: p.decidedAt?.toISOString() ?? null,
    createdAt: p.createdAt.toISOString(),
  };
}
