import { Context } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { contentHash, convertRow, isSoftDeleted, itemToRow, KEY_COLUMN_NAME, type FieldMappingSpec, type Lookups } from '@syncbridge/shared/mapping';
import type { IntrospectedTable } from '@syncbridge/shared/sources';
import type { RunContext } from '@syncbridge/shared/temporal';
import { activityLog, type ActivityDeps } from '../deps.ts';
import { sourceOf, tableRef, targetLists } from '../push/context.ts';
import { planContextOf, prepareRow, titleOf } from '../push/plan.ts';
import { loadRunContext, type DefinitionContext } from '../sync/definition.ts';
import { LookupLoader } from '../sync/lookups.ts';
import { scanListsViaMirror } from './mirror.ts';
import { sourceTableAndColumns } from '../sync/table.ts';

/*
 * Drift check (read-only): the definition's table, its ledger and its lists, compared.
 * 1. every list is read with `$select` of the key column and the mapped fields only;
 * 2. the ledger is read in one query;
 * 3. the table is scanned in key order, a page at a time (readByKey), each row prepared exactly
 *    as push prepares it (prepareRow: same conversion, routing, Title and content hash);
 * 4. the classes below are counted, a few keys of each kept as samples, and the report stored
 *    in drift_reports. Nothing is written anywhere else but the check's own copy of the lists.
 * Step 1 reads through that copy (list_item_mirror, mirror.ts): the first check enumerates each
 * list (Graph delta without a token), later ones read only the changes since its delta token.
 *
 * Classes:
 * - orphanItems: an item whose SyncBridgeKey no row of the table has;
 * - missingItems: a row push would write, and no item in any of the lists carries its key;
 * - valueDrift: the item (the ledger's, else the first found) holds values that differ from
 *   what push would write for the row: the item is read back to row values (as ingress reads
 *   it), laid over the row, and hashed as push hashes; a different hash is drift;
 * - ledgerDrift: a ledger entry whose item does not exist in its list (deleted, never there, or
 *   the key is held by an item of another list), or whose item carries another key;
 * - duplicates: a key carried by more than one item, in one list or across the definition's
 *   lists (counted once per key; SharePoint's unique index on the key column makes the
 *   in-list case rare: a list adopted without it, an interrupted move).
 * Counted, not drift: `misrouted` (the row routes to another list than the one holding its
 * item: what a reshard moves). An ingress-only definition reports no missing items or value
 * drift (push never writes its lists).
 */

export const DRIFT_CLASSES = ['orphanItems', 'missingItems', 'valueDrift', 'ledgerDrift', 'duplicates'] as const;
export type DriftClass = (typeof DRIFT_CLASSES)[number];

/** Keys kept per class in a report. */
export const SAMPLES_PER_CLASS = 20;

export interface DriftSample {
  sourceKey: string;
  targetId?: string | null;
  listItemId?: string | null;
  detail?: string;
}

export interface DriftCheckInput {
  definitionId: string;
  runRowId: string;
  context: RunContext;
}

export interface DriftCheckResult {
  reportId: string;
  counts: Record<string, number>;
}

/** Every finding of a comparison (not only samples), for a repair to act on. */
export interface DriftComparison {
  counts: Record<string, number>;
  findings: Record<DriftClass, DriftFinding[]>;
}

/** A finding with what a repair needs besides the sample: the items of a duplicated key, the item a ledger entry should point at. */
export interface DriftFinding extends DriftSample {
  /** duplicates: every item carrying the key, the one to keep first. */
  items?: Array<{ targetId: string; listItemId: string }>;
  /** ledgerDrift: the item that carries the key elsewhere (the entry can point at it). */
  relinkTo?: { targetId: string; listItemId: string };
}

export async function driftCheck(deps: ActivityDeps, input: DriftCheckInput): Promise<DriftCheckResult> {
  const log = activityLog(deps, input.context);
  const ctx = await loadRunContext(deps, input);
  const { counts, findings } = await compareDrift(deps, ctx);
  const samples = Object.fromEntries(
    DRIFT_CLASSES.map((cls) => [
      cls,
      findings[cls].slice(0, SAMPLES_PER_CLASS).map(({ sourceKey, targetId, listItemId, detail }) => ({
        sourceKey,
        ...(targetId !== undefined ? { targetId } : {}),
        ...(listItemId !== undefined ? { listItemId } : {}),
        ...(detail !== undefined ? { detail } : {}),
      })),
    ]),
  );
  const [report] = await deps.store.db
    .insert(schema.driftReports)
    .values({
      definitionId: ctx.definition.id,
      runId: input.runRowId,
      summary: counts,
      findings: samples,
      graphRequests: counts.graphRequests!,
    })
    .returning({ id: schema.driftReports.id });
  log.info({ definitionId: ctx.definition.id, runId: input.runRowId, counts }, 'drift check done');
  return { reportId: report!.id, counts };
}

