import { FailureType } from '../errors.ts';
import { getHeader, parseRetryAfterMs, type HeaderSource } from './throttle.ts';

/**
 * Typed Graph failures. Activities map them to Temporal failures with `failureType`
 * (non-retryable types from shared/src/errors.ts) and `retryable`.
 *
 * Retryable by status (Microsoft Graph "best practices" / throttling guidance):
 *   408, 429, 500, 502, 503, 504 and network errors. Note that retryable means "may
 *   succeed later", not "safe to resend blindly": a POST that timed out may have
 *   created its item (see batch.ts and items.ts for how creates are resolved).
 * Everything else in 4xx is permanent: the same request gets the same answer.
 */

export interface GraphErrorInit {
  status: number;
  code: string;
  message: string;
  retryable?: boolean;
  requestId?: string | undefined;
  clientRequestId?: string | undefined;
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

export class GraphError extends Error {
  override readonly name: string = 'GraphError';
  /** HTTP status; 0 when no response arrived (network error, timeout). */
  readonly status: number;
  /** Graph's `error.code` (e.g. `itemNotFound`, `accessDenied`) or one of ours. */
  readonly code: string;
  readonly retryable: boolean;
  /** `request-id` Microsoft support asks for. */
  readonly requestId: string | undefined;
  readonly clientRequestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  /** Non-retryable failure category for Temporal `ApplicationFailure`, if any. */
  readonly failureType: FailureType | undefined;

  constructor(init: GraphErrorInit, failureType?: FailureType) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.retryable = init.retryable ?? isRetryableStatus(init.status);
    this.requestId = init.requestId;
    this.clientRequestId = init.clientRequestId;
    this.retryAfterMs = init.retryAfterMs;
    this.failureType = failureType;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      status: this.status,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      requestId: this.requestId,
      clientRequestId: this.clientRequestId,
    };
  }
}

/** 401 from Graph, or the identity endpoint refused the client credentials. */
export class GraphAuthError extends GraphError {
  override readonly name = 'GraphAuthError';
  constructor(init: GraphErrorInit) {
    super({ ...init, retryable: init.retryable ?? false }, FailureType.AuthenticationFailed);
  }
}

/** 403: the app lacks a permission (e.g. Sites.Selected not granted on the site). */
export class GraphPermissionError extends GraphError {
  override readonly name = 'GraphPermissionError';
  constructor(init: GraphErrorInit) {
    super({ ...init, retryable: false }, FailureType.PermissionDenied);
  }
}

export class GraphNotFoundError extends GraphError {
  override readonly name = 'GraphNotFoundError';
  constructor(init: GraphErrorInit) {
    super({ ...init, retryable: false }, FailureType.NotFound);
  }
}

/** 412 on `If-Match`: someone else changed the item since we read its eTag. */
export class GraphConflictError extends GraphError {
  override readonly name = 'GraphConflictError';
  constructor(init: GraphErrorInit) {
    super({ ...init, retryable: false }, FailureType.Conflict);
  }
}

/** 429/503 still coming after every attempt. Retry later, with the budget in mind. */
export class GraphThrottledError extends GraphError {
  override readonly name = 'GraphThrottledError';
  constructor(init: GraphErrorInit) {
    super({ ...init, retryable: true });
  }
}

/**
 * 410 Gone on a delta call: the token expired or the service lost its state
 * (Microsoft: codes `resyncRequired`, `resyncChangesApplyDifferences`,
 * `resyncChangesUploadDifferences`). `location` is the URL that restarts the
 * enumeration; callers must do a full resync.
 */
export class DeltaTokenExpiredError extends GraphError {
  override readonly name = 'DeltaTokenExpiredError';
  constructor(
    init: GraphErrorInit,
    readonly location: string | undefined,
  ) {
    super({ ...init, retryable: false });
  }
}

/** A code error on our side (bad batch plan, foreign nextLink): never retry. */
export class GraphUsageError extends GraphError {
  override readonly name = 'GraphUsageError';
  constructor(message: string, code = 'invalidRequest') {
    super({ status: 0, code, message, retryable: false }, FailureType.InvalidInput);
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

export interface ParsedErrorBody {
  code: string | undefined;
  message: string | undefined;
  requestId: string | undefined;
  clientRequestId: string | undefined;
}

/** Reads Graph's `{ error: { code, message, innerError: { request-id } } }` shape. */
export function parseErrorBody(body: unknown): ParsedErrorBody {
  const error = (body && typeof body === 'object' ? (body as { error?: unknown }).error : undefined) as
    { code?: unknown; message?: unknown; innerError?: Record<string, unknown>; innererror?: Record<string, unknown> } | undefined;
  const inner = error?.innerError ?? error?.innererror;
  return {
    code: typeof error?.code === 'string' ? error.code : undefined,
    message: typeof error?.message === 'string' ? error.message : typeof body === 'string' && body ? body.slice(0, 500) : undefined,
    requestId: typeof inner?.['request-id'] === 'string' ? inner['request-id'] : undefined,
    clientRequestId: typeof inner?.['client-request-id'] === 'string' ? inner['client-request-id'] : undefined,
  };
}

const DEFAULT_CODES: Record<number, string> = {
  400: 'invalidRequest',
  401: 'unauthenticated',
  403: 'accessDenied',
  404: 'itemNotFound',
  409: 'conflict',
  410: 'resyncRequired',
  412: 'preconditionFailed',
  424: 'failedDependency',
  429: 'tooManyRequests',
  500: 'generalException',
  502: 'badGateway',
  503: 'serviceNotAvailable',
  504: 'gatewayTimeout',
};

export function defaultCode(status: number): string {
  return DEFAULT_CODES[status] ?? (status >= 500 ? 'serverError' : status >= 400 ? 'clientError' : 'unknown');
}

/** Builds the typed error for a non-2xx Graph answer (top-level or `$batch` sub-response). */
export function graphErrorFromResponse(status: number, body: unknown, headers: HeaderSource, what: string): GraphError {
  const parsed = parseErrorBody(body);
  const init: GraphErrorInit = {
    status,
    code: parsed.code ?? defaultCode(status),
    message: `${what}: ${status} ${parsed.message ?? defaultCode(status)}`,
    requestId: parsed.requestId ?? getHeader(headers, 'request-id'),
    clientRequestId: parsed.clientRequestId ?? getHeader(headers, 'client-request-id'),
    retryAfterMs: parseRetryAfterMs(getHeader(headers, 'Retry-After')),
  };
  switch (status) {
    case 401:
      return new GraphAuthError(init);
    case 403:
      return new GraphPermissionError(init);
    case 404:
      return new GraphNotFoundError(init);
    case 410:
      return new DeltaTokenExpiredError(init, getHeader(headers, 'Location'));
    case 412:
      return new GraphConflictError(init);
    case 429:
    case 503:
      return new GraphThrottledError(init);
    default:
      return new GraphError(init);
  }
}

/** A transport failure (no HTTP answer). */
export function graphNetworkError(cause: unknown, what: string, clientRequestId?: string): GraphError {
  const code = (cause as { code?: unknown })?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new GraphError({
    status: 0,
    code: typeof code === 'string' ? code : 'networkError',
    message: `${what}: ${message}`,
    retryable: true,
    clientRequestId,
    cause,
  });
}
