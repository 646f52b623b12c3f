import { onlyTargetOf } from '../sync/runs.ts';
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

const SCAN_PAGE = 2_000;
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
  // Marks of earlier runs (rejected, cancelled) are stale: this scan decides afresh.
  if (input.afterKey === null) await clearMarks(db, d.id, null);
  // A run to one list only deletes nothing: deletions are an ordinary run's (its sweep sees every list).
  if (await onlyTargetOf(db, input.runRowId)) return { counts: {}, nextAfterKey: input.afterKey, done: true };
  const page = await ledgerPage(db, d.id, input.afterKey, SCAN_PAGE);
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
