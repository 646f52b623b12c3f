import { proxyActivities } from '@temporalio/workflow';
import type { DriftActivities, OperationActivities } from '@syncbridge/activities';
import type { RunContext } from '@syncbridge/shared/temporal';
import { planApproval } from '../operations/plan-decision.ts';
import { singleStepActivityOptions, singleStepOperation } from '../operations/single-step.ts';

export interface DriftRepairWorkflowInput {
  definitionId: string;
  /** Set by the definition's coordinator, which created the run. Without it the workflow asks the coordinator, and ends. */
  runId?: string;
  context: RunContext;
  /** The report the repair answers (its plan comes from a fresh comparison). */
  reportId?: string | null;
  /** Plan and show, change nothing. */
  dryRun?: boolean;
}

export interface DriftRepairWorkflowResult {
  runRowId: string;
  status: 'succeeded' | 'forwarded';
  counts: Record<string, number>;
}

const acts = proxyActivities<DriftActivities & OperationActivities>(singleStepActivityOptions('2 hours'));

/**
 * Drift repair (activities/src/drift/repair.ts): plans from a fresh comparison, stores the plan,
 * waits for a person's decision unless the definition auto-approves plans that small, then
 * applies it with push's ledger guarantees and records each action's outcome. A dry run plans
 * only. A writer: the coordinator never runs it beside a push or an ingress.
 */
export async function driftRepairWorkflow(input: DriftRepairWorkflowInput): Promise<DriftRepairWorkflowResult> {
  const approval = planApproval(acts);
  const dryRun = input.dryRun === true;
  const options = { ...(input.reportId ? { reportId: input.reportId } : {}), ...(dryRun ? { dryRun } : {}) };
  const outcome = await singleStepOperation(acts, 'drift_repair', input, options, async (runId) => {
    const plan = await acts.planDriftRepair({ definitionId: input.definitionId, runRowId: runId, context: input.context, reportId: input.reportId ?? null });
    if (plan.total === 0 || dryRun) return { counts: { ...plan.counts, dryRun: dryRun ? 1 : 0 } };
    const hold = { runRowId: runId, kind: 'drift-repair', summary: plan.summary, total: plan.total };
    const approved = await approval.decide(hold, plan.needsApproval ? null : 'auto-approved (the plan is within driftRepairAutoApproveMax)');
    if (!approved) return { counts: { ...plan.counts, repairRejected: 1 } };
    const applied = await acts.applyDriftRepair({ definitionId: input.definitionId, runRowId: runId, context: input.context });
    return { counts: { ...plan.counts, ...applied.counts } };
  });
  return outcome.status === 'forwarded' ? { ...outcome, counts: {} } : { runRowId: outcome.runRowId, status: 'succeeded', counts: outcome.result.counts };
}
