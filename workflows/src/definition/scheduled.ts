import { proxyActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import type { OperationActivities } from '@syncbridge/activities';
import { NON_RETRYABLE_FAILURE_TYPES } from '@syncbridge/shared/errors';
import type { OperationKind, OperationTicket } from '@syncbridge/shared/operations';

export interface ScheduledOperationInput {
  definitionId: string;
  kind: OperationKind;
  options?: Record<string, unknown>;
}

const { requestOperation } = proxyActivities<OperationActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
});

/**
 * What a Temporal Schedule starts: it asks the definition's coordinator for the operation
 * (which starts it, queues it, or joins it to the same operation already going) and ends.
 */
export async function scheduledOperationWorkflow(input: ScheduledOperationInput): Promise<OperationTicket> {
  const { workflowId } = workflowInfo();
  return requestOperation({
    definitionId: input.definitionId,
    // The schedule's workflow id is unique per fire time: a retried activity asks once.
    request: { kind: input.kind, requestId: workflowId, runId: uuid4(), requestedBy: 'schedule', trigger: 'schedule', options: input.options ?? {} },
  });
}
