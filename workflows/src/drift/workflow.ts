import { ActivityCancellationType, CancellationScope, isCancellation, proxyActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import type { DriftActivities, OperationActivities } from '@syncbridge/activities';
import { NON_RETRYABLE_FAILURE_TYPES } from '@syncbridge/shared/errors';
import type { RunContext } from '@syncbridge/shared/temporal';

export interface DriftCheckWorkflowInput {
  definitionId: string;
  /** Set by the definition's coordinator, which created the run. Without it the workflow asks the coordinator, and ends. */
  runId?: string;
  context: RunContext;
}

export interface DriftCheckWorkflowResult {
  runRowId: string;
  status: 'succeeded' | 'forwarded';
  reportId: string | null;
  counts: Record<string, number>;
}

const acts = proxyActivities<DriftActivities & OperationActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 6,
    nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
  },
});

const errorText = (err: unknown) => (err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err));

/**
 * Drift check (read-only): compares the definition's table, ledger and lists and stores a
 * report (activities/src/drift/check.ts). One activity does the reading: it writes nothing but
 * the report, so a retried attempt simply reads again.
 */
export async function driftCheckWorkflow(input: DriftCheckWorkflowInput): Promise<DriftCheckWorkflowResult> {
  if (!input.runId) {
    const ticket = await acts.requestOperation({
      definitionId: input.definitionId,
      request: {
        kind: 'drift_check',
        requestId: workflowInfo().workflowId,
        runId: uuid4(),
        requestedBy: input.context.requestedBy,
        trigger: 'api',
        options: {},
      },
    });
    return { runRowId: ticket.runId, status: 'forwarded', reportId: null, counts: {} };
  }
  const runId = input.runId;
  try {
    await acts.beginOperation({ definitionId: input.definitionId, runId, kind: 'drift_check', context: input.context });
    const result = await acts.driftCheck({ definitionId: input.definitionId, runRowId: runId, context: input.context });
    await acts.finishOperation({ runId, status: 'succeeded', counts: result.counts });
    return { runRowId: runId, status: 'succeeded', reportId: result.reportId, counts: result.counts };
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => acts.finishOperation({ runId, status: 'cancelled', error: 'cancelled' }));
      throw err;
    }
    await acts.finishOperation({ runId, status: 'failed', error: errorText(err) });
    throw err;
  }
}
