import { and, eq } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { allMappings, checkDefinitionSource, definitionFingerprint, OPERATIONS, type OperationKind } from '@syncbridge/shared/domain';
import { validateMappings } from '@syncbridge/shared/mapping';
import { findTable, sourceConnectorFor, type SourceSession } from '@syncbridge/shared/sources';
import type { RunContext } from '@syncbridge/shared/temporal';
import { activityLog, type ActivityDeps } from '../deps.ts';
import { readCursor, upsertCursor } from '../push/commit.ts';
import { sourceOf, tableRef } from '../push/context.ts';
import { freezeContextNow, invalid, loadRunContext, withCredentials, type DefinitionContext } from '../sync/definition.ts';

/*
 * Failover and rebind: a definition moved to another instance of its database (a replica
 * promoted after its primary failed, a migration to a new server).
 * 1. check the new instance, changing nothing: it belongs to the definition's database, it is
 *    reachable, its table fits the definition (key, watermark, every mapped column, by the same
 *    rules as the API's), and its row count and highest watermark are compared with the old
 *    instance's (the old one may be down: then its side is reported unknown);
 * 2. a check that fails ends the run with the problems, nothing changed;
 * 3. (the workflow waits for approval)
 * 4. the definition's schedules are paused (each noted, so only those this run paused are
 *    resumed); running writers cannot overlap: the coordinator runs one writer at a time;
 * 5. the definition is pinned to the new instance, or with `promote` the instance becomes its
 *    database's primary (the old primary a replica) and the definition follows the primary;
 * 6. the push cursor re-baselined by the run's rule: `keep` keeps the watermark moved back by
 *    `rewindSeconds` (rows committed on the old primary but replicated late are read again; an
 *    unchanged row costs a hash compare), `full` makes the next push a full pass;
 * 7. the schedules resumed and a catch-up push asked of the coordinator (it starts when this
 *    run ends); 8. the run's counts and plan hold the report.
 * Each step is an activity: a worker killed between steps resumes at the step it was in, and
 * every step can run twice (a pin, a role swap, a cursor write, a pause are idempotent).
 */

export interface RebindOptions {
  toInstanceId: string;
  cursor: 'keep' | 'full';
  rewindSeconds: number;
  promote: boolean;
}

export interface RebindInput extends RebindOptions {
  definitionId: string;
  runRowId: string;
  context: RunContext;
}

export interface RebindCheck {
  ok: boolean;
  problems: string[];
  summary: string;
  counts: Record<string, number>;
}

interface Side {
  instanceId: string;
  reachable: boolean;
  rows: number | null;
  maxWatermark: string | null;
  error?: string;
}

async function sideOf(session: SourceSession, ctx: DefinitionContext, instanceId: string): Promise<Side> {
  const d = ctx.definition;
  try {
    const rows = await session.countRows(tableRef(ctx));
    const maxWatermark = d.cursorColumn ? await session.maxWatermark({ ...tableRef(ctx), cursorColumn: d.cursorColumn }) : null;
    return { instanceId, reachable: true, rows, maxWatermark };
  } catch (err) {
    const classified = sourceConnectorFor(ctx.source.engine).classifyError(err, ctx.source);
    return { instanceId, reachable: false, rows: null, maxWatermark: null, error: classified.message };
  }
}

