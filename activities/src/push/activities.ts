import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { clearMarks, definitionFingerprint } from '@syncbridge/shared/domain';
import type { RunContext } from '@syncbridge/shared/temporal';
import { activityLog, withHeartbeat, type ActivityDeps } from '../deps.ts';
import { invalid, loadDefinitionContext, loadRunContext, type DefinitionContext } from '../sync/definition.ts';
import { finishRunRow, upsertRunRow, onlyTargetOf } from '../sync/runs.ts';
import { introspectSourceTable } from '../sync/table.ts';
import { pushBatch, type PushBatchInput, type PushPass, type StepResult } from './batch.ts';
import { readCursor, upsertCursor } from './commit.ts';
import { LEASE, mergeRunProgress, sourceOf, tableRef, targetLists } from './context.ts';
import { evaluateDeleteGuard, recordDeleteDecision } from './guard.ts';
import { prepareSlot } from './logical.ts';
import { legacySweepDeletedRows, sweepApply, sweepScan, type SweepInput } from './sweep.ts';

export type { PushPass, StepResult } from './batch.ts';
export type { GuardVerdict } from './guard.ts';

const COUNT_KEYS = ['read', 'created', 'updated', 'moved', 'deleted', 'unchanged', 'quarantined'] as const;
/** A create or update costs 2 resource units (Microsoft's throttling guidance); a move costs two writes but is rare. */
const RU_PER_ROW = 2;
/** A count for the progress estimate may take this long; past it the planner's estimate is used. */
const COUNT_TIMEOUT_MS = 2_000;

/** Rows the run has ahead of it and the budget it runs under, for progress and time-left estimates. */
async function estimateRun(deps: ActivityDeps, ctx: DefinitionContext, pass: PushPass, watermark: string | null) {
  const d = ctx.definition;
  const budgets = ctx.targets.map((t) => t.connection.ruPerMinute);
  const ruPerMinute = budgets.length ? Math.min(...budgets) : null;
  // What the slot holds is not known in rows before it is read (and counting the table would cost what logical capture saves).
  if (pass === 'logical') return { pass, rowsToDo: null, rowsToDoSource: null, ruPerMinute, ruPerRow: RU_PER_ROW, phase: 'upsert', firstLoad: false };
  const after = pass === 'watermark' ? watermark : null;
  let rowsToDo = await sourceOf(deps, ctx).countRowsAfter({
    ...tableRef(ctx),
    cursorColumn: pass === 'watermark' ? d.cursorColumn : null,
    watermark: after,
    timeoutMs: COUNT_TIMEOUT_MS,
  });
  let rowsToDoSource: 'count' | 'estimate' | null = rowsToDo === null ? null : 'count';
  if (rowsToDo === null && pass === 'full') {
    const { table } = await introspectSourceTable(deps, ctx);
    rowsToDo = table.estimatedRows;
    rowsToDoSource = rowsToDo === null ? null : 'estimate';
  }
  // A first load (no watermark yet) is bulk work in the tenant's budget however it was started (activities/src/budget-claim.ts).
  const firstLoad = pass === 'watermark' && watermark === null;
  return { pass, rowsToDo, rowsToDoSource, ruPerMinute, ruPerRow: RU_PER_ROW, phase: 'upsert', firstLoad };
}

/**
 * Decides the pass (incremental, or full when asked, when the table has no watermark, or when
 * the fingerprint changed: mappings, keys, routing, key encoding, source instance), prepares
 * the cursors for it and records the run's estimate.
 */
