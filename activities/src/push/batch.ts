import { CancelledFailure, Context } from '@temporalio/activity';
import { decodeSourceKey, encodeSourceKey, lookupDefinitionOf } from '@syncbridge/shared/mapping';
import type { IntrospectedTable } from '@syncbridge/shared/sources';
import type { RunContext } from '@syncbridge/shared/temporal';
import { activityLog, type ActivityDeps } from '../deps.ts';
import { loadRunContext, type DefinitionContext } from '../sync/definition.ts';
import { LookupLoader } from '../sync/lookups.ts';
import { sourceTableAndColumns } from '../sync/table.ts';
import { applyWrites, type ApplyOutcome } from './apply.ts';
import { commitBatch, readCursor, type BatchCommit } from './commit.ts';
import { analyzeLedgerIfGrown, ledgerEntries, markGone } from '@syncbridge/shared/domain';
import { renewLease, sourceOf, tableRef, targetLists } from './context.ts';
import { CommitPipeline } from './pipeline.ts';
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
 * (WORKER_PUSH_SLICE_MS): an unthrottled load does not pay a Temporal round trip and a context load
 * per page. Under a real budget a page takes longer than the slice, so an activity is one page.
 *
 * Pages overlap: the next page is read and planned while the current one is written, and written
 * while the current one commits. Commits stay in page order (a cursor never passes a page that is not
 * committed). A page reads its ledger entries only after the commit of an earlier page still in flight
 * that it could see: one that shares a ledger key (a row met twice: it changed during the run, or a
 * legacy key), or any when the definition looks up its own rows (a lookup column into its own list)
 * (activities/src/push/pipeline.ts). A page whose writes failed for now or were cancelled is committed
 * before anything else happens, then the activity ends (retried, or cancelled) with nothing after it
 * written.
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
  // A lookup column into the definition's own list reads entries any page may have just committed.
  const pipeline = new CommitPipeline(ctx.mappings.some((m) => m.targetType === 'lookup' && lookupDefinitionOf(m) === d.id));
  const plan = (p: SourcePage) => planPage(deps, ctx, p, table, pipeline);
  let pageNumber = input.batchNumber;
  let read = performance.now();
  let page = await readPage(deps, ctx, source, input.pass, position, table, columns, rampedBatchSize(d.batchSize, pageNumber));
  let readMs = Math.round(performance.now() - read);
  let planned = await plan(page);
  try {
    for (;;) {
      beat({ phase: 'read', rows: page.rows.length });
      // The next page, read and planned while this one is written (not the slot's: its reads follow its releases).
      const nextPosition: PagePosition | null =
        input.pass === 'full'
          ? { afterKey: positionOf(page.lastKey, afterKey) }
          : page.cursorUpdate
            ? { watermark: page.cursorUpdate.watermark as string | null, key: page.cursorUpdate.key as unknown[] }
            : null;
      const goOn = page.hasMore && input.pass !== 'logical' && nextPosition !== null && Date.now() - started < deps.pushSliceMs;
      const ticket = pipeline.track(planned.ledgerKeys);
      const writing = writePlanned(deps, ctx, input, page, planned, { ...cursor, ...page.cursorUpdate }, beat);
      read = performance.now();
      const next = goOn
        ? readPage(deps, ctx, source, input.pass, nextPosition, table, columns, rampedBatchSize(d.batchSize, (pageNumber ?? 0) + 1)).then(async (p) => ({
            page: p,
            readMs: Math.round(performance.now() - read),
            planned: await plan(p),
          }))
        : null;
      // Awaited below, or dropped when this page fails: never an unhandled rejection.
      next?.catch(() => undefined);
      let written: WrittenPage;
      try {
        written = await writing;
        written.ms.read = readMs;
        // Commits in page order: this page's waits for the one before it.
        await pipeline.settle();
      } catch (error) {
        ticket.done(error);
        throw error;
      }
      if (!written.clean || !next) {
        try {
          await commitPage(deps, ctx, input, written, totals, log);
        } finally {
          ticket.done();
        }
        if (input.pass === 'full') afterKey = positionOf(page.lastKey, afterKey);
        return { counts: totals, nextAfterKey: input.pass === 'full' ? afterKey : null, done: !page.hasMore };
      }
      const committing = written;
      pipeline.start(() =>
        commitPage(deps, ctx, input, committing, totals, log).then(
          () => ticket.done(),
          (error: unknown) => {
            ticket.done(error);
            throw error;
          },
        ),
      );
      if (input.pass === 'full') afterKey = positionOf(page.lastKey, afterKey);
      ({ page, readMs, planned } = await next);
      if (pageNumber !== undefined) pageNumber++;
    }
  } finally {
    // A page that fails leaves no commit running behind the activity's back.
    await pipeline.drain();
  }
}

