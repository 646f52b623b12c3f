import { proxyActivities } from '@temporalio/workflow';
import type { OperationActivities, ReshardActivities } from '@syncbridge/activities';
import type { RunContext } from '@syncbridge/shared/temporal';
import { planApproval } from '../operations/plan-decision.ts';
import { singleStepActivityOptions, singleStepOperation } from '../operations/single-step.ts';

export interface ReshardWorkflowInput {
  definitionId: string;
  /** Set by the definition's coordinator, which created the run. Without it the workflow asks the coordinator, and ends. */
  runId?: string;
  context: RunContext;
  /** Plan and show, move nothing. */
  dryRun?: boolean;
  /** Approved with the request: the moves start without waiting. */
  approve?: boolean;
}

export interface ReshardWorkflowResult {
  runRowId: string;
  status: 'succeeded' | 'forwarded';
  counts: Record<string, number>;
}

const acts = proxyActivities<ReshardActivities & OperationActivities>(singleStepActivityOptions('1 hour'));

/**
 * Re-shard (activities/src/reshard/reshard.ts): plans the moves routing now asks for, waits for a
 * person's decision (unless approved with the request), then moves a chunk at a time, each chunk
 * an activity that a crash repeats harmlessly. A writer: never beside a push or an ingress.
 */
export async function reshardWorkflow(input: ReshardWorkflowInput): Promise<ReshardWorkflowResult> {
  const approval = planApproval(acts);
  const dryRun = input.dryRun === true;
  const options = { ...(dryRun ? { dryRun } : {}), ...(input.approve ? { approve: true } : {}) };
  const outcome = await singleStepOperation(acts, 'reshard', input, options, async (runId) => {
    const base = { definitionId: input.definitionId, runRowId: runId, context: input.context };
    const plan = await acts.planReshard(base);
    if (plan.total === 0 || dryRun) return { counts: { ...plan.counts, dryRun: dryRun ? 1 : 0 } };
    const approved = await approval.decide(
      { runRowId: runId, kind: 'reshard', summary: plan.summary, total: plan.total },
      input.approve ? 'approved with the request (options.approve)' : null,
    );
    if (!approved) return { counts: { ...plan.counts, reshardRejected: 1 } };
    const counts: Record<string, number> = { ...plan.counts };
    for (let at = 0; at < plan.total;) {
      const chunk = await acts.applyReshardChunk({ ...base, at });
      for (const [k, n] of Object.entries(chunk.counts)) counts[k] = (counts[k] ?? 0) + n;
      at = chunk.next;
    }
    return { counts };
  });
  return outcome.status === 'forwarded' ? { ...outcome, counts: {} } : { runRowId: outcome.runRowId, status: 'succeeded', counts: outcome.result.counts };
}
