import { proxyActivities } from '@temporalio/workflow';
import type { DriftActivities, OperationActivities } from '@syncbridge/activities';
import type { RunContext } from '@syncbridge/shared/temporal';
import { singleStepActivityOptions, singleStepOperation } from '../operations/single-step.ts';

export interface DriftCheckWorkflowInput {
  definitionId: string;
  /** Set by the definition's coordinator, which created the run. Without it the workflow asks the coordinator, and ends. */
  runId?: string;
  context: RunContext;
}

export interface DriftCheckWorkflowResult {
  runRowId: string;
  status: 'succeeded' | 'forwarded';
  reportId: string | null;
  counts: Record<string, number>;
}

const acts = proxyActivities<DriftActivities & OperationActivities>(singleStepActivityOptions('30 minutes'));

/**
 * Drift check (read-only): compares the definition's table, ledger and lists and stores a
 * report (activities/src/drift/check.ts). One activity does the reading: it writes nothing but
 * the report, so a retried attempt simply reads again.
 */
export async function driftCheckWorkflow(input: DriftCheckWorkflowInput): Promise<DriftCheckWorkflowResult> {
  const outcome = await singleStepOperation(acts, 'drift_check', input, {}, (runId) =>
    acts.driftCheck({ definitionId: input.definitionId, runRowId: runId, context: input.context }),
  );
  if (outcome.status === 'forwarded') return { ...outcome, reportId: null, counts: {} };
  return { runRowId: outcome.runRowId, status: 'succeeded', reportId: outcome.result.reportId, counts: outcome.result.counts };
}