export async function checkRebind(deps: ActivityDeps, input: RebindInput): Promise<RebindCheck> {
  const log = activityLog(deps, input.context);
  const { db } = deps.store;
  const ctx = await loadRunContext(deps, input);
  const d = ctx.definition;
  const problems: string[] = [];
  const [inst] = await db.select().from(schema.databaseInstances).where(eq(schema.databaseInstances.id, input.toInstanceId));
  if (!inst) problems.push(`database instance ${input.toInstanceId} does not exist`);
  else if (inst.databaseId !== d.databaseId) problems.push(`database instance ${inst.name} belongs to another database than the definition's`);
  else if (inst.id === ctx.instanceId && !input.promote) problems.push(`the definition already reads from ${inst.name}`);
  else if (d.direction !== 'push' && inst.role !== 'primary' && !input.promote)
    // Ingress writes to the table: a definition pinned to a replica could not run it.
    problems.push(`${inst.name} is a replica and the definition writes to its table (direction ${d.direction}): rebind with promote: true`);
  let next: Side | null = null;
  if (problems.length === 0) {
    const { frozen } = await freezeContextNow(deps, d.id, { instanceId: input.toInstanceId });
    const newCtx = await withCredentials(deps, frozen);
    const session = sourceOf(deps, newCtx);
    try {
      const snapshot = await session.introspect({ schema: d.sourceSchema, table: d.sourceTable });
      const checked = checkDefinitionSource(snapshot, { ...d, softDeleteColumn: d.softDeleteColumn ?? null }, `instance ${inst!.name}`);
      for (const i of checked.issues) problems.push(`${i.field}: ${i.message}`);
      const table = findTable(snapshot, d.sourceSchema, d.sourceTable);
      if (table) for (const i of validateMappings(table, allMappings(ctx))) problems.push(`${i.field}: ${i.message}`);
      if (d.cursorStrategy === 'logical_replication') {
        // The definition reads the log: the new instance must let it (a new slot is made there by the next run).
        const capture = session.changeCapture;
        const refused = capture
          ? await capture.problems({ schema: d.sourceSchema, name: d.sourceTable }, d.keyColumns)
          : [`${newCtx.source.engine} has no logical replication`];
        for (const p of refused) problems.push(`cursorStrategy logical_replication: ${p}`);
      }
      next = await sideOf(session, newCtx, inst!.id);
    } catch (err) {
      const classified = sourceConnectorFor(newCtx.source.engine).classifyError(err, newCtx.source);
      problems.push(`instance ${inst!.name} cannot be read: ${classified.message}`);
    }
  }
  const old = await sideOf(sourceOf(deps, ctx), ctx, ctx.instanceId);
  const unique = [...new Set(problems)];
  const ok = unique.length === 0;
  const compared =
    next && old.reachable
      ? `rows ${old.rows} on the old instance, ${next.rows} on the new; highest watermark ${old.maxWatermark ?? '(none)'} and ${next.maxWatermark ?? '(none)'}`
      : next
        ? `the old instance cannot be read (${old.error}); ${next.rows} rows on the new`
        : '';
  const summary = ok
    ? `Rebind to ${inst!.name}: the new instance fits (${compared}). The next push ${input.cursor === 'keep' ? `keeps the watermark, moved back ${input.rewindSeconds} s` : 'makes a full pass'}. Approve with POST /v1/sync-runs/${input.runRowId}/approve-plan, reject with .../reject-plan.`
    : `The new instance does not fit, nothing was changed: ${unique.join('; ')}`;
  const report = { ok, problems: unique, old, new: next, options: { ...input, context: undefined } };
  await db
    .insert(schema.operationPlans)
    .values({
      definitionId: d.id,
      runId: input.runRowId,
      kind: 'rebind',
      summary: { total: ok ? 1 : 0, byClass: {}, check: report },
      actions: ok ? [{ op: input.promote ? 'promote' : 'pin', sourceKey: '', targetId: null, toInstanceId: input.toInstanceId, cursor: input.cursor }] : [],
      status: 'planned',
    })
    .onConflictDoUpdate({
      target: schema.operationPlans.runId,
      set: { summary: { total: ok ? 1 : 0, byClass: {}, check: report }, status: 'planned', updatedAt: new Date() },
    });
  log.info({ definitionId: d.id, runId: input.runRowId, ok, problems: unique }, 'rebind checked');
  return {
    ok,
    problems: unique,
    summary,
    counts: {
      checkPassed: ok ? 1 : 0,
      ...(old.rows !== null ? { oldRows: old.rows } : {}),
      ...(next?.rows !== null && next?.rows !== undefined ? { newRows: next.rows } : {}),
    },
  };
}

/** Pauses (or resumes) the definition's schedules; pausing returns the kinds this call paused (those already paused stay as they are). */
export async function setSchedulesPaused(
  deps: ActivityDeps,
  input: { definitionId: string; runRowId: string; paused: boolean; kinds?: OperationKind[] },
): Promise<OperationKind[]> {
  if (!deps.coordinators) throw invalid('this worker cannot reach Temporal Schedules');
  const S = schema.operationSchedules;
  const rows = await deps.store.db.select().from(S).where(eq(S.definitionId, input.definitionId));
  const note = `${input.paused ? 'paused' : 'resumed'} by rebind run ${input.runRowId}`;
  const touched: OperationKind[] = [];
  for (const row of rows) {
    const kind = row.kind as OperationKind;
    if (!OPERATIONS[kind]?.schedulable) continue;
    if (input.paused && row.paused) continue;
    if (!input.paused && !(input.kinds ?? []).includes(kind)) continue;
    // The row first: the API's reconciliation keeps a Temporal Schedule as its row says.
    await deps.store.db
      .update(S)
      .set({ paused: input.paused, note: input.paused ? note : null, updatedAt: new Date() })
      .where(and(eq(S.id, row.id)));
    await deps.coordinators.setSchedulePaused(input.definitionId, kind, input.paused, note);
    touched.push(kind);
  }
  return touched;
}

