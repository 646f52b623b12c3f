import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { DriftActivities, OperationActivities } from '@syncbridge/activities';
import type { RunContext } from '@syncbridge/shared/temporal';
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

export interface RepairDecision {
  decision: 'approve' | 'reject';
  by: string;
}

/** A person approves or rejects the plan a drift repair waits with (POST /v1/sync-runs/{id}/approve-repair, .../reject-repair). */
export const repairDecisionSignal = defineSignal<[RepairDecision]>('repairDecision');

const acts = proxyActivities<DriftActivities & OperationActivities>(singleStepActivityOptions('2 hours'));

/**
 * Drift repair (activities/src/drift/repair.ts): plans from a fresh comparison, stores the plan,
 * waits for a person's decision unless the definition auto-approves plans that small, then
 * applies it with push's ledger guarantees and records each action's outcome. A dry run plans
 * only. A writer: the coordinator never runs it beside a push or an ingress.
 */
export async function driftRepairWorkflow(input: DriftRepairWorkflowInput): Promise<DriftRepairWorkflowResult> {
  let decision: RepairDecision | undefined;
  setHandler(repairDecisionSignal, (d) => void (decision ??= d));
  const dryRun = input.dryRun === true;
  const options = { ...(input.reportId ? { reportId: input.reportId } : {}), ...(dryRun ? { dryRun } : {}) };
  const outcome = await singleStepOperation(acts, 'drift_repair', input, options, async (runId) => {
    const plan = await acts.planDriftRepair({ definitionId: input.definitionId, runRowId: runId, context: input.context, reportId: input.reportId ?? null });
    if (plan.total === 0 || dryRun) return { counts: { ...plan.counts, dryRun: dryRun ? 1 : 0 } };
    if (plan.needsApproval) {
      await acts.holdDriftRepair({ runRowId: runId, summary: plan.summary, total: plan.total });
      await condition(() => decision !== undefined);
    } else decision = { decision: 'approve', by: 'auto-approved (the plan is within driftRepairAutoApproveMax)' };
    await acts.recordRepairDecision({ runRowId: runId, decision: decision!.decision, by: decision!.by });
    if (decision!.decision === 'reject') return { counts: { ...plan.counts, repairRejected: 1 } };
    const applied = await acts.applyDriftRepair({ definitionId: input.definitionId, runRowId: runId, context: input.context });
    return { counts: { ...plan.counts, ...applied.counts } };
  });
  return outcome.status === 'forwarded' ? { ...outcome, counts: {} } : { runRowId: outcome.runRowId, status: 'succeeded', counts: outcome.result.counts };
}
