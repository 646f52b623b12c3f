import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { OperationRequest, OperationTicket } from '@syncbridge/shared/domain';
import type { ApiDeps } from './context.ts';
import { ApiError, ErrorCode } from './problem.ts';

/** How long the API waits for a coordinator's answer (a worker must pick the update up). */
export const COORDINATOR_ANSWER_MS = 20_000;

/**
 * The one way the API starts an operation: ask the definition's coordinator
 * (docs/design/operations.md). Answers the ticket, or a problem: 422 for an operation this
 * version does not have, 503 when no worker answers in time (the request stays with
 * Temporal and is answered when a worker polls again).
 */
export async function askCoordinator(deps: ApiDeps, definitionId: string, request: OperationRequest): Promise<OperationTicket> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      deps.coordinators.request(definitionId, request),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new ApiError(
                503,
                ErrorCode.Unavailable,
                `no worker answered within ${COORDINATOR_ANSWER_MS / 1000} s; the request is kept and runs when a worker polls task queue "${deps.temporal.taskQueue}" (repeat it with the same x-request-id to get its ticket)`,
              ),
            ),
          COORDINATOR_ANSWER_MS,
        );
      }),
    ]);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    let cause: unknown = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
    // A failure inside the handler (an activity's) arrives wrapped: find the application failure.
    for (let depth = 0; cause && !(cause instanceof ApplicationFailure) && depth < 4; depth++) cause = (cause as { cause?: unknown }).cause;
    if (cause instanceof ApplicationFailure) {
      if (cause.type === 'NotAvailable') throw new ApiError(422, ErrorCode.ValidationFailed, cause.message);
      if (cause.type === 'NotFound') throw new ApiError(404, ErrorCode.NotFound, cause.message);
      if (cause.type === 'InvalidInput') throw new ApiError(422, ErrorCode.ValidationFailed, cause.message);
    }
    throw new ApiError(503, ErrorCode.Unavailable, `the definition's coordinator could not take the request: ${((cause ?? err) as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}