async function preparePass(deps: ActivityDeps, ctx: DefinitionContext, runRowId: string, fullResync: boolean): Promise<PushPass> {
  const { db } = deps.store;
  const d = ctx.definition;
  if (ctx.mappings.length === 0) throw invalid('the definition has no field mappings; provision it first (POST /v1/sync-definitions/{id}/provision)');
  targetLists(deps, ctx);
  // Fails fast (SchemaMismatch) when the source table is gone or unreadable.
  await introspectSourceTable(deps, ctx);
  const source = sourceOf(deps, ctx);
  const fingerprint = definitionFingerprint(ctx);
  // A run to one list only reads every row (the watermark stays for the ordinary runs: it skips the other lists' rows).
  const onlyTarget = await onlyTargetOf(db, runRowId);
  if (onlyTarget && !ctx.targets.some((t) => t.id === onlyTarget)) throw invalid(`target ${onlyTarget} is not one of the definition's lists`);
  let pass: PushPass = d.cursorStrategy === 'full_scan' || fullResync || onlyTarget ? 'full' : 'watermark';
  const cursor = await readCursor(db, d.id, 'source_watermark');
  if (pass === 'watermark' && cursor && cursor.mappingFingerprint !== fingerprint) pass = 'full';
  if (d.cursorStrategy === 'logical_replication') {
    // A new slot (the first run, or one replacing a lost slot) starts with a full pass; its changes come after.
    const { fresh } = await prepareSlot(deps, ctx);
    pass = fresh || fullResync || onlyTarget || !cursor || cursor.mappingFingerprint !== fingerprint ? 'full' : 'logical';
  }

  let watermark: string | null = null;
  if (onlyTarget) {
    // No cursor hand-over: the rows routed elsewhere were not written.
  } else if (pass === 'logical') {
    // Each batch reads the slot after the LSN its cursor holds.
  } else if (pass === 'full') {
    // Rows changing during the full pass are caught by the next incremental run from here.
    const startedWatermark = d.cursorColumn ? await source.maxWatermark({ ...tableRef(ctx), cursorColumn: d.cursorColumn }) : null;
    await upsertCursor(db, d.id, 'full_scan', { startedWatermark, mappingFingerprint: fingerprint, runRowId });
  } else if (!cursor) {
    await upsertCursor(db, d.id, 'source_watermark', { watermark: null, key: null, mappingFingerprint: fingerprint });
  } else if (cursor.watermark !== null && d.cursorOverlapSeconds > 0) {
    // Re-read a window behind the watermark for rows committed late; unchanged rows cost only a hash compare.
    watermark = await source.rewindWatermark({ ...tableRef(ctx), cursorColumn: d.cursorColumn! }, cursor.watermark as string, d.cursorOverlapSeconds);
    await upsertCursor(db, d.id, 'source_watermark', { ...cursor, watermark, key: [] });
  } else {
    watermark = (cursor.watermark as string | null) ?? null;
  }
  await mergeRunProgress(deps, runRowId, await estimateRun(deps, ctx, pass, watermark));
  return pass;
}

