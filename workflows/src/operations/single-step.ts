import { ActivityCancellationType, CancellationScope, isCancellation, uuid4, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_FAILURE_TYPES } from '@syncbridge/shared/errors';
import type { OperationActivities } from '@syncbridge/activities';
import type { OperationKind } from '@syncbridge/shared/operations';
import type { RunContext } from '@syncbridge/shared/temporal';

/*
 * The shape of an operation that is one activity (the drift check, the ledger rebuild): asked of
 * the definition's coordinator when started without a run id; otherwise begun (context frozen),
 * its step run, and the run finished with the step's counts, failed with its error, or cancelled.
 */

export interface SingleStepInput {
  definitionId: string;
  runId?: string;
  context: RunContext;
}

export type SingleStepOutcome<R> = { status: 'forwarded'; runRowId: string } | { status: 'succeeded'; runRowId: string; result: R };

/** Activity options of such a step: heartbeats every minute, retried a few times, its own time limit. */
export const singleStepActivityOptions = (startToCloseTimeout: ActivityOptions['startToCloseTimeout']): ActivityOptions => ({
  startToCloseTimeout,
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

type Ops = Pick<OperationActivities, 'requestOperation' | 'beginOperation' | 'finishOperation'>;

const errorText = (err: unknown) => (err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err));

export async function singleStepOperation<R extends { counts: Record<string, number> }>(
  acts: Ops,
  kind: OperationKind,
  input: SingleStepInput,
  options: Record<string, unknown>,
  step: (runId: string) => Promise<R>,
): Promise<SingleStepOutcome<R>> {
  if (!input.runId) {
    const ticket = await acts.requestOperation({
      definitionId: input.definitionId,
      request: { kind, requestId: workflowInfo().workflowId, runId: uuid4(), requestedBy: input.context.requestedBy, trigger: 'api', options },
    });
    return { status: 'forwarded', runRowId: ticket.runId };
  }
  const runId = input.runId;
  try {
    await acts.beginOperation({ definitionId: input.definitionId, runId, kind, context: input.context });
    const result = await step(runId);
    await acts.finishOperation({ runId, status: 'succeeded', counts: result.counts });
    return { status: 'succeeded', runRowId: runId, result };
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => acts.finishOperation({ runId, status: 'cancelled', error: 'cancelled' }));
      throw err;
    }
    await acts.finishOperation({ runId, status: 'failed', error: errorText(err) });
    throw err;
  }
}
