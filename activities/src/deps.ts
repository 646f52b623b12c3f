import { Context } from '@temporalio/activity';
import type { SecretBox } from '@syncbridge/shared/crypto';
import type { MetaStore } from '@syncbridge/shared/db';
import type { Logger } from '@syncbridge/shared/logger';
import type { RunContext } from '@syncbridge/shared/temporal';

/** Everything activities touch, injected so tests and workers choose the real parts. */
export interface ActivityDeps {
  store: MetaStore;
  secrets: SecretBox;
  logger: Logger;
}

/** A logger carrying the API request id and the Temporal ids of the running activity. */
export function activityLog(deps: ActivityDeps, context: RunContext): Logger {
  const info = Context.current().info;
  return deps.logger.child({
    requestId: context.requestId,
    workflowId: info.workflowExecution?.workflowId,
    runId: info.workflowExecution?.runId,
    activity: info.activityType,
    attempt: info.attempt,
  });
}

/**
 * Heartbeats on a timer while `work` runs. A batch's Graph calls can take long under
 * throttling; the heartbeat timeout is there to notice a dead worker, not slow Graph.
 * Cancellation reaches an activity only through a heartbeat's answer, so they are
 * frequent (the worker caps the throttle at the same interval: see createSyncBridgeWorker).
 */
export const HEARTBEAT_EVERY_MS = 2_000;

export async function withHeartbeat<T>(work: () => Promise<T>, everyMs = HEARTBEAT_EVERY_MS): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
