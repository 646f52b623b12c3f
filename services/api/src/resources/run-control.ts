import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, eq, inArray } from 'drizzle-orm';
import { SharedBudgetStore } from '@syncbridge/shared/graph';
import { schema } from '@syncbridge/shared/db';
import { definitionWorkflowId } from '@syncbridge/shared/temporal/ids';
import { cancelQueuedSignal, deleteDecisionSignal, pushProgressQuery } from '@syncbridge/workflows';
import type { App, ApiDeps } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { ApiError, commonErrorResponses, ErrorCode, notFound } from '../lib/problem.ts';
import { RunSchema, runView } from './run-view.ts';

type RunRow = typeof schema.syncRuns.$inferSelect;

const security = [{ bearerAuth: [] }];
const json = <T extends z.ZodType>(s: T) => ({ content: { 'application/json': { schema: s } } });
const params = z.object({
  id: z
    .string()
    .uuid()
    .openapi({ param: { name: 'id', in: 'path' } }),
});
const ACTIVE: Array<RunRow['status']> = ['queued', 'running', 'awaiting_approval'];

/** A run's own routes: read it with live progress, stop it, decide what the mass-delete guard holds. */
export function registerRunControl(app: App, deps: ApiDeps) {
  const { db } = deps.store;
  const tags = ['Sync runs'];
  const load = async (id: string) => {
    const [row] = await db.select().from(schema.syncRuns).where(eq(schema.syncRuns.id, id));
    if (!row) throw notFound('SyncRun', id);
    return row;
  };

  const budgets = new SharedBudgetStore(deps.store.sql);
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sync-runs/{id}',
      tags,
      security,
      middleware: [requireRole('viewer')] as const,
      summary: 'Get a run, with live progress while it runs',
      description:
        "progress says what the run does now, how many rows it has done and has to do, and the time left at the connection's budget (or at the rate measured so far).",
      request: { params },
      responses: { 200: { description: 'The run', ...json(RunSchema) }, ...commonErrorResponses },
    }),
    async (c) => {
      const row = await load(c.req.valid('param').id);
      const view = runView(deps, row);
      if (row.status === 'running') {
        // Requests of the run waiting in the tenant's shared budget (another operation has it, or SharePoint said wait).
        const waiting = await budgets.waitingOf(row.id);
        if (waiting) {
          view.progress.budgetWait = waiting;
          view.progress.waitingFor ??= `SharePoint budget: ${waiting.requests} request(s) waiting for resource units for ${Math.round(waiting.waitingMs / 1000)} s`;
        }
      }
      if (row.kind === 'push' && row.status === 'running') {
        try {
          // The workflow knows its phase between commits (e.g. a sweep that has nothing to commit yet).
          const live = await deps.temporal.client.workflow.getHandle(row.workflowId).query(pushProgressQuery);
          if (live.phase !== 'starting') view.progress.phase = live.phase;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) c.get('log').warn({ err: (err as Error).message, runId: row.id }, 'progress query failed');
        }
      }
      return c.json(view, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/sync-runs/{id}/cancel',
      tags,
      security,
      middleware: [requireRole('operator')] as const,
      summary: 'Stop a run',
      description: [
        "Cancels the run's workflow. Graph requests in flight are aborted; what completed is committed (ledger, cursor, counts) and the run ends as cancelled within seconds.",
        'Nothing is lost: the next run picks up where this one stopped (a create whose answer was cut off is found by its key, never duplicated).',
        "A queued run (waiting for another writer) is taken out of its coordinator's queue and never starts. A run that already ended is a 409. Idempotent while the run is stopping.",
      ].join(' '),
      request: { params },
      responses: { 202: { description: 'Cancellation requested; the run as it is now', ...json(RunSchema) }, ...commonErrorResponses },
    }),
    async (c) => {
      const row = await load(c.req.valid('param').id);
      if (!ACTIVE.includes(row.status)) throw new ApiError(409, ErrorCode.Conflict, `run ${row.id} already ended (${row.status}); nothing to cancel`);
      try {
        await deps.temporal.client.workflow.getHandle(row.workflowId).cancel();
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        // Not started yet: it waits in its coordinator's queue, which must drop it.
        if (row.definitionId) {
          await deps.temporal.client.workflow
            .getHandle(definitionWorkflowId(row.definitionId))
            .signal(cancelQueuedSignal, { runId: row.id })
            .catch((e: unknown) => {
              if (!(e instanceof WorkflowNotFoundError)) throw e;
            });
        }
        // Nothing else would finish the row of a run that never started.
        await db
          .update(schema.syncRuns)
          .set({ status: 'cancelled', finishedAt: new Date() })
          .where(and(eq(schema.syncRuns.id, row.id), inArray(schema.syncRuns.status, ACTIVE)));
      }
      c.get('log').info({ runId: row.id, workflowId: row.workflowId }, 'run cancellation requested');
      return c.json(runView(deps, await load(row.id)), 202);
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/sync-runs/{id}/${decision}-deletions`,
        tags,
        security,
        middleware: [requireRole('operator')] as const,
        summary: decision === 'approve' ? 'Let a held run delete what it found gone' : 'Keep the items a held run would delete',
        description:
          decision === 'approve'
            ? "For a run the mass-delete guard holds (status awaiting_approval): it goes on and deletes the list items whose rows are gone at the source (each looked up once more right before). The decision and who made it are recorded in the run's hold."
            : "For a run the mass-delete guard holds (status awaiting_approval): it ends without deleting anything. The next run looks again; fix the source, or raise the definition's guard limits, if the deletions were intended.",
        request: { params },
        responses: { 202: { description: 'Decision sent to the run', ...json(RunSchema) }, ...commonErrorResponses },
      }),
      async (c) => {
        const row = await load(c.req.valid('param').id);
        if (row.status !== 'awaiting_approval') {
          throw new ApiError(
            409,
            ErrorCode.Conflict,
            `run ${row.id} is ${row.status}, not awaiting approval: only a run the mass-delete guard holds takes this decision`,
          );
        }
        try {
          await deps.temporal.client.workflow.getHandle(row.workflowId).signal(deleteDecisionSignal, { decision, by: c.get('principal').keyId });
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) throw new ApiError(409, ErrorCode.Conflict, `run ${row.id} is no longer running`);
          throw err;
        }
        c.get('log').info({ runId: row.id, decision }, 'mass-delete guard decision sent');
        return c.json(runView(deps, row), 202);
      },
    );
  }
}
