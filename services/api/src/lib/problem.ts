import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** One error vocabulary for the whole API (RFC 9457 problem details). */
export const ErrorCode = {
  ValidationFailed: 'validation_failed',
  Unauthenticated: 'unauthenticated',
  Forbidden: 'forbidden',
  NotFound: 'not_found',
  Conflict: 'conflict',
  InvalidReference: 'invalid_reference',
  Unavailable: 'unavailable',
  PayloadTooLarge: 'payload_too_large',
  UnsupportedMediaType: 'unsupported_media_type',
  TooManyRequests: 'too_many_requests',
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const titles: Record<ErrorCode, string> = {
  validation_failed: 'Request validation failed',
  unauthenticated: 'Authentication required',
  forbidden: 'Not allowed',
  not_found: 'Not found',
  conflict: 'Conflict',
  invalid_reference: 'Referenced resource does not exist',
  unavailable: 'Dependency unavailable',
  payload_too_large: 'Request body too large',
  unsupported_media_type: 'Unsupported content type',
  too_many_requests: 'Too many requests',
  internal: 'Internal error',
};

/**
 * Error bodies stay small whatever the request was: at most this many field errors are listed
 * (omittedErrors counts the rest), and detail and each message are cut to these lengths. A
 * request with thousands of unknown keys once got a 5 MB answer.
 */
export const MAX_LISTED_ERRORS = 20;
export const MAX_DETAIL_LENGTH = 2000;
export const MAX_ERROR_MESSAGE_LENGTH = 500;

const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string, id: string) => new ApiError(404, ErrorCode.NotFound, `${what} ${id} does not exist`);

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'https://syncbridge.dev/problems/validation_failed' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
    requestId: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    omittedErrors: z
      .number()
      .int()
      .optional()
      .openapi({ description: `Field errors not listed (at most ${MAX_LISTED_ERRORS} are)` }),
  })
  .openapi('Problem');

export function problemBody(c: Context, err: ApiError) {
  const listed = err.errors
    .slice(0, MAX_LISTED_ERRORS)
    .map((e) => ({ field: cut(e.field, MAX_ERROR_MESSAGE_LENGTH), message: cut(e.message, MAX_ERROR_MESSAGE_LENGTH) }));
  const omitted = err.errors.length - listed.length;
  return {
    type: `https://syncbridge.dev/problems/${err.code}`,
    title: titles[err.code],
    status: err.status,
    detail: cut(err.message, MAX_DETAIL_LENGTH),
    code: err.code,
    requestId: (c.get('requestId') as string | undefined) ?? 'unknown',
    ...(listed.length ? { errors: listed } : {}),
    ...(omitted > 0 ? { omittedErrors: omitted } : {}),
  };
}

export function problemResponse(c: Context, err: ApiError): Response {
  return c.body(JSON.stringify(problemBody(c, err)), err.status, { 'content-type': 'application/problem+json' });
}

const problemContent = { 'application/problem+json': { schema: ProblemSchema } };

/** Error responses every /v1 route documents in its OpenAPI. */
export const commonErrorResponses = {
  400: { description: 'The request is malformed or fails validation', content: problemContent },
  401: { description: 'Missing or invalid API key', content: problemContent },
  403: { description: 'The API key role does not allow this', content: problemContent },
  404: { description: 'The resource does not exist', content: problemContent },
  409: { description: 'Conflicts with the current state', content: problemContent },
  422: { description: 'Well-formed but refers to things that do not exist or cannot work', content: problemContent },
  500: { description: 'Unexpected error (reported with its request id)', content: problemContent },
} as const;
