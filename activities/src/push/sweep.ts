import { CancelledFailure, Context } from '@temporalio/activity';
import { clearMarks, ledgerPage, markedPage, markGone } from '@syncbridge/shared/domain';
import { decodeSourceKey, InvalidSourceKeyError } from '@syncbridge/shared/mapping';
import type { RunContext } from '@syncbridge/shared/temporal';
import { activityLog, type ActivityDeps } from '../deps.ts';
import { loadRunContext, type DefinitionContext } from '../sync/definition.ts';
import { groupInto } from './apply.ts';
import type { StepResult } from './batch.ts';
import { commitBatch } from './commit.ts';
import { renewLease, sourceOf, tableRef, targetLists } from './context.ts';

/*
 * Deletes only on positive evidence, and never in bulk without a check. The sweep runs in two
 * steps around the mass-delete guard:
 * 1. scan: every ledger key is looked up at the source by its lossless key (keysPresent, the
 *    column types' own equality); entries whose row is gone are marked with the run's id.
 *    Nothing is deleted. A key that cannot be decoded or looked up is never evidence.
 * 2. apply (after the guard let it through): marked entries are looked up once more (a row may
 *    have come back while a person decided), and only those still gone are deleted.
 */

// Large pages: one source statement per 10,000 ledger keys (a 1,000,000-row table is 100 round trips).
const SCAN_PAGE = 10_000;
const APPLY_PAGE = 500;

export interface SweepInput {
  definitionId: string;
  runRowId: string;
  afterKey: string | null;
  context: RunContext;
}

/** The decodable keys of a ledger page; undecodable ones are reported and never deleted. */
function decodeKeys(entries: Array<{ sourceKey: string }>, keyWidth: number, log: ReturnType<typeof activityLog>) {
  const ok: Array<{ index: number; key: string[] }> = [];
  entries.forEach((e, index) => {
    try {
      const key = decodeSourceKey(e.sourceKey);
      if (key.length === keyWidth && key.every((k) => k !== null)) ok.push({ index, key: key as string[] });
      else log.warn({ sourceKey: e.sourceKey }, 'ledger key does not fit the key columns; not treated as deleted');
    } catch (err) {
      if (!(err instanceof InvalidSourceKeyError)) throw err;
      log.warn({ sourceKey: e.sourceKey }, 'ledger key cannot be decoded; not treated as deleted');
    }
  });
  return ok;
}

/** Which entries' rows are gone at the source, by lookup of their lossless keys. */
async function goneAtSource<T extends { sourceKey: string }>(
  deps: ActivityDeps,
  ctx: DefinitionContext,
  entries: T[],
  log: ReturnType<typeof activityLog>,
): Promise<{ gone: T[]; present: T[] }> {
  const d = ctx.definition;
  const decoded = decodeKeys(entries, d.keyColumns.length, log);
  const source = sourceOf(deps, ctx);
  // A row marked soft-deleted is gone as far as the lists are concerned.
  const found = await source.keysPresent({
    ...tableRef(ctx),
    keyColumns: d.keyColumns,
    keys: decoded.map((k) => k.key),
    softDeleteColumn: d.ingressDeletePolicy === 'soft_delete' ? d.softDeleteColumn : null,
  });
  const goneIndexes = new Set(decoded.filter((_, i) => !found.has(i)).map((k) => k.index));
  return { gone: entries.filter((_, i) => goneIndexes.has(i)), present: entries.filter((_, i) => !goneIndexes.has(i)) };
}

/** Step 1: marks the ledger entries whose rows are gone, one page of the ledger per call. */
export async function sweepScan(deps: ActivityDeps, input: SweepInput): Promise<StepResult> {
  const log = activityLog(deps, input.context);
  const { db } = deps.store;
  const ctx = await loadRunContext(deps, input);
  const d = ctx.definition;
  await renewLease(deps, d.id, Context.current().info.workflowExecution?.workflowId ?? '');
  // A run to one list only deletes nothing: deletions are an ordinary run's (its sweep sees every list).
  if (ctx.onlyTargetId) return { counts: {}, nextAfterKey: input.afterKey, done: true };
  if (input.afterKey === null) {
    const due = await sweepDue(deps, d.id, input.runRowId);
    if (!due) {
      // Rows soft-deleted since the last run were marked as the upsert read them; hard deletes wait for the next sweep.
      log.info({ definitionId: d.id }, 'delete sweep not due (definition deleteSweep)');
      return { counts: {}, nextAfterKey: null, done: true };
    }
    // Marks of earlier runs (rejected, cancelled) are stale: this scan decides afresh.
    await clearMarks(db, d.id, null);
  }
  const page = await ledgerPage(db, d.id, input.afterKey, SCAN_PAGE);
  if (page.length < SCAN_PAGE) await sweptAt(deps, d.id);
  if (page.length === 0) return { counts: {}, nextAfterKey: input.afterKey, done: true };
  const { gone } = await goneAtSource(deps, ctx, page, log);
  await markGone(
    db,
    d.id,
    input.runRowId,
    gone.map((g) => g.sourceKey),
  );
  return { counts: { deleteCandidates: gone.length }, nextAfterKey: page.at(-1)!.sourceKey, done: page.length < SCAN_PAGE };
}

