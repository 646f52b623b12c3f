import { ApplicationFailure } from '@temporalio/workflow';
import type { OperationKind, OperationRequest } from '@syncbridge/shared/operations';

/**
 * How the coordinator starts each operation kind: its workflow type and input. A new
 * operation kind adds a line here (and its workflow to the barrel).
 */
export function childStart(
  kind: OperationKind,
  op: { definitionId: string; runId: string; request: OperationRequest },
): { workflowType: string; args: unknown[] } {
  const context = { requestId: op.request.requestId, requestedBy: op.request.requestedBy };
  switch (kind) {
    case 'push':
      return {
        workflowType: 'pushSyncWorkflow',
        args: [{ definitionId: op.definitionId, runId: op.runId, context, trigger: op.request.trigger, fullResync: op.request.options?.fullResync === true }],
      };
    case 'ingress':
      return { workflowType: 'ingressWorkflow', args: [{ definitionId: op.definitionId, runId: op.runId, context }] };
    case 'provision':
      return { workflowType: 'provisionDefinitionWorkflow', args: [{ definitionId: op.definitionId, runId: op.runId, context }] };
    case 'drift_check':
      return { workflowType: 'driftCheckWorkflow', args: [{ definitionId: op.definitionId, runId: op.runId, context }] };
    case 'drift_repair':
      return {
        workflowType: 'driftRepairWorkflow',
        args: [
          {
            definitionId: op.definitionId,
            runId: op.runId,
            context,
            reportId: typeof op.request.options?.reportId === 'string' ? op.request.options.reportId : null,
            dryRun: op.request.options?.dryRun === true,
          },
        ],
      };
    case 'reshard':
      return {
        workflowType: 'reshardWorkflow',
        args: [
          {
            definitionId: op.definitionId,
            runId: op.runId,
            context,
            dryRun: op.request.options?.dryRun === true,
            approve: op.request.options?.approve === true,
          },
        ],
      };
    case 'rebind': {
      const o = op.request.options ?? {};
      return {
        workflowType: 'rebindWorkflow',
        args: [
          {
            definitionId: op.definitionId,
            runId: op.runId,
            context,
            toInstanceId: typeof o.toInstanceId === 'string' ? o.toInstanceId : '',
            cursor: o.cursor === 'full' ? 'full' : 'keep',
            rewindSeconds: typeof o.rewindSeconds === 'number' ? o.rewindSeconds : 3600,
            promote: o.promote === true,
            dryRun: o.dryRun === true,
            approve: o.approve === true,
          },
        ],
      };
    }
    case 'ledger_rebuild':
      return {
        workflowType: 'ledgerRebuildWorkflow',
        args: [{ definitionId: op.definitionId, runId: op.runId, context, dryRun: op.request.options?.dryRun === true }],
      };
    default:
      throw ApplicationFailure.nonRetryable(`the ${kind} operation is not available in this version`, 'NotAvailable');
  }
}
