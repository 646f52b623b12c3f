import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { InvalidCursorError } from '@syncbridge/shared/db';
import { DefinitionBusyError } from '@syncbridge/shared/domain';
import { ApiError, ErrorCode, problemResponse } from './problem.ts';
import type { AppEnv } from './context.ts';

interface PgErrorLike {
  code: string;
  constraint_name?: string;
  column_name?: string;
  detail?: string;
}

function pgErrorOf(err: unknown): PgErrorLike | undefined {
  // drizzle wraps driver errors; the PostgreSQL SQLSTATE is on the cause.
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return e as PgErrorLike;
  }
  return undefined;
}

/**
 * A foreign key to nothing, named as the request field it came from: PostgreSQL's detail
 * `Key (app_id)=(…) is not present in table "apps".` becomes `body.appId`.
 */
function missingReference(detail: string | undefined): ApiError | undefined {
  const m = /^Key \(([a-z_]+)\)=\(([^)]*)\) is not present in table "([a-z_]+)"/.exec(detail ?? '');
  if (!m) return undefined;
  const field = `body.${m[1]!.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())}`;
  const message = `${m[2]} does not exist (no row of ${m[3]} has it)`;
  return new ApiError(422, ErrorCode.InvalidReference, `${field}: ${message}`, [{ field, message }]);
}

/** Maps constraint violations to the client error they are, with the constraint named. */
export function translatePgError(pg: PgErrorLike): ApiError | undefined {
  const constraint = pg.constraint_name ?? 'a constraint';
  switch (pg.code) {
    case '23505':
      return new ApiError(409, ErrorCode.Conflict, `a resource with the same unique values already exists (${constraint})`);
    case '23503':
      return pg.detail?.includes('is still referenced')
        ? new ApiError(409, ErrorCode.Conflict, `the resource is still in use by other resources (${constraint}); delete those first`)
        : (missingReference(pg.detail) ?? new ApiError(422, ErrorCode.InvalidReference, `a referenced resource does not exist (${constraint})`));
    case '23514':
      return new ApiError(400, ErrorCode.ValidationFailed, `the values break the rule ${constraint}`);
    case '22P02':
    case '22007':
    case '22008':
    case '22003':
      return new ApiError(400, ErrorCode.ValidationFailed, 'a value has the wrong format for its field');
    // A NUL byte in text (22021) or jsonb (22P05): refused per field by the request check (nul-guard.ts); this catches any value that got past it.
    case '22021':
    case '22P05':
      return new ApiError(400, ErrorCode.ValidationFailed, 'a value contains a character PostgreSQL cannot store (e.g. a NUL byte, U+0000)');
    default:
      return undefined;
  }
}

export function onError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof ApiError) return problemResponse(c, err);
  if (err instanceof DefinitionBusyError) return problemResponse(c, new ApiError(409, ErrorCode.Conflict, err.message));
  if (err instanceof InvalidCursorError)
    return problemResponse(c, new ApiError(400, ErrorCode.ValidationFailed, err.message, [{ field: 'cursor', message: err.message }]));
  if (err instanceof HTTPException) {
    const status = err.status;
    // 415 comes from @hono/zod-openapi's content-type gate (a JSON route called with another type).
    const code =
      status === 401
        ? ErrorCode.Unauthenticated
        : status === 404
          ? ErrorCode.NotFound
          : status === 413
            ? ErrorCode.PayloadTooLarge
            : status === 415
              ? ErrorCode.UnsupportedMediaType
              : status < 500
                ? ErrorCode.ValidationFailed
                : ErrorCode.Internal;
    const detail =
      status === 415
        ? `this operation takes a JSON body: send it with Content-Type: application/json (the request said ${JSON.stringify((c.req.header('content-type') ?? '(none)').slice(0, 100))})`
        : err.message || 'request could not be processed';
    return problemResponse(c, new ApiError(status, code, detail));
  }
  const pg = pgErrorOf(err);
  const translated = pg && translatePgError(pg);
  if (translated) return problemResponse(c, translated);
  c.get('log')?.error({ err }, 'unhandled error');
  return problemResponse(c, new ApiError(500, ErrorCode.Internal, 'an unexpected error occurred; quote the request id when reporting it'));
}
