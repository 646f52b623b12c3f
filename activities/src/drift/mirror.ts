import { Context } from '@temporalio/activity';
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { DeltaTokenExpiredError } from '@syncbridge/shared/graph';
import { KEY_COLUMN_NAME, readFieldOf, type FieldMappingSpec } from '@syncbridge/shared/mapping';
import type { ActivityDeps } from '../deps.ts';
import type { TargetList } from '../push/apply.ts';
import { ITEM_PAGE, recordItem, type ListScan } from '../sync/list-scan.ts';
import type { LookupLoader } from '../sync/lookups.ts';

/*
 * The drift check's copy of each list (list_item_mirror), kept current with a Graph delta token:
 * the first check enumerates the list (delta without a token, `$select` of the key column, Title and
 * the mapped fields), every later one reads only what changed since (1 RU per page with a token), then
 * compares from the copy. A token the service no longer serves (410), another list behind the target,
 * or other fields to read (a mapping changed) start the copy over. Deleting items, editing them in
 * SharePoint, anything: the delta reports it, so the copy is the list as of this check.
 */

const M = schema.listItemMirror;
const S = schema.listMirrorState;
const READ_PAGE = 5_000;

export interface MirrorScan extends ListScan {
  /** Lists read from their delta token (only changes) and lists enumerated in full. */
  listsFromDeltaToken: number;
  listsEnumerated: number;
}

export async function scanListsViaMirror(
  deps: ActivityDeps,
  lists: Map<string, TargetList>,
  mappings: FieldMappingSpec[],
  loader: LookupLoader,
): Promise<MirrorScan> {
  const activity = Context.current();
  const { db } = deps.store;
  const selectFields = [...new Set([KEY_COLUMN_NAME, 'Title', ...mappings.map((m) => readFieldOf(m))])];
  const fieldsKey = [...selectFields].sort().join(',');
  const scan: MirrorScan = {
    itemsByKey: new Map(),
    keyAt: new Map(),
    itemsRead: 0,
    unkeyedItems: 0,
    graphRequests: 0,
    listsFromDeltaToken: 0,
    listsEnumerated: 0,
  };
  for (const [targetId, list] of [...lists.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const [state] = await db.select().from(S).where(eq(S.targetId, targetId));
    let link = state && state.listId === list.listId && state.fieldsKey === fieldsKey ? state.deltaLink : null;
    for (;;) {
      try {
        await readDelta(link);
        break;
      } catch (err) {
        if (!(err instanceof DeltaTokenExpiredError) || link === null) throw err;
        link = null;
      }
    }
    await loadMirror(targetId);

    /** Applies the list's changes since `from` (everything when null) to the copy. */
    async function readDelta(from: string | null): Promise<void> {
      if (from === null) {
        // A new copy: nothing of the old one may survive (an item deleted meanwhile would linger).
        await db.transaction(async (tx) => {
          await tx.delete(M).where(eq(M.targetId, targetId));
          await tx
            .insert(S)
            .values({ targetId, listId: list.listId, fieldsKey, deltaLink: null, syncedAt: null })
            .onConflictDoUpdate({ target: S.targetId, set: { listId: list.listId, fieldsKey, deltaLink: null, syncedAt: null } });
        });
      }
      for await (const page of list.graph.iterateItemsDelta(list.siteId, list.listId, from ?? undefined, {
        fields: selectFields,
        top: ITEM_PAGE,
        signal: activity.cancellationSignal,
      })) {
        scan.graphRequests++;
        const rows = page.items
          .filter((item) => item.id)
          .map((item) => {
            const fields = (item.fields ?? {}) as Record<string, unknown>;
            const key = fields[KEY_COLUMN_NAME];
            return { targetId, itemId: item.id!, sourceKey: typeof key === 'string' ? key : '', etag: item.eTag ?? null, fields };
          });
        await db.transaction(async (tx) => {
          if (rows.length)
            await tx
              .insert(M)
              .values(rows)
              .onConflictDoUpdate({
                target: [M.targetId, M.itemId],
                set: { sourceKey: sql`excluded.source_key`, etag: sql`excluded.etag`, fields: sql`excluded.fields` },
              });
          if (page.deletedIds.length) await tx.delete(M).where(and(eq(M.targetId, targetId), inArray(M.itemId, page.deletedIds)));
          // The link is kept with the page that completes the round, so a crash before it reads the round again.
          if (page.deltaLink) await tx.update(S).set({ deltaLink: page.deltaLink, syncedAt: new Date() }).where(eq(S.targetId, targetId));
        });
        activity.heartbeat({ phase: 'items', target: targetId, pages: scan.graphRequests });
      }
      if (from === null) scan.listsEnumerated++;
      else scan.listsFromDeltaToken++;
    }

    /** The copy into the scan, page by page, with the people and lookups each page names. */
    async function loadMirror(id: string): Promise<void> {
      let after: string | null = null;
      for (;;) {
        const rows: Array<{ itemId: string; sourceKey: string; etag: string | null; fields: unknown }> = await db
          .select({ itemId: M.itemId, sourceKey: M.sourceKey, etag: M.etag, fields: M.fields })
          .from(M)
          .where(and(eq(M.targetId, id), after === null ? undefined : gt(M.itemId, after)))
          .orderBy(asc(M.itemId))
          .limit(READ_PAGE);
        for (const row of rows) {
          scan.itemsRead++;
          recordItem(scan, row.sourceKey, { targetId: id, listItemId: row.itemId, etag: row.etag, fields: row.fields as Record<string, unknown> });
        }
        await loader.addItems(
          id,
          rows.map((r) => r.fields as Record<string, unknown>),
        );
        activity.heartbeat({ phase: 'items', read: scan.itemsRead });
        if (rows.length < READ_PAGE) return;
        after = rows.at(-1)!.itemId;
      }
    }
  }
  return scan;
}