export function createPushActivities(deps: ActivityDeps) {
  const { db } = deps.store;

  return {
    /** The push part of beginning a run the coordinator started (after beginOperation froze its context). */
    async preparePushRun(input: { definitionId: string; runId: string; fullResync: boolean; context: RunContext }): Promise<{ pass: PushPass }> {
      const ctx = await loadRunContext(deps, { definitionId: input.definitionId, runRowId: input.runId });
      const pass = await preparePass(deps, ctx, input.runId, input.fullResync);
      activityLog(deps, input.context).info({ definitionId: input.definitionId, runId: input.runId, pass }, 'push run prepared');
      return { pass };
    },

    /** 0.1's begin (runs started by 0.1 call it): takes the definition's lease, records the run, decides the pass. */
    async beginPushRun(input: {
      definitionId: string;
      workflowId: string;
      temporalRunId: string;
      context: RunContext;
      trigger: 'api' | 'schedule' | 'change';
      fullResync: boolean;
    }) {
      const log = activityLog(deps, input.context);
      const ctx = await loadDefinitionContext(deps, input.definitionId);
      const d = ctx.definition;
      const leased = await db
        .update(schema.syncDefinitions)
        .set({ leaseHolder: input.workflowId, leaseExpiresAt: LEASE })
        .where(
          and(
            eq(schema.syncDefinitions.id, d.id),
            or(
              isNull(schema.syncDefinitions.leaseHolder),
              eq(schema.syncDefinitions.leaseHolder, input.workflowId),
              lt(schema.syncDefinitions.leaseExpiresAt, sql`now()`),
            ),
          ),
        )
        .returning({ id: schema.syncDefinitions.id });
      if (leased.length === 0) {
        const runRowId = await upsertRunRow(db, { ...input, kind: 'push', status: 'cancelled' });
        const reason = 'another push run is still in progress';
        await finishRunRow(db, { runRowId, status: 'cancelled', counts: {}, error: reason });
        log.info({ definitionId: d.id }, 'push run skipped: lease held');
        return { skipped: true as const, runRowId, pass: 'watermark' as PushPass, reason };
      }
      const runRowId = await upsertRunRow(db, { ...input, kind: 'push' });
      const pass = await preparePass(deps, ctx, runRowId, input.fullResync);
      log.info({ definitionId: d.id, runRowId, pass }, 'push run started');
      return { skipped: false as const, runRowId, pass };
    },

    pushBatch(input: PushBatchInput): Promise<StepResult> {
      return withHeartbeat(() => pushBatch(deps, input));
    },

    /** Runs started by 0.1 call this; it deletes nothing (see legacySweepDeletedRows). */
    async sweepDeletedRows(_input: SweepInput): Promise<StepResult> {
      return legacySweepDeletedRows();
    },

    async sweepScan(input: SweepInput): Promise<StepResult> {
      return withHeartbeat(async () => {
        if (input.afterKey === null) await mergeRunProgress(deps, input.runRowId, { phase: 'scan' });
        return sweepScan(deps, input);
      });
    },

    evaluateDeleteGuard(input: { definitionId: string; runRowId: string; context: RunContext }) {
      return evaluateDeleteGuard(deps, input);
    },

    recordDeleteDecision(input: { definitionId: string; runRowId: string; decision: 'approve' | 'reject'; by: string; context: RunContext }) {
      return recordDeleteDecision(deps, input);
    },

    async sweepApply(input: SweepInput): Promise<StepResult> {
      return withHeartbeat(async () => {
        if (input.afterKey === null) await mergeRunProgress(deps, input.runRowId, { phase: 'delete' });
        return sweepApply(deps, input);
      });
    },

    /**
     * Records the outcome, completes a full pass's cursor hand-over, and releases a 0.1 run's
     * lease. The counts committed with each batch are the run's true totals (a batch whose
     * result reached the workflow late or twice is still counted once).
     */
    async finishPushRun(input: {
      definitionId: string;
      runRowId: string;
      workflowId: string;
      pass: PushPass;
      status: 'succeeded' | 'failed' | 'cancelled';
      error?: string;
      context: RunContext;
    }) {
      const log = activityLog(deps, input.context);
      if (input.status === 'succeeded' && input.pass === 'full' && !(await onlyTargetOf(db, input.runRowId))) {
        const full = await readCursor(db, input.definitionId, 'full_scan');
        if (full) {
          // Every row at or before the watermark seen at the start was compared in this pass.
          await upsertCursor(db, input.definitionId, 'source_watermark', {
            watermark: full.startedWatermark ?? null,
            key: null,
            mappingFingerprint: full.mappingFingerprint,
          });
          await upsertCursor(db, input.definitionId, 'full_scan', { ...full, completedAt: new Date().toISOString() });
        }
      }
      if (input.status !== 'succeeded') await clearMarks(db, input.definitionId, input.runRowId);
      const [run] = await db.select({ counts: schema.syncRuns.counts }).from(schema.syncRuns).where(eq(schema.syncRuns.id, input.runRowId));
      const counts = { ...Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])), ...((run?.counts ?? {}) as Record<string, number>) };
      await finishRunRow(db, { runRowId: input.runRowId, status: input.status, counts, error: input.error });
      await mergeRunProgress(deps, input.runRowId, { phase: 'done' });
      await db
        .update(schema.syncDefinitions)
        .set({ leaseHolder: null, leaseExpiresAt: null })
        .where(and(eq(schema.syncDefinitions.id, input.definitionId), eq(schema.syncDefinitions.leaseHolder, input.workflowId)));
      log.info({ definitionId: input.definitionId, status: input.status, counts }, 'push run finished');
      return counts;
    },
  };
}

export type PushActivities = ReturnType<typeof createPushActivities>;
