import type { Transform } from './types.ts';

/** JavaScript RegExp flags a regex_replace may use ("y"/"d" would change matching semantics). */
const ALLOWED_FLAGS = /^[gimsu]*$/;
const cache = new Map<string, RegExp>();

/** Compiles (and caches) a regex_replace pattern; throws SyntaxError for an invalid one. */
export function compileTransformRegex(pattern: string, flags = ''): RegExp {
  if (!ALLOWED_FLAGS.test(flags) || new Set(flags).size !== flags.length) throw new SyntaxError(`invalid regex flags "${flags}" (allowed: g, i, m, s, u)`);
  const key = `${flags}/${pattern}`;
  let re = cache.get(key);
  if (!re) {
    re = new RegExp(pattern, flags);
    if (cache.size > 1000) cache.clear(); // patterns come from definitions: few, but never unbounded
    cache.set(key, re);
  }
  return re;
}

/** Problems with one transform, or null when it is well-formed. */
export function checkTransform(t: unknown): string | null {
  if (typeof t !== 'object' || t === null || !('op' in t)) return 'a transform needs an "op"';
  const op = (t as { op: unknown }).op;
  if (op === 'trim' || op === 'upper' || op === 'lower') return null;
  if (op !== 'regex_replace') return `unknown transform op "${String(op)}" (trim, upper, lower, regex_replace)`;
  const r = t as { pattern?: unknown; flags?: unknown; replacement?: unknown };
  if (typeof r.pattern !== 'string' || r.pattern === '') return 'regex_replace needs a non-empty "pattern"';
  if (typeof r.replacement !== 'string') return 'regex_replace needs a string "replacement"';
  if (r.flags !== undefined && typeof r.flags !== 'string') return 'regex_replace "flags" must be a string';
  try {
    compileTransformRegex(r.pattern, r.flags as string | undefined);
  } catch (err) {
    return `invalid regex_replace pattern: ${(err as Error).message}`;
  }
  return null;
}

/**
 * Applies transforms in order. Without the "g" flag regex_replace replaces the first match,
 * as String.prototype.replace does; the replacement may use $1, $<name> and $&.
 */
export function applyTransforms(value: string, transforms: readonly Transform[]): string {
  let out = value;
  for (const t of transforms) {
    switch (t.op) {
      case 'trim':
        out = out.trim();
        break;
      case 'upper':
        out = out.toUpperCase();
        break;
      case 'lower':
        out = out.toLowerCase();
        break;
      case 'regex_replace':
        out = out.replace(compileTransformRegex(t.pattern, t.flags), t.replacement);
        break;
    }
  }
  return out;
}
