import { CancelledFailure, Context } from '@temporalio/activity';
import { decodeSourceKey, encodeSourceKey } from '@syncbridge/shared/mapping';
import type { RunContext } from '@syncbridge/shared/temporal';
import { activityLog, type ActivityDeps } from '../deps.ts';
import { loadRunContext } from '../sync/definition.ts';
import { LookupLoader } from '../sync/lookups.ts';
import { sourceTableAndColumns } from '../sync/table.ts';
import { applyWrites } from './apply.ts';
import { commitBatch, readCursor } from './commit.ts';
import { ledgerEntries, markGone } from '@syncbridge/shared/domain';
import { renewLease, sourceOf, tableRef, targetLists } from './context.ts';
import { ledgerKeysFor, planContextOf, planRows, type SourceRow } from './plan.ts';
import { readSlotChanges, releaseSlot } from './logical.ts';

/** watermark: rows past the cursor column's watermark; full: every row in key order; logical: the changes in the replication slot. */
export type PushPass = 'watermark' | 'full' | 'logical';

export interface StepResult {
  counts: Record<string, number>;
  nextAfterKey: string | null;
  done: boolean;
}

export interface PushBatchInput {
  definitionId: string;
  runRowId: string;
  pass: PushPass;
  afterKey: string | null;
  /** 0-based batch number of the run; the first batches are small so progress shows within seconds. */
  batchNumber?: number;
  context: RunContext;
}

/** Batches grow 25, 50, 100, ... up to the definition's batch size (a 500-row batch takes ~48 s at 1,250 RU/min). */
export function rampedBatchSize(batchSize: number, batchNumber: number | undefined): number {
  if (batchNumber === undefined) return batchSize;
  return Math.min(batchSize, 25 * 2 ** Math.min(batchNumber, 10));
}

/** Where a full pass is: the last key read, encoded without the list column's length limit (it never reaches SharePoint). */
const positionOf = (key: string[] | null, fallback: string | null) => (key ? encodeSourceKey(key, undefined, { unbounded: true }) : fallback);

