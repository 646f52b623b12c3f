/**
 * Resource-unit (RU) cost of a Microsoft Graph request, as Microsoft publishes it in
 * "Avoid getting throttled or blocked in SharePoint Online":
 *   1 RU  single-item query (get item), delta with a token
 *   2 RU  multi-item query (list children, delta without a token), create, update,
 *         delete, upload
 *   5 RU  permission operations, including `$expand=permissions`
 * Every request inside a `$batch` is charged on its own; the envelope adds nothing.
 */

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** Path segments that name a collection: a GET ending in one of them lists items. */
const COLLECTION_SEGMENTS = new Set([
  'sites',
  'lists',
  'items',
  'columns',
  'contenttypes',
  'children',
  'drives',
  'subsites',
  'versions',
  'permissions',
  'getallsites',
]);

// Only a delta *token* makes a delta call cheap; a skip token inside the first full
// enumeration is still a multi-item query, so it is charged 2 (overestimating is safe).
const TOKEN_PARAMS = ['token', '$deltatoken', 'deltatoken'];

export function resourceUnitCost(method: HttpMethod, url: string): number {
  const { path, query } = splitUrl(url);
  const expand = (query.get('$expand') ?? '').toLowerCase();
  if (expand.includes('permissions') || /\/permissions(\/|$)/i.test(path)) return 5;
  if (method !== 'GET') return 2;
  const segments = path.split('/').filter(Boolean);
  const last = (segments[segments.length - 1] ?? '').toLowerCase();
  if (last === 'delta' || last.startsWith('delta(')) {
    const hasToken = TOKEN_PARAMS.some((name) => {
      const value = query.get(name);
      return value !== null && value !== '';
    });
    return hasToken ? 1 : 2;
  }
  return COLLECTION_SEGMENTS.has(last) ? 2 : 1;
}

function splitUrl(url: string): { path: string; query: URLSearchParams } {
  // Accept absolute nextLinks as well as relative batch/request paths.
  const relative = url.replace(/^https?:\/\/[^/]+/i, '');
  const q = relative.indexOf('?');
  const path = q === -1 ? relative : relative.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : relative.slice(q + 1));
  // URLSearchParams keys are case-sensitive; OData option names are not.
  const lowered = new URLSearchParams();
  for (const [key, value] of query) lowered.append(key.toLowerCase(), value);
  return { path, query: lowered };
}
