import { withHeartbeat, type ActivityDeps } from '../deps.ts';
import { ledgerRebuild, type LedgerRebuildInput, type LedgerRebuildResult } from './rebuild.ts';

export type { LedgerRebuildInput, LedgerRebuildResult } from './rebuild.ts';

export function createLedgerActivities(deps: ActivityDeps) {
  return {
    /** Rebuilds a run's definition ledger from its lists' key column (rebuild.ts); with dryRun, only counts. */
    async ledgerRebuild(input: LedgerRebuildInput): Promise<LedgerRebuildResult> {
      return withHeartbeat(() => ledgerRebuild(deps, input));
    },
  };
}

export type LedgerActivities = ReturnType<typeof createLedgerActivities>;
