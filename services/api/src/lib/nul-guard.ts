import type { FieldError } from './problem.ts';

/*
 * PostgreSQL text (and jsonb) cannot hold U+0000: an insert fails with 22021 (22P05 in jsonb),
 * a query parameter fails inside the source database, and the PostgreSQL driver sends a
 * password only up to its first NUL. No field of this API has a use for one, so every string
 * a request carries (body, query, path; values and object keys, however nested) is checked
 * once, after validation, and refused with a 400 naming the field.
 */

const NUL = '\u0000';
const MESSAGE = 'must not contain a NUL character (U+0000)';
/** Enough to show the pattern; a body with a NUL in every one of its strings is not listed in full. */
const MAX_ERRORS = 100;
const MAX_PATH_KEYS = 32;

/** A position in the walk: its key and its parent, so a path is only spelled out for a field in error. */
interface Step {
  value: unknown;
  key: string | undefined;
  parent: Step | undefined;
}

function pathOf(step: Step, prefix: string, lastKey?: string): string {
  const keys: string[] = lastKey === undefined ? [] : [lastKey];
  for (let s: Step | undefined = step; s; s = s.parent) if (s.key !== undefined) keys.push(s.key);
  keys.reverse();
  // A field thousands of levels down is named by its start and end, not by every level.
  const shown = keys.length > MAX_PATH_KEYS ? [...keys.slice(0, MAX_PATH_KEYS / 2), '…', ...keys.slice(-MAX_PATH_KEYS / 2)] : keys;
  return [prefix, ...shown].filter(Boolean).join('.') || '(request)';
}

/** Field errors for every string containing NUL in `value`; `prefix` is the target (`body`, `query`, ...). */
export function nulFieldErrors(value: unknown, prefix: string): FieldError[] {
  const errors: FieldError[] = [];
  // Iterative, with parent links rather than copied paths: deeply nested input that zod accepted
  // (z.unknown() fields) can neither overflow the stack nor cost memory quadratic in its depth.
  const stack: Step[] = [{ value, key: undefined, parent: undefined }];
  while (stack.length && errors.length < MAX_ERRORS) {
    const step = stack.pop()!;
    const v = step.value;
    if (typeof v === 'string') {
      if (v.includes(NUL)) errors.push({ field: pathOf(step, prefix), message: MESSAGE });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: String(i), parent: step });
    } else if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
      const entries = Object.entries(v as Record<string, unknown>);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, inner] = entries[i]!;
        // A key with a NUL is named with the NUL shown escaped, so the problem body stays printable.
        if (key.includes(NUL)) errors.push({ field: pathOf(step, prefix, key.split(NUL).join('\\u0000')), message: `${MESSAGE} (in the key)` });
        else stack.push({ value: inner, key, parent: step });
      }
    }
  }
  return errors;
}
