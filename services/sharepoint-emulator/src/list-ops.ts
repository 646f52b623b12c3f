import { checkUnique, itemEtag, trackUniqueValues, validateFields } from './fields.ts';
import { GraphError } from './errors.ts';
import type { ItemRecord, ListRecord, SiteRecord } from './state.ts';
import { graphTimestamp, newGuid, normalizeEtag } from './util.ts';

/**
 * Item writes shared by the Graph handlers and the admin seeding API. Every write takes
 * the list's next change sequence number: that is the change log delta queries read.
 */
export function createItem(site: SiteRecord, list: ListRecord, input: unknown, actor: string): ItemRecord {
  const values = validateFields(site, list, input);
  checkUnique(list, values);
  const now = graphTimestamp();
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) if (v !== null) fields[k] = v;
  const item: ItemRecord = {
    id: list.nextItemId++,
    guid: newGuid(),
    version: 1,
    createdAt: now,
    modifiedAt: now,
    createdBy: actor,
    modifiedBy: actor,
    fields,
    changeSeq: ++list.changeSeq,
  };
  list.items.set(item.id, item);
  trackUniqueValues(list, item, true);
  return item;
}

/** Conditional requests: a stale `If-Match` answers 412; `*` matches any existing item. */
export function checkIfMatch(item: ItemRecord, ifMatch: string | undefined): void {
  if (ifMatch === undefined || ifMatch.trim() === '*') return;
  if (normalizeEtag(ifMatch) !== normalizeEtag(itemEtag(item))) {
    throw new GraphError(412, 'preconditionFailed', 'The resource has changed since the caller last read it; usually an eTag mismatch.');
  }
}

export function updateItemFields(site: SiteRecord, list: ListRecord, item: ItemRecord, input: unknown, actor: string): void {
  const values = validateFields(site, list, input);
  checkUnique(list, { ...item.fields, ...values }, item.id);
  trackUniqueValues(list, item, false);
  for (const [k, v] of Object.entries(values)) {
    if (v === null) delete item.fields[k];
    else item.fields[k] = v;
  }
  item.version++;
  item.modifiedAt = graphTimestamp();
  item.modifiedBy = actor;
  item.changeSeq = ++list.changeSeq;
  trackUniqueValues(list, item, true);
}

export function deleteItem(list: ListRecord, item: ItemRecord, tombstoneTtlMs: number): void {
  list.items.delete(item.id);
  trackUniqueValues(list, item, false);
  const now = Date.now();
  list.tombstones.push({ id: item.id, seq: ++list.changeSeq, at: now });
  // A tombstone older than the delta token lifetime can only matter to tokens that answer 410 anyway.
  const cutoff = now - tombstoneTtlMs;
  if (list.tombstones.length > 0 && (list.tombstones[0]?.at ?? now) < cutoff) {
    list.tombstones = list.tombstones.filter((t) => t.at >= cutoff);
  }
}
