import { CancelledFailure, Context } from '@temporalio/activity';
import { decodeSourceKey, encodeSourceKey } from '@syncbridge/shared/mapping';
import type { IntrospectedTable } from '@syncbridge/shared/sources';
import type { RunContext } from '@syncbridge/shared/temporal';
import { activityLog, type ActivityDeps } from '../deps.ts';
import { loadRunContext, type DefinitionContext } from '../sync/definition.ts';
import { LookupLoader } from '../sync/lookups.ts';
import { sourceTableAndColumns } from '../sync/table.ts';
import { applyWrites } from './apply.ts';
import { commitBatch, readCursor } from './commit.ts';
import { analyzeLedgerIfGrown, ledgerEntries, markGone } from '@syncbridge/shared/domain';
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

/** A page of the source: its rows and what committing it moves forward. */
interface SourcePage {
  rows: SourceRow[];
  hasMore: boolean;
  /** Full pass: the last key read (the next page starts after it). */
  lastKey: string[] | null;
  /** Watermark and logical passes: the cursor once the page is committed. */
  cursorUpdate?: Record<string, unknown>;
  /** Keys the log says were deleted (or whose row is gone by now): marked for the run's guarded delete. */
  goneKeys: string[][];
  /** The LSN to let the slot advance to once the page is committed. */
  releaseLsn: string | null;
}

/** Where the next page starts: the full pass's key, or the watermark pass's cursor. */
type PagePosition = { afterKey: string | null } | { watermark: string | null; key: unknown[] };
type RunDefinition = Awaited<ReturnType<typeof loadRunContext>>;

async function readPage(
  deps: ActivityDeps,
  ctx: DefinitionContext,
  source: ReturnType<typeof sourceOf>,
  pass: PushPass,
  position: PagePosition,
  table: IntrospectedTable,
  columns: string[],
  limit: number,
): Promise<SourcePage> {
  const d = ctx.definition;
  if (pass === 'logical') {
    const read = await readSlotChanges(deps, ctx, table, columns, limit);
    return {
      rows: read.rows,
      hasMore: read.hasMore,
      lastKey: null,
      goneKeys: read.goneKeys,
      ...(read.endLsn ? { cursorUpdate: { ...read.cursor, lsn: read.endLsn } } : {}),
      releaseLsn: read.endLsn ?? null,
    };
  }
  if (pass === 'watermark') {
    const { watermark, key } = position as { watermark: string | null; key: unknown[] };
    const after = watermark === null && key.length === 0 ? null : { watermark, key };
    const page = await source.readByWatermark({ ...tableRef(ctx), columns, cursorColumn: d.cursorColumn!, keyColumns: d.keyColumns, after, limit });
    return {
      rows: page.rows.map((values, i) => ({ values, key: page.keys[i]! })),
      hasMore: page.hasMore,
      lastKey: page.last?.key ?? null,
      ...(page.last ? { cursorUpdate: { watermark: page.last.watermark, key: page.last.key } } : {}),
      goneKeys: [],
      releaseLsn: null,
    };
  }
  const { afterKey } = position as { afterKey: string | null };
  const page = await source.readByKey({ ...tableRef(ctx), columns, keyColumns: d.keyColumns, afterKey: afterKey ? decodeSourceKey(afterKey) : null, limit });
  return { rows: page.rows.map((values, i) => ({ values, key: page.keys[i]! })), hasMore: page.hasMore, lastKey: page.lastKey, goneKeys: [], releaseLsn: null };
}

/**
 * Pages of a pass, each read, converted, routed, diffed, written through $batch and committed
 * (ledger + cursor) on its own, while the activity has run less than `deps.pushSliceMs`
 * (WORKER_PUSH_SLICE_MS), and the next page is read while the current one is written: an unthrottled
 * load does not pay a Temporal round trip and a context load per page. Under a real budget a page
 * takes longer than the slice, so an activity is one page. A page is planned only after the page
 * before it is committed, so a row met twice (it changed during the run) is seen in the ledger the
 * second time.
 */
