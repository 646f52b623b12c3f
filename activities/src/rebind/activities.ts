import type { OperationKind } from '@syncbridge/shared/domain';
import type { RunContext } from '@syncbridge/shared/temporal';
import { withHeartbeat, type ActivityDeps } from '../deps.ts';
import { applyRebind, checkRebind, requestCatchUpPush, setSchedulesPaused, type RebindCheck, type RebindInput } from './rebind.ts';

export type { RebindCheck, RebindInput, RebindOptions } from './rebind.ts';

export function createRebindActivities(deps: ActivityDeps) {
  return {
    /** Checks the instance a rebind run moves to and stores the report as its plan (rebind.ts); changes nothing. */
    async checkRebind(input: RebindInput): Promise<RebindCheck> {
      return withHeartbeat(() => checkRebind(deps, input));
    },
    /** Pauses the definition's schedules (returns those it paused) or resumes the given ones. */
    async setSchedulesPaused(input: { definitionId: string; runRowId: string; paused: boolean; kinds?: OperationKind[] }): Promise<OperationKind[]> {
      return setSchedulesPaused(deps, input);
    },
    /** Binds the definition to the new instance and re-baselines its push cursor. */
    async applyRebind(input: RebindInput): Promise<{ counts: Record<string, number> }> {
      return withHeartbeat(() => applyRebind(deps, input));
    },
    /** Asks the coordinator for the catch-up push (it starts once the rebind run ends); returns its run id. */
    async requestCatchUpPush(input: { definitionId: string; runRowId: string; context: RunContext }): Promise<string> {
      return requestCatchUpPush(deps, input);
    },
  };
}

export type RebindActivities = ReturnType<typeof createRebindActivities>;
