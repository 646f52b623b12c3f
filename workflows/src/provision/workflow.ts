import { CancellationScope, isCancellation, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ProvisionActivities, ProvisionedTarget } from '@syncbridge/activities';
import type { RunContext } from '@syncbridge/shared/temporal';

export interface ProvisionInput {
  definitionId: string;
  context: RunContext;
}

export interface ProvisionResult {
  runRowId: string;
  mappingsCreated: number;
  targets: ProvisionedTarget[];
}

/** One provisioning per definition at a time; a repeat after it finished is a fresh, idempotent run. */
export const provisionWorkflowId = (definitionId: string) => `provision/${definitionId}`;

const acts = proxyActivities<ProvisionActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2 seconds', maximumAttempts: 8, nonRetryableErrorTypes: ['InvalidInput', 'NotFound', 'AuthenticationFailed', 'PermissionDenied', 'SchemaMismatch'] },
});

/**
 * Provision: persist the field mappings (default ones proposed from the source
 * schema when none exist), then create or adopt each target list with the mapped
 * columns and the hidden, indexed key column. Every step is idempotent.
 */
export async function provisionDefinitionWorkflow(input: ProvisionInput): Promise<ProvisionResult> {
  const { workflowId } = workflowInfo();
  const runRowId = await acts.beginRun({ definitionId: input.definitionId, workflowId, kind: 'provision', context: input.context });
  try {
    const { mappingsCreated, targetIds } = await acts.ensureFieldMappings({ definitionId: input.definitionId, context: input.context });
    const targets: ProvisionedTarget[] = [];
    for (const targetId of targetIds) targets.push(await acts.provisionTarget({ definitionId: input.definitionId, targetId, context: input.context }));
    await acts.finishRun({ runRowId, status: 'succeeded', counts: { mappingsCreated, targets: targets.length, listsCreated: targets.filter((t) => t.created).length } });
    return { runRowId, mappingsCreated, targets };
  } catch (err) {
    // A cancelled run (POST /v1/sync-runs/{id}/cancel) records itself as cancelled; before this, its row stayed running.
    if (isCancellation(err) && patched('provision-records-cancel')) {
      await CancellationScope.nonCancellable(() => acts.finishRun({ runRowId, status: 'cancelled', counts: {}, error: 'cancelled' }));
      throw err;
    }
    await acts.finishRun({ runRowId, status: 'failed', counts: {}, error: err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err) });
    throw err;
  }
}
