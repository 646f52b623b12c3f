import { compileLinearRegex, flagsProblem, linearReplace } from './regex.ts';
import type { Transform } from './types.ts';

/**
 * The longest text a regex_replace transform processes (UTF-16 code units). Matching is linear in
 * the input, so this bounds the time one transform takes; twice the largest SharePoint column
 * (a note holds 63,999) leaves room for transforms that shorten a value. A longer value fails its
 * row (quarantined with this reason) instead of stalling the batch.
 */
export const MAX_TRANSFORM_INPUT = 131_072;

/** Problems with one transform: the property at fault (null: the transform itself) and why. */
export interface TransformProblem {
  property: 'pattern' | 'flags' | 'replacement' | null;
  message: string;
}

/** Problems with one transform, or null when it is well-formed and its pattern runs on the linear-time engine. */
export function checkTransform(t: unknown): TransformProblem | null {
  if (typeof t !== 'object' || t === null || !('op' in t)) return { property: null, message: 'a transform needs an "op"' };
  const op = (t as { op: unknown }).op;
  if (op === 'trim' || op === 'upper' || op === 'lower') return null;
  if (op !== 'regex_replace') return { property: null, message: `unknown transform op "${String(op)}" (trim, upper, lower, regex_replace)` };
  const r = t as { pattern?: unknown; flags?: unknown; replacement?: unknown };
  if (typeof r.pattern !== 'string' || r.pattern === '') return { property: 'pattern', message: 'regex_replace needs a non-empty "pattern"' };
  if (typeof r.replacement !== 'string') return { property: 'replacement', message: 'regex_replace needs a string "replacement"' };
  if (r.flags !== undefined && typeof r.flags !== 'string') return { property: 'flags', message: 'regex_replace "flags" must be a string' };
  const badFlags = flagsProblem((r.flags as string | undefined) ?? '');
  if (badFlags) return { property: 'flags', message: badFlags };
  try {
    compileLinearRegex(r.pattern, r.flags as string | undefined);
  } catch (err) {
    return { property: 'pattern', message: `invalid regex_replace pattern: ${(err as Error).message}` };
  }
  return null;
}

/**
 * Applies transforms in order. Without the "g" flag regex_replace replaces the first match,
 * as String.prototype.replace does; the replacement may use $1, $<name> and $&. Throws for a
 * pattern the engine refuses and for a value longer than MAX_TRANSFORM_INPUT (the caller
 * quarantines the row with the message).
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
        if (out.length > MAX_TRANSFORM_INPUT) {
          throw new RangeError(`value is ${out.length} characters long; regex_replace processes at most ${MAX_TRANSFORM_INPUT}`);
        }
        out = linearReplace(out, compileLinearRegex(t.pattern, t.flags), t.replacement);
        break;
    }
  }
  return out;
}
