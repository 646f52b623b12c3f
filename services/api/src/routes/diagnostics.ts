import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowFailedError } from '@temporalio/client';
import { healthCheckWorkflow, healthCheckWorkflowId } from '@syncbridge/workflows';
import type { App, ApiDeps } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { ApiError, commonErrorResponses, ErrorCode } from '../lib/problem.ts';
import { startWorkflowOnce } from '../lib/workflows.ts';

const HealthWorkflowResult = z
  .object({
    workflowId: z.string(),
    temporalUiUrl: z.string().url(),
    runId: z.string().uuid().openapi({ description: 'sync_runs row the activity wrote' }),
    databaseTime: z.string().datetime(),
    recordedBy: z.string(),
  })
  .openapi('HealthWorkflowResult');

export function registerDiagnosticsRoutes(app: App, deps: ApiDeps) {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/diagnostics/health-workflow',
      tags: ['Diagnostics'],
      security: [{ bearerAuth: [] }],
      summary: 'Run the end-to-end health workflow',
      description:
        'Starts a workflow on the worker task queue whose activity writes to the meta-store, and waits for its result (API -> Temporal -> worker -> activity -> PostgreSQL).',
      middleware: [requireRole('operator')] as const,
      responses: { 200: { description: 'The workflow completed', content: { 'application/json': { schema: HealthWorkflowResult } } }, ...commonErrorResponses },
    }),
    async (c) => {
      const context = { requestId: c.get('requestId'), requestedBy: c.get('principal').keyId };
      const started = await startWorkflowOnce(deps.temporal, healthCheckWorkflow, {
        workflowId: healthCheckWorkflowId(context.requestId),
        args: [{ context }],
        context,
      });
      const result = await Promise.race([
        started.handle.result().catch((err: unknown) => {
          if (err instanceof WorkflowFailedError) {
            throw new ApiError(503, ErrorCode.Unavailable, `the health workflow ${started.workflowId} failed: ${err.cause?.message ?? err.message}`);
          }
          throw err;
        }),
        new Promise<never>((_, reject) =>
          setTimeout(
            () =>
              reject(
                new ApiError(
                  503,
                  ErrorCode.Unavailable,
                  `no worker completed ${started.workflowId} within 60 s; is a worker polling task queue "${deps.temporal.taskQueue}"?`,
                ),
              ),
            60_000,
          ).unref(),
        ),
      ]);
      return c.json({ ...result, temporalUiUrl: started.uiUrl }, 200);
    },
  );
}
