import type { ListItem } from '@microsoft/microsoft-graph-types';
import type { GraphTransport } from './client.ts';
import { DeltaTokenExpiredError } from './errors.ts';
import { queryString, segment, type ODataCollection } from './paging.ts';

/**
 * List item delta (Microsoft Graph "listItem: delta"):
 * - The first call (no token) enumerates the whole list; follow `@odata.nextLink`
 *   until a page carries `@odata.deltaLink`, then keep that link for next time.
 * - `token=latest` returns no items, only a fresh deltaLink ("start from now").
 * - An item may appear more than once: the last occurrence wins.
 * - Deleted items carry `deleted: { state: "deleted" }` (only reported to a caller
 *   that holds a token).
 * - 410 Gone means the token can no longer be served (expired, or the service's state
 *   changed); the `Location` header holds a link that starts a new enumeration and
 *   the caller must resync in full.
 * RU cost: 2 without a token, 1 with one (cost.ts).
 */

export interface DeltaOptions {
  /** Field internal names to return (`$expand=fields($select=...)`); all fields when omitted. */
  fields?: string[];
  /** Page size hint. */
  top?: number;
  signal?: AbortSignal;
}

export interface DeltaPage {
  /** Changed or created items of this page, one per id (last occurrence on the page). */
  items: ListItem[];
  /** Ids deleted on this page (last occurrence on the page was a delete). */
  deletedIds: string[];
  /** The page's entries in service order, deletes included, for exact folding. */
  entries: ListItem[];
  /** Present on the last page only. */
  deltaLink?: string;
  /** Where the round goes on (every page but the last): a caller that stops here resumes from it. */
  nextLink?: string;
}

export interface DeltaChanges {
  kind: 'changes';
  /** Changed or created items, one per id, the last occurrence of each. */
  changed: ListItem[];
  /** Ids deleted since the token (not also re-reported as changed later). */
  deletedIds: string[];
  /** Keep this for the next call. */
  deltaLink: string;
  pages: number;
}

/** The token is no longer valid: start over with `location` (or no token) and resync in full. */
export interface DeltaTokenExpired {
  kind: 'tokenExpired';
  code: string;
  message: string;
  location: string | undefined;
}

export type DeltaResult = DeltaChanges | DeltaTokenExpired;

/** The first request: initial enumeration, `token=latest`, a token, or a stored deltaLink. */
export function deltaStartPath(siteId: string, listId: string, deltaLinkOrToken: string | undefined, options: DeltaOptions = {}): string {
  if (deltaLinkOrToken && /^https?:\/\//i.test(deltaLinkOrToken)) return deltaLinkOrToken;
  const expand = options.fields?.length ? `fields($select=${options.fields.join(',')})` : 'fields';
  return (
    `/sites/${segment(siteId)}/lists/${segment(listId)}/items/delta` + queryString({ token: deltaLinkOrToken || undefined, $expand: expand, $top: options.top })
  );
}

export async function* iterateItemsDelta(
  transport: GraphTransport,
  siteId: string,
  listId: string,
  deltaLinkOrToken?: string,
  options: DeltaOptions = {},
): AsyncGenerator<DeltaPage, void, undefined> {
  let next: string | undefined = deltaStartPath(siteId, listId, deltaLinkOrToken, options);
  while (next) {
    const response: { body: ODataCollection<ListItem> | undefined } = await transport.send({
      method: 'GET',
      path: next,
      template: '/sites/{site-id}/lists/{list-id}/items/delta',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const body = response.body ?? {};
    const entries = (body.value ?? []).filter((item) => typeof item.id === 'string');
    const changed = new Map<string, ListItem>();
    const deleted = new Set<string>();
    foldDeltaEntries(changed, deleted, entries);
    const deltaLink = body['@odata.deltaLink'];
    const page: DeltaPage = { items: [...changed.values()], deletedIds: [...deleted], entries };
    next = deltaLink ? undefined : body['@odata.nextLink'];
    yield deltaLink ? { ...page, deltaLink } : next ? { ...page, nextLink: next } : page;
    if (!next && !deltaLink) throw new Error('Delta page carried neither @odata.nextLink nor @odata.deltaLink');
  }
}

/**
 * Follows a delta round to its deltaLink and folds it: duplicates collapse to the
 * last occurrence, and an item deleted after a change (or changed after a delete)
 * ends up only where its last occurrence put it. Memory grows with the number of
 * changes; for a first enumeration of a huge list use `iterateItemsDelta`.
 */
export async function listItemsDelta(
  transport: GraphTransport,
  siteId: string,
  listId: string,
  deltaLinkOrToken?: string,
  options: DeltaOptions = {},
): Promise<DeltaResult> {
  const changed = new Map<string, ListItem>();
  const deleted = new Set<string>();
  let deltaLink: string | undefined;
  let pages = 0;
  try {
    for await (const page of iterateItemsDelta(transport, siteId, listId, deltaLinkOrToken, options)) {
      pages++;
      foldDeltaEntries(changed, deleted, page.entries);
      deltaLink = page.deltaLink ?? deltaLink;
    }
  } catch (error) {
    if (error instanceof DeltaTokenExpiredError) {
      return { kind: 'tokenExpired', code: error.code, message: error.message, location: error.location };
    }
    throw error;
  }
  return { kind: 'changes', changed: [...changed.values()], deletedIds: [...deleted], deltaLink: deltaLink as string, pages };
}

/** True for a delta entry that reports a deletion. */
export function isDeletedEntry(item: ListItem): boolean {
  const entry = item as ListItem & { deleted?: { state?: string } | null; '@removed'?: unknown };
  return entry.deleted?.state === 'deleted' || entry['@removed'] !== undefined;
}

/**
 * Applies delta entries in service order: the last occurrence of an id decides
 * whether it ends up changed (with that version) or deleted. Exported for tests.
 */
export function foldDeltaEntries(changed: Map<string, ListItem>, deleted: Set<string>, entries: readonly ListItem[]): void {
  for (const item of entries) {
    const id = item.id as string;
    changed.delete(id);
    deleted.delete(id);
    if (isDeletedEntry(item)) deleted.add(id);
    else changed.set(id, item);
  }
}
