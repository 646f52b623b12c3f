import { randomUUID } from 'node:crypto';
import { ResponseType, type Client, type GraphRequest } from '@microsoft/microsoft-graph-client';
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { Logger } from '../observability/logger.ts';
import { AgentClosedError } from './agents.ts';
import type { RuBudget } from './shared-budget.ts';
import { SYNCBRIDGE_VERSION, type ResolvedGraphConfig } from './config.ts';
import { egressDeniedIn } from './classify.ts';
import { resourceUnitCost, type HttpMethod } from './cost.ts';
import { GraphError, GraphUsageError, graphErrorFromResponse, graphNetworkError } from './errors.ts';
import type { CallState } from './http.ts';
import { backoffMs, parseRateLimit, parseRetryAfterMs, sleep, throttleDelayMs } from './throttle.ts';

/**
 * One Graph call: budget, send, classify, retry, trace.
 *
 * Retry rules (Microsoft Graph throttling guidance; SharePoint throttling article):
 * - 429 and 503: wait max(Retry-After, RateLimit-Reset), pausing the *whole
 *   connection* (the budget is per app per tenant, so every other request would be
 *   throttled too), then resend. Safe for POST: the request was refused, not run.
 * - 401: once per call, with a freshly acquired token (revoked or rotated tokens).
 * - 500/502/504/408 and network errors: resend with exponential backoff only when the
 *   request is idempotent. A POST that timed out may have created its item (Microsoft
 *   documents item creation as not idempotent), so it is surfaced instead.
 */

export const tracer = trace.getTracer('syncbridge.graph', SYNCBRIDGE_VERSION);

export interface GraphRequestSpec {
  method: HttpMethod;
  /** Path under the version root (`/sites/{id}?$select=id`) or an absolute URL on the Graph origin (nextLink). */
  path: string;
  /** Route template for spans and logs, e.g. `/sites/{site-id}/lists/{list-id}/items`. */
  template: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** RU cost; defaults to Microsoft's published cost for the method and path. */
  cost?: number;
  /** Defaults to true except for POST. */
  idempotent?: boolean;
  /** Non-2xx statuses returned as a response instead of thrown (404 lookups, 410 delta). */
  acceptStatuses?: readonly number[];
  maxAttempts?: number;
  signal?: AbortSignal;
  /** Extra span attributes (e.g. the number of `$batch` sub-requests). */
  spanAttributes?: Record<string, string | number | boolean>;
}

export interface GraphResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
  attempts: number;
  clientRequestId: string | undefined;
}

export interface TransportOptions {
  maxAttempts: number;
  /** Wait used when a 429/503 names no Retry-After. */
  defaultThrottleMs: number;
  backoffBaseMs: number;
  /** Called on a 401 before the single retry with a fresh token. */
  onUnauthorized?: () => void;
  /**
   * Longest wait a 429/503 may impose before the call gives up with GraphThrottledError
   * instead of waiting (interactive callers such as the API: an hour's Retry-After is an
   * answer to give, not a wait). Unlimited when absent (the worker waits as Graph asks).
   */
  maxThrottleWaitMs?: number;
}

export class GraphTransport {
  /** Moving average of response times (ms), for sizing concurrency; 1 s until measured. */
  private latencyEwma = 1_000;

  constructor(
    readonly config: ResolvedGraphConfig,
    private readonly client: Client,
    readonly budget: RuBudget,
    private readonly logger: Logger,
    readonly options: TransportOptions,
  ) {}

  latencyMs(): number {
    return this.latencyEwma;
  }

