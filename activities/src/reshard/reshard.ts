import { Context } from '@temporalio/activity';
import { and, eq, inArray } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { decodeSourceKey, encodeSourceKey } from '@syncbridge/shared/mapping';
import type { RunContext } from '@syncbridge/shared/temporal';
import { activityLog, type ActivityDeps } from '../deps.ts';
import { applyWrites } from '../push/apply.ts';
import { commitBatch } from '../push/commit.ts';
import { sourceOf, tableRef, targetLists } from '../push/context.ts';
import { keyFamiliesOf, planContextOf, prepareRow, type PlannedWrite } from '../push/plan.ts';
import { invalid, loadRunContext } from '../sync/definition.ts';
import { LookupLoader } from '../sync/lookups.ts';
import { sourceTableAndColumns } from '../sync/table.ts';

/*
 * Re-shard: after routing rules or targets changed, the items whose rows now route to another
 * list move there.
 * 1. plan: the table read in key order, each row routed as push routes it (prepareRow), and
 *    compared with the list its ledger entry names; each difference is a move (source list ->
 *    destination list). Rows the ledger does not know are push's to create, not moves. The plan
 *    (operation_plans) counts moves per source and destination list and lists every move.
 * 2. apply, a chunk of moves per activity: each row read again and routed again (a row changed
 *    or re-routed since the plan goes where it routes now; one gone is left to push's delete
 *    sweep); a move is push's move: created in the destination (an item a crashed attempt
 *    already created there is found by its key and adopted, never duplicated), then deleted
 *    from the source, and the ledger switched once, in push's commit. A chunk repeated after a
 *    crash finds the moves it made already done (the ledger names the destination).
 */

export interface ReshardPlanInput {
  definitionId: string;
  runRowId: string;
  context: RunContext;
}

export interface ReshardAction {
  op: 'move';
  sourceKey: string;
  fromTargetId: string;
  listItemId: string;
  targetId: string;
}

export interface ReshardPlanResult {
  total: number;
  summary: string;
  counts: Record<string, number>;
}

/** Moves per apply activity (one `$batch` round of creates and one of deletes per list, then one commit). */
export const RESHARD_CHUNK = 500;

export async function planReshard(deps: ActivityDeps, input: ReshardPlanInput): Promise<ReshardPlanResult> {
  const log = activityLog(deps, input.context);
  const activity = Context.current();
  const { db } = deps.store;
  const ctx = await loadRunContext(deps, input);
  const d = ctx.definition;
  const { table, columns } = await sourceTableAndColumns(deps, ctx);
  const lists = targetLists(deps, ctx);
  const loader = new LookupLoader(deps, ctx.mappings, lists);
  const planCtx = { ...planContextOf(ctx, table), lookupsFor: (targetId: string) => loader.forTarget(targetId) };
  const L = schema.syncLedger;
  const entries = await db.select({ sourceKey: L.sourceKey, targetId: L.targetId, listItemId: L.listItemId }).from(L).where(eq(L.definitionId, d.id));
  const ledger = new Map(entries.map((e) => [e.sourceKey, e]));
  const counts: Record<string, number> = { rowsRead: 0, moves: 0, inPlace: 0, notInLedger: 0, rowsNotWritten: 0, entriesWithoutList: 0 };
  const actions: ReshardAction[] = [];
  const source = sourceOf(deps, ctx);
  let afterKey: string[] | null = null;
  for (;;) {
    const page = await source.readByKey({ ...tableRef(ctx), columns, keyColumns: d.keyColumns, afterKey, limit: 2_000 });
    await loader.addRows(page.rows, table);
    page.rows.forEach((values, i) => {
      counts.rowsRead!++;
      const prepared = prepareRow({ values, key: page.keys[i]! }, planCtx);
      if ('reason' in prepared) return void counts.rowsNotWritten!++;
      const entry = ledger.get(prepared.sourceKey);
      if (!entry) return void counts.notInLedger!++;
      if (!entry.targetId || !entry.listItemId || !lists.has(entry.targetId)) return void counts.entriesWithoutList!++;
      if (entry.targetId === prepared.targetId) return void counts.inPlace!++;
      actions.push({ op: 'move', sourceKey: prepared.sourceKey, fromTargetId: entry.targetId, listItemId: entry.listItemId, targetId: prepared.targetId });
    });
    activity.heartbeat({ phase: 'planning', rows: counts.rowsRead });
    if (!page.hasMore || !page.lastKey) break;
    afterKey = page.lastKey;
  }
  counts.moves = actions.length;
  const names = new Map(ctx.targets.map((t) => [t.id, t.listDisplayName]));
  const byClass: Record<string, Record<string, number>> = {};
  for (const a of actions) {
    const from = names.get(a.fromTargetId) ?? a.fromTargetId;
    const to = names.get(a.targetId) ?? a.targetId;
    byClass[from] = { ...(byClass[from] ?? {}), [to]: (byClass[from]?.[to] ?? 0) + 1 };
  }
  const moves = Object.entries(byClass)
    .flatMap(([from, tos]) => Object.entries(tos).map(([to, n]) => `${n} from "${from}" to "${to}"`))
    .join(', ');
  const total = actions.length;
  const summary =
    total === 0
      ? 'Nothing to move: every item is in the list its row routes to.'
      : `Reshard plan: ${total} move(s): ${moves}. Nothing was moved yet. Approve with POST /v1/sync-runs/${input.runRowId}/approve-plan, reject with .../reject-plan; the plan: GET /v1/sync-runs/${input.runRowId}/plan.`;
  const planSummary = { total, byClass, comparison: counts };
  await db
    .insert(schema.operationPlans)
    .values({ definitionId: d.id, runId: input.runRowId, kind: 'reshard', summary: planSummary, actions, status: 'planned' })
    .onConflictDoUpdate({
      target: schema.operationPlans.runId,
      set: { summary: planSummary, actions, status: 'planned', outcome: null, updatedAt: new Date() },
    });
  log.info({ definitionId: d.id, runId: input.runRowId, total }, 'reshard planned');
  return { total, summary, counts: { plannedMoves: total, rowsRead: counts.rowsRead!, inPlace: counts.inPlace! } };
}