export async function pushBatch(deps: ActivityDeps, input: PushBatchInput): Promise<StepResult> {
  const log = activityLog(deps, input.context);
  const activity = Context.current();
  const started = Date.now();
  const ctx = await loadRunContext(deps, input);
  const d = ctx.definition;
  const { table, columns } = await sourceTableAndColumns(deps, ctx);
  const source = sourceOf(deps, ctx);
  await renewLease(deps, d.id, activity.info.workflowExecution?.workflowId ?? '');

  // A retried full-pass activity starts again at its first page: the pages an earlier attempt committed
  // compare unchanged (a read and a hash each), and the watermark pass goes on from its committed cursor.
  let afterKey = input.afterKey;
  let cursor: Record<string, unknown> = {};
  let position: PagePosition = { afterKey };
  if (input.pass === 'watermark') {
    cursor = (await readCursor(deps.store.db, d.id, 'source_watermark')) ?? { watermark: null, key: null };
    position = { watermark: (cursor.watermark as string | null | undefined) ?? null, key: (cursor.key as unknown[] | null | undefined) ?? [] };
  }
  const beat = (details: Record<string, unknown>) => activity.heartbeat(details);
  const totals: Record<string, number> = {};
  let pageNumber = input.batchNumber;
  let read = performance.now();
  let page = await readPage(deps, ctx, source, input.pass, position, table, columns, rampedBatchSize(d.batchSize, pageNumber));
  for (;;) {
    const readMs = Math.round(performance.now() - read);
    beat({ phase: 'read', rows: page.rows.length });
    // The next page, read while this one is written (not the slot's: its reads follow its releases).
    const nextPosition: PagePosition | null =
      input.pass === 'full'
        ? { afterKey: positionOf(page.lastKey, afterKey) }
        : page.cursorUpdate
          ? { watermark: page.cursorUpdate.watermark as string | null, key: page.cursorUpdate.key as unknown[] }
          : null;
    const goOn = page.hasMore && input.pass !== 'logical' && nextPosition !== null && Date.now() - started < deps.pushSliceMs;
    const next = goOn ? readPage(deps, ctx, source, input.pass, nextPosition, table, columns, rampedBatchSize(d.batchSize, (pageNumber ?? 0) + 1)) : null;
    // Awaited below, or dropped when this page fails: never an unhandled rejection.
    next?.catch(() => undefined);
    const counts = await writePage(deps, ctx, input, page, { ...cursor, ...page.cursorUpdate }, table, beat, log, readMs);
    await analyzeLedgerIfGrown(deps.store.db, (counts.created ?? 0) + (counts.moved ?? 0));
    for (const [k, n] of Object.entries(counts)) totals[k] = (totals[k] ?? 0) + n;
    if (input.pass === 'full') afterKey = positionOf(page.lastKey, afterKey);
    if (!next) return { counts: totals, nextAfterKey: input.pass === 'full' ? afterKey : null, done: !page.hasMore };
    beat({ phase: 'committed' });
    // The read's time in the log is the wait for it (it overlapped the writes).
    read = performance.now();
    page = await next;
    if (pageNumber !== undefined) pageNumber++;
  }
}

/** Plans, writes and commits one page; throws (after committing what was written) on cancellation or writes to retry. */
async function writePage(
  deps: ActivityDeps,
  ctx: RunDefinition,
  input: PushBatchInput,
  page: SourcePage,
  cursorUpdate: Record<string, unknown>,
  table: IntrospectedTable,
  beat: (details: Record<string, unknown>) => void,
  log: ReturnType<typeof activityLog>,
  readMs: number,
): Promise<Record<string, number>> {
  const d = ctx.definition;
  const activity = Context.current();
  const { rows, goneKeys, releaseLsn } = page;
  // Where the page's time goes (in its log line): reading the source, planning, Graph writes, the commit.
  const ms: Record<string, number> = { read: readMs };
  let mark = performance.now();
  const lap = (phase: string) => {
    const now = performance.now();
    ms[phase] = Math.round(now - mark);
    mark = now;
  };
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
  lap('plan');
  const outcome = await applyWrites(plan.writes, lists, { heartbeat: () => beat({ phase: 'writing' }), signal });
  beat({ phase: 'written', writes: plan.writes.length });
  lap('write');

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
  const moveCursor = page.cursorUpdate !== undefined && input.pass !== 'full';
  await commitBatch(deps.store.db, {
    definitionId: d.id,
    runRowId: input.runRowId,
    applied: outcome.applied,
    deleted: [],
    quarantined,
    renames: plan.renames,
    healthyKeys: [...outcome.applied.map((a) => a.sourceKey), ...plan.unchanged.map((u) => u.sourceKey)],
    ...(advance && moveCursor ? { cursor: { kind: 'source_watermark' as const, value: cursorUpdate } } : {}),
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
  lap('commit');
  log.info({ definitionId: d.id, ...counts, ms }, 'push batch committed');
  return counts;
}