/** A page planned and written, waiting for its commit. */
interface WrittenPage {
  /** The commit, and the keys to mark gone before it (soft-deleted rows, deletes from the log). */
  commit: BatchCommit & { gone: string[] };
  counts: Record<string, number>;
  /** Nothing failed for now and nothing was cancelled: the pages after it may go on. */
  clean: boolean;
  cancelled: boolean;
  notWritten: ApplyOutcome['transient'];
  releaseLsn: string | null;
  ms: Record<string, number>;
}

/** A page diffed against the ledger, ready to be written. */
interface PlannedPage {
  plan: ReturnType<typeof planRows>;
  lists: ReturnType<typeof targetLists>;
  /** Rows to delete: soft-deleted in the table (not on a run to one list), or deleted per the log. */
  gone: string[];
  skippedOtherLists: number;
  /** Every ledger key the page looked up or changes (a later page sharing one waits for its commit). */
  ledgerKeys: string[];
  /** Where the page's time goes (in its log line): waiting for earlier commits, planning, Graph writes, the commit. */
  ms: Record<string, number>;
}

/** Plans one page: reads its ledger entries (once the pages before it that it could see are committed) and diffs. */
async function planPage(deps: ActivityDeps, ctx: RunDefinition, page: SourcePage, table: IntrospectedTable, pipeline: CommitPipeline): Promise<PlannedPage> {
  const d = ctx.definition;
  const { rows, goneKeys } = page;
  const ms: Record<string, number> = {};
  let mark = performance.now();
  const lap = (phase: string) => {
    const now = performance.now();
    ms[phase] = Math.round(now - mark);
    mark = now;
  };
  const lists = targetLists(deps, ctx);
  const lookups = new LookupLoader(deps, ctx.mappings, lists);
  const planContext = { ...planContextOf(ctx, table), lookupsFor: (targetId: string) => lookups.forTarget(targetId) };
  const lookedUp = ledgerKeysFor(rows, planContext);
  // Rows marked deleted in the table are deleted from their lists by this run (after the mass-delete guard), without
  // waiting for a sweep of the whole ledger; rows the log says were deleted go the same way.
  const goneLedgerKeys = ledgerKeysFor(
    goneKeys.map((key) => ({ key, values: {} })),
    planContext,
  );
  await pipeline.beforeLedgerRead([...lookedUp, ...goneLedgerKeys]);
  lap('wait');
  await lookups.addRows(
    rows.map((r) => r.values),
    table,
  );
  const ledger = await ledgerEntries(deps.store.db, d.id, lookedUp);
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
  // A run to one list only deletes nothing.
  const gone = [...(onlyTarget ? [] : plan.softDeletedKeys), ...goneLedgerKeys];
  lap('plan');
  return { plan, lists, gone, skippedOtherLists, ledgerKeys: [...lookedUp, ...gone], ms };
}

