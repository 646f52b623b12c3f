import { and, eq, sql } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { UnsupportedEngineError, type SourceSession } from '@syncbridge/shared/sources';
import type { ActivityDeps } from '../deps.ts';
import { gatewayFor, invalid, type DefinitionContext } from '../sync/definition.ts';
import type { TargetList } from './apply.ts';

/** Lease of push runs started by 0.1 (their workflow code takes it); renewed by every batch of such a run. */
export const LEASE = sql`now() + interval '15 minutes'`;

export function targetLists(deps: ActivityDeps, ctx: DefinitionContext): Map<string, TargetList> {
  const lists = new Map<string, TargetList>();
  for (const t of ctx.targets) {
    if (!t.listId) throw invalid(`target "${t.listDisplayName}" is not provisioned yet; run POST /v1/sync-definitions/${ctx.definition.id}/provision`);
    lists.set(t.id, { id: t.id, siteId: t.siteId, listId: t.listId, graph: gatewayFor(deps, t.connection) });
  }
  return lists;
}

export const tableRef = (ctx: DefinitionContext) => ({ schema: ctx.definition.sourceSchema, table: ctx.definition.sourceTable });

/** The session (pooled connections) to the run's source instance. */
export function sourceOf(deps: ActivityDeps, ctx: DefinitionContext): SourceSession {
  try {
    return deps.sources.get(ctx.instanceId, ctx.instanceVersion, ctx.source);
  } catch (err) {
    if (err instanceof UnsupportedEngineError) throw invalid(`source instance ${ctx.instanceId}: ${err.message}`);
    throw err;
  }
}

/** Keeps a 0.1 run's lease on the definition (only while that workflow holds it; no-op otherwise). */
export async function renewLease(deps: ActivityDeps, definitionId: string, workflowId: string): Promise<void> {
  await deps.store.db
    .update(schema.syncDefinitions)
    .set({ leaseExpiresAt: LEASE })
    .where(and(eq(schema.syncDefinitions.id, definitionId), eq(schema.syncDefinitions.leaseHolder, workflowId)));
}

/** Merges into the run's progress document (phase, rows to do, budget) in one statement. */
export async function mergeRunProgress(deps: ActivityDeps, runRowId: string, patch: Record<string, unknown>): Promise<void> {
  await deps.store.db
    .update(schema.syncRuns)
    .set({ progress: sql`${schema.syncRuns.progress} || ${JSON.stringify(patch)}::jsonb` })
    .where(eq(schema.syncRuns.id, runRowId));
}
