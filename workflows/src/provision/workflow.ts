import { CancellationScope, isCancellation, patched, proxyActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import type { OperationActivities, ProvisionActivities, ProvisionedTarget } from '@syncbridge/activities';
import { NON_RETRYABLE_FAILURE_TYPES } from '@syncbridge/shared/errors';
import type { RunContext } from '@syncbridge/shared/temporal';

export interface ProvisionInput {
  definitionId: string;
  /** Set by the definition's coordinator, which created the run. Without it the workflow asks the coordinator, and ends. */
  runId?: string;
  context: RunContext;
}

export interface ProvisionResult {
  runRowId: string;
  mappingsCreated: number;
  targets: ProvisionedTarget[];
  /** Started outside the coordinator: the coordinator runs it as `runRowId`. */
  forwarded?: boolean;
}

/** Runs started by 0.1 replay on the path they were recorded on; newer runs are operations of the coordinator. */
const OPERATION_MODEL_PATCH = 'provision-0.2-operation';

const legacyActs = proxyActivities<ProvisionActivities>({
  startToCloseTimeout: '5 minutes',
  retry: {
    initialInterval: '2 seconds',
    maximumAttempts: 8,
    nonRetryableErrorTypes: ['InvalidInput', 'NotFound', 'AuthenticationFailed', 'PermissionDenied', 'SchemaMismatch'],
  },
});

const acts = proxyActivities<ProvisionActivities & OperationActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2 seconds', maximumAttempts: 8, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
});

const errorText = (err: unknown) => (err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err));

/**
 * Provision: persist the field mappings (default ones proposed from the source
 * schema when none exist), then create or adopt each target list with the mapped
 * columns and the hidden, indexed key column. Every step is idempotent.
 */
export async function provisionDefinitionWorkflow(input: ProvisionInput): Promise<ProvisionResult> {
  if (!patched(OPERATION_MODEL_PATCH)) return legacyProvision(input);
  if (!input.runId) {
    const ticket = await acts.requestOperation({
      definitionId: input.definitionId,
      request: { kind: 'provision', requestId: workflowInfo().workflowId, runId: uuid4(), requestedBy: input.context.requestedBy, trigger: 'api', options: {} },
    });
    return { runRowId: ticket.runId, mappingsCreated: 0, targets: [], forwarded: true };
  }
  const runId = input.runId;
  try {
    await acts.beginOperation({ definitionId: input.definitionId, runId, kind: 'provision', context: input.context });
    const { mappingsCreated, targetIds } = await acts.ensureFieldMappings({ definitionId: input.definitionId, runId, context: input.context });
    const targets: ProvisionedTarget[] = [];
    for (const targetId of targetIds) targets.push(await acts.provisionTarget({ definitionId: input.definitionId, targetId, runId, context: input.context }));
    await acts.finishOperation({
      runId,
      status: 'succeeded',
      counts: { mappingsCreated, targets: targets.length, listsCreated: targets.filter((t) => t.created).length },
    });
    return { runRowId: runId, mappingsCreated, targets };
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => acts.finishOperation({ runId, status: 'cancelled', error: 'cancelled' }));
      throw err;
    }
    await acts.finishOperation({ runId, status: 'failed', error: errorText(err) });
    throw err;
  }
}

/** Provisioning as 0.1 wrote it, kept command for command so its runs replay (test/replay). */
async function legacyProvision(input: ProvisionInput): Promise<ProvisionResult> {
  const { workflowId } = workflowInfo();
  const runRowId = await legacyActs.beginRun({ definitionId: input.definitionId, workflowId, kind: 'provision', context: input.context });
  try {
    const { mappingsCreated, targetIds } = await legacyActs.ensureFieldMappings({ definitionId: input.definitionId, context: input.context });
    const targets: ProvisionedTarget[] = [];
    for (const targetId of targetIds) targets.push(await legacyActs.provisionTarget({ definitionId: input.definitionId, targetId, context: input.context }));
    await legacyActs.finishRun({
      runRowId,
      status: 'succeeded',
      counts: { mappingsCreated, targets: targets.length, listsCreated: targets.filter((t) => t.created).length },
    });
    return { runRowId, mappingsCreated, targets };
  } catch (err) {
    await legacyActs.finishRun({ runRowId, status: 'failed', counts: {}, error: errorText(err) });
    throw err;
  }
}