  async send<T = unknown>(spec: GraphRequestSpec): Promise<GraphResponse<T>> {
    const target = this.toClientPath(spec.path);
    const cost = spec.cost ?? resourceUnitCost(spec.method, target.path);
    const idempotent = spec.idempotent ?? spec.method !== 'POST';
    const maxAttempts = spec.maxAttempts ?? this.options.maxAttempts;
    const clientRequestId = randomUUID();
    return tracer.startActiveSpan(
      `graph ${spec.method} ${spec.template}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': spec.method,
          'url.template': spec.template,
          'server.address': new URL(this.config.graphOrigin).host,
          'syncbridge.graph.connection_id': this.config.connectionId,
          // One id for all attempts of this call, so Microsoft's logs tie them together.
          'syncbridge.graph.client_request_id': clientRequestId,
          ...spec.spanAttributes,
        },
      },
      async (span) => {
        let retries = 0;
        let refreshedToken = false;
        try {
          for (let attempt = 1; ; attempt++) {
            retries = attempt - 1;
            const waitStart = Date.now();
            await this.budget.acquire(cost, spec.signal);
            const waited = Date.now() - waitStart;
            if (waited > 0) span.addEvent('budget.wait', { 'syncbridge.graph.wait_ms': waited, attempt });
            const state: CallState = { clientRequestId };
            let response: Response;
            const sentAt = Date.now();
            try {
              response = await this.raw(spec, target, state);
              this.latencyEwma = 0.8 * this.latencyEwma + 0.2 * (Date.now() - sentAt);
            } catch (error) {
              const cause = state.error ?? error;
              if (cause instanceof GraphError) throw cause;
              const networkError = graphNetworkError(cause, `${spec.method} ${spec.template}`, state.clientRequestId);
              // A refusal of the egress policy, or a gateway closed under the call, gives the same answer every time.
              const final = egressDeniedIn(cause) !== undefined || cause instanceof AgentClosedError;
              if (idempotent && attempt < maxAttempts && !spec.signal?.aborted && !final) {
                const delay = backoffMs(attempt, this.options.backoffBaseMs);
                span.addEvent('retry', { attempt, reason: networkError.code, delay_ms: delay });
                await sleep(delay, spec.signal);
                continue;
              }
              throw idempotent ? networkError : outcomeUnknown(networkError);
            }
            this.budget.observe(parseRateLimit(response.headers));
            const status = response.status;
            span.setAttribute('http.response.status_code', status);
            if (status === 429 || status === 503) {
              const delay = throttleDelayMs(response.headers, this.options.defaultThrottleMs);
              this.budget.pause(delay);
              this.logger.warn(
                { connectionId: this.config.connectionId, status, delayMs: delay, template: spec.template, clientRequestId: state.clientRequestId },
                'graph throttled; pausing connection',
              );
              const tooLong = this.options.maxThrottleWaitMs !== undefined && delay > this.options.maxThrottleWaitMs;
              if (attempt < maxAttempts && !tooLong) {
                span.addEvent('retry', { attempt, reason: String(status), delay_ms: delay });
                await response.arrayBuffer().catch(() => undefined);
                continue;
              }
            } else if (status === 401 && !refreshedToken && this.options.onUnauthorized && attempt < maxAttempts) {
              // A cached token Graph no longer accepts: get a new one and try once more.
              // Safe for POST too: a 401 means the request was not processed.
              refreshedToken = true;
              this.options.onUnauthorized();
              span.addEvent('retry', { attempt, reason: '401' });
              await response.arrayBuffer().catch(() => undefined);
              continue;
            } else if (idempotent && attempt < maxAttempts && (status === 500 || status === 502 || status === 504 || status === 408)) {
              const delay = parseRetryAfterMs(response.headers.get('Retry-After')) ?? backoffMs(attempt, this.options.backoffBaseMs);
              span.addEvent('retry', { attempt, reason: String(status), delay_ms: delay });
              await response.arrayBuffer().catch(() => undefined);
              await sleep(delay, spec.signal);
              continue;
            }
            const body = await readBody(response);
            if ((status >= 200 && status < 300) || spec.acceptStatuses?.includes(status)) {
              return { status, body: body as T, headers: response.headers, attempts: attempt, clientRequestId: state.clientRequestId };
            }
            const error = graphErrorFromResponse(status, body, response.headers, `${spec.method} ${spec.template}`);
            throw !idempotent && (status === 500 || status === 502 || status === 504) ? outcomeUnknown(error) : error;
          }
        } catch (error) {
          recordError(span, error);
          throw error;
        } finally {
          span.setAttribute('syncbridge.graph.retry_count', retries);
          span.setAttribute('syncbridge.graph.ru_cost', cost * (retries + 1));
          span.end();
        }
      },
    );
  }

  /** Splits a path or absolute nextLink into what `Client.api()` expects. */
  toClientPath(pathOrUrl: string): { path: string; version: string } {
    if (!/^https?:\/\//i.test(pathOrUrl)) {
      return { path: pathOrUrl.startsWith('/') ? pathOrUrl : `/${pathOrUrl}`, version: this.config.graphVersion };
    }
    const url = new URL(pathOrUrl);
    const host = new URL(this.config.graphHost);
    if (url.origin.toLowerCase() !== host.origin.toLowerCase() || !url.pathname.startsWith(host.pathname)) {
      throw new GraphUsageError(`Link ${url.origin}${url.pathname} is outside the connection's Graph base URL`, 'foreignOrigin');
    }
    const rest = url.pathname.slice(host.pathname.length);
    const slash = rest.indexOf('/');
    const version = slash === -1 ? rest : rest.slice(0, slash);
    const path = slash === -1 ? '/' : rest.slice(slash);
    return { path: `${path}${url.search}`, version: version || this.config.graphVersion };
  }

  private raw(spec: GraphRequestSpec, target: { path: string; version: string }, state: CallState): Promise<Response> {
    let request: GraphRequest = this.client.api(target.path).version(target.version).responseType(ResponseType.RAW).option('syncbridgeCall', state);
    if (spec.headers) request = request.headers(spec.headers);
    if (spec.signal) request = request.option('signal', spec.signal);
    switch (spec.method) {
      case 'GET':
        return request.get() as Promise<Response>;
      case 'POST':
        return request.post(spec.body) as Promise<Response>;
      case 'PATCH':
        return request.patch(spec.body) as Promise<Response>;
      case 'PUT':
        return request.put(spec.body) as Promise<Response>;
      case 'DELETE':
        return request.delete() as Promise<Response>;
    }
  }
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A POST whose answer never came: it may or may not have been applied. */
function outcomeUnknown(error: GraphError): GraphError {
  return new GraphError({
    status: error.status,
    code: 'outcomeUnknown',
    message: `${error.message} (not resent: the request is not idempotent and may have been applied)`,
    retryable: true,
    clientRequestId: error.clientRequestId,
    cause: error,
  });
}

function recordError(span: Span, error: unknown): void {
  if (error instanceof GraphError) {
    span.setAttribute('syncbridge.graph.error_code', error.code);
    if (error.requestId) span.setAttribute('syncbridge.graph.request_id', error.requestId);
  }
  span.recordException(error instanceof Error ? error : new Error(String(error)));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}
