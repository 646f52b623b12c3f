import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RunContext } from '@syncbridge/shared/temporal';
import type { HealthActivities, HealthProbeResult } from '@syncbridge/activities';

export interface HealthCheckInput {
  context: RunContext;
}

export type HealthCheckResult = HealthProbeResult & { workflowId: string };

/** One id per request: a retried API call finds the same workflow instead of starting another. */
export { healthCheckWorkflowId } from '@syncbridge/shared/temporal/ids';

const { recordHealthProbe } = proxyActivities<HealthActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3, initialInterval: '1 second' },
});

/** Proves the whole path: API -> Temporal -> worker -> activity -> meta-store. */
export async function healthCheckWorkflow(input: HealthCheckInput): Promise<HealthCheckResult> {
  const { workflowId } = workflowInfo();
  const probe = await recordHealthProbe({ context: input.context, workflowId });
  return { ...probe, workflowId };
}