/** One batch: read, convert, route, diff, write through $batch, commit ledger + cursor. */
export async function pushBatch(deps: ActivityDeps, input: PushBatchInput): Promise<StepResult> {
  const log = activityLog(deps, input.context);
  const activity = Context.current();
  const ctx = await loadRunContext(deps, input);
  const d = ctx.definition;
  const { table, columns } = await sourceTableAndColumns(deps, ctx);
  const source = sourceOf(deps, ctx);
  await renewLease(deps, d.id, activity.info.workflowExecution?.workflowId ?? '');
  const limit = rampedBatchSize(d.batchSize, input.batchNumber);

  let rows: SourceRow[];
  let hasMore: boolean;
  let lastKey: string[] | null = null;
  let cursorUpdate: Record<string, unknown> | undefined;
  /** Keys the log says were deleted (or whose row is gone by now): marked for the run's guarded delete. */
  let goneKeys: string[][] = [];
  /** The LSN to let the slot advance to once the batch is committed. */
  let releaseLsn: string | null = null;
  if (input.pass === 'logical') {
    const read = await readSlotChanges(deps, ctx, table, columns, limit);
    ({ rows, goneKeys, hasMore } = read);
    if (read.endLsn) {
      cursorUpdate = { ...read.cursor, lsn: read.endLsn };
      releaseLsn = read.endLsn;
    }
  } else if (input.pass === 'watermark') {
    const cursor = (await readCursor(deps.store.db, d.id, 'source_watermark')) ?? { watermark: null, key: null };
    const watermark = (cursor.watermark as string | null | undefined) ?? null;
    const key = (cursor.key as unknown[] | null | undefined) ?? [];
    const after = watermark === null && key.length === 0 ? null : { watermark, key };
    const page = await source.readByWatermark({ ...tableRef(ctx), columns, cursorColumn: d.cursorColumn!, keyColumns: d.keyColumns, after, limit });
    rows = page.rows.map((values, i) => ({ values, key: page.keys[i]! }));
    ({ hasMore } = page);
    lastKey = page.last?.key ?? null;
    if (page.last) cursorUpdate = { ...cursor, watermark: page.last.watermark, key: page.last.key };
  } else {
    const page = await source.readByKey({
      ...tableRef(ctx),
      columns,
      keyColumns: d.keyColumns,
      afterKey: input.afterKey ? decodeSourceKey(input.afterKey) : null,
      limit,
    });
    rows = page.rows.map((values, i) => ({ values, key: page.keys[i]! }));
    ({ hasMore, lastKey } = page);
  }
  activity.heartbeat({ phase: 'read', rows: rows.length });

  const lists = targetLists(deps, ctx);
  const lookups = new LookupLoader(deps, ctx.mappings, lists);
  await lookups.addRows(
    rows.map((r) => r.values),
    table,
  );
  const planContext = { ...planContextOf(ctx, table), lookupsFor: (targetId: string) => lookups.forTarget(targetId) };
  const ledger = await ledgerEntries(deps.store.db, d.id, ledgerKeysFor(rows, planContext));
  const planned = planRows(rows, ledger, planContext);
  // "Push this run to list X only": writes into other lists (and moves, which touch two) wait for an ordinary run.
  const onlyTarget = ctx.onlyTargetId;
  const plan = onlyTarget
    ? {
        ...planned,
        writes: planned.writes.filter((w) => w.kind !== 'move' && w.row.targetId === onlyTarget),
        unchanged: planned.unchanged.filter((u) => u.targetId === onlyTarget),
      }
    : planned;
  const skippedOtherLists = onlyTarget ? planned.writes.length - plan.writes.length + planned.unchanged.length - plan.unchanged.length : 0;
  const signal = activity.cancellationSignal;
  const outcome = await applyWrites(plan.writes, lists, { heartbeat: () => activity.heartbeat({ phase: 'writing' }), signal });
  activity.heartbeat({ phase: 'written', writes: plan.writes.length });

  const quarantined = [...plan.quarantined, ...outcome.quarantined];
  const counts = {
    read: rows.length,
    created: outcome.applied.filter((a) => a.kind === 'create').length,
    updated: outcome.applied.filter((a) => a.kind === 'update').length,
    moved: outcome.applied.filter((a) => a.kind === 'move').length,
    unchanged: plan.unchanged.length,
    quarantined: quarantined.length,
    ...(plan.softDeleted ? { softDeletedSkipped: plan.softDeleted } : {}),
    ...(skippedOtherLists ? { skippedOtherLists } : {}),
    ...(goneKeys.length ? { deletedAtSource: goneKeys.length } : {}),
  };
  // The cursor never passes a row whose write may still succeed on retry (the original system's bug).
  const advance = outcome.transient.length === 0;
  // Rows marked deleted in the table are deleted from their lists by this run (after the mass-delete guard), without
  // waiting for a sweep of the whole ledger. A run to one list only deletes nothing.
  if (plan.softDeletedKeys.length && !onlyTarget) await markGone(deps.store.db, d.id, input.runRowId, plan.softDeletedKeys);
  // Rows the log says were deleted go the same way: marked here, deleted after the guard by the run's delete phase.
  const goneLedgerKeys = ledgerKeysFor(
    goneKeys.map((key) => ({ key, values: {} })),
    planContext,
  );
  if (goneLedgerKeys.length) await markGone(deps.store.db, d.id, input.runRowId, goneLedgerKeys);
  await commitBatch(deps.store.db, {
    definitionId: d.id,
    runRowId: input.runRowId,
    applied: outcome.applied,
    deleted: [],
    quarantined,
    renames: plan.renames,
    healthyKeys: [...outcome.applied.map((a) => a.sourceKey), ...plan.unchanged.map((u) => u.sourceKey)],
    ...(advance && cursorUpdate ? { cursor: { kind: 'source_watermark' as const, value: cursorUpdate } } : {}),
    counts: advance ? counts : { ...counts, read: 0, unchanged: 0, softDeletedSkipped: 0, deletedAtSource: 0 },
  });
  if (signal.aborted) {
    log.info(
      { definitionId: d.id, applied: outcome.applied.length, notWritten: outcome.transient.length },
      'push batch cancelled: what was written is committed',
    );
    throw new CancelledFailure('the run was cancelled; the writes that completed are committed');
  }
  if (!advance) {
    const first = outcome.transient[0]!;
    throw new Error(`${outcome.transient.length} write(s) failed for now (first: ${first.sourceKey}: ${first.message}); the batch will be retried`);
  }
  if (releaseLsn) await releaseSlot(deps, ctx, releaseLsn, log);
  log.info({ definitionId: d.id, ...counts }, 'push batch committed');
  return { counts, nextAfterKey: input.pass === 'full' ? positionOf(lastKey, input.afterKey) : null, done: !hasMore };
}
