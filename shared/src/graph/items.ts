import type { ListItem } from '@microsoft/microsoft-graph-types';
import { executeBatch, type BatchFailure, type BatchOptions, type BatchResult, type BatchSuccess } from './batch.ts';
import type { BatchRequest } from './batch-plan.ts';
import type { GraphTransport } from './client.ts';
import { queryString, segment } from './paging.ts';

/**
 * Bulk item writes through `$batch`, one typed result per input (same `id`).
 *
 * Creates are the dangerous part: Microsoft documents item creation as not
 * idempotent, so a create whose answer was lost (timeout, 5xx) is never blindly
 * resent. With `keyField` (the hidden, indexed column holding the row's stable key,
 * see ARCHITECTURE "Sync invariants" 1) the gateway looks the key up first: found
 * means the create happened, so it is reported as created; not found means it is safe
 * to create again. Without `keyField` the caller gets `outcomeUnknown` and decides.
 */

export interface ItemCreate {
  id: string;
  fields: Record<string, unknown>;
}

export interface ItemUpdate {
  id: string;
  itemId: string;
  fields: Record<string, unknown>;
  /** eTag read earlier; the service answers 412 if the item changed since. */
  ifMatch?: string;
}

export interface ItemDelete {
  id: string;
  itemId: string;
  ifMatch?: string;
}

export interface CreateItemsOptions extends BatchOptions {
  /** Internal name of the indexed key column used to resolve creates with an unknown outcome. */
  keyField?: string;
  /** Send `Prefer: HonorNonIndexedQueriesWarningMayFailRandomly` on key lookups (small, unindexed lists). */
  preferNonIndexed?: boolean;
}

export const HONOR_NON_INDEXED = 'HonorNonIndexedQueriesWarningMayFailRandomly';

function itemsPath(siteId: string, listId: string): string {
  return `/sites/${segment(siteId)}/lists/${segment(listId)}/items`;
}

export async function createItems(
  transport: GraphTransport,
  siteId: string,
  listId: string,
  items: readonly ItemCreate[],
  options: CreateItemsOptions = {},
): Promise<BatchResult[]> {
  const byId = new Map(items.map((item) => [item.id, item]));
  const toRequest = (item: ItemCreate): BatchRequest => ({ id: item.id, method: 'POST', url: itemsPath(siteId, listId), body: { fields: item.fields } });
  const results = new Map<string, BatchResult>();
  for (const result of await executeBatch(transport, items.map(toRequest), options)) results.set(result.id, result);

  const keyField = options.keyField;
  const maxRounds = options.maxAttempts ?? transport.options.maxAttempts;
  for (let round = 0; keyField && round < maxRounds; round++) {
    const unknown = [...results.values()].filter((r): r is BatchFailure => !r.ok && r.code === 'outcomeUnknown');
    const probeable = unknown.filter((r) => isKeyValue(byId.get(r.id)?.fields[keyField]));
    if (probeable.length === 0) break;
    const probes = await executeBatch(
      transport,
      probeable.map((r) => ({
        id: r.id,
        method: 'GET' as const,
        url:
          itemsPath(siteId, listId) +
          queryString({ $filter: `fields/${keyField} eq ${odataLiteral(byId.get(r.id)?.fields[keyField])}`, $expand: 'fields', $top: 2 }),
        ...(options.preferNonIndexed ? { headers: { Prefer: HONOR_NON_INDEXED } } : {}),
      })),
      options,
    );
    const recreate: ItemCreate[] = [];
    for (const probe of probes) {
      if (!probe.ok) continue; // still unknown; keep the original outcomeUnknown result
      const found = ((probe.body as { value?: ListItem[] } | undefined)?.value ?? [])[0];
      if (found) results.set(probe.id, recovered(probe.id, found));
      else recreate.push(byId.get(probe.id) as ItemCreate);
    }
    if (recreate.length === 0) break;
    for (const result of await executeBatch(transport, recreate.map(toRequest), options)) results.set(result.id, result);
  }
  return items.map((item) => results.get(item.id) as BatchResult);
}

export function updateItems(
  transport: GraphTransport,
  siteId: string,
  listId: string,
  updates: readonly ItemUpdate[],
  options: BatchOptions = {},
): Promise<BatchResult[]> {
  return executeBatch(
    transport,
    updates.map((u) => ({
      id: u.id,
      method: 'PATCH' as const,
      url: `${itemsPath(siteId, listId)}/${segment(u.itemId)}/fields`,
      body: u.fields,
      ...(u.ifMatch ? { headers: { 'If-Match': u.ifMatch } } : {}),
    })),
    options,
  );
}

/**
 * Deletes; a 404 counts as done (reported `ok` with status 404): the item is gone,
 * which is what a retried or replayed delete wants.
 */
export async function deleteItems(
  transport: GraphTransport,
  siteId: string,
  listId: string,
  deletes: readonly ItemDelete[],
  options: BatchOptions = {},
): Promise<BatchResult[]> {
  const results = await executeBatch(
    transport,
    deletes.map((d) => ({
      id: d.id,
      method: 'DELETE' as const,
      url: `${itemsPath(siteId, listId)}/${segment(d.itemId)}`,
      ...(d.ifMatch ? { headers: { 'If-Match': d.ifMatch } } : {}),
    })),
    options,
  );
  return results.map((r) => (!r.ok && r.status === 404 ? { id: r.id, ok: true, status: 404, body: null } : r));
}

function recovered(id: string, item: ListItem): BatchSuccess {
  const etag = (item as { '@odata.etag'?: string })['@odata.etag'] ?? item.eTag ?? undefined;
  return etag ? { id, ok: true, status: 201, body: item, etag } : { id, ok: true, status: 201, body: item };
}

function isKeyValue(value: unknown): value is string | number {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/** OData literal: strings single-quoted with quotes doubled; numbers as is. */
export function odataLiteral(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return `'${String(value).replace(/'/g, "''")}'`;
}
