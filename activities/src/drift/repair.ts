import { Context } from '@temporalio/activity';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { insertLedgerEvents } from '@syncbridge/shared/domain';
import { decodeSourceKey, encodeSourceKey } from '@syncbridge/shared/mapping';
import type { RunContext } from '@syncbridge/shared/temporal';
import { activityLog, type ActivityDeps } from '../deps.ts';
import { applyWrites, groupInto } from '../push/apply.ts';
import { commitBatch } from '../push/commit.ts';
import { sourceOf, tableRef, targetLists } from '../push/context.ts';
import { keyFamiliesOf, planContextOf, prepareRow, type PlannedWrite, type Quarantined } from '../push/plan.ts';
import { invalid, loadRunContext } from '../sync/definition.ts';
import { LookupLoader } from '../sync/lookups.ts';
import { sourceTableAndColumns } from '../sync/table.ts';
import { compareDrift, DRIFT_CLASSES, type DriftClass } from './check.ts';

/*
 * Drift repair: what a drift check reports, put right with push's guarantees.
 * 1. plan: the table, ledger and lists compared again now (the report holds samples only, and
 *    things moved since), each finding turned into actions:
 *    - orphanItems: delete the item (its row is gone);
 *    - missingItems: create the item from the row (a stale ledger entry is replaced);
 *    - valueDrift: write the row's values over the item (the table wins, as push);
 *    - ledgerDrift: point the entry at the item that carries the key elsewhere (`relink`, the next
 *      push then compares it), or drop it (`unlink`: the row, if any, is a missing item, created);
 *    - duplicates: delete every item of the key but one (the ledger's, else the lowest id).
 *    The plan is stored (operation_plans) and shown through the API; the run waits for approval
 *    unless the definition auto-approves plans of at most `driftRepairAutoApproveMax` actions.
 * 2. apply: creates and updates through push's writer (applyWrites: `$batch`, retries, a create
 *    found by its key when its answer was lost) committed with push's ledger commit; deletes in
 *    `$batch`, an item already gone counting as deleted; ledger re-links and drops in one
 *    transaction. Each action's outcome is recorded against the plan. Repeating the step after a
 *    crash repeats only what is still to do: a created item is found by its key, a deleted one is
 *    gone, a relink is idempotent.
 */

export type RepairOp = 'create' | 'update' | 'deleteItem' | 'relink' | 'unlink';

export interface RepairAction {
  class: DriftClass;
  op: RepairOp;
  sourceKey: string;
  targetId?: string | null;
  listItemId?: string | null;
}

export interface RepairPlanInput {
  definitionId: string;
  runRowId: string;
  context: RunContext;
  reportId?: string | null;
}

export interface RepairPlanResult {
  total: number;
  /** Over the definition's auto-approve limit (or it has none): a person decides. */
  needsApproval: boolean;
  summary: string;
  counts: Record<string, number>;
}

