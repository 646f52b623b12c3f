import { ScheduleNotFoundError, WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { OperationKind, OperationRequest, OperationTicket } from '@syncbridge/shared/operations';
import { definitionWorkflowId, operationScheduleId } from '@syncbridge/shared/temporal/ids';
import { definitionWorkflow, requestOperationUpdate } from './workflow.ts';

/*
 * The client side of a definition's coordinator, for the API and the worker's activities.
 * Not part of the workflow bundle (it talks to the Temporal service).
 */

export class CoordinatorClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  /**
   * Asks the coordinator for an operation, starting the coordinator if it is not running
   * (update-with-start). The request id is the update id: a repeated request gets the same ticket.
   */
  request(definitionId: string, request: OperationRequest): Promise<OperationTicket> {
    const startWorkflowOperation = new WithStartWorkflowOperation(definitionWorkflow, {
      workflowId: definitionWorkflowId(definitionId),
      taskQueue: this.taskQueue,
      args: [{ definitionId }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    return this.client.workflow.executeUpdateWithStart(requestOperationUpdate, { args: [request], updateId: request.requestId, startWorkflowOperation });
  }

  /** Resolves when the workflow (following continue-as-new) has closed, however it closed; 'unknown' if Temporal does not know it. */
  async waitClosed(workflowId: string, signal: AbortSignal): Promise<'closed' | 'unknown'> {
    const aborted = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    try {
      await Promise.race([this.client.workflow.getHandle(workflowId).result(), aborted]);
      return 'closed';
    } catch (err) {
      if (signal.aborted) throw err;
      if (err instanceof WorkflowNotFoundError) return 'unknown';
      return 'closed'; // failed, cancelled, terminated, timed out: closed all the same
    }
  }

  /** Pauses or resumes the Temporal Schedule of a definition's operation kind; false when there is none. */
  async setSchedulePaused(definitionId: string, kind: OperationKind, paused: boolean, note: string): Promise<boolean> {
    const handle = this.client.schedule.getHandle(operationScheduleId(definitionId, kind));
    try {
      await (paused ? handle.pause(note) : handle.unpause(note));
      return true;
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return false;
      throw err;
    }
  }
}
