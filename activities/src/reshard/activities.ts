import type { RunContext } from '@syncbridge/shared/temporal';
import { withHeartbeat, type ActivityDeps } from '../deps.ts';
import { applyReshardChunk, planReshard, type ReshardPlanInput, type ReshardPlanResult } from './reshard.ts';

export type { ReshardPlanInput, ReshardPlanResult } from './reshard.ts';

export function createReshardActivities(deps: ActivityDeps) {
  return {
    /** Routes every row as push would and stores the moves a reshard run makes (reshard.ts). */
    async planReshard(input: ReshardPlanInput): Promise<ReshardPlanResult> {
      return withHeartbeat(() => planReshard(deps, input));
    },

    /** Applies one chunk of a reshard plan's moves; returns where the next starts. */
    async applyReshardChunk(input: { definitionId: string; runRowId: string; context: RunContext; at: number }) {
      return withHeartbeat(() => applyReshardChunk(deps, input));
    },
  };
}

export type ReshardActivities = ReturnType<typeof createReshardActivities>;
