import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowNotFoundError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { planDecisionSignal } from '@syncbridge/workflows';
import type { App, ApiDeps } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { bearerSecurity, jsonContent, uuidPathParam } from '../lib/openapi-route.ts';
import { ApiError, commonErrorResponses, ErrorCode, notFound } from '../lib/problem.ts';

/*
 * The plan of a run that asks before it changes much (drift_repair, reshard) and the decision on
 * it: what it found and will do per class and action, every action, and once applied the outcome
 * of each. Such a run waits (awaiting_approval) until approved or rejected here, unless it was
 * approved in advance (drift repair: within driftRepairAutoApproveMax; reshard: options.approve).
 */

const PLANNED_KINDS = ['drift_repair', 'reshard', 'rebind'] as const;

const security = bearerSecurity;
const json = jsonContent;
const params = uuidPathParam('id');

const PlanAction = z
  .object({
    op: z.string().openapi({
      description:
        'drift_repair: create (the item from its row), update (the row over the item), deleteItem, relink (the ledger entry pointed at the item that carries the key, the row written to it), unlink (the entry dropped); reshard: move (created in the new list, deleted from the old one, the ledger switched once)',
    }),
    sourceKey: z.string(),
    class: z.string().optional().openapi({ description: 'drift_repair: the drift class the action answers' }),
    targetId: z.string().uuid().nullable().optional().openapi({ description: 'The list the action writes to (reshard: the destination)' }),
    fromTargetId: z.string().uuid().nullable().optional().openapi({ description: 'reshard: the list the item leaves' }),
    listItemId: z.string().nullable().optional(),
  })
  .passthrough()
  .openapi('PlanAction');

const RepairPlan = z
  .object({
    runId: z.string().uuid(),
    definitionId: z.string().uuid(),
    kind: z.enum(PLANNED_KINDS),
    reportId: z.string().uuid().nullable().openapi({ description: 'drift_repair: the report it was asked for' }),
    status: z.enum(schema.planStatus.enumValues),
    summary: z
      .object({
        total: z.number().int(),
        byClass: z
          .record(z.string(), z.record(z.string(), z.number().int()))
          .openapi({ description: 'drift_repair: per drift class, the number of actions of each op; reshard: per source list, moves per destination list' }),
      })
      .passthrough(),
    actions: z.array(PlanAction).openapi({ description: 'The first `limit` actions, in plan order' }),
    actionsTotal: z.number().int(),
    outcome: z
      .object({
        done: z.record(z.string(), z.number().int()),
        failed: z.number().int(),
        failures: z.array(z.object({ action: PlanAction, reason: z.string() })).openapi({ description: 'Up to 100 actions that failed, with why' }),
      })
      .nullable(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().datetime().nullable(),
    createdAt: z.string().datetime(),
  })
  .openapi('OperationPlan');

type PlanRow = typeof schema.operationPlans.$inferSelect;

export function registerOperationPlans(app: App, deps: ApiDeps) {
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
      path: '/v1/sync-runs/{id}/plan',
      tags,
      security,
      middleware: [requireRole('viewer')] as const,
      summary: 'The plan of a drift repair or reshard run',
      description:
        'What the run found and will do (or did): counts per class and op, the actions (the first `limit`), the decision, and once applied the outcome of each. 404 when the run has no plan (another kind, or not planned yet).',
      request: { params, query: z.object({ limit: z.coerce.number().int().min(0).max(10_000).default(1000) }) },
      responses: { 200: { description: 'The plan', ...json(RepairPlan) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { limit } = c.req.valid('query');
      await loadRun(id);
      const [plan] = await db.select().from(schema.operationPlans).where(eq(schema.operationPlans.runId, id));
      if (!plan) throw new ApiError(404, ErrorCode.NotFound, `run ${id} has no plan (not a drift_repair or reshard run, or it has not planned yet)`);
      return c.json(view(plan, limit), 200);
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/sync-runs/{id}/${decision}-plan`,
        tags,
        security,
        middleware: [requireRole('operator')] as const,
        summary: decision === 'approve' ? 'Let a drift repair or reshard apply its plan' : 'End a drift repair or reshard without changing anything',
        description:
          decision === 'approve'
            ? 'For a drift repair or reshard run waiting for approval (status awaiting_approval): it applies the plan shown by GET /v1/sync-runs/{id}/plan. Who decided is recorded with the plan.'
            : 'For a drift repair or reshard run waiting for approval: it ends, nothing changed. Who decided is recorded with the plan.',
        request: { params },
        responses: { 202: { description: 'Decision sent to the run' }, ...commonErrorResponses },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const run = await loadRun(id);
        if (!(PLANNED_KINDS as readonly string[]).includes(run.kind) || run.status !== 'awaiting_approval')
          throw new ApiError(
            409,
            ErrorCode.Conflict,
            `run ${id} is a ${run.kind} run, ${run.status}: only a drift repair or reshard waiting for approval takes this decision`,
          );
        try {
          await deps.temporal.client.workflow.getHandle(run.workflowId!).signal(planDecisionSignal, { decision, by: c.get('principal').keyId });
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) throw new ApiError(409, ErrorCode.Conflict, `run ${id} is no longer running`);
          throw err;
        }
        c.get('log').info({ runId: id, decision }, 'plan decision sent');
        return c.json({ runId: id, decision }, 202);
      },
    );
  }
}

function view(p: PlanRow, limit: number) {
  const actions = (p.actions as Array<z.infer<typeof PlanAction>>) ?? [];
  return {
    runId: p.runId,
    definitionId: p.definitionId,
    kind: p.kind as (typeof PLANNED_KINDS)[number],
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
