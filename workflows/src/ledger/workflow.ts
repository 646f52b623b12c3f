import { proxyActivities } from '@temporalio/workflow';
import type { LedgerActivities, OperationActivities } from '@syncbridge/activities';
import type { RunContext } from '@syncbridge/shared/temporal';
import { singleStepActivityOptions, singleStepOperation } from '../operations/single-step.ts';

export interface LedgerRebuildWorkflowInput {
  definitionId: string;
  /** Set by the definition's coordinator, which created the run. Without it the workflow asks the coordinator, and ends. */
  runId?: string;
  context: RunContext;
  /** Count what the rebuild would record, write nothing. */
  dryRun?: boolean;
}

export interface LedgerRebuildWorkflowResult {
  runRowId: string;
  status: 'succeeded' | 'forwarded';
  counts: Record<string, number>;
}

const acts = proxyActivities<LedgerActivities & OperationActivities>(singleStepActivityOptions('2 hours'));

/**
 * Ledger rebuild (disaster recovery): the definition's ledger rebuilt from its lists' hidden key
 * column and the cursors re-derived (activities/src/ledger/rebuild.ts). One activity reads, then
 * replaces the ledger in one transaction: a crash before it leaves the old ledger, after it the
 * new one. A writer: the coordinator never runs it beside a push or an ingress.
 */
export async function ledgerRebuildWorkflow(input: LedgerRebuildWorkflowInput): Promise<LedgerRebuildWorkflowResult> {
  const dryRun = input.dryRun === true;
  const outcome = await singleStepOperation(acts, 'ledger_rebuild', input, dryRun ? { dryRun } : {}, async (runId) => {
    const result = await acts.ledgerRebuild({ definitionId: input.definitionId, runRowId: runId, context: input.context, dryRun });
    return { counts: { ...result.counts, dryRun: dryRun ? 1 : 0 } };
  });
  return outcome.status === 'forwarded' ? { ...outcome, counts: {} } : { runRowId: outcome.runRowId, status: 'succeeded', counts: outcome.result.counts };
}
