import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { and, asc, eq, gt, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { decodeSourceKey, encodeSourceKey } from '@syncbridge/shared/mapping';
import { maxWatermark, readByKey, readByKeys, readByWatermark, rewindWatermark } from '@syncbridge/shared/sources';
import type { RunContext } from '@syncbridge/shared/temporal';
import { activityLog, withHeartbeat, type ActivityDeps } from '../deps.ts';
import { gatewayFor, invalid, loadDefinitionContext, routingTargets, type DefinitionContext } from '../sync/definition.ts';
import { finishRunRow, upsertRunRow } from '../sync/runs.ts';
import { sourcePool } from '../sync/sources.ts';
import { columnsToRead, introspectSourceTable } from '../sync/table.ts';
import { applyWrites, type TargetList } from './apply.ts';
import { commitBatch, readCursor, upsertCursor } from './commit.ts';
import { keyFamiliesOf, planRows, type LedgerEntry } from './plan.ts';

export type PushPass = 'watermark' | 'full';
export interface StepResult {
  counts: Record<string, number>;
  nextAfterKey: string | null;
  done: boolean;
}

const LEASE = sql`now() + interval '15 minutes'`;
const SWEEP_PAGE = 1000;
const COUNT_KEYS = ['read', 'created', 'updated', 'moved', 'deleted', 'unchanged', 'quarantined'] as const;

/** What decides whether rows synced before must be looked at again: mapping, keys and routing. */
function definitionFingerprint(ctx: DefinitionContext): string {
  const d = ctx.definition;
  const mappings = [...ctx.mappings].sort((a, b) => a.sourceColumn.localeCompare(b.sourceColumn));
  const targets = routingTargets(ctx.targets).sort((a, b) => a.id.localeCompare(b.id));
  return createHash('sha256').update(JSON.stringify({ mappings, keys: d.keyColumns, strategy: d.targetStrategy, targets })).digest('hex');
}

function targetLists(deps: ActivityDeps, ctx: DefinitionContext): Map<string, TargetList> {
  const lists = new Map<string, TargetList>();
  for (const t of ctx.targets) {
    if (!t.listId) throw invalid(`target "${t.listDisplayName}" is not provisioned yet; run POST /v1/sync-definitions/${ctx.definition.id}/provision`);
    lists.set(t.id, { id: t.id, siteId: t.siteId, listId: t.listId, graph: gatewayFor(deps, t.connection) });
  }
  return lists;
}

async function loadLedger(deps: ActivityDeps, definitionId: string, keys: string[]): Promise<Map<string, LedgerEntry>> {
  if (keys.length === 0) return new Map();
  const rows = await deps.store.db
    .select({ sourceKey: schema.syncLedger.sourceKey, targetId: schema.syncLedger.targetId, listItemId: schema.syncLedger.listItemId, contentHash: schema.syncLedger.contentHash })
    .from(schema.syncLedger)
    .where(and(eq(schema.syncLedger.definitionId, definitionId), inArray(schema.syncLedger.sourceKey, keys)));
  return new Map(rows.map((r) => [r.sourceKey, r]));
}

const tableRef = (ctx: DefinitionContext) => ({ schema: ctx.definition.sourceSchema, table: ctx.definition.sourceTable });

export function createPushActivities(deps: ActivityDeps) {
  const { db } = deps.store;

  /** One batch: read, convert, route, diff, write through $batch, commit ledger + cursor. */
  async function pushBatch(input: { definitionId: string; runRowId: string; pass: PushPass; afterKey: string | null; context: RunContext }): Promise<StepResult> {
    const log = activityLog(deps, input.context);
    const activity = Context.current();
    const ctx = await loadDefinitionContext(deps, input.definitionId);
    const d = ctx.definition;
    const { table } = await introspectSourceTable(ctx);
    const columns = columnsToRead(ctx, table);
    const source = sourcePool(ctx.instanceId, ctx.instanceVersion, ctx.source);
    const workflowId = activity.info.workflowExecution?.workflowId ?? '';
    await db.update(schema.syncDefinitions).set({ leaseExpiresAt: LEASE }).where(and(eq(schema.syncDefinitions.id, d.id), eq(schema.syncDefinitions.leaseHolder, workflowId)));

    let rows: Array<Record<string, unknown>>;
    let hasMore: boolean;
    let cursorUpdate: Record<string, unknown> | undefined;
    if (input.pass === 'watermark') {
      const cursor = (await readCursor(db, d.id, 'source_watermark')) ?? { watermark: null, key: null };
      const watermark = (cursor.watermark as string | null | undefined) ?? null;
      const key = (cursor.key as unknown[] | null | undefined) ?? [];
      const after = watermark === null && key.length === 0 ? null : { watermark, key };
      const page = await readByWatermark(source, { ...tableRef(ctx), columns, cursorColumn: d.cursorColumn!, keyColumns: d.keyColumns, after, limit: d.batchSize });
      rows = page.rows;
      hasMore = page.hasMore;
      if (page.last) cursorUpdate = { ...cursor, watermark: page.last.watermark, key: page.last.key };
    } else {
      const page = await readByKey(source, { ...tableRef(ctx), columns, keyColumns: d.keyColumns, afterKey: input.afterKey ? decodeSourceKey(input.afterKey) : null, limit: d.batchSize });
      rows = page.rows;
      hasMore = page.hasMore;
    }
    activity.heartbeat({ phase: 'read', rows: rows.length });

    const keyFamilies = keyFamiliesOf(table, d.keyColumns);
    const keysOfRows = rows.map((r) => {
      try {
        return encodeSourceKey(d.keyColumns.map((c) => r[c]), keyFamilies);
      } catch {
        return null;
      }
    });
    const ledger = await loadLedger(deps, d.id, keysOfRows.filter((k): k is string => k !== null));
    const plan = planRows(rows, ledger, { keyColumns: d.keyColumns, keyFamilies, mappings: ctx.mappings, table, targets: routingTargets(ctx.targets), targetStrategy: d.targetStrategy });
    const outcome = await applyWrites(plan.writes, targetLists(deps, ctx), () => activity.heartbeat({ phase: 'writing' }));
    activity.heartbeat({ phase: 'written', writes: plan.writes.length });

    const quarantined = [...plan.quarantined, ...outcome.quarantined];
    const counts = {
      read: rows.length,
      created: outcome.applied.filter((a) => a.kind === 'create').length,
      updated: outcome.applied.filter((a) => a.kind === 'update').length,
      moved: outcome.applied.filter((a) => a.kind === 'move').length,
      unchanged: plan.unchanged.length,
      quarantined: quarantined.length,
    };
    // The cursor never passes a row whose write may still succeed on retry (the original system's bug).
    const advance = outcome.transient.length === 0;
    await commitBatch(db, {
      definitionId: d.id,
      runRowId: input.runRowId,
      applied: outcome.applied,
      deleted: [],
      quarantined,
      healthyKeys: [...outcome.applied.map((a) => a.sourceKey), ...plan.unchanged.map((u) => u.sourceKey)],
      ...(advance && cursorUpdate ? { cursor: { kind: 'source_watermark' as const, value: cursorUpdate } } : {}),
      counts: advance ? counts : { ...counts, read: 0, unchanged: 0 },
    });
    if (!advance) {
      const first = outcome.transient[0]!;
      throw new Error(`${outcome.transient.length} write(s) failed for now (first: ${first.sourceKey}: ${first.message}); the batch will be retried`);
    }
    log.info({ definitionId: d.id, ...counts }, 'push batch committed');
    const lastKey = keysOfRows.filter((k): k is string => k !== null).at(-1) ?? input.afterKey;
    return { counts, nextAfterKey: input.pass === 'full' ? lastKey : null, done: !hasMore };
  }

  /** Deletes list items whose source rows are gone, one page of the ledger at a time. */
  async function sweepDeletedRows(input: { definitionId: string; runRowId: string; afterKey: string | null; context: RunContext }): Promise<StepResult> {
    const log = activityLog(deps, input.context);
    const ctx = await loadDefinitionContext(deps, input.definitionId);
    const d = ctx.definition;
    const ledgerPage = await db
      .select({ sourceKey: schema.syncLedger.sourceKey, targetId: schema.syncLedger.targetId, listItemId: schema.syncLedger.listItemId })
      .from(schema.syncLedger)
      .where(and(eq(schema.syncLedger.definitionId, d.id), input.afterKey ? gt(schema.syncLedger.sourceKey, input.afterKey) : undefined))
      .orderBy(asc(schema.syncLedger.sourceKey))
      .limit(SWEEP_PAGE);
    if (ledgerPage.length === 0) return { counts: {}, nextAfterKey: input.afterKey, done: true };

    const source = sourcePool(ctx.instanceId, ctx.instanceVersion, ctx.source);
    const { table } = await introspectSourceTable(ctx);
    const keyFamilies = keyFamiliesOf(table, d.keyColumns);
    const { rows: present } = await readByKeys(source, { ...tableRef(ctx), columns: d.keyColumns, keyColumns: d.keyColumns, keys: ledgerPage.map((l) => decodeSourceKey(l.sourceKey)) });
    const existing = new Set(present.map((r) => encodeSourceKey(d.keyColumns.map((c) => r[c]), keyFamilies)));
    const gone = ledgerPage.filter((l) => !existing.has(l.sourceKey));

    const lists = targetLists(deps, ctx);
    const deleted: Array<{ sourceKey: string; targetId: string | null; listItemId: string | null }> = [];
    const transient: string[] = [];
    const byTarget = new Map<string, typeof gone>();
    for (const g of gone) {
      if (!g.targetId || !g.listItemId || !lists.has(g.targetId)) deleted.push(g);
      else byTarget.set(g.targetId, [...(byTarget.get(g.targetId) ?? []), g]);
    }
    for (const [targetId, group] of byTarget) {
      const list = lists.get(targetId)!;
      const results = await list.graph.deleteItems(list.siteId, list.listId, group.map((g) => ({ id: g.sourceKey, itemId: g.listItemId! })));
      results.forEach((r, i) => (r.ok ? deleted.push(group[i]!) : transient.push(`${group[i]!.sourceKey}: ${r.status} ${r.code}`)));
    }
    await commitBatch(db, { definitionId: d.id, runRowId: input.runRowId, applied: [], deleted, quarantined: [], healthyKeys: [], counts: { deleted: deleted.length } });
    if (transient.length) throw new Error(`${transient.length} delete(s) failed (first: ${transient[0]}); retrying the sweep page`);
    if (deleted.length) log.info({ definitionId: d.id, deleted: deleted.length }, 'deleted rows removed from lists');
    return { counts: { deleted: deleted.length }, nextAfterKey: ledgerPage.at(-1)!.sourceKey, done: ledgerPage.length < SWEEP_PAGE };
  }

  /** Records the outcome, completes a full pass's cursor hand-over, and releases the lease. */

  return {
    /** Takes the definition's run lease, records the run, and decides the pass (incremental or full). */
    async beginPushRun(input: { definitionId: string; workflowId: string; temporalRunId: string; context: RunContext; trigger: 'api' | 'schedule'; fullResync: boolean }) {
      const log = activityLog(deps, input.context);
      const ctx = await loadDefinitionContext(deps, input.definitionId);
      if (ctx.mappings.length === 0) throw invalid('the definition has no field mappings; provision it first (POST /v1/sync-definitions/{id}/provision)');
      targetLists(deps, ctx);
      const d = ctx.definition;
      const leased = await db
        .update(schema.syncDefinitions)
        .set({ leaseHolder: input.workflowId, leaseExpiresAt: LEASE })
        .where(and(eq(schema.syncDefinitions.id, d.id), or(isNull(schema.syncDefinitions.leaseHolder), eq(schema.syncDefinitions.leaseHolder, input.workflowId), lt(schema.syncDefinitions.leaseExpiresAt, sql`now()`))))
        .returning({ id: schema.syncDefinitions.id });
      if (leased.length === 0) {
        const runRowId = await upsertRunRow(db, { ...input, kind: 'push', status: 'cancelled' });
        const reason = `another push run (${d.leaseHolder}) is still in progress`;
        await finishRunRow(db, { runRowId, status: 'cancelled', counts: {}, error: reason });
        log.info({ definitionId: d.id, holder: d.leaseHolder }, 'push run skipped: lease held');
        return { skipped: true as const, runRowId, pass: 'watermark' as PushPass, reason };
      }
      const runRowId = await upsertRunRow(db, { ...input, kind: 'push' });
      const fingerprint = definitionFingerprint(ctx);
      // Fails fast (SchemaMismatch) when the source table is gone or unreadable.
      await introspectSourceTable(ctx);
      const source = sourcePool(ctx.instanceId, ctx.instanceVersion, ctx.source);
      let pass: PushPass = 'watermark';
      if (d.cursorStrategy === 'full_scan' || input.fullResync) pass = 'full';
      const cursor = await readCursor(db, d.id, 'source_watermark');
      if (pass === 'watermark' && cursor && cursor.mappingFingerprint !== fingerprint) pass = 'full';

      if (pass === 'full') {
        // Rows changing during the full pass are caught by the next incremental run from here.
        const startedWatermark = d.cursorColumn ? await maxWatermark(source, { ...tableRef(ctx), cursorColumn: d.cursorColumn }) : null;
        await upsertCursor(db, d.id, 'full_scan', { startedWatermark, mappingFingerprint: fingerprint, runRowId });
      } else if (!cursor) {
        await upsertCursor(db, d.id, 'source_watermark', { watermark: null, key: null, mappingFingerprint: fingerprint });
      } else if (cursor.watermark !== null && d.cursorOverlapSeconds > 0) {
        // Re-read a window behind the watermark for rows committed late; unchanged rows cost only a hash compare.
        const rewound = await rewindWatermark(source, { ...tableRef(ctx), cursorColumn: d.cursorColumn! }, cursor.watermark as string, d.cursorOverlapSeconds);
        await upsertCursor(db, d.id, 'source_watermark', { ...cursor, watermark: rewound, key: [] });
      }
      log.info({ definitionId: d.id, runRowId, pass }, 'push run started');
      return { skipped: false as const, runRowId, pass };
    },

    pushBatch(input: { definitionId: string; runRowId: string; pass: PushPass; afterKey: string | null; context: RunContext }): Promise<StepResult> {
      return withHeartbeat(() => pushBatch(input));
    },

    sweepDeletedRows(input: { definitionId: string; runRowId: string; afterKey: string | null; context: RunContext }): Promise<StepResult> {
      return withHeartbeat(() => sweepDeletedRows(input));
    },

    /**
     * Records the outcome, completes a full pass's cursor hand-over, and releases the
     * lease. The counts committed with each batch are the run's true totals (a batch
     * whose result reached the workflow late or twice is still counted once).
     */
    async finishPushRun(input: { definitionId: string; runRowId: string; workflowId: string; pass: PushPass; status: 'succeeded' | 'failed' | 'cancelled'; error?: string; context: RunContext }) {
      const log = activityLog(deps, input.context);
      if (input.status === 'succeeded' && input.pass === 'full') {
        const full = await readCursor(db, input.definitionId, 'full_scan');
        if (full) {
          // Every row at or before the watermark seen at the start was compared in this pass.
          await upsertCursor(db, input.definitionId, 'source_watermark', { watermark: full.startedWatermark ?? null, key: null, mappingFingerprint: full.mappingFingerprint });
          await upsertCursor(db, input.definitionId, 'full_scan', { ...full, completedAt: new Date().toISOString() });
        }
      }
      const [run] = await db.select({ counts: schema.syncRuns.counts }).from(schema.syncRuns).where(eq(schema.syncRuns.id, input.runRowId));
      const counts = { ...Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])), ...((run?.counts ?? {}) as Record<string, number>) };
      await finishRunRow(db, { runRowId: input.runRowId, status: input.status, counts, error: input.error });
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