/** The comparison itself (steps 1-3 above): counts and every finding, nothing written. */
export async function compareDrift(deps: ActivityDeps, ctx: DefinitionContext): Promise<DriftComparison> {
  const activity = Context.current();
  const d = ctx.definition;
  const { table, columns } = await sourceTableAndColumns(deps, ctx);
  const lists = targetLists(deps, ctx);
  const counts: Record<string, number> = Object.fromEntries(DRIFT_CLASSES.map((c) => [c, 0]));
  Object.assign(counts, { itemsRead: 0, unkeyedItems: 0, rowsRead: 0, rowsNotWritten: 0, misrouted: 0, ledgerEntries: 0, graphRequests: 0 });
  // An ingress-only definition never pushes: an absent or different item is what the list holds, not drift.
  const pushes = d.direction !== 'ingress';
  const findings: Record<DriftClass, DriftFinding[]> = { orphanItems: [], missingItems: [], valueDrift: [], ledgerDrift: [], duplicates: [] };
  const note = (cls: DriftClass, finding: DriftFinding) => {
    counts[cls]!++;
    findings[cls].push(finding);
  };

  // 1. The lists: key column and the fields push writes (and ingress reads), nothing else.
  const readBack = [...ctx.mappings].map((m) => ({ ...m, direction: 'both' as const }));
  // People and lookups convert through the site's users and the looked-up definition's ledger.
  const loader = new LookupLoader(deps, ctx.mappings, lists);
  // Read through the check's copy of each list: after the first check, only what changed since (mirror.ts).
  const scan = await scanListsViaMirror(deps, lists, ctx.mappings, loader);
  const { itemsByKey, keyAt } = scan;
  Object.assign(counts, {
    itemsRead: scan.itemsRead,
    unkeyedItems: scan.unkeyedItems,
    graphRequests: scan.graphRequests,
    listsFromDeltaToken: scan.listsFromDeltaToken,
    listsEnumerated: scan.listsEnumerated,
  });

  // 2. The ledger.
  const L = schema.syncLedger;
  const ledgerRows = await deps.store.db
    .select({ sourceKey: L.sourceKey, targetId: L.targetId, listItemId: L.listItemId })
    .from(L)
    .where(eq(L.definitionId, d.id));
  const ledger = new Map(ledgerRows.map((e) => [e.sourceKey, e]));
  counts.ledgerEntries = ledgerRows.length;
  for (const e of ledgerRows) {
    // An entry without an item (a row push has not written yet, a target that was removed) points at nothing to check.
    if (!e.listItemId || !e.targetId) continue;
    const there = keyAt.get(`${e.targetId}/${e.listItemId}`);
    if (there === e.sourceKey) continue;
    const elsewhere = (itemsByKey.get(e.sourceKey) ?? []).filter((i) => i.targetId !== e.targetId || i.listItemId !== e.listItemId);
    const detail =
      there === undefined
        ? elsewhere.length > 0
          ? `no such item in its list; the key is carried by item ${elsewhere[0]!.listItemId} of target ${elsewhere[0]!.targetId}`
          : 'no such item in its list'
        : `the item carries ${there === '' ? 'no key' : `key ${there}`}`;
    const relink = elsewhere.length === 1 ? elsewhere[0]! : undefined;
    note('ledgerDrift', {
      sourceKey: e.sourceKey,
      targetId: e.targetId,
      listItemId: e.listItemId,
      detail,
      ...(relink && there === undefined ? { relinkTo: { targetId: relink.targetId, listItemId: relink.listItemId } } : {}),
    });
  }

  // Duplicates, from the lists alone.
  for (const [key, items] of itemsByKey) {
    if (items.length <= 1) continue;
    // The item to keep first: the one the ledger points at, else the lowest id.
    const entry = ledger.get(key);
    const ordered = [...items].sort((a, b) => Number(a.listItemId) - Number(b.listItemId));
    const kept = ordered.find((i) => i.targetId === entry?.targetId && i.listItemId === entry?.listItemId) ?? ordered[0]!;
    const rest = ordered.filter((i) => i !== kept);
    note('duplicates', {
      sourceKey: key,
      detail: items.map((i) => `${i.targetId}/${i.listItemId}`).join(', '),
      items: [kept, ...rest].map((i) => ({ targetId: i.targetId, listItemId: i.listItemId })),
    });
  }

  // 3. The table, in key order, a page at a time.
  const planCtx = { ...planContextOf(ctx, table), lookupsFor: (targetId: string) => loader.forTarget(targetId) };
  const source = sourceOf(deps, ctx);
  const rowKeys = new Set<string>();
  let afterKey: string[] | null = null;
  const limit = Math.max(100, Math.min(d.batchSize ?? 500, 5000));
  for (;;) {
    const page = await source.readByKey({ ...tableRef(ctx), columns, keyColumns: d.keyColumns, afterKey, limit });
    await loader.addRows(page.rows, table);
    page.rows.forEach((values, i) => {
      counts.rowsRead!++;
      const prepared = prepareRow({ values, key: page.keys[i]! }, planCtx);
      rowKeys.add(prepared.sourceKey);
      if ('reason' in prepared || (planCtx.softDeleteColumn && isSoftDeleted(values[planCtx.softDeleteColumn]))) {
        // Quarantined or marked deleted: push does not write it, so no item is expected.
        counts.rowsNotWritten!++;
        return;
      }
      const items = itemsByKey.get(prepared.sourceKey);
      if (!pushes) return;
      if (!items || items.length === 0) {
        note('missingItems', {
          sourceKey: prepared.sourceKey,
          targetId: prepared.targetId,
          detail: ledger.has(prepared.sourceKey) ? 'the ledger has an entry' : 'no ledger entry',
        });
        return;
      }
      const entry = ledger.get(prepared.sourceKey);
      const item = items.find((x) => x.listItemId === entry?.listItemId && x.targetId === entry?.targetId) ?? items[0]!;
      // Routed to another list than the one holding it (rules changed, not moved yet): a reshard's business, counted only.
      if (item.targetId !== prepared.targetId) counts.misrouted!++;
      const itemHash = hashOfItem(item.fields, values, page.keys[i]!, prepared.sourceKey, ctx, readBack, table, loader.forTarget(item.targetId));
      if (itemHash !== prepared.hash)
        note('valueDrift', {
          sourceKey: prepared.sourceKey,
          targetId: item.targetId,
          listItemId: item.listItemId,
          detail: itemHash === null ? 'the item holds values the table cannot take' : 'the item differs from what push writes',
        });
    });
    activity.heartbeat({ phase: 'rows', read: counts.rowsRead });
    if (!page.hasMore || !page.lastKey) break;
    afterKey = page.lastKey;
  }

  // Orphans: items no row names.
  for (const [key, items] of itemsByKey) {
    if (rowKeys.has(key)) continue;
    for (const item of items) note('orphanItems', { sourceKey: key, targetId: item.targetId, listItemId: item.listItemId });
  }

  return { counts, findings };
}

/**
 * What push would compute for the row if the item's values were its own: the item read back to
 * row values (as ingress reads it) over the row (push-only and non-invertible columns keep the
 * table's values), converted and hashed as prepareRow does. Null: the item cannot be read back.
 */
export function hashOfItem(
  fields: Record<string, unknown>,
  values: Record<string, unknown>,
  keyTexts: string[],
  sourceKey: string,
  ctx: DefinitionContext,
  readBack: FieldMappingSpec[],
  table: IntrospectedTable,
  lookups: Lookups | undefined,
): string | null {
  const back = itemToRow(fields, readBack, table, lookups);
  if (!back.ok) return null;
  const converted = convertRow({ ...values, ...back.driver }, ctx.mappings, table, lookups);
  if (!converted.ok) return null;
  const out: Record<string, unknown> = { ...converted.fields, [KEY_COLUMN_NAME]: sourceKey };
  if (!ctx.mappings.some((m) => m.targetColumn === 'Title')) out.Title = titleOf(keyTexts);
  return contentHash(out);
}
