import { Context } from '@temporalio/activity';
import { KEY_COLUMN_NAME, readFieldOf, type FieldMappingSpec } from '@syncbridge/shared/mapping';
import type { TargetList } from '../push/apply.ts';
import type { LookupLoader } from './lookups.ts';

/*
 * Every item of a definition's lists, paged once per list with `$select` of the key column,
 * Title and the mapped fields only (what the drift check and the ledger rebuild compare), the
 * people and lookups each page names loaded as it goes.
 */

export interface ScannedItem {
  targetId: string;
  listItemId: string;
  etag: string | null;
  fields: Record<string, unknown>;
}

export interface ListScan {
  /** Items by the key they carry (several: duplicates). */
  itemsByKey: Map<string, ScannedItem[]>;
  /** `targetId/itemId` -> the key the item carries ('' when it has none). */
  keyAt: Map<string, string>;
  itemsRead: number;
  /** Items without a key: made in SharePoint, not ingested yet. */
  unkeyedItems: number;
  graphRequests: number;
}

/** Items per page of a list read: one Graph request per 999 items (a 100,000-item list: about 101 requests). */
export const ITEM_PAGE = 999;

/** Counts an item into a scan: by the key it carries, or as unkeyed ('' key). */
export function recordItem(scan: ListScan, key: string, item: ScannedItem): void {
  scan.keyAt.set(`${item.targetId}/${item.listItemId}`, key);
  if (key === '') {
    scan.unkeyedItems++;
    return;
  }
  const seen = scan.itemsByKey.get(key) ?? [];
  seen.push(item);
  scan.itemsByKey.set(key, seen);
}

export async function scanLists(lists: Map<string, TargetList>, mappings: FieldMappingSpec[], loader: LookupLoader): Promise<ListScan> {
  const activity = Context.current();
  const selectFields = [...new Set([KEY_COLUMN_NAME, 'Title', ...mappings.map((m) => readFieldOf(m))])];
  const scan: ListScan = { itemsByKey: new Map(), keyAt: new Map(), itemsRead: 0, unkeyedItems: 0, graphRequests: 0 };
  for (const [targetId, list] of [...lists.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    for await (const page of list.graph.listItems(list.siteId, list.listId, { fields: selectFields, top: ITEM_PAGE })) {
      scan.graphRequests++;
      for (const item of page) {
        scan.itemsRead++;
        if (!item.id) continue;
        const fields = (item.fields ?? {}) as Record<string, unknown>;
        const key = fields[KEY_COLUMN_NAME];
        recordItem(scan, typeof key === 'string' ? key : '', { targetId, listItemId: item.id, etag: item.eTag ?? null, fields });
      }
      await loader.addItems(
        targetId,
        page.map((item) => (item.fields ?? {}) as Record<string, unknown>),
      );
      activity.heartbeat({ phase: 'items', read: scan.itemsRead });
    }
  }
  return scan;
}