/** Writes a planned page through Graph; what to commit, and whether the pages after it may go on. */
async function writePlanned(
  deps: ActivityDeps,
  ctx: RunDefinition,
  input: PushBatchInput,
  page: SourcePage,
  planned: PlannedPage,
  cursorUpdate: Record<string, unknown>,
  beat: (details: Record<string, unknown>) => void,
): Promise<WrittenPage> {
  const d = ctx.definition;
  const { plan, gone, skippedOtherLists } = planned;
  const signal = Context.current().cancellationSignal;
  const t0 = performance.now();
  const outcome = await applyWrites(plan.writes, planned.lists, { heartbeat: () => beat({ phase: 'writing' }), signal });
  beat({ phase: 'written', writes: plan.writes.length });
  const ms = { ...planned.ms, write: Math.round(performance.now() - t0) };

  const quarantined = [...plan.quarantined, ...outcome.quarantined];
  const counts = {
    read: page.rows.length,
    created: outcome.applied.filter((a) => a.kind === 'create').length,
    updated: outcome.applied.filter((a) => a.kind === 'update').length,
    moved: outcome.applied.filter((a) => a.kind === 'move').length,
    unchanged: plan.unchanged.length,
    quarantined: quarantined.length,
    ...(plan.softDeleted ? { softDeletedSkipped: plan.softDeleted } : {}),
    ...(skippedOtherLists ? { skippedOtherLists } : {}),
    ...(page.goneKeys.length ? { deletedAtSource: page.goneKeys.length } : {}),
  };
  // The cursor never passes a row whose write may still succeed on retry (the original system's bug).
  const advance = outcome.transient.length === 0;
  const moveCursor = page.cursorUpdate !== undefined && input.pass !== 'full';
  return {
    commit: {
      definitionId: d.id,
      runRowId: input.runRowId,
      applied: outcome.applied,
      deleted: [],
      quarantined,
      renames: plan.renames,
      gone,
      healthyKeys: [...outcome.applied.map((a) => a.sourceKey), ...plan.unchanged.map((u) => u.sourceKey)],
      ...(advance && moveCursor ? { cursor: { kind: 'source_watermark' as const, value: cursorUpdate } } : {}),
      counts: advance ? counts : { ...counts, read: 0, unchanged: 0, softDeletedSkipped: 0, deletedAtSource: 0 },
    },
    counts,
    clean: advance && !signal.aborted,
    cancelled: signal.aborted,
    notWritten: outcome.transient,
    releaseLsn: page.releaseLsn,
    ms,
  };
}

/** Commits a written page; throws (after committing what was written) on cancellation or writes to retry. */
async function commitPage(
  deps: ActivityDeps,
  ctx: RunDefinition,
  input: PushBatchInput,
  page: WrittenPage,
  totals: Record<string, number>,
  log: ReturnType<typeof activityLog>,
): Promise<void> {
  const d = ctx.definition;
  const t0 = performance.now();
  const { gone, ...commit } = page.commit;
  if (gone.length) await markGone(deps.store.db, d.id, input.runRowId, gone);
  await commitBatch(deps.store.db, commit);
  if (page.cancelled) {
    log.info({ definitionId: d.id, applied: commit.applied.length, notWritten: page.notWritten.length }, 'push batch cancelled: what was written is committed');
    throw new CancelledFailure('the run was cancelled; the writes that completed are committed');
  }
  if (page.notWritten.length) {
    const first = page.notWritten[0]!;
    throw new Error(`${page.notWritten.length} write(s) failed for now (first: ${first.sourceKey}: ${first.message}); the batch will be retried`);
  }
  if (page.releaseLsn) await releaseSlot(deps, ctx, page.releaseLsn, log);
  page.ms.commit = Math.round(performance.now() - t0);
  for (const [k, n] of Object.entries(page.counts)) totals[k] = (totals[k] ?? 0) + n;
  log.info({ definitionId: d.id, ...page.counts, ms: page.ms }, 'push batch committed');
  await analyzeLedgerIfGrown(deps.store.db, (page.counts.created ?? 0) + (page.counts.moved ?? 0));
}
