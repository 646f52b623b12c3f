import { withHeartbeat, type ActivityDeps } from '../deps.ts';
import { driftCheck, type DriftCheckInput, type DriftCheckResult } from './check.ts';
import { applyDriftRepair, planDriftRepair, type RepairPlanInput, type RepairPlanResult } from './repair.ts';
import type { RunContext } from '@syncbridge/shared/temporal';

export type { DriftCheckInput, DriftCheckResult } from './check.ts';
export type { RepairPlanInput, RepairPlanResult } from './repair.ts';

export function createDriftActivities(deps: ActivityDeps) {
  return {
    /** Compares the table, the ledger and the lists of a run's definition and stores a drift report (check.ts); changes nothing. */
    async driftCheck(input: DriftCheckInput): Promise<DriftCheckResult> {
      return withHeartbeat(() => driftCheck(deps, input));
    },

    /** Compares again and stores the repair plan of a drift_repair run (repair.ts); says whether a person must approve it. */
    async planDriftRepair(input: RepairPlanInput): Promise<RepairPlanResult> {
      return withHeartbeat(() => planDriftRepair(deps, input));
    },

    /** Applies a stored drift repair plan and records each action's outcome (repair.ts). */
    async applyDriftRepair(input: { definitionId: string; runRowId: string; context: RunContext }): Promise<{ counts: Record<string, number> }> {
      return withHeartbeat(() => applyDriftRepair(deps, input));
    },
  };
}

export type DriftActivities = ReturnType<typeof createDriftActivities>;
