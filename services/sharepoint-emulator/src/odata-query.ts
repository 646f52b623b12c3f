import { badRequest } from './errors.ts';

export interface ExpandOption {
  select?: string[];
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

export function parseExpand(src: string | undefined): Map<string, ExpandOption> {
  const out = new Map<string, ExpandOption>();
  if (!src) return out;
  for (const part of splitTopLevel(src, ',')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$/.exec(part);
    if (!m) throw badRequest(`Invalid $expand clause '${part}'.`, 'BadRequest');
    const option: ExpandOption = {};
    for (const inner of splitTopLevel(m[2] ?? '', ';')) {
      const [key, value] = inner.split(/=(.*)/s);
      if (key?.replace(/^\$/, '').toLowerCase() === 'select' && value !== undefined) option.select = splitList(value);
    }
    out.set(m[1] as string, option);
  }
  return out;
}

export function readQuery(url: URL, maxTop = 5000): QueryOptions {
  const topRaw = param(url, 'top');
  let top: number | undefined;
  if (topRaw !== undefined) {
    top = Number(topRaw);
    if (!Number.isInteger(top) || top < 1 || top > maxTop) {
      throw badRequest(`The $top query option must be an integer between 1 and ${maxTop}.`);
    }
  }
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
