import { and, eq } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { insertLedgerEvents, keyIn } from '@syncbridge/shared/domain';
import { convertRow, decodeSourceKey, encodeSourceKey, itemToRow, KEY_COLUMN_NAME, type Lookups } from '@syncbridge/shared/mapping';
import type { IntrospectedTable, RowChange, SourceSession, SourceValue } from '@syncbridge/shared/sources';
import type { RunContext } from '@syncbridge/shared/temporal';
import type { ActivityDeps } from '../deps.ts';
import { etagOf } from '../push/apply.ts';
import { addRunCounts, type Tx } from '../push/commit.ts';
import { sourceOf, tableRef, targetLists } from '../push/context.ts';
import { keyFamiliesOf, titleOf } from '../push/plan.ts';
import { loadRunContext, type DefinitionContext } from '../sync/definition.ts';
import { LookupLoader } from '../sync/lookups.ts';
import { sourceTableAndColumns } from '../sync/table.ts';
import { hashOf, ingressMappings } from './page.ts';

/*
 * Conflicts a person resolved through the API (POST /v1/conflicts/{id}/resolve), applied at the
 * start of an ingress run, before its pages:
 * 1. keep 'list' / 'merged': the item's values (back through the ingress mappings) or the given
 *    values are written to the rows, all in one applyChanges call (one transaction), each checked
 *    against the row as read just before;
 * 2. the rows are read again (a trigger may have changed more) and converted as push converts
 *    them; each list item is updated with that version (one $batch per list) — for keep
 *    'source' this is the only write;
 * 3. the ledger takes the hash push computes for the row and the item's new eTag, so neither
 *    direction sends the row back; the conflict gets `appliedAt`, a ledger event of kind
 *    'conflict' records who resolved it how. All in one meta-store transaction.
 * A write the table or the list refuses leaves the resolution unapplied, with the reason in
 * `resolution.error`; the next ingress run tries again (a repeated table write is found already
 * applied, so nothing is written twice).
 */

export interface ApplyResolutionsInput {
  definitionId: string;
  runRowId: string;
  context: RunContext;
}

export interface Resolution {
  keep: 'source' | 'list' | 'merged';
  values?: Record<string, SourceValue>;
  by: string;
  at: string;
  appliedAt: string | null;
  error?: string;
  [extra: string]: unknown;
}

interface Pending {
  id: string;
  sourceKey: string;
  keyTexts: string[];
  resolution: Resolution;
  listValue: Record<string, unknown>;
  ledger: { targetId: string | null; listItemId: string | null } | undefined;
  error?: string;
  /** Set once the list item holds the row: what the ledger records. */
  applied?: { targetId: string; listItemId: string; hash: string; etag: string | null; deleted?: true };
}

type CurrentRow = { key: string[]; values: Record<string, unknown>; hash: string };

const keyTextsOf = (sourceKey: string) => decodeSourceKey(sourceKey).map((k) => (k === null ? '' : String(k)));

function parseResolution(text: string | null): Resolution | null {
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as Resolution;
    return parsed && typeof parsed === 'object' && ['source', 'list', 'merged'].includes(parsed.keep) ? parsed : null;
  } catch {
    return null;
  }
}

/** The list fields push writes for a row (prepareRow), or why it cannot. */
function fieldsOf(values: Record<string, unknown>, p: Pending, ctx: DefinitionContext, table: IntrospectedTable, lookups: Lookups | undefined) {
  const converted = convertRow(values, ctx.mappings, table, lookups);
  if (!converted.ok) return { ok: false as const, reason: `column ${converted.column}: ${converted.reason}` };
  const fields: Record<string, unknown> = { ...converted.fields, [KEY_COLUMN_NAME]: p.sourceKey };
  if (!ctx.mappings.some((m) => m.targetColumn === 'Title')) fields.Title = titleOf(p.keyTexts);
  return { ok: true as const, fields };
}