export async function planDriftRepair(deps: ActivityDeps, input: RepairPlanInput): Promise<RepairPlanResult> {
  const log = activityLog(deps, input.context);
  const { db } = deps.store;
  const ctx = await loadRunContext(deps, input);
  const d = ctx.definition;
  if (input.reportId) {
    const [report] = await db
      .select({ definitionId: schema.driftReports.definitionId })
      .from(schema.driftReports)
      .where(eq(schema.driftReports.id, input.reportId));
    if (!report || report.definitionId !== d.id) throw invalid(`drift report ${input.reportId} is not a report of definition ${d.id}`);
  }
  const { counts, findings } = await compareDrift(deps, ctx);
  const actions: RepairAction[] = [];
  const deleting = new Set<string>();
  const deleteItem = (cls: DriftClass, sourceKey: string, targetId: string | null | undefined, listItemId: string | null | undefined) => {
    const at = `${targetId}/${listItemId}`;
    if (!targetId || !listItemId || deleting.has(at)) return;
    deleting.add(at);
    actions.push({ class: cls, op: 'deleteItem', sourceKey, targetId, listItemId });
  };
  for (const f of findings.orphanItems) deleteItem('orphanItems', f.sourceKey, f.targetId, f.listItemId);
  for (const f of findings.duplicates) for (const extra of (f.items ?? []).slice(1)) deleteItem('duplicates', f.sourceKey, extra.targetId, extra.listItemId);
  for (const f of findings.missingItems) actions.push({ class: 'missingItems', op: 'create', sourceKey: f.sourceKey, targetId: f.targetId ?? null });
  for (const f of findings.valueDrift)
    actions.push({ class: 'valueDrift', op: 'update', sourceKey: f.sourceKey, targetId: f.targetId ?? null, listItemId: f.listItemId ?? null });
  // A key that gets a new item needs no unlink: the write's commit points its entry at the new item.
  const created = new Set(findings.missingItems.map((f) => f.sourceKey));
  // An entry is re-linked to the item carrying its key only when that item stays: an item deleted as an orphan (its
  // row is gone) takes the entry with it, else the entry would point at the item this repair deletes.
  const relinkOf = (f: (typeof findings.ledgerDrift)[number]) =>
    f.relinkTo && !deleting.has(`${f.relinkTo.targetId}/${f.relinkTo.listItemId}`) ? f.relinkTo : undefined;
  for (const f of findings.ledgerDrift.filter((x) => relinkOf(x) || !created.has(x.sourceKey))) {
    const relinkTo = relinkOf(f);
    actions.push(
      relinkTo
        ? { class: 'ledgerDrift', op: 'relink', sourceKey: f.sourceKey, targetId: relinkTo.targetId, listItemId: relinkTo.listItemId }
        : { class: 'ledgerDrift', op: 'unlink', sourceKey: f.sourceKey, targetId: f.targetId ?? null, listItemId: f.listItemId ?? null },
    );
  }

  const byClass = Object.fromEntries(DRIFT_CLASSES.map((cls) => [cls, {} as Record<string, number>]));
  for (const a of actions) byClass[a.class]![a.op] = (byClass[a.class]![a.op] ?? 0) + 1;
  const [limit] = await db
    .select({ max: schema.syncDefinitions.driftRepairAutoApproveMax })
    .from(schema.syncDefinitions)
    .where(eq(schema.syncDefinitions.id, d.id));
  const autoApproveMax = limit?.max ?? null;
  const needsApproval = actions.length > 0 && (autoApproveMax === null || actions.length > autoApproveMax);
  const total = actions.length;
  const describe = Object.entries(byClass)
    .flatMap(([cls, ops]) => Object.entries(ops).map(([op, n]) => `${n} ${op} (${cls})`))
    .join(', ');
  const summary =
    total === 0
      ? 'Nothing to repair: the table, the ledger and the lists agree.'
      : `Drift repair plan: ${total} action(s): ${describe}.` +
        (needsApproval
          ? ` Nothing was changed yet. Approve with POST /v1/sync-runs/${input.runRowId}/approve-plan, reject with .../reject-plan; the plan: GET /v1/sync-runs/${input.runRowId}/plan.`
          : '');
  const planSummary = { total, byClass, autoApproveMax, comparison: counts };
  await db
    .insert(schema.operationPlans)
    .values({
      definitionId: d.id,
      runId: input.runRowId,
      kind: 'drift_repair',
      reportId: input.reportId ?? null,
      summary: planSummary,
      actions,
      status: 'planned',
    })
    .onConflictDoUpdate({
      target: schema.operationPlans.runId,
      set: { summary: planSummary, actions, status: 'planned', outcome: null, updatedAt: new Date() },
    });
  log.info({ definitionId: d.id, runId: input.runRowId, total, needsApproval }, 'drift repair planned');
  const planned = Object.fromEntries(Object.entries(byClass).map(([cls, ops]) => [`planned${cls[0]!.toUpperCase()}${cls.slice(1)}`, sum(ops)]));
  return { total, needsApproval, summary, counts: { plannedActions: total, ...planned } };
}

const sum = (ops: Record<string, number>) => Object.values(ops).reduce((n, v) => n + v, 0);

interface Failure {
  action: RepairAction;
  reason: string;
}

