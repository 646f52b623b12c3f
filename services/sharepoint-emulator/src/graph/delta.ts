import type { Hono } from 'hono';
import { GraphError, badRequest } from '../errors.ts';
import { applySelect, readQuery, validateExpand } from '../odata-query.ts';
import { siteId, type ItemRecord, type ListRecord, type SiteRecord, type Tombstone } from '../state.ts';
import { base64UrlDecode, base64UrlEncode, isRecord } from '../util.ts';
import type { GraphDeps, GraphEnv } from './env.ts';
import { buildLink, carriedParams, graphBase, graphJson } from './http.ts';
import { itemRenderOptions } from './items.ts';
import { itemContentType, renderItem } from './render.ts';
import { resolveList, resolveSite } from './resolve.ts';

const DEFAULT_DELTA_PAGE_SIZE = 200;

/**
 * Opaque delta state. `d`: a deltaLink token (changes after sequence `s`); `e`: the next
 * page of a full enumeration taken at sequence `s`, resuming after item id `a`; `c`: the
 * next page of changes in the sequence range (`f`, `u`], resuming after sequence `a`.
 * Every token records the list (`l`), the list's invalidation epoch (`e`) and when the
 * delta round started (`t`) so stale tokens can answer 410 Gone.
 */
type DeltaToken =
  | { k: 'd'; l: string; e: number; t: number; s: number }
  | { k: 'e'; l: string; e: number; t: number; s: number; a: number }
  | { k: 'c'; l: string; e: number; t: number; f: number; u: number; a: number };

const encodeToken = (t: DeltaToken): string => base64UrlEncode(JSON.stringify(t));

function decodeToken(raw: string, list: ListRecord): DeltaToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(base64UrlDecode(raw));
  } catch {
    parsed = undefined;
  }
  if (!isRecord(parsed) || !['d', 'e', 'c'].includes(parsed.k as string) || typeof parsed.t !== 'number') {
    throw badRequest('The delta token is not valid.');
  }
  if (parsed.l !== list.id) throw badRequest('The delta token was issued for a different list.');
  return parsed as DeltaToken;
}

type Change = { seq: number; item?: ItemRecord; tombstone?: Tombstone };

function changesBetween(list: ListRecord, after: number, upto: number): Change[] {
  const out: Change[] = [];
  for (const item of list.items.values()) if (item.changeSeq > after && item.changeSeq <= upto) out.push({ seq: item.changeSeq, item });
  for (const t of list.tombstones) if (t.seq > after && t.seq <= upto) out.push({ seq: t.seq, tombstone: t });
  return out.sort((a, b) => a.seq - b.seq);
}

/** "listItem: delta": full enumeration, then incremental changes with deletions, `token=latest`, 410 resync. */
export function registerDelta(app: Hono<GraphEnv>, deps: GraphDeps): void {
  app.get('/sites/:siteId/lists/:listId/items/delta', (c) => {
    const url = new URL(c.req.url);
    const tenant = c.get('tenant');
    const site = resolveSite(tenant, c.req.param('siteId'));
    const list = resolveList(site, c.req.param('listId'));
    const q = readQuery(url);
    if (q.filter) throw badRequest('The $filter query option is not supported on delta.');
    validateExpand(q.expand, 'listItem');
    const pageSize = q.top ?? DEFAULT_DELTA_PAGE_SIZE;
    const options = itemRenderOptions(q.expand, list);
    // "This method also supports the $select, $expand, and $top OData query parameters."
    const render = (item: ItemRecord) => applySelect(renderItem(tenant, site, list, item, options), q.select, ['fields']);
    // A deleted entry always keeps what says it is one: its id and the deleted facet.
    const renderTombstone = (t: Tombstone) => applySelect(renderDeleted(site, list, t), q.select, ['id', 'deleted']);
    const link = (token?: DeltaToken) =>
      buildLink(`${graphBase(c)}/sites/${siteId(site)}/lists/${list.id}/items/delta`, [
        ...carriedParams(url, ['token']),
        ['token', token ? encodeToken(token) : undefined],
      ]);
    const now = Date.now();
    const respond = (value: unknown[], next: DeltaToken, final: boolean) =>
      graphJson(c, {
        '@odata.context': `${graphBase(c)}/$metadata#Collection(listItem)`,
        value,
        [final ? '@odata.deltaLink' : '@odata.nextLink']: link(next),
      });
    const raw = url.searchParams.get('token');

    if (raw === 'latest') return respond([], { k: 'd', l: list.id, e: list.deltaEpoch, t: now, s: list.changeSeq }, true);

    const token = raw === null || raw === '' ? undefined : decodeToken(raw, list);
    if (token) rejectStale(deps, token, list, link());

    if (!token || token.k === 'e') {
      // Initial enumeration: the current state of every item, no deletions.
      const snapshot = token?.s ?? list.changeSeq;
      const after = token?.a ?? 0;
      const started = token?.t ?? now;
      const page: ItemRecord[] = [];
      let more = false;
      for (const item of list.items.values()) {
        if (item.id <= after) continue;
        if (page.length === pageSize) {
          more = true;
          break;
        }
        page.push(item);
      }
      const value = page.map(render);
      const last = page[page.length - 1];
      if (more && last) return respond(value, { k: 'e', l: list.id, e: list.deltaEpoch, t: started, s: snapshot, a: last.id }, false);
      return respond(value, { k: 'd', l: list.id, e: list.deltaEpoch, t: now, s: snapshot }, true);
    }

    const from = token.k === 'd' ? token.s : token.f;
    const upto = token.k === 'd' ? list.changeSeq : token.u;
    const after = token.k === 'd' ? token.s : token.a;
    // Each item appears once with its latest state; a deleted item appears as a tombstone.
    const changes = changesBetween(list, after, upto);
    const page = changes.slice(0, pageSize);
    const value = page.map((ch) => (ch.item ? render(ch.item) : renderTombstone(ch.tombstone as Tombstone)));
    const last = page[page.length - 1];
    if (changes.length > pageSize && last) {
      return respond(value, { k: 'c', l: list.id, e: list.deltaEpoch, t: token.t, f: from, u: upto, a: last.seq }, false);
    }
    return respond(value, { k: 'd', l: list.id, e: list.deltaEpoch, t: now, s: upto }, true);
  });
}

/** A deleted item as "listItem: delta" Example 2 shows it: id, parentReference.siteId, contentType and the deleted facet. */
function renderDeleted(site: SiteRecord, list: ListRecord, t: Tombstone): Record<string, unknown> {
  return { id: String(t.id), parentReference: { siteId: siteId(site) }, contentType: itemContentType(list), deleted: { state: 'deleted' } };
}

/**
 * A token the service can no longer serve (older than the token lifetime, or invalidated)
 * answers 410 Gone with `resyncRequired` and a `Location` header holding a fresh
 * enumeration URL, as the listItem delta documentation describes.
 */
function rejectStale(deps: GraphDeps, token: DeltaToken, list: ListRecord, freshLink: string): void {
  const expired = Date.now() - token.t > deps.settings.deltaTokenTtlMs;
  if (!expired && token.e === list.deltaEpoch) return;
  throw new GraphError(
    410,
    'resyncRequired',
    "Resync required. Replace any local items with the server's version (including deletes) if you're sure that the service was up to date with your local changes when you last sync'd. Upload any local changes that the server doesn't know about.",
    { Location: freshLink },
    'resyncChangesApplyDifferences',
  );
}
