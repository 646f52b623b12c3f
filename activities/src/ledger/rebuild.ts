import { Context } from '@temporalio/activity';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { decodeSourceKey, encodeSourceKey } from '@syncbridge/shared/mapping';
import type { RunContext } from '@syncbridge/shared/temporal';
import { activityLog, type ActivityDeps } from '../deps.ts';
import { hashOfItem } from '../drift/check.ts';
import { upsertCursor } from '../push/commit.ts';
import { sourceOf, tableRef, targetLists } from '../push/context.ts';
import { keyFamiliesOf, planContextOf, prepareRow } from '../push/plan.ts';
import { loadRunContext } from '../sync/definition.ts';
import { scanLists, type ScannedItem } from '../sync/list-scan.ts';
import { LookupLoader } from '../sync/lookups.ts';
import { sourceTableAndColumns } from '../sync/table.ts';

/*
 * Ledger rebuild (disaster recovery): after the meta-store was lost, or restored from a backup
 * older than the lists, the definition's ledger is rebuilt from what the lists hold. Every item
 * carries its row's key in the hidden SyncBridgeKey column, so:
 * 1. every list is paged once (key column and mapped fields only, as the drift check reads);
 * 2. the rows those keys name are read by key, a thousand per statement;
 * 3. each key gets one entry: its item (of several, the one in the list the row routes to, else
 *    the lowest id; the others stay duplicates for a drift repair), with
 *    - the row's push hash and the item's eTag when the item holds what push would write
 *      (nothing to do in either direction);
 *    - when they differ, the side the definition trusts wins on the next run: the table for
 *      push and two-way definitions (the item's own hash is recorded, so push rewrites it), the
 *      list for ingress-only and `sharepoint_wins` two-way definitions (the row's hash and no
 *      eTag are recorded, so ingress reads the item back into the row);
 *    - an item whose row is gone keeps an entry with an empty hash: push's delete sweep removes
 *      it (behind the mass-delete guard); an ingress-only definition records none, so ingress
 *      creates the row again;
 * 4. in one meta-store transaction the definition's ledger is replaced, the push cursor set so
 *    the next push makes a full pass (it compares every row with the rebuilt ledger and writes
 *    only what differs), and each list's delta position set to enumerate the list once.
 * A dry run does steps 1-3 and reports the counts without writing. Reading is repeated on a
 * retry; the write is one transaction, so a crash leaves the old ledger or the new one.
 */

export interface LedgerRebuildInput {
  definitionId: string;
  runRowId: string;
  context: RunContext;
  dryRun?: boolean;
}

export interface LedgerRebuildResult {
  counts: Record<string, number>;
}

interface Entry {
  sourceKey: string;
  targetId: string;
  listItemId: string;
  contentHash: string;
  etag: string | null;
}

const KEYS_PER_READ = 1_000;
const ENTRIES_PER_INSERT = 1_000;
/** The push cursor's fingerprint after a rebuild: matches no definition, so the next push makes a full pass. */
export const REBUILT_FINGERPRINT = 'ledger-rebuild';

