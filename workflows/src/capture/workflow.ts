import { continueAsNew, proxyActivities, sleep, uuid4 } from '@temporalio/workflow';
import type { CaptureActivities, OperationActivities } from '@syncbridge/activities';
import { NON_RETRYABLE_FAILURE_TYPES } from '@syncbridge/shared/errors';

export interface ChangeCaptureInput {
  definitionId: string;
}

/** Waits per activity before it reports "nothing yet" (the workflow then asks again): short enough to see a stop promptly. */
const WAIT_MS = 5 * 60_000;
/** Push runs asked for per workflow run before continuing as new, to keep each history small. */
const RUNS_PER_HISTORY = 200;
/** After a push run that failed, the next change waits this long, so a broken definition does not run in a loop. */
const AFTER_FAILURE = '30 seconds';

const acts = proxyActivities<CaptureActivities & OperationActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
});

/**
 * Near-real-time push for a definition with cursor strategy logical_replication: waits until its
 * replication slot holds changes, asks the definition's coordinator for a push run (which joins
 * one already going), waits for that run to end, and looks again. It ends by itself when the
 * definition is deleted, turned off or no longer reads the log; the API starts it again.
 */
export async function changeCaptureWorkflow(input: ChangeCaptureInput): Promise<string> {
  for (let runs = 0; runs < RUNS_PER_HISTORY;) {
    const seen = await acts.awaitSourceChanges({ definitionId: input.definitionId, maxWaitMs: WAIT_MS });
    if (seen.stop) return seen.stop;
    if (!seen.changes) continue;
    runs++;
    const ticket = await acts.requestOperation({
      definitionId: input.definitionId,
      request: { kind: 'push', requestId: uuid4(), runId: uuid4(), requestedBy: 'change-capture', trigger: 'change', options: {} },
    });
    await acts.awaitOperationClosed({ runId: ticket.runId, workflowId: ticket.workflowId });
    const outcome = await acts.runOutcome({ runId: ticket.runId });
    if (outcome !== 'succeeded') await sleep(AFTER_FAILURE);
  }
  return continueAsNew<typeof changeCaptureWorkflow>(input);
}
