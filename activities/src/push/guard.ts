import { and, asc, eq, sql } from 'drizzle-orm';
import { clearMarks, markedPerTarget } from '@syncbridge/shared/domain';
import { schema } from '@syncbridge/shared/db';
import { decodeSourceKey } from '@syncbridge/shared/mapping';
import type { RunContext } from '@syncbridge/shared/temporal';
import { activityLog, type ActivityDeps } from '../deps.ts';
import { loadRunContext } from '../sync/definition.ts';

/*
 * Accidental-delete prevention, as directory sync tools have it: a run that would delete more
 * than a threshold of one list deletes nothing and waits for a person. Per list, the limit is
 * the smaller of `deleteGuardMaxItems` and `deleteGuardMaxPercent` percent of the list's items
 * (at least 1 when a percentage is set, so a small list can lose one item unasked).
 */

export interface GuardList {
  targetId: string | null;
  listDisplayName: string | null;
  deletions: number;
  items: number;
  limit: number | null;
}

export interface GuardVerdict {
  held: boolean;
  deletions: number;
  lists: GuardList[];
  /** One line for people (the Temporal Web UI's current details, logs). */
  summary: string;
}

export function limitFor(items: number, maxItems: number | null, maxPercent: number | null): number | null {
  const byPercent = maxPercent === null ? null : maxPercent === 0 ? 0 : Math.max(1, Math.floor((items * maxPercent) / 100));
  if (maxItems === null) return byPercent;
  return byPercent === null ? maxItems : Math.min(maxItems, byPercent);
}

const SAMPLE = 20;

/** Counts the marked deletions per list and decides; a held run is marked awaiting_approval with what it holds. */
export async function evaluateDeleteGuard(deps: ActivityDeps, input: { definitionId: string; runRowId: string; context: RunContext }): Promise<GuardVerdict> {
  const log = activityLog(deps, input.context);
  const { db } = deps.store;
  const ctx = await loadRunContext(deps, { definitionId: input.definitionId, runRowId: input.runRowId });
  const d = ctx.definition;
  // The limits are read live: raising them is how a person lets a held run go on.
  const [limits] = await db
    .select({ maxItems: schema.syncDefinitions.deleteGuardMaxItems, maxPercent: schema.syncDefinitions.deleteGuardMaxPercent })
    .from(schema.syncDefinitions)
    .where(eq(schema.syncDefinitions.id, d.id));
  const maxItems = limits?.maxItems ?? null;
  const maxPercent = limits?.maxPercent ?? null;
  const names = new Map(ctx.targets.map((t) => [t.id, t.listDisplayName]));
  const counts = await markedPerTarget(db, d.id, input.runRowId);
  const lists: GuardList[] = counts
    .filter((c) => c.marked > 0)
    .map((c) => ({
      targetId: c.targetId,
      listDisplayName: c.targetId ? (names.get(c.targetId) ?? null) : null,
      deletions: c.marked,
      items: c.items,
      limit: limitFor(c.items, maxItems, maxPercent),
    }));
  const deletions = lists.reduce((n, l) => n + l.deletions, 0);
  const over = lists.filter((l) => l.limit !== null && l.deletions > l.limit);
  if (over.length === 0) {
    await db
      .update(schema.syncRuns)
      .set({ status: 'running' })
      .where(and(eq(schema.syncRuns.id, input.runRowId), eq(schema.syncRuns.status, 'awaiting_approval')));
    return { held: false, deletions, lists, summary: `${deletions} deletion(s) within the guard` };
  }
  const sample = await db
    .select({ sourceKey: schema.syncLedger.sourceKey })
    .from(schema.syncLedger)
    .where(and(eq(schema.syncLedger.definitionId, d.id), eq(schema.syncLedger.sweepRunId, input.runRowId)))
    .orderBy(asc(schema.syncLedger.sourceKey))
    .limit(SAMPLE);
  const worst = over[0]!;
  const summary =
    `Mass-delete guard: this run would delete ${deletions} item(s); ${worst.deletions} of ${worst.items} in list "${worst.listDisplayName ?? worst.targetId}" is over the limit of ${worst.limit}. ` +
    `Nothing was deleted. Approve with POST /v1/sync-runs/${input.runRowId}/approve-deletions, reject with .../reject-deletions, or raise the definition's deleteGuardMaxItems/deleteGuardMaxPercent.`;
  const hold = {
    kind: 'mass-delete',
    since: new Date().toISOString(),
    deletions,
    lists,
    sampleKeys: sample.map((s) => safeDecode(s.sourceKey)),
    guard: { maxItems, maxPercent },
    message: summary,
  };
  await db.update(schema.syncRuns).set({ status: 'awaiting_approval', hold }).where(eq(schema.syncRuns.id, input.runRowId));
  log.warn({ definitionId: d.id, deletions, lists: over }, 'mass-delete guard holds the run');
  return { held: true, deletions, lists, summary };
}

function safeDecode(key: string): Array<string | null> | string {
  try {
    return decodeSourceKey(key);
  } catch {
    return key;
  }
}

/** Records a person's decision on a held run; a rejection clears the marks, so nothing is deleted. */
export async function recordDeleteDecision(
  deps: ActivityDeps,
  input: { definitionId: string; runRowId: string; decision: 'approve' | 'reject'; by: string; context: RunContext },
): Promise<void> {
  const decided = { decision: input.decision === 'approve' ? 'approved' : 'rejected', by: input.by, at: new Date().toISOString() };
  if (input.decision === 'reject') await clearMarks(deps.store.db, input.definitionId, input.runRowId);
  await deps.store.db
    .update(schema.syncRuns)
    .set({ status: 'running', hold: sql`coalesce(${schema.syncRuns.hold}, '{}'::jsonb) || ${JSON.stringify({ decided })}::jsonb` })
    .where(eq(schema.syncRuns.id, input.runRowId));
  activityLog(deps, input.context).info({ definitionId: input.definitionId, runRowId: input.runRowId, ...decided }, 'mass-delete guard decision recorded');
}
