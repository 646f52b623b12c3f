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
  internal: 'Internal error',
};

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
  })
  .openapi('Problem');

export function problemBody(c: Context, err: ApiError) {
  return {
    type: `https://syncbridge.dev/problems/${err.code}`,
    title: titles[err.code],
    status: err.status,
    detail: err.message,
    code: err.code,
    requestId: (c.get('requestId') as string | undefined) ?? 'unknown',
    ...(err.errors.length ? { errors: err.errors } : {}),
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
