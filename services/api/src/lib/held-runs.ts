import { WorkflowNotFoundError } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { deleteGuardRecheckSignal } from '@syncbridge/workflows';
import type { ApiDeps } from './context.ts';

/** Asks every run of the definition that the mass-delete guard holds to check its limits again. */
export async function recheckHeldRuns(deps: ApiDeps, definitionId: string): Promise<void> {
  const held = await deps.store.db
    .select({ workflowId: schema.syncRuns.workflowId })
    .from(schema.syncRuns)
    .where(and(eq(schema.syncRuns.definitionId, definitionId), eq(schema.syncRuns.status, 'awaiting_approval')));
  for (const run of held) {
    try {
      await deps.temporal.client.workflow.getHandle(run.workflowId).signal(deleteGuardRecheckSignal);
    } catch (err) {
      // A run that ended meanwhile needs no recheck.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
}
