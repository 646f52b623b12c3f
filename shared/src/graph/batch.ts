import { planBatches, validateBatchRequests, type BatchRequest } from './batch-plan.ts';
import type { GraphTransport } from './client.ts';
import { resourceUnitCost } from './cost.ts';
import { GraphError, defaultCode, graphErrorFromResponse } from './errors.ts';
import { backoffMs, getHeader, parseRateLimit, sleep, throttleDelayMs, type HeaderSource } from './throttle.ts';

/**
 * Runs requests through JSON `$batch` and reports a typed result per request.
 *
 * Microsoft ("JSON batching", "throttling guidance"):
 * - The envelope answers 200 even when sub-requests fail; every sub-response has its
 *   own status and must be checked.
 * - Throttled sub-requests (429, and 503) carry their own Retry-After: resend only
 *   those, in a new batch, after max(Retry-After, RateLimit-Reset).
 * - A request whose `dependsOn` failed gets 424 Failed Dependency: it did not run, so
 *   it is resent together with its dependency, or fails with it.
 * - Each sub-request is charged its own RU cost.
 * Creates (POST) are never resent after an ambiguous failure (5xx, lost envelope):
 * they are reported `outcomeUnknown` so the caller can look the row key up first.
 */

export type BatchResult = BatchSuccess | BatchFailure;

export interface BatchSuccess {
  id: string;
  ok: true;
  status: number;
  body: unknown;
  etag?: string;
}

export interface BatchFailure {
  id: string;
  ok: false;
  status: number;
  code: string;
  message: string;
  retryable: boolean;
}

export interface BatchOptions {
  /** Attempts per sub-request (throttling, transient errors). Default: the transport's. */
  maxAttempts?: number;
  /** Envelopes in flight at once. Default 4. */
  concurrency?: number;
  signal?: AbortSignal;
}

interface SubResponse {
  status: number;
  body: unknown;
  headers: HeaderSource;
}

type ChunkOutcome = { responses: Map<string, SubResponse> } | { error: GraphError };

export async function executeBatch(transport: GraphTransport, requests: readonly BatchRequest[], options: BatchOptions = {}): Promise<BatchResult[]> {
  validateBatchRequests(requests);
  const maxAttempts = options.maxAttempts ?? transport.options.maxAttempts;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const order = new Map(requests.map((r, i) => [r.id, i]));
  const attempts = new Map<string, number>();
  const results = new Map<string, BatchResult>();
  let pending: BatchRequest[] = [...requests];

  while (pending.length > 0) {
    const chunks = planBatches(pending);
    const outcomes = await mapLimit(chunks, concurrency, (chunk) => sendChunk(transport, chunk, order, maxAttempts, options.signal));
    const requeue = new Set<string>();
    const failedDependency: BatchRequest[] = [];
    let delay = 0;
    chunks.forEach((chunk, c) => {
      const outcome = outcomes[c] as ChunkOutcome;
      const hasPost = chunk.some((r) => r.method === 'POST');
      for (const request of chunk) {
        const attempt = (attempts.get(request.id) ?? 0) + 1;
        attempts.set(request.id, attempt);
        const canRetry = attempt < maxAttempts;
        if ('error' in outcome) {
          const e = outcome.error;
          // Transport already retried an all-idempotent envelope; with a POST inside it did not.
          const ambiguous = e.status === 0 || e.status >= 500 || e.code === 'outcomeUnknown';
          if (ambiguous && request.method === 'POST') {
            results.set(request.id, failure(request.id, e.status, 'outcomeUnknown', `${e.message}; the create may or may not have been applied`, true));
          } else if (ambiguous && hasPost && canRetry && !(e.status === 429 || e.status === 503)) {
            requeue.add(request.id);
            delay = Math.max(delay, backoffMs(attempt, transport.options.backoffBaseMs));
          } else {
            results.set(request.id, failure(request.id, e.status, e.code, e.message, e.retryable));
          }
          continue;
        }
        const sub = outcome.responses.get(request.id);
        if (!sub) {
          // A sub-response missing from a 200 envelope: treat like a lost answer.
          if (request.method === 'POST') results.set(request.id, failure(request.id, 0, 'outcomeUnknown', 'No sub-response for this request', true));
          else if (canRetry) requeue.add(request.id);
          else results.set(request.id, failure(request.id, 0, 'missingResponse', 'No sub-response for this request', true));
          continue;
        }
        const status = sub.status;
        // Sub-responses carry their own RateLimit-* headers (the envelope has none).
        transport.budget.observe(parseRateLimit(sub.headers));
        if (status >= 200 && status < 300) {
          results.set(request.id, success(request.id, sub));
        } else if (status === 424) {
          attempts.set(request.id, attempt - 1); // it never ran
          failedDependency.push(request);
        } else if (status === 429 || status === 503) {
          const wait = throttleDelayMs(sub.headers, transport.options.defaultThrottleMs);
          transport.budget.pause(wait);
          if (canRetry) {
            requeue.add(request.id);
          } else {
            results.set(request.id, fromError(request.id, graphErrorFromResponse(status, sub.body, sub.headers, `${request.method} ${request.url}`)));
          }
        } else if (status === 500 || status === 502 || status === 504 || status === 408) {
          if (request.method === 'POST') {
            results.set(
              request.id,
              failure(request.id, status, 'outcomeUnknown', `Sub-request answered ${status}; the create may or may not have been applied`, true),
            );
          } else if (canRetry) {
            requeue.add(request.id);
            delay = Math.max(delay, backoffMs(attempt, transport.options.backoffBaseMs));
          } else {
            results.set(request.id, fromError(request.id, graphErrorFromResponse(status, sub.body, sub.headers, `${request.method} ${request.url}`)));
          }
        } else {
          results.set(request.id, fromError(request.id, graphErrorFromResponse(status, sub.body, sub.headers, `${request.method} ${request.url}`)));
        }
      }
    });
    // Chunks list each dependency group in dependency order, so a 424's dependency is settled first.
    for (const request of failedDependency) {
      const deps = request.dependsOn ?? [];
      const waiting = deps.some((d) => requeue.has(d));
      const failedDep = deps.map((d) => results.get(d)).find((r): r is BatchFailure => r !== undefined && !r.ok);
      if (waiting) {
        requeue.add(request.id);
      } else if (failedDep) {
        results.set(request.id, failure(request.id, 424, 'failedDependency', `Dependency ${failedDep.id} failed: ${failedDep.code}`, failedDep.retryable));
      } else if ((attempts.get(request.id) ?? 0) + 1 < maxAttempts) {
        attempts.set(request.id, (attempts.get(request.id) ?? 0) + 1);
        requeue.add(request.id);
      } else {
        results.set(request.id, failure(request.id, 424, 'failedDependency', 'Dependency failed', false));
      }
    }
    pending = requests.filter((r) => requeue.has(r.id));
    if (pending.length > 0 && delay > 0) await sleep(delay, options.signal);
  }
  return requests.map((r) => results.get(r.id) as BatchResult);
}

