import { onlyTargetOf } from '../sync/runs.ts';
import type { RunContext } from '@syncbridge/shared/temporal';
import { withHeartbeat, type ActivityDeps } from '../deps.ts';
import { invalid, loadRunContext } from '../sync/definition.ts';
import { ingressPage, type IngressPageInput, type IngressPageResult } from './page.ts';
import { applyConflictResolutions } from './resolutions.ts';

export type { IngressPageInput, IngressPageResult } from './page.ts';

export function createIngressActivities(deps: ActivityDeps) {
  return {
    /** The run's target lists ingress reads, in a stable order (lists not provisioned yet are skipped: nothing to read). */
    async ingressTargets(input: { definitionId: string; runRowId: string }): Promise<string[]> {
      const ctx = await loadRunContext(deps, input);
      if (ctx.definition.direction === 'push') {
        throw invalid("the definition's direction is push: ingress never writes to its table; set direction to ingress or both first");
      }
      return ctx.targets
        .filter((t) => t.listId)
        .map((t) => t.id)
        .sort();
    },

    /**
     * The lists a push of this run reads back first: all of them for a two-way definition
     * (direction both: one cycle per run, ingress then push), none otherwise.
     */
    async cycleIngressTargets(input: { definitionId: string; runRowId: string }): Promise<string[]> {
      const ctx = await loadRunContext(deps, input);
      if (ctx.definition.direction !== 'both') return [];
      const only = await onlyTargetOf(deps.store.db, input.runRowId);
      return ctx.targets
        .filter((t) => t.listId && (!only || t.id === only))
        .map((t) => t.id)
        .sort();
    },

    /** One delta page of one list, applied to the table (page.ts). */
    async ingressPage(input: IngressPageInput): Promise<IngressPageResult> {
      return withHeartbeat(() => ingressPage(deps, input));
    },

    /** Conflicts resolved through the API and not applied yet, written to the table and the lists (resolutions.ts); at the start of an ingress run. */
    async applyConflictResolutions(input: { definitionId: string; runRowId: string; context: RunContext }): Promise<{ counts: Record<string, number> }> {
      return withHeartbeat(() => applyConflictResolutions(deps, input));
    },
  };
}

export type IngressActivities = ReturnType<typeof createIngressActivities>;
