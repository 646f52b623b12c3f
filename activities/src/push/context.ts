import { createHash } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import type { ActivityDeps } from '../deps.ts';
import { gatewayFor, invalid, routingTargets, type DefinitionContext } from '../sync/definition.ts';
import type { TargetList } from './apply.ts';
import type { LedgerEntry } from './plan.ts';

/**
 * Version of the key text SyncBridge writes. 2: lossless canonical texts read from the
 * database (ISO 8601 timestamps with every digit, char(n) without blanks). A change makes
 * the next run a full pass, which moves each ledger entry to its new key.
 */
export const KEY_ENCODING_VERSION = 2;

/** Lease of the definition's one writing run; renewed by every batch and while a run waits. */
export const LEASE = sql`now() + interval '15 minutes'`;

/** What decides whether rows synced before must be looked at again: mapping, keys, routing, key encoding. */
export function definitionFingerprint(ctx: DefinitionContext): string {
  const d = ctx.definition;
  const mappings = [...ctx.mappings].sort((a, b) => a.sourceColumn.localeCompare(b.sourceColumn));
  const targets = routingTargets(ctx.targets).sort((a, b) => a.id.localeCompare(b.id));
  return createHash('sha256')
    .update(JSON.stringify({ mappings, keys: d.keyColumns, strategy: d.targetStrategy, targets, keyEncoding: KEY_ENCODING_VERSION }))
    .digest('hex');
}

export function targetLists(deps: ActivityDeps, ctx: DefinitionContext): Map<string, TargetList> {
  const lists = new Map<string, TargetList>();
  for (const t of ctx.targets) {
    if (!t.listId) throw invalid(`target "${t.listDisplayName}" is not provisioned yet; run POST /v1/sync-definitions/${ctx.definition.id}/provision`);
    lists.set(t.id, { id: t.id, siteId: t.siteId, listId: t.listId, graph: gatewayFor(deps, t.connection) });
  }
  return lists;
}

export async function loadLedger(deps: ActivityDeps, definitionId: string, keys: string[]): Promise<Map<string, LedgerEntry>> {
  if (keys.length === 0) return new Map();
  const rows = await deps.store.db
    .select({ sourceKey: schema.syncLedger.sourceKey, targetId: schema.syncLedger.targetId, listItemId: schema.syncLedger.listItemId, contentHash: schema.syncLedger.contentHash })
    .from(schema.syncLedger)
    .where(and(eq(schema.syncLedger.definitionId, definitionId), inArray(schema.syncLedger.sourceKey, keys)));
  return new Map(rows.map((r) => [r.sourceKey, r]));
}

export const tableRef = (ctx: DefinitionContext) => ({ schema: ctx.definition.sourceSchema, table: ctx.definition.sourceTable });

/** Keeps the run's lease on the definition (only while this workflow holds it). */
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
