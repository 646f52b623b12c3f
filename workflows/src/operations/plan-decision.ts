import { condition, defineSignal, setHandler } from '@temporalio/workflow';
import type { OperationActivities } from '@syncbridge/activities';

/*
 * The approval step of operations that plan before they act (drift repair, reshard): the run is
 * held with its plan's summary until a person approves or rejects it through the API
 * (POST /v1/sync-runs/{id}/approve-plan, .../reject-plan), or goes on at once when auto-approved.
 */

export interface PlanDecision {
  decision: 'approve' | 'reject';
  by: string;
}

export const planDecisionSignal = defineSignal<[PlanDecision]>('planDecision');

type Acts = Pick<OperationActivities, 'holdForApproval' | 'recordPlanDecision'>;

/** Registers the signal handler; call at the start of the workflow, then `decide` when the plan is made. */
export function planApproval(acts: Acts) {
  let decision: PlanDecision | undefined;
  setHandler(planDecisionSignal, (d) => void (decision ??= d));
  return {
    /** Waits for the decision (or takes `autoApproved`), records it, and says whether to apply. */
    async decide(hold: { runRowId: string; kind: string; summary: string; total: number }, autoApproved: string | null): Promise<boolean> {
      if (autoApproved) decision = { decision: 'approve', by: autoApproved };
      else {
        await acts.holdForApproval(hold);
        await condition(() => decision !== undefined);
      }
      await acts.recordPlanDecision({ runRowId: hold.runRowId, decision: decision!.decision, by: decision!.by });
      return decision!.decision === 'approve';
    },
  };
}
