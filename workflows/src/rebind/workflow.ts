import { ApplicationFailure, CancellationScope, proxyActivities } from '@temporalio/workflow';
import type { OperationActivities, RebindActivities, RebindOptions } from '@syncbridge/activities';
import type { OperationKind } from '@syncbridge/shared/operations';
import type { RunContext } from '@syncbridge/shared/temporal';
import { planApproval } from '../operations/plan-decision.ts';
import { singleStepActivityOptions, singleStepOperation } from '../operations/single-step.ts';

export interface RebindWorkflowInput extends Partial<RebindOptions> {
  definitionId: string;
  /** Set by the definition's coordinator, which created the run. Without it the workflow asks the coordinator, and ends. */
  runId?: string;
  context: RunContext;
  /** Steps 1-2 only: check and report. */
  dryRun?: boolean;
  /** Approved with the request: no wait after a good check. */
  approve?: boolean;
}

export interface RebindWorkflowResult {
  runRowId: string;
  status: 'succeeded' | 'forwarded';
  counts: Record<string, number>;
}

const acts = proxyActivities<RebindActivities & OperationActivities>(singleStepActivityOptions('30 minutes'));

/**
 * Failover and rebind runbook (activities/src/rebind/rebind.ts): check the new instance and stop
 * with a report if it does not fit; wait for approval; pause the definition's schedules; rebind;
 * re-baseline the push cursor by the run's rule; resume the schedules and ask for a catch-up
 * push; report. Each step is an activity, so a worker killed between steps resumes at the step.
 */
export async function rebindWorkflow(input: RebindWorkflowInput): Promise<RebindWorkflowResult> {
  const approval = planApproval(acts);
  const options: RebindOptions = {
    toInstanceId: input.toInstanceId ?? '',
    cursor: input.cursor === 'full' ? 'full' : 'keep',
    rewindSeconds: input.rewindSeconds ?? 3600,
    promote: input.promote === true,
  };
  const dryRun = input.dryRun === true;
  const requestOptions = { ...options, ...(dryRun ? { dryRun } : {}), ...(input.approve ? { approve: true } : {}) };
  const outcome = await singleStepOperation(acts, 'rebind', input, requestOptions, async (runId) => {
    const base = { definitionId: input.definitionId, runRowId: runId, context: input.context };
    const check = await acts.checkRebind({ ...base, ...options });
    if (!check.ok) throw ApplicationFailure.nonRetryable(check.summary, 'RebindCheckFailed');
    if (dryRun) return { counts: { ...check.counts, dryRun: 1 } };
    const approved = await approval.decide(
      { runRowId: runId, kind: 'rebind', summary: check.summary, total: 1 },
      input.approve ? 'approved with the request (options.approve)' : null,
    );
    if (!approved) return { counts: { ...check.counts, rebindRejected: 1 } };
    const paused: OperationKind[] = await acts.setSchedulesPaused({ definitionId: input.definitionId, runRowId: runId, paused: true });
    try {
      const applied = await acts.applyRebind({ ...base, ...options });
      await acts.requestCatchUpPush(base);
      return { counts: { ...check.counts, ...applied.counts, schedulesPaused: paused.length } };
    } finally {
      // Whatever happened, the schedules this run paused run again.
      await CancellationScope.nonCancellable(() =>
        acts.setSchedulesPaused({ definitionId: input.definitionId, runRowId: runId, paused: false, kinds: paused }),
      );
    }
  });
  return outcome.status === 'forwarded' ? { ...outcome, counts: {} } : { runRowId: outcome.runRowId, status: 'succeeded', counts: outcome.result.counts };
}
