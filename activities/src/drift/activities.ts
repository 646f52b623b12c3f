import { withHeartbeat, type ActivityDeps } from '../deps.ts';
import { driftCheck, type DriftCheckInput, type DriftCheckResult } from './check.ts';

export type { DriftCheckInput, DriftCheckResult } from './check.ts';

export function createDriftActivities(deps: ActivityDeps) {
  return {
    /** Compares the table, the ledger and the lists of a run's definition and stores a drift report (check.ts); changes nothing. */
    async driftCheck(input: DriftCheckInput): Promise<DriftCheckResult> {
      return withHeartbeat(() => driftCheck(deps, input));
    },
  };
}

export type DriftActivities = ReturnType<typeof createDriftActivities>;
