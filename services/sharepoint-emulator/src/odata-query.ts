import { GraphError, badRequest } from './errors.ts';

/** One `$expand` clause: `name($select=...;$expand=...;$top=...)`. */
export interface ExpandOption {
  select?: string[];
  expand: Map<string, ExpandOption>;
  top?: number;
}

export interface QueryOptions {
  select?: string[];
  expand: Map<string, ExpandOption>;
  top?: number;
  filter?: string;
  skiptoken?: string;
  orderby?: string;
  search?: string;
}

/** Graph accepts system query options with or without the `$` prefix. */
function param(url: URL, name: string): string | undefined {
  return url.searchParams.get(`$${name}`) ?? url.searchParams.get(name) ?? undefined;
}

function splitTopLevel(src: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of src) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === sep && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

const splitList = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** Query options Graph allows inside `$expand` that the emulator does not evaluate there: refused, never ignored. */
const UNSUPPORTED_NESTED = ['filter', 'orderby', 'count', 'skip', 'search', 'levels', 'compute'];

export function parseExpand(src: string | undefined): Map<string, ExpandOption> {
  const out = new Map<string, ExpandOption>();
  if (!src) return out;
  for (const part of splitTopLevel(src, ',')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$/s.exec(part);
    if (!m) throw badRequest(`Invalid $expand clause '${part}'.`, 'BadRequest');
    const option: ExpandOption = { expand: new Map() };
    for (const inner of splitTopLevel(m[2] ?? '', ';')) {
      const [rawKey, value] = inner.split(/=(.*)/s);
      const key = (rawKey ?? '').trim().replace(/^\$/, '').toLowerCase();
      if (value === undefined) throw badRequest(`Invalid query option '${inner}' in $expand clause '${part}'.`, 'BadRequest');
      if (key === 'select') option.select = splitList(value);
      else if (key === 'expand') option.expand = parseExpand(value);
      else if (key === 'top') option.top = parseTop(value, 5000);
      else if (UNSUPPORTED_NESTED.includes(key)) {
        throw new GraphError(400, 'notSupported', `The query option '$${key}' inside $expand is not supported by the SharePoint emulator.`);
      } else throw badRequest(`The query parameter '${rawKey ?? ''}' is not supported in $expand clause '${part}'.`, 'BadRequest');
    }
    out.set(m[1] as string, option);
  }
  return out;
}

function parseTop(raw: string, maxTop: number): number {
  const top = Number(raw);
  if (!Number.isInteger(top) || top < 1 || top > maxTop) {
    throw badRequest(`The $top query option must be an integer between 1 and ${maxTop}.`);
  }
  return top;
}

/** Writes an `$expand` map back as query text (for `@odata.nextLink`s of expanded collections). */
export function formatExpand(expand: Map<string, ExpandOption>): string | undefined {
  if (expand.size === 0) return undefined;
  return [...expand]
    .map(([name, o]) => {
      const inner = [
        o.select ? `$select=${o.select.join(',')}` : undefined,
        o.expand.size > 0 ? `$expand=${formatExpand(o.expand)}` : undefined,
        o.top !== undefined ? `$top=${o.top}` : undefined,
      ].filter(Boolean);
      return inner.length > 0 ? `${name}(${inner.join(';')})` : name;
    })
    .join(',');
}

/** Graph entity types the emulator renders, with their navigation properties. */
export type EntityType = 'site' | 'list' | 'listItem' | 'columnDefinition' | 'fieldValueSet';

const NAVIGATION: Record<EntityType, { modelled: Record<string, EntityType>; unmodelled: string[] }> = {
  site: {
    modelled: {},
    unmodelled: [
      'analytics',
      'columns',
      'contentTypes',
      'drive',
      'drives',
      'externalColumns',
      'items',
      'lists',
      'onenote',
      'operations',
      'pages',
      'permissions',
      'sites',
      'termStore',
    ],
  },
  list: {
    modelled: { columns: 'columnDefinition', items: 'listItem' },
    unmodelled: ['contentTypes', 'createdByUser', 'drive', 'lastModifiedByUser', 'operations', 'subscriptions'],
  },
  listItem: {
    modelled: { fields: 'fieldValueSet' },
    unmodelled: ['analytics', 'createdByUser', 'documentSetVersions', 'driveItem', 'lastModifiedByUser', 'versions'],
  },
  columnDefinition: { modelled: {}, unmodelled: ['sourceColumn'] },
  fieldValueSet: { modelled: {}, unmodelled: [] },
};

/**
 * Checks an `$expand` against the navigation properties of `type` (recursively): the ones
 * the emulator models are answered, the ones Graph defines but the emulator does not model
 * answer 400 `notSupported`, and names the type does not have answer OData's 400. `$top`
 * is only evaluated on the expanded items collection. Graph never answers 200 without the
 * data asked for, and neither does the emulator.
 */
export function validateExpand(expand: Map<string, ExpandOption>, type: EntityType): void {
  for (const [name, option] of expand) {
    const target = NAVIGATION[type].modelled[name];
    if (target === undefined) {
      if (NAVIGATION[type].unmodelled.includes(name)) {
        throw new GraphError(400, 'notSupported', `Expanding '${name}' on microsoft.graph.${type} is not supported by the SharePoint emulator.`);
      }
      throw badRequest(`Could not find a property named '${name}' on type 'microsoft.graph.${type}'.`, 'BadRequest');
    }
    if (option.top !== undefined && !(type === 'list' && name === 'items')) {
      throw new GraphError(400, 'notSupported', `$top inside $expand=${name} is not supported by the SharePoint emulator.`);
    }
    validateExpand(option.expand, target);
  }
}

export function readQuery(url: URL, maxTop = 5000): QueryOptions {
  const topRaw = param(url, 'top');
  const top = topRaw === undefined ? undefined : parseTop(topRaw, maxTop);
  const select = param(url, 'select');
  return {
    select: select ? splitList(select) : undefined,
    expand: parseExpand(param(url, 'expand')),
    top,
    filter: param(url, 'filter'),
    skiptoken: param(url, 'skiptoken'),
    orderby: param(url, 'orderby'),
    search: param(url, 'search'),
  };
}

/** Applies a top-level `$select`; OData annotations and expanded navigation properties are kept. */
export function applySelect(entity: Record<string, unknown>, select: string[] | undefined, keep: string[] = []): Record<string, unknown> {
  if (!select) return entity;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entity)) {
    if (k.startsWith('@') || select.includes(k) || keep.includes(k)) out[k] = v;
  }
  return out;
}