export async function applyConflictResolutions(deps: ActivityDeps, input: ApplyResolutionsInput): Promise<{ counts: Record<string, number> }> {
  const db = deps.store.db;
  const counts = { resolutionsApplied: 0, resolutionsFailed: 0 };
  const C = schema.conflicts;
  const resolved = await db
    .select()
    .from(C)
    .where(and(eq(C.definitionId, input.definitionId), eq(C.status, 'resolved')))
    .orderBy(C.createdAt, C.id);
  const waiting = resolved.flatMap((r) => {
    const resolution = parseResolution(r.resolution);
    return resolution && resolution.appliedAt === null ? [{ row: r, resolution }] : [];
  });
  if (waiting.length === 0) return { counts };

  // Not activityLog: this runs outside an activity too (it reads no activity context).
  const log = deps.logger.child({ requestId: input.context.requestId, runRowId: input.runRowId });
  const ctx = await loadRunContext(deps, input);
  const d = ctx.definition;
  const { table, columns } = await sourceTableAndColumns(deps, ctx);
  const source = sourceOf(deps, ctx);
  const lists = targetLists(deps, { ...ctx, targets: ctx.targets.filter((t) => t.listId) });
  const families = keyFamiliesOf(table, d.keyColumns);
  const loader = new LookupLoader(deps, [...ctx.mappings, ...ctx.ingressMappings.filter((m) => m.direction === 'ingress')], lists);
  const now = new Date();

  // One resolution per row: a later one (of a later conflict of the same row) replaces an earlier one not applied yet.
  const latest = new Map<string, (typeof waiting)[number]>();
  for (const w of waiting) latest.set(w.row.sourceKey, w);
  const superseded = waiting.filter((w) => latest.get(w.row.sourceKey) !== w);

  const L = schema.syncLedger;
  const keys = [...latest.keys()];
  const ledgerRows = await db
    .select({ sourceKey: L.sourceKey, targetId: L.targetId, listItemId: L.listItemId })
    .from(L)
    .where(and(eq(L.definitionId, d.id), keyIn(keys)));
  const ledger = new Map(ledgerRows.map((l) => [l.sourceKey, l]));
  const pending: Pending[] = [...latest.values()].map((w) => ({
    id: w.row.id,
    sourceKey: w.row.sourceKey,
    keyTexts: keyTextsOf(w.row.sourceKey),
    resolution: w.resolution,
    listValue: (w.row.listValue ?? {}) as Record<string, unknown>,
    ledger: ledger.get(w.row.sourceKey),
  }));
  const live = () => pending.filter((p) => p.error === undefined);

  // 1. The table writes (keep 'list' or 'merged'), one transaction.
  const before = await readRows(source, ctx, columns, families, pending);
  const writable = ingressMappings(ctx.ingressMappings, table);
  const columnNames = new Set(table.columns.map((c) => c.name));
  const changes: RowChange[] = [];
  const changed: Pending[] = [];
  for (const p of pending) {
    if (p.resolution.keep === 'source') continue;
    let values: Record<string, SourceValue>;
    if (p.resolution.keep === 'list') {
      const targetId = p.ledger?.targetId ?? '';
      await loader.addItems(targetId, [p.listValue]);
      const back = itemToRow(p.listValue, writable, table, loader.forTarget(targetId));
      if (!back.ok) {
        p.error = `the list version cannot be written to the table: ${back.reason}`;
        continue;
      }
      values = back.write;
    } else {
      values = p.resolution.values ?? {};
      const missing = Object.keys(values).find((col) => !columnNames.has(col));
      if (missing) {
        p.error = `column ${missing} no longer exists in ${table.schema}.${table.name}`;
        continue;
      }
    }
    values = Object.fromEntries(Object.entries(values).filter(([col]) => !d.keyColumns.includes(col)));
    const row = before.get(p.sourceKey);
    if (row && Object.keys(values).length === 0) continue;
    changes.push(row ? { op: 'update', key: row.key, values, expected: { rowHash: row.hash } } : { op: 'insert', key: p.keyTexts, values });
    changed.push(p);
  }
  if (changes.length) {
    const result = await source.applyChanges({ ...tableRef(ctx), keyColumns: d.keyColumns, hashColumns: columns, changes });
    result.outcomes.forEach((o, i) => {
      const p = changed[i]!;
      if (o.status === 'rejected') p.error = `the table refused the ${p.resolution.keep} version: ${o.reason}`;
      else if (o.status === 'conflict') p.error = 'the row changed while the resolution was written; it is tried again with the next ingress run';
    });
  }

  // 2. The rows as they are now, written to their list items (one $batch per list).
  const after = await readRows(source, ctx, columns, families, live());
  const updates = new Map<string, Array<{ p: Pending; fields: Record<string, unknown>; hash: string }>>();
  const deletes = new Map<string, Pending[]>();
  for (const p of live()) {
    const target = p.ledger?.targetId ? lists.get(p.ledger.targetId) : undefined;
    if (!target || !p.ledger?.listItemId) {
      p.error = 'the ledger knows no list item of the row (it was removed since); the next push writes the row to the list';
      continue;
    }
    const row = after.get(p.sourceKey);
    if (!row) {
      if (p.resolution.keep !== 'source') {
        p.error = 'the row is gone from the table';
        continue;
      }
      // The table's version is no row: the item goes too.
      deletes.set(target.id, [...(deletes.get(target.id) ?? []), p]);
      continue;
    }
    await loader.addRows([row.values], table, [target.id]);
    const built = fieldsOf(row.values, p, ctx, table, loader.forTarget(target.id));
    const hash = hashOf(row.values, p.keyTexts, p.sourceKey, ctx, table, loader.forTarget(target.id));
    if (!built.ok || hash === null) {
      p.error = `the row cannot be written to the list: ${built.ok ? 'it does not convert' : built.reason}`;
      continue;
    }
    updates.set(target.id, [...(updates.get(target.id) ?? []), { p, fields: built.fields, hash }]);
  }
  for (const [targetId, batch] of updates) {
    const list = lists.get(targetId)!;
    const results = await list.graph.updateItems(
      list.siteId,
      list.listId,
      batch.map((u, i) => ({ id: String(i), itemId: u.p.ledger!.listItemId!, fields: u.fields })),
    );
    const byId = new Map(results.map((r) => [r.id, r]));
    batch.forEach((u, i) => {
      const r = byId.get(String(i));
      if (r?.ok) u.p.applied = { targetId, listItemId: u.p.ledger!.listItemId!, hash: u.hash, etag: etagOf(r) };
      else u.p.error = `the list refused the update of item ${u.p.ledger!.listItemId}: ${r ? `${r.status} ${r.message}` : 'no answer'}`;
    });
  }
  for (const [targetId, batch] of deletes) {
    const list = lists.get(targetId)!;
    const results = await list.graph.deleteItems(
      list.siteId,
      list.listId,
      batch.map((p, i) => ({ id: String(i), itemId: p.ledger!.listItemId! })),
    );
    const byId = new Map(results.map((r) => [r.id, r]));
    batch.forEach((p, i) => {
      const r = byId.get(String(i));
      if (r?.ok) p.applied = { targetId, listItemId: p.ledger!.listItemId!, hash: '', etag: null, deleted: true };
      else p.error = `the list refused the deletion of item ${p.ledger!.listItemId}: ${r ? `${r.status} ${r.message}` : 'no answer'}`;
    });
  }

  // 3. Ledger, events, the conflicts and the run's counts, in one transaction.
  for (const p of pending) {
    if (p.applied) counts.resolutionsApplied++;
    else counts.resolutionsFailed++;
  }
  await db.transaction(async (tx: Tx) => {
    for (const p of pending) {
      if (p.applied?.deleted) await tx.delete(L).where(and(eq(L.definitionId, d.id), eq(L.sourceKey, p.sourceKey)));
      else if (p.applied) {
        const fromList = p.resolution.keep !== 'source';
        await tx
          .update(L)
          .set({
            contentHash: p.applied.hash,
            etag: p.applied.etag,
            provenance: fromList ? 'ingress' : 'push',
            ...(fromList ? { lastIngestedAt: now } : { lastPushedAt: now }),
            sweepRunId: null,
            updatedAt: now,
          })
          .where(and(eq(L.definitionId, d.id), eq(L.sourceKey, p.sourceKey)));
      }
      const { error: _previous, ...rest } = p.resolution;
      const resolution = p.applied ? { ...rest, appliedAt: now.toISOString() } : { ...rest, error: p.error ?? 'not applied' };
      await tx
        .update(C)
        .set({ resolution: JSON.stringify(resolution), updatedAt: now })
        .where(eq(C.id, p.id));
    }
    for (const w of superseded) {
      const resolution = { ...w.resolution, appliedAt: now.toISOString(), supersededBy: latest.get(w.row.sourceKey)!.row.id };
      await tx
        .update(C)
        .set({ resolution: JSON.stringify(resolution), updatedAt: now })
        .where(eq(C.id, w.row.id));
    }
    const applied = pending.filter((p) => p.applied);
    if (applied.length) {
      await insertLedgerEvents(
        tx,
        applied.map((p) => ({
          definitionId: d.id,
          runId: input.runRowId,
          sourceKey: p.sourceKey,
          kind: 'conflict' as const,
          fromTargetId: p.applied!.deleted ? p.applied!.targetId : null,
          toTargetId: p.applied!.deleted ? null : p.applied!.targetId,
          listItemId: p.applied!.listItemId,
          detail: { direction: 'ingress', resolved: p.resolution.keep, by: p.resolution.by, conflictId: p.id },
        })),
      );
    }
    await addRunCounts(tx, input.runRowId, counts);
  });
  log.info(
    { definitionId: d.id, counts, failed: pending.filter((p) => p.error).map((p) => ({ sourceKey: p.sourceKey, error: p.error })) },
    'conflict resolutions',
  );
  return { counts };
}

/** The rows these resolutions name, by source key, with their hash over the columns read. */
async function readRows(
  source: SourceSession,
  ctx: DefinitionContext,
  columns: string[],
  families: ReturnType<typeof keyFamiliesOf>,
  pending: Pending[],
): Promise<Map<string, CurrentRow>> {
  const out = new Map<string, CurrentRow>();
  if (pending.length === 0) return out;
  const read = await source.readByKeys({
    ...tableRef(ctx),
    columns,
    keyColumns: ctx.definition.keyColumns,
    keys: pending.map((p) => p.keyTexts),
    hashColumns: columns,
  });
  read.rows.forEach((values, i) => {
    const key = read.keys[i]!;
    out.set(encodeSourceKey(key, families), { key, values, hash: read.hashes![i]! });
  });
  return out;
}