/**
 * Whether this run compares the whole ledger with the source (definition deleteSweep): a full pass
 * always does; otherwise every run, at most once per interval (read when the sweep would start), or never.
 * A logical-replication run sweeps only on an interval.
 */
async function sweepDue(deps: ActivityDeps, definitionId: string, runRowId: string): Promise<boolean> {
  // Timestamps compared in SQL: one clock (the meta-store's) for every worker.
  const [row] = await deps.store.sql<Array<{ mode: string; pass: string | null; interval_passed: boolean }>>`
    select d.delete_sweep as mode, r.progress->>'pass' as pass,
      (d.last_delete_sweep_at is null
        or clock_timestamp() - d.last_delete_sweep_at >= coalesce(d.delete_sweep_interval_seconds, 0) * interval '1 second') as interval_passed
    from sync_definitions d left join sync_runs r on r.id = ${runRowId}::uuid where d.id = ${definitionId}::uuid`;
  if (!row || row.pass === 'full') return true;
  // Logical capture reads deletions from the log: only an interval sweep (a safety net the user chose) compares the whole ledger.
  if (row.pass === 'logical') return row.mode === 'interval' && row.interval_passed;
  if (row.mode === 'every_run') return true;
  if (row.mode === 'off') return false;
  return row.interval_passed;
}

async function sweptAt(deps: ActivityDeps, definitionId: string): Promise<void> {
  await deps.store.sql`update sync_definitions set last_delete_sweep_at = clock_timestamp() where id = ${definitionId}::uuid`;
}

/** Step 2: deletes the list items of marked entries whose rows are still gone. */
export async function sweepApply(deps: ActivityDeps, input: SweepInput): Promise<StepResult> {
  const log = activityLog(deps, input.context);
  const activity = Context.current();
  const { db } = deps.store;
  const ctx = await loadRunContext(deps, input);
  const d = ctx.definition;
  await renewLease(deps, d.id, activity.info.workflowExecution?.workflowId ?? '');
  const page = await markedPage(db, d.id, input.runRowId, input.afterKey, APPLY_PAGE);
  if (page.length === 0) return { counts: {}, nextAfterKey: input.afterKey, done: true };
  const { gone, present } = await goneAtSource(deps, ctx, page, log);

  const lists = targetLists(deps, ctx);
  const deleted: typeof page = [];
  const transient: string[] = [];
  const byTarget = new Map<string, typeof gone>();
  for (const g of gone) {
    if (!g.targetId || !g.listItemId || !lists.has(g.targetId)) deleted.push(g);
    else groupInto(byTarget, g.targetId, g);
  }
  const signal = activity.cancellationSignal;
  for (const [targetId, group] of byTarget) {
    if (signal.aborted) break;
    const list = lists.get(targetId)!;
    try {
      const results = await list.graph.deleteItems(
        list.siteId,
        list.listId,
        group.map((g) => ({ id: g.sourceKey, itemId: g.listItemId! })),
        { signal },
      );
      results.forEach((r, i) => (r.ok ? deleted.push(group[i]!) : transient.push(`${group[i]!.sourceKey}: ${r.status} ${r.code}`)));
    } catch (err) {
      if (!signal.aborted) throw err;
    }
    activity.heartbeat({ phase: 'deleting' });
  }
  await commitBatch(db, {
    definitionId: d.id,
    runRowId: input.runRowId,
    applied: [],
    deleted,
    kept: present.map((p) => p.sourceKey),
    quarantined: [],
    healthyKeys: [],
    counts: { deleted: deleted.length },
  });
  if (signal.aborted) throw new CancelledFailure('the run was cancelled; the deletions that completed are committed');
  if (transient.length) throw new Error(`${transient.length} delete(s) failed (first: ${transient[0]}); retrying the page`);
  if (deleted.length) log.info({ definitionId: d.id, deleted: deleted.length, kept: present.length }, 'deleted rows removed from lists');
  return { counts: { deleted: deleted.length }, nextAfterKey: page.at(-1)!.sourceKey, done: page.length < APPLY_PAGE };
}

/**
 * The sweep of runs started before the mass-delete guard existed (their workflow code calls
 * this activity): it deletes nothing. Their run ends without deletions; the next run scans,
 * checks the guard and deletes what is really gone.
 */
export function legacySweepDeletedRows(): StepResult {
  return { counts: {}, nextAfterKey: null, done: true };
}