interface ChunkOutcome {
  done: Record<string, number>;
  failed: number;
  failures: Array<{ action: ReshardAction; reason: string }>;
  next: number;
}

/** Applies moves [at, at + RESHARD_CHUNK) of the run's plan; returns where the next chunk starts. */
export async function applyReshardChunk(
  deps: ActivityDeps,
  input: { definitionId: string; runRowId: string; context: RunContext; at: number },
): Promise<{ next: number; total: number; counts: Record<string, number> }> {
  const activity = Context.current();
  const { db } = deps.store;
  const [plan] = await db.select().from(schema.operationPlans).where(eq(schema.operationPlans.runId, input.runRowId));
  if (!plan || plan.kind !== 'reshard') throw invalid(`run ${input.runRowId} has no reshard plan`);
  const all = plan.actions as ReshardAction[];
  const chunk = all.slice(input.at, input.at + RESHARD_CHUNK);
  const next = Math.min(all.length, input.at + RESHARD_CHUNK);
  const ctx = await loadRunContext(deps, input);
  const d = ctx.definition;
  const { table, columns } = await sourceTableAndColumns(deps, ctx);
  const lists = targetLists(deps, ctx);
  const families = keyFamiliesOf(table, d.keyColumns);
  const loader = new LookupLoader(deps, ctx.mappings, lists);
  const planCtx = { ...planContextOf(ctx, table), lookupsFor: (targetId: string) => loader.forTarget(targetId) };
  const counts: Record<string, number> = { moved: 0, alreadyMoved: 0, rowGone: 0, moveFailed: 0 };
  const failures: ChunkOutcome['failures'] = [];

  const read = chunk.length
    ? await sourceOf(deps, ctx).readByKeys({
        ...tableRef(ctx),
        columns,
        keyColumns: d.keyColumns,
        keys: chunk.map((a) => decodeSourceKey(a.sourceKey).map((k) => (k === null ? '' : String(k)))),
      })
    : { rows: [], keys: [] };
  await loader.addRows(read.rows, table);
  const rows = new Map(read.rows.map((values, i) => [encodeSourceKey(read.keys[i]!, families), { values, key: read.keys[i]! }]));
  const L = schema.syncLedger;
  const now = chunk.length
    ? await db
        .select({ sourceKey: L.sourceKey, targetId: L.targetId, listItemId: L.listItemId })
        .from(L)
        .where(
          and(
            eq(L.definitionId, d.id),
            inArray(
              L.sourceKey,
              chunk.map((a) => a.sourceKey),
            ),
          ),
        )
    : [];
  const ledger = new Map(now.map((e) => [e.sourceKey, e]));
  const writes: PlannedWrite[] = [];
  const byKey = new Map(chunk.map((a) => [a.sourceKey, a]));
  for (const a of chunk) {
    const row = rows.get(a.sourceKey);
    const entry = ledger.get(a.sourceKey);
    if (!row || !entry?.targetId || !entry.listItemId) {
      // Deleted since the plan (push's delete sweep removes its item), or no longer in the ledger.
      counts.rowGone!++;
      continue;
    }
    const prepared = prepareRow(row, planCtx);
    if ('reason' in prepared) {
      failures.push({ action: a, reason: prepared.reason });
      continue;
    }
    // A chunk repeated after a crash: the ledger already names the list the row routes to.
    if (entry.targetId === prepared.targetId) {
      counts.alreadyMoved!++;
      continue;
    }
    writes.push({ kind: 'move', row: prepared, from: { targetId: entry.targetId, listItemId: entry.listItemId } });
  }
  const outcome = await applyWrites(writes, lists, {
    heartbeat: () => activity.heartbeat({ phase: 'moving', at: input.at }),
    signal: activity.cancellationSignal,
  });
  counts.moved = outcome.applied.length;
  for (const q of outcome.quarantined) failures.push({ action: byKey.get(q.sourceKey)!, reason: q.reason });
  for (const t of outcome.transient) failures.push({ action: byKey.get(t.sourceKey)!, reason: t.message });
  counts.moveFailed = failures.length;
  await commitBatch(db, {
    definitionId: d.id,
    runRowId: input.runRowId,
    applied: outcome.applied,
    deleted: [],
    quarantined: outcome.quarantined,
    healthyKeys: outcome.applied.map((a) => a.sourceKey),
    counts: {},
  });
  // The plan's outcome grows chunk by chunk (the first 100 failures are kept).
  const before = (plan.outcome as ChunkOutcome | null) ?? { done: {}, failed: 0, failures: [], next: 0 };
  const done = { ...before.done };
  for (const k of ['moved', 'alreadyMoved', 'rowGone'] as const) done[k] = (done[k] ?? 0) + counts[k]!;
  const merged: ChunkOutcome = { done, failed: before.failed + failures.length, failures: [...before.failures, ...failures].slice(0, 100), next };
  await db
    .update(schema.operationPlans)
    .set({ outcome: merged, status: next >= all.length ? 'applied' : 'approved', updatedAt: new Date() })
    .where(eq(schema.operationPlans.runId, input.runRowId));
  return { next, total: all.length, counts };
}