export async function ledgerRebuild(deps: ActivityDeps, input: LedgerRebuildInput): Promise<LedgerRebuildResult> {
  const log = activityLog(deps, input.context);
  const ctx = await loadRunContext(deps, input);
  const d = ctx.definition;
  const { table, columns } = await sourceTableAndColumns(deps, ctx);
  const lists = targetLists(deps, ctx);
  const source = sourceOf(deps, ctx);
  const counts: Record<string, number> = {
    itemsRead: 0,
    unkeyedItems: 0,
    invalidKeys: 0,
    entries: 0,
    inSync: 0,
    differing: 0,
    orphanItems: 0,
    duplicates: 0,
    rowsNotWritten: 0,
    tableRows: 0,
    rowsWithoutItem: 0,
    previousEntries: 0,
    graphRequests: 0,
  };

  // 1. The lists.
  const readBack = ctx.mappings.map((m) => ({ ...m, direction: 'both' as const }));
  const loader = new LookupLoader(deps, ctx.mappings, lists);
  const scan = await scanLists(lists, ctx.mappings, loader);
  Object.assign(counts, { itemsRead: scan.itemsRead, unkeyedItems: scan.unkeyedItems, graphRequests: scan.graphRequests });

  // 2. The rows those keys name.
  const families = keyFamiliesOf(table, d.keyColumns);
  const keys: Array<{ sourceKey: string; key: string[] }> = [];
  for (const sourceKey of scan.itemsByKey.keys()) {
    try {
      const key = decodeSourceKey(sourceKey).map((k) => (k === null ? '' : String(k)));
      if (key.length !== d.keyColumns.length) throw new RangeError('wrong number of key values');
      keys.push({ sourceKey, key });
    } catch {
      // Not a key of this definition (typed into the hidden column by hand, or another table's): left alone.
      counts.invalidKeys! += scan.itemsByKey.get(sourceKey)!.length;
    }
  }
  const rows = new Map<string, { key: string[]; values: Record<string, unknown> }>();
  for (let i = 0; i < keys.length; i += KEYS_PER_READ) {
    const part = keys.slice(i, i + KEYS_PER_READ);
    const read = await source.readByKeys({ ...tableRef(ctx), columns, keyColumns: d.keyColumns, keys: part.map((k) => k.key) });
    await loader.addRows(read.rows, table);
    read.rows.forEach((values, j) => rows.set(encodeSourceKey(read.keys[j]!, families), { key: read.keys[j]!, values }));
  }

  // 3. One entry per key.
  const listWins = d.direction === 'ingress' || (d.direction === 'both' && d.conflictPolicy === 'sharepoint_wins');
  const planCtx = { ...planContextOf(ctx, table), lookupsFor: (targetId: string) => loader.forTarget(targetId) };
  const entries: Entry[] = [];
  let done = 0;
  for (const { sourceKey, key } of keys) {
    // A hundred thousand hashes take seconds: the worker's event loop (heartbeats, other activities) gets its turn.
    if (++done % 2_000 === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      Context.current().heartbeat({ phase: 'comparing', done });
    }
    const items = scan.itemsByKey.get(sourceKey)!;
    const row = rows.get(sourceKey);
    const prepared = row ? prepareRow({ values: row.values, key: row.key }, planCtx) : null;
    const routed = prepared && !('reason' in prepared) ? prepared.targetId : null;
    const item = pick(items, routed);
    counts.duplicates! += items.length - 1;
    const entry = (contentHash: string, etag: string | null): Entry => ({ sourceKey, targetId: item.targetId, listItemId: item.listItemId, contentHash, etag });
    if (!row) {
      counts.orphanItems!++;
      if (d.direction !== 'ingress') entries.push(entry('', item.etag));
      continue;
    }
    if (!prepared || 'reason' in prepared) {
      // Push would not write the row now (quarantined): the item stays known; push tries the row again.
      counts.rowsNotWritten!++;
      entries.push(entry('', item.etag));
      continue;
    }
    const itemHash = hashOfItem(item.fields, row.values, key, sourceKey, ctx, readBack, table, loader.forTarget(item.targetId));
    if (itemHash === prepared.hash) {
      counts.inSync!++;
      entries.push(entry(prepared.hash, item.etag));
    } else {
      counts.differing!++;
      entries.push(listWins ? entry(prepared.hash, null) : entry(itemHash ?? '', item.etag));
    }
  }
  counts.entries = entries.length;
  counts.tableRows = await source.countRows(tableRef(ctx));
  counts.rowsWithoutItem = Math.max(0, counts.tableRows - (keys.length - counts.orphanItems!));

  // 4. The ledger replaced, the cursors re-derived.
  const L = schema.syncLedger;
  const [previous] = await deps.store.db
    .select({ n: sql<number>`count(*)::int` })
    .from(L)
    .where(eq(L.definitionId, d.id));
  counts.previousEntries = previous?.n ?? 0;
  if (input.dryRun) {
    log.info({ definitionId: d.id, runId: input.runRowId, counts }, 'ledger rebuild (dry run): nothing written');
    return { counts };
  }
  const now = new Date();
  await deps.store.db.transaction(async (tx) => {
    await tx.delete(L).where(eq(L.definitionId, d.id));
    for (let i = 0; i < entries.length; i += ENTRIES_PER_INSERT) {
      await tx.insert(L).values(
        entries.slice(i, i + ENTRIES_PER_INSERT).map((e) => ({
          definitionId: d.id,
          sourceKey: e.sourceKey,
          targetId: e.targetId,
          listItemId: e.listItemId,
          contentHash: e.contentHash,
          etag: e.etag,
          provenance: 'adopted' as const,
          updatedAt: now,
        })),
      );
    }
    // The next push compares every row with the rebuilt ledger (a full pass), whatever cursor the backup held.
    await upsertCursor(tx, d.id, 'source_watermark', { watermark: null, key: null, mappingFingerprint: REBUILT_FINGERPRINT });
    const C = schema.syncCursors;
    await tx.delete(C).where(and(eq(C.definitionId, d.id), eq(C.kind, 'full_scan')));
    await tx.delete(C).where(and(eq(C.definitionId, d.id), eq(C.kind, 'delta_token')));
    if (d.direction !== 'push') {
      // Each list is enumerated once: items the ledger now knows by eTag cost nothing; the others are read back.
      await tx.insert(C).values(
        [...lists.keys()].map((targetId) => ({
          definitionId: d.id,
          kind: 'delta_token' as const,
          targetId,
          value: { resync: true, resyncFrom: now.toISOString() },
        })),
      );
    }
    const R = schema.keyReservations;
    // Reservations of items that carry their keys now (a batch of ids per statement: one statement has at most 65,534 parameters).
    const carried = [...new Set(entries.map((e) => e.listItemId))];
    for (let i = 0; i < carried.length; i += ENTRIES_PER_INSERT)
      await tx.delete(R).where(and(eq(R.definitionId, d.id), inArray(R.listItemId, carried.slice(i, i + ENTRIES_PER_INSERT))));
  });
  log.info({ definitionId: d.id, runId: input.runRowId, counts }, 'ledger rebuilt');
  return { counts };
}

/** Of several items carrying one key: the one in the list the row routes to, else the lowest item id. */
function pick(items: ScannedItem[], routedTo: string | null): ScannedItem {
  const ordered = [...items].sort((a, b) => Number(a.listItemId) - Number(b.listItemId) || a.targetId.localeCompare(b.targetId));
  return ordered.find((i) => i.targetId === routedTo) ?? ordered[0]!;
}
