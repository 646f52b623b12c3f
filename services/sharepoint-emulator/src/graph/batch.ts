import type { Context, Hono } from 'hono';
import { GRAPH_JSON_CONTENT_TYPE, errorBody, GraphError } from '../errors.ts';
import { isRecord } from '../util.ts';
import type { GraphDeps, GraphEnv, SubRequestBinding } from './env.ts';
import { graphJson, readJsonBody } from './http.ts';
import { loseResponse } from './middleware.ts';

/** "Combine multiple HTTP requests using JSON batching": at most 20 requests per batch. */
export const MAX_BATCH_REQUESTS = 20;

interface BatchStep {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  dependsOn: string[];
}

interface BatchResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** Response headers Graph reports per sub-request, in the casing Graph uses. */
const REPORTED_HEADERS = ['Location', 'Retry-After', 'ETag', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Content-Type'];

const invalid = (message: string) => new GraphError(400, 'BadRequest', message);

function parseSteps(body: unknown): BatchStep[] {
  if (!isRecord(body) || !Array.isArray(body.requests)) throw invalid('Invalid batch payload format.');
  if (body.requests.length === 0) throw invalid('Invalid batch payload format: the batch contains no requests.');
  if (body.requests.length > MAX_BATCH_REQUESTS) {
    throw invalid(`The batch contains ${body.requests.length} requests; a JSON batch can hold at most ${MAX_BATCH_REQUESTS}.`);
  }
  const steps: BatchStep[] = [];
  const seen = new Set<string>();
  for (const raw of body.requests as unknown[]) {
    if (!isRecord(raw)) throw invalid('Invalid batch payload format.');
    const id = typeof raw.id === 'number' ? String(raw.id) : raw.id;
    if (typeof id !== 'string' || !id) throw invalid("Every batch request needs an 'id'.");
    if (seen.has(id.toLowerCase())) throw invalid(`Batch request ids must be unique; '${id}' appears more than once.`);
    seen.add(id.toLowerCase());
    if (typeof raw.method !== 'string' || typeof raw.url !== 'string') throw invalid(`Batch request '${id}' needs a 'method' and a 'url'.`);
    const headers: Record<string, string> = {};
    if (isRecord(raw.headers)) for (const [k, v] of Object.entries(raw.headers)) headers[k] = String(v);
    const dependsOn = Array.isArray(raw.dependsOn) ? raw.dependsOn.map(String) : [];
    steps.push({ id, method: raw.method.toUpperCase(), url: raw.url, headers, body: raw.body, dependsOn });
  }
  // A request may only depend on requests listed before it, which also rules out cycles.
  steps.forEach((step, index) => {
    const earlier = new Set(steps.slice(0, index).map((s) => s.id.toLowerCase()));
    for (const dep of step.dependsOn) {
      if (!earlier.has(dep.toLowerCase())) throw invalid(`Batch request '${step.id}' depends on '${dep}', which is not an earlier request in the batch.`);
    }
  });
  return steps;
}

function errorResponse(c: Context<GraphEnv>, id: string, status: number, code: string, message: string): BatchResponse {
  return {
    id,
    status,
    headers: { 'Content-Type': GRAPH_JSON_CONTENT_TYPE },
    body: errorBody(code, message, c.get('requestId'), c.get('clientRequestId')),
  };
}

async function toBatchResponse(id: string, res: Response, binding: SubRequestBinding): Promise<BatchResponse> {
  const headers: Record<string, string> = {};
  for (const name of REPORTED_HEADERS) {
    const value = res.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  // The handler's JSON answer as a value; a response with a body of its own (an error rendered after it) wins.
  if (binding.answer && res.body === null) return { id, status: res.status, headers, body: binding.answer.value };
  const text = await res.text();
  const out: BatchResponse = { id, status: res.status, headers };
  if (text) {
    try {
      out.body = JSON.parse(text) as unknown;
    } catch {
      out.body = text;
    }
  }
  return out;
}

/**
 * `POST /$batch`. Each sub-request is dispatched through the same app, so auth,
 * resource-unit charging, throttling and faults apply to it individually; a request
 * whose dependency failed answers 424 Failed Dependency without running.
 */
export function registerBatch(app: Hono<GraphEnv>, deps: GraphDeps): void {
  app.post('/$batch', async (c) => {
    if (c.env?.subRequest) throw invalid('A batch request cannot contain another $batch request.');
    const steps = parseSteps(await readJsonBody(c));
    const origin = new URL(c.req.url).origin;
    const bindings: SubRequestBinding[] = [];
    const results = new Map<string, Promise<BatchResponse>>();

    const run = async (step: BatchStep): Promise<BatchResponse> => {
      const deps_ = await Promise.all(step.dependsOn.map((d) => results.get(d.toLowerCase()) as Promise<BatchResponse>));
      if (deps_.some((r) => r.status >= 400)) {
        return errorResponse(c, step.id, 424, 'FailedDependency', `Request '${step.id}' was not run because a request it depends on failed.`);
      }
      const target = new URL(`/v1.0/${step.url.replace(/^\/+/, '')}`, origin);
      if (/^[a-z]+:/i.test(step.url) || !target.pathname.startsWith('/v1.0/')) {
        return errorResponse(
          c,
          step.id,
          400,
          'BadRequest',
          `Batch request '${step.id}' must use a URL relative to the Graph version, such as /sites/{site-id}.`,
        );
      }
      const headers = new Headers(step.headers);
      headers.set('authorization', c.req.header('authorization') ?? '');
      const binding: SubRequestBinding = { lostResponse: false };
      let body: string | undefined;
      if (step.body !== undefined && step.body !== null) {
        if (!headers.has('content-type')) {
          return errorResponse(c, step.id, 400, 'BadRequest', `Write request id : ${step.id} does not contain Content-Type header or body.`);
        }
        // A JSON body is handed to the handler as the value it is (readJsonBody); a string travels as text.
        if (typeof step.body === 'string') body = step.body;
        else binding.body = { value: step.body };
      }
      bindings.push(binding);
      const res = await deps.dispatch(new Request(target, { method: step.method, headers, body }), { subRequest: binding });
      return toBatchResponse(step.id, res, binding);
    };

    for (const step of steps) results.set(step.id.toLowerCase(), run(step));
    const responses = await Promise.all(results.values());
    if (bindings.some((b) => b.lostResponse)) {
      // The writes were applied; the whole batch response is lost, as with a dropped connection.
      await loseResponse(c, deps);
    }
    return graphJson(c, { responses: deps.faults.config.shuffleBatchResponses ? deps.faults.shuffle(responses) : responses });
  });
}
