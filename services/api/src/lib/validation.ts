import type { Hook } from '@hono/zod-openapi';
import { ApiError, ErrorCode, type FieldError } from './problem.ts';
import type { AppEnv } from './context.ts';

interface IssueLike {
  path: PropertyKey[];
  message: string;
}

export function fieldErrors(issues: readonly IssueLike[], target?: string): FieldError[] {
  return issues.map((i) => ({
    field: [target === 'json' ? 'body' : target, ...i.path.map(String)].filter(Boolean).join('.') || '(request)',
    message: i.message,
  }));
}

/** Every zod validation failure becomes one 400 problem naming each field. */
export const defaultHook: Hook<unknown, AppEnv, string, unknown> = (result, _c) => {
  if (!result.success) {
    const target = (result as { target?: string }).target;
    const errors = fieldErrors(result.error.issues, target);
    const summary = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    throw new ApiError(400, ErrorCode.ValidationFailed, `invalid request: ${summary}`, errors);
  }
};