/** Steps 5 and 6: the definition bound to the new instance and its push cursor re-baselined. */
export async function applyRebind(deps: ActivityDeps, input: RebindInput): Promise<{ counts: Record<string, number> }> {
  const log = activityLog(deps, input.context);
  const { db } = deps.store;
  const ctx = await loadRunContext(deps, input);
  const d = ctx.definition;
  const [inst] = await db.select().from(schema.databaseInstances).where(eq(schema.databaseInstances.id, input.toInstanceId));
  if (!inst || inst.databaseId !== d.databaseId) throw invalid(`database instance ${input.toInstanceId} is not an instance of the definition's database`);
  const I = schema.databaseInstances;
  await db.transaction(async (tx) => {
    if (input.promote) {
      // One primary per database (a unique index): the old one steps down first.
      await tx
        .update(I)
        .set({ role: 'replica', updatedAt: new Date() })
        .where(and(eq(I.databaseId, d.databaseId), eq(I.role, 'primary')));
      await tx.update(I).set({ role: 'primary', updatedAt: new Date() }).where(eq(I.id, inst.id));
      await tx.update(schema.syncDefinitions).set({ sourceInstanceId: null, updatedAt: new Date() }).where(eq(schema.syncDefinitions.id, d.id));
    } else {
      await tx.update(schema.syncDefinitions).set({ sourceInstanceId: inst.id, updatedAt: new Date() }).where(eq(schema.syncDefinitions.id, d.id));
    }
  });
  // The cursor, by the run's rule. The fingerprint of the definition on its new instance: with `keep` the next push
  // goes on incrementally from the rewound watermark; with `full` it differs, and the next push makes a full pass.
  const { frozen } = await freezeContextNow(deps, d.id, { instanceId: inst.id });
  const newCtx = await withCredentials(deps, frozen);
  const cursor = await readCursor(db, d.id, 'source_watermark');
  let rewound: string | null = null;
  if (input.cursor === 'keep' && cursor && d.cursorColumn && typeof cursor.watermark === 'string') {
    rewound = await sourceOf(deps, newCtx).rewindWatermark({ ...tableRef(newCtx), cursorColumn: d.cursorColumn }, cursor.watermark, input.rewindSeconds);
    await upsertCursor(db, d.id, 'source_watermark', { ...cursor, watermark: rewound, key: [], mappingFingerprint: definitionFingerprint(newCtx) });
  } else if (cursor) {
    await upsertCursor(db, d.id, 'source_watermark', { ...cursor, mappingFingerprint: `rebind:${input.runRowId}` });
  }
  const fullPass = input.cursor === 'full' || rewound === null;
  await db
    .update(schema.operationPlans)
    .set({
      status: 'applied',
      outcome: { done: { [input.promote ? 'promote' : 'pin']: 1 }, failed: 0, failures: [], cursor: { rule: input.cursor, rewoundTo: rewound, fullPass } },
      updatedAt: new Date(),
    })
    .where(eq(schema.operationPlans.runId, input.runRowId));
  log.info({ definitionId: d.id, runId: input.runRowId, instanceId: inst.id, promote: input.promote, rule: input.cursor, rewound }, 'definition rebound');
  return { counts: { rebound: 1, promoted: input.promote ? 1 : 0, fullPassNext: fullPass ? 1 : 0 } };
}

/** Step 7: the catch-up push, asked of the coordinator (it starts once this run has ended). */
export async function requestCatchUpPush(deps: ActivityDeps, input: { definitionId: string; runRowId: string; context: RunContext }): Promise<string> {
  if (!deps.coordinators) throw invalid('this worker cannot reach the definition coordinator');
  const ctx = await loadRunContext(deps, input);
  const ticket = await deps.coordinators.request(input.definitionId, {
    // An ingress-only definition has no push: its catch-up is an ingress.
    kind: ctx.definition.direction === 'ingress' ? 'ingress' : 'push',
    requestId: `rebind-catch-up-${input.runRowId}`,
    runId: crypto.randomUUID(),
    requestedBy: input.context.requestedBy,
    trigger: 'api',
    options: {},
  });
  return ticket.runId;
}