async function sendChunk(
  transport: GraphTransport,
  chunk: BatchRequest[],
  order: Map<string, number>,
  maxAttempts: number,
  signal: AbortSignal | undefined,
): Promise<ChunkOutcome> {
  // Wire ids are the request's position in the call: short and always valid for Graph.
  const wireId = (id: string): string => String((order.get(id) as number) + 1);
  const byWire = new Map(chunk.map((r) => [wireId(r.id), r.id]));
  const body = {
    requests: chunk.map((r) => {
      const headers = { ...(r.headers ?? {}) };
      if (r.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
      return {
        id: wireId(r.id),
        method: r.method,
        url: r.url,
        ...(Object.keys(headers).length ? { headers } : {}),
        ...(r.body !== undefined ? { body: r.body } : {}),
        ...(r.dependsOn?.length ? { dependsOn: r.dependsOn.map(wireId) } : {}),
      };
    }),
  };
  const cost = chunk.reduce((sum, r) => sum + resourceUnitCost(r.method, r.url), 0);
  try {
    const response = await transport.send<{ responses?: Array<{ id?: string; status?: number; body?: unknown; headers?: Record<string, string> }> }>({
      method: 'POST',
      path: '/$batch',
      template: '/$batch',
      body,
      cost,
      idempotent: chunk.every((r) => r.method !== 'POST'),
      maxAttempts,
      spanAttributes: { 'syncbridge.graph.batch_size': chunk.length },
      ...(signal ? { signal } : {}),
    });
    const responses = new Map<string, SubResponse>();
    for (const sub of response.body?.responses ?? []) {
      const id = byWire.get(String(sub.id));
      if (id !== undefined) responses.set(id, { status: Number(sub.status ?? 0), body: sub.body, headers: sub.headers });
    }
    return { responses };
  } catch (error) {
    if (error instanceof GraphError) return { error };
    throw error;
  }
}

function success(id: string, sub: SubResponse): BatchSuccess {
  const body = sub.body as Record<string, unknown> | undefined;
  const etag = getHeader(sub.headers, 'ETag') ?? pickString(body?.['@odata.etag']) ?? pickString(body?.['eTag']);
  return etag === undefined ? { id, ok: true, status: sub.status, body: sub.body } : { id, ok: true, status: sub.status, body: sub.body, etag };
}

function failure(id: string, status: number, code: string, message: string, retryable: boolean): BatchFailure {
  return { id, ok: false, status, code: code || defaultCode(status), message, retryable };
}

function fromError(id: string, error: GraphError): BatchFailure {
  return failure(id, error.status, error.code, error.message, error.retryable);
}

function pickString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping result order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
