import type { Hook } from '@hono/zod-openapi';
import { ApiError, ErrorCode, type FieldError } from './problem.ts';
import type { AppEnv } from './context.ts';
import { nulFieldErrors } from './nul-guard.ts';

interface IssueLike {
  path: PropertyKey[];
  message: string;
  code?: string;
  keys?: readonly string[];
}

/** Unknown keys named in an error message at most; a body with thousands of them must not echo them all. */
const MAX_NAMED_KEYS = 10;

function messageOf(issue: IssueLike): string {
  if (issue.code !== 'unrecognized_keys' || !issue.keys) return issue.message;
  const named = issue.keys.slice(0, MAX_NAMED_KEYS).map((k) => JSON.stringify(k.length > 64 ? `${k.slice(0, 63)}…` : k));
  const more = issue.keys.length - named.length;
  return `unknown field${issue.keys.length === 1 ? '' : 's'} ${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

export function fieldErrors(issues: readonly IssueLike[], target?: string): FieldError[] {
  return issues.map((i) => ({
    field: [target === 'json' ? 'body' : target, ...i.path.map(String)].filter(Boolean).join('.') || '(request)',
    message: messageOf(i),
  }));
}

/** The detail line of a validation problem: its first errors (problemBody lists them and counts the rest). */
const SUMMARISED_ERRORS = 10;
const summaryOf = (errors: FieldError[]) =>
  errors
    .slice(0, SUMMARISED_ERRORS)
    .map((e) => `${e.field}: ${e.message}`)
    .join('; ') + (errors.length > SUMMARISED_ERRORS ? `; and ${errors.length - SUMMARISED_ERRORS} more` : '');

/** Every zod validation failure becomes one 400 problem naming each field. */
export const defaultHook: Hook<unknown, AppEnv, string, unknown> = (result, _c) => {
  if (!result.success) {
    const target = (result as { target?: string }).target;
    const errors = fieldErrors(result.error.issues, target);
    throw new ApiError(400, ErrorCode.ValidationFailed, `invalid request: ${summaryOf(errors)}`, errors);
  }
  // Valid input may still carry NUL characters, which PostgreSQL and the drivers cannot take (see nul-guard.ts).
  const target = (result as { target?: string }).target;
  const nul = nulFieldErrors(result.data, target === 'json' ? 'body' : (target ?? ''));
  if (nul.length) throw new ApiError(400, ErrorCode.ValidationFailed, `invalid request: ${summaryOf(nul)}`, nul);
};
