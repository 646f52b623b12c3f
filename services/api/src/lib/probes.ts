import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { API_PROBE_LIMIT_DEFAULTS } from '@syncbridge/shared/config';
import { EgressPolicy, type EgressDeniedError, type EgressField } from '@syncbridge/shared/net';
import type { ApiDeps, AppEnv } from './context.ts';
import { ApiError, commonErrorResponses, ErrorCode } from './problem.ts';

/*
 * Live calls from the API to what an API user configured: a source database (connection test,
 * introspection) or Microsoft Graph (connection test, discovery). Three guards apply to each:
 *
 * - an overall deadline, after which the call answers (a test: ok false with errorClass
 *   `timeout`; a read: 503) and stops connecting;
 * - the egress policy (shared/src/net/egress.ts): a refused address answers 422 naming the field;
 * - a rate limit per API key and kind of target, so one key cannot scan ports or hammer a server
 *   through the API.
 */

/** `POST /database-instances/{id}/test`: at most three connection attempts of 5 s within this. */
export const SOURCE_TEST_DEADLINE_MS = 10_000;
/** `POST /sharepoint-connections/{id}/test`: a token and one site read. */
export const GRAPH_TEST_DEADLINE_MS = 12_000;
/** Discovery (sites, lists, columns): a few pages of Graph. */
export const GRAPH_READ_DEADLINE_MS = 25_000;

export type ProbeKind = 'source' | 'graph';

/** The 429 and 422 answers every live call documents, besides the common ones. */
export const probeErrorResponses = {
  422: {
    description:
      'Well-formed but cannot work: among others, the egress policy does not allow the address of the host, graphBaseUrl or authorityHost (the field is named in errors[])',
    content: commonErrorResponses[422].content,
  },
  429: {
    description: 'Too many live calls to sources or Graph by this API key; Retry-After says when to try again',
    content: commonErrorResponses[422].content,
  },
} as const;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets per API key and kind, in this process's memory. Per process is enough for what
 * the limit is for: it bounds how fast one key can make this API connect somewhere (N API
 * processes allow N times the rate, still bounded), it needs no shared store, and nobody but
 * an operator can reset it (by restarting the API). Buckets are only kept for keys that exist,
 * and full ones are dropped, so memory stays small.
 */
export class ProbeRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    readonly perMinute: number,
    readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  /** 0 when the call may go ahead (and is counted), else the whole seconds until it may. */
  take(key: string): number {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.buckets.set(key, bucket);
      this.sweep(now);
      return 0;
    }
    this.buckets.set(key, bucket);
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
  }

  private sweep(now: number): void {
    if (this.buckets.size < 1000) return;
    for (const [k, b] of this.buckets) if (b.tokens + (now - b.at) * this.perMs >= this.burst) this.buckets.delete(k);
  }
}

const limiters = new WeakMap<ApiDeps, ProbeRateLimiter>();
const numberOr = (value: unknown, fallback: number) => (typeof value === 'number' ? value : fallback);

function limiterOf(deps: ApiDeps): ProbeRateLimiter {
  let limiter = limiters.get(deps);
  if (!limiter) {
    limiter = new ProbeRateLimiter(
      numberOr(deps.config.API_PROBE_RATE_PER_MINUTE, API_PROBE_LIMIT_DEFAULTS.API_PROBE_RATE_PER_MINUTE),
      numberOr(deps.config.API_PROBE_BURST, API_PROBE_LIMIT_DEFAULTS.API_PROBE_BURST),
    );
    limiters.set(deps, limiter);
  }
  return limiter;
}

/** Rate limit of live calls of one kind, per API key (after authentication and the role check). */
export function limitProbes(deps: ApiDeps, kind: ProbeKind) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const limiter = limiterOf(deps);
    const principal = c.get('principal');
    const wait = limiter.take(`${principal.keyId}|${kind}`);
    if (wait > 0) {
      c.get('log').warn({ apiKeyId: principal.keyId, kind, retryAfterSeconds: wait }, 'live call rate limit reached');
      c.header('Retry-After', String(wait));
      const target = kind === 'source' ? 'source databases' : 'SharePoint';
      throw new ApiError(
        429,
        ErrorCode.TooManyRequests,
        `this API key made too many live calls to ${target} (at most ${limiter.burst} at once, then ${limiter.perMinute} a minute); retry in ${wait} s`,
      );
    }
    await next();
  });
}

/** The deps' egress policy; an API built without one (the OpenAPI printer) refuses nothing it never calls. */
export function egressOf(deps: ApiDeps): EgressPolicy {
  return deps.egress instanceof EgressPolicy ? deps.egress : EgressPolicy.unrestricted();
}

/** A refused address as the 422 it is, naming the request field the address came from. */
export function egressRefused(err: EgressDeniedError, field: EgressField, log?: Context<AppEnv>['var']['log']): ApiError {
  log?.warn({ host: err.host, port: err.port, address: err.address, field }, 'egress refused');
  return new ApiError(422, ErrorCode.ValidationFailed, `${field}: ${err.message}`, [{ field, message: err.message }]);
}

/**
 * Runs `call` with an AbortSignal that fires at the deadline, and answers by then whatever
 * `call` does with it: `onDeadline` is called (to tear down what the call left open) and the
 * result is `{ timedOut: true }`.
 */
export async function withDeadline<T>(
  ms: number,
  call: (signal: AbortSignal) => Promise<T>,
  onDeadline?: () => void,
): Promise<{ timedOut: false; value: T } | { timedOut: true }> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<{ timedOut: true }>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(Object.assign(new Error(`no answer within ${ms / 1000} s`), { name: 'TimeoutError', code: 'ABORT_ERR' }));
      onDeadline?.();
      resolve({ timedOut: true });
    }, ms);
  });
  try {
    return await Promise.race([call(controller.signal).then((value) => ({ timedOut: false as const, value })), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