export async function applyDriftRepair(
  deps: ActivityDeps,
  input: { definitionId: string; runRowId: string; context: RunContext },
): Promise<{ counts: Record<string, number> }> {
  const log = activityLog(deps, input.context);
  const activity = Context.current();
  const { db } = deps.store;
  const [plan] = await db.select().from(schema.operationPlans).where(eq(schema.operationPlans.runId, input.runRowId));
  if (!plan) throw invalid(`run ${input.runRowId} has no drift repair plan`);
  const actions = plan.actions as RepairAction[];
  const ctx = await loadRunContext(deps, input);
  const d = ctx.definition;
  const lists = targetLists(deps, ctx);
  const failures: Failure[] = [];
  const done: Record<string, number> = {};
  const count = (op: RepairOp, n = 1) => (done[op] = (done[op] ?? 0) + n);

  // Creates and updates: the rows as they are now, prepared and written as push writes them.
  // A re-link writes the row to the item it now points at, so the entry holds that item's hash and eTag.
  // One write per key: a re-link (to the item found) before a create, before an update.
  const rank: Partial<Record<RepairOp, number>> = { relink: 0, create: 1, update: 2 };
  const firstPerKey = new Map<string, RepairAction>();
  for (const a of actions.filter((x) => rank[x.op] !== undefined).sort((x, y) => rank[x.op]! - rank[y.op]!))
    if (!firstPerKey.has(a.sourceKey)) firstPerKey.set(a.sourceKey, a);
  const writesFor = [...firstPerKey.values()];
  const relinkedWithoutRow: RepairAction[] = [];
  if (writesFor.length) {
    const { table, columns } = await sourceTableAndColumns(deps, ctx);
    const families = keyFamiliesOf(table, d.keyColumns);
    const loader = new LookupLoader(deps, ctx.mappings, lists);
    const planCtx = { ...planContextOf(ctx, table), lookupsFor: (targetId: string) => loader.forTarget(targetId) };
    const read = await sourceOf(deps, ctx).readByKeys({
      ...tableRef(ctx),
      columns,
      keyColumns: d.keyColumns,
      keys: writesFor.map((a) => decodeSourceKey(a.sourceKey).map((k) => (k === null ? '' : String(k)))),
    });
    await loader.addRows(read.rows, table);
    const rows = new Map(read.rows.map((values, i) => [encodeSourceKey(read.keys[i]!, families), { values, key: read.keys[i]! }]));
    const writes: PlannedWrite[] = [];
    const actionOf = new Map<string, RepairAction>();
    for (const a of writesFor) {
      const row = rows.get(a.sourceKey);
      if (!row && a.op === 'relink') {
        relinkedWithoutRow.push(a);
        continue;
      }
      if (!row) {
        failures.push({ action: a, reason: 'the row is gone from the table' });
        continue;
      }
      const prepared = prepareRow(row, planCtx);
      if ('reason' in prepared) {
        failures.push({ action: a, reason: prepared.reason });
        continue;
      }
      actionOf.set(a.sourceKey, a);
      if (a.op === 'create' || !a.listItemId || !a.targetId) writes.push({ kind: 'create', row: prepared });
      else if (a.targetId === prepared.targetId) writes.push({ kind: 'update', row: prepared, listItemId: a.listItemId });
      else writes.push({ kind: 'move', row: prepared, from: { targetId: a.targetId, listItemId: a.listItemId } });
    }
    const outcome = await applyWrites(writes, lists, { heartbeat: () => activity.heartbeat({ phase: 'writing' }), signal: activity.cancellationSignal });
    for (const a of outcome.applied) count(actionOf.get(a.sourceKey)!.op);
    const refused: Quarantined[] = [...outcome.quarantined, ...outcome.transient.map((t) => ({ sourceKey: t.sourceKey, reason: t.message }))];
    for (const q of refused) failures.push({ action: actionOf.get(q.sourceKey)!, reason: q.reason });
    await commitBatch(db, {
      definitionId: d.id,
      runRowId: input.runRowId,
      applied: outcome.applied,
      deleted: [],
      quarantined: outcome.quarantined,
      healthyKeys: outcome.applied.map((a) => a.sourceKey),
      counts: {},
    });
  }

  // Deletes, per list, in `$batch`: an item already gone counts as deleted.
  const deletes = new Map<string, RepairAction[]>();
  for (const a of actions) if (a.op === 'deleteItem' && a.targetId && a.listItemId) groupInto(deletes, a.targetId, a);
  const deletedItems: RepairAction[] = [];
  for (const [targetId, group] of deletes) {
    const list = lists.get(targetId);
    if (!list) {
      for (const a of group) failures.push({ action: a, reason: `target ${targetId} is no longer one of the definition's lists` });
      continue;
    }
    const results = await list.graph.deleteItems(
      list.siteId,
      list.listId,
      group.map((a, i) => ({ id: String(i), itemId: a.listItemId! })),
      { signal: activity.cancellationSignal },
    );
    results.forEach((r) => {
      const a = group[Number(r.id)]!;
      if (r.ok || r.status === 404) deletedItems.push(a);
      else failures.push({ action: a, reason: `Graph answered ${r.status}${'code' in r && r.code ? ` ${r.code}` : ''}` });
    });
    activity.heartbeat({ phase: 'deleting' });
  }
  count('deleteItem', deletedItems.length);

  // The ledger: entries of deleted items go, re-links point at the item found, unlinks drop the entry.
  const relinks = relinkedWithoutRow;
  const unlinks = actions.filter((a) => a.op === 'unlink');
  const L = schema.syncLedger;
  const now = new Date();
  await db.transaction(async (tx) => {
    // One statement per thousand actions, whatever their number.
    for (let i = 0; i < deletedItems.length; i += 1000) {
      const part = deletedItems.slice(i, i + 1000);
      await tx.execute(sql`
        delete from ${L} l using unnest(${sql.param(part.map((a) => a.targetId!))}::uuid[], ${sql.param(part.map((a) => a.listItemId!))}::text[]) as x(target_id, list_item_id)
        where l.definition_id = ${d.id} and l.target_id = x.target_id and l.list_item_id = x.list_item_id`);
    }
    for (let i = 0; i < relinks.length; i += 1000) {
      const part = relinks.slice(i, i + 1000);
      await tx.execute(sql`
        update ${L} l set target_id = x.target_id, list_item_id = x.list_item_id, content_hash = '', etag = null, updated_at = ${now.toISOString()}::timestamptz
        from unnest(${sql.param(part.map((a) => a.sourceKey))}::text[], ${sql.param(part.map((a) => a.targetId!))}::uuid[], ${sql.param(part.map((a) => a.listItemId!))}::text[])
          as x(source_key, target_id, list_item_id)
        where l.definition_id = ${d.id} and l.source_key = x.source_key`);
    }
    for (let i = 0; i < unlinks.length; i += 1000)
      await tx.delete(L).where(
        and(
          eq(L.definitionId, d.id),
          inArray(
            L.sourceKey,
            unlinks.slice(i, i + 1000).map((a) => a.sourceKey),
          ),
        ),
      );
    const events = [...deletedItems, ...relinks, ...unlinks].map((a) => ({
      definitionId: d.id,
      runId: input.runRowId,
      sourceKey: a.sourceKey,
      kind: a.op === 'deleteItem' ? ('delete' as const) : ('adopt' as const),
      fromTargetId: a.op === 'deleteItem' ? (a.targetId ?? null) : null,
      toTargetId: a.op === 'relink' ? (a.targetId ?? null) : null,
      listItemId: a.listItemId ?? null,
      detail: { operation: 'drift_repair', class: a.class, op: a.op },
    }));
    await insertLedgerEvents(tx, events);
  });
  count('relink', relinks.length);
  // Entries of actions that failed keep what they had; a later check finds them again.
  count('unlink', unlinks.length);

  const repaired = Object.values(done).reduce((n, v) => n + v, 0);
  const outcome = { done, failed: failures.length, failures: failures.slice(0, 100) };
  await db
    .update(schema.operationPlans)
    .set({ status: failures.length && repaired === 0 ? 'failed' : 'applied', outcome, updatedAt: new Date() })
    .where(eq(schema.operationPlans.runId, input.runRowId));
  log.info({ definitionId: d.id, runId: input.runRowId, done, failed: failures.length }, 'drift repair applied');
  const counts: Record<string, number> = { repaired, repairFailed: failures.length };
  for (const [op, n] of Object.entries(done)) counts[`repaired${op[0]!.toUpperCase()}${op.slice(1)}`] = n;
  return { counts };
}
