import type { HttpMethod } from './cost.ts';
import { GraphUsageError } from './errors.ts';

/**
 * Splitting requests into JSON `$batch` envelopes (Microsoft Graph "Combine multiple
 * HTTP requests using JSON batching"):
 * - at most 20 requests per batch;
 * - `dependsOn` may only name requests of the same batch, so a request and everything
 *   it is connected to through `dependsOn` travel together;
 * - without `dependsOn`, Graph runs requests in any order, so nothing else is implied.
 * Pure functions: unit-tested without a network.
 */

export const MAX_BATCH_SIZE = 20;

export interface BatchRequest {
  /** Caller's correlation id, unique within one `executeBatch` call. */
  id: string;
  method: HttpMethod;
  /** Relative to the version root, e.g. `/sites/{site}/lists/{list}/items`. */
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Ids of requests that must succeed first (Graph answers dependants 424 otherwise). */
  dependsOn?: string[];
}

export function validateBatchRequests(requests: readonly BatchRequest[]): void {
  const ids = new Set<string>();
  for (const request of requests) {
    if (!request.id) throw new GraphUsageError('Batch request without id');
    if (ids.has(request.id)) throw new GraphUsageError(`Duplicate batch request id ${request.id}`);
    ids.add(request.id);
    if (/^https?:\/\//i.test(request.url) || !request.url.startsWith('/')) {
      throw new GraphUsageError(`Batch request ${request.id}: url must be relative to the version root and start with "/"`);
    }
  }
  for (const request of requests) {
    for (const dep of request.dependsOn ?? []) {
      if (dep === request.id) throw new GraphUsageError(`Batch request ${request.id} depends on itself`);
      if (!ids.has(dep)) throw new GraphUsageError(`Batch request ${request.id} depends on unknown id ${dep}`);
    }
  }
  topologicalOrder(requests);
}

/**
 * Chunks of at most `maxSize` requests, each dependency group kept whole and in
 * dependency order; groups are packed in the order they first appear.
 * `dependsOn` entries naming ids outside `requests` are ignored (already satisfied,
 * e.g. a dependency that succeeded in an earlier round).
 */
export function planBatches(requests: readonly BatchRequest[], maxSize: number = MAX_BATCH_SIZE): BatchRequest[][] {
  const present = new Set(requests.map((r) => r.id));
  const normalised = requests.map((r) => {
    const deps = (r.dependsOn ?? []).filter((d) => present.has(d));
    return deps.length ? { ...r, dependsOn: deps } : withoutDeps(r);
  });
  validateBatchRequests(normalised);
  const ordered = topologicalOrder(normalised);
  const groups = dependencyGroups(ordered);
  const chunks: BatchRequest[][] = [];
  let current: BatchRequest[] = [];
  for (const group of groups) {
    if (group.length > maxSize) {
      throw new GraphUsageError(`A dependsOn chain of ${group.length} requests does not fit in one batch of ${maxSize}`);
    }
    if (current.length + group.length > maxSize) {
      chunks.push(current);
      current = [];
    }
    current.push(...group);
  }
  if (current.length) chunks.push(current);
  return chunks;
}

function withoutDeps(request: BatchRequest): BatchRequest {
  const copy = { ...request };
  delete copy.dependsOn;
  return copy;
}

/** Kahn's algorithm, stable by input position; throws on cycles. */
export function topologicalOrder(requests: readonly BatchRequest[]): BatchRequest[] {
  // Nothing depends on anything (a page of creates): the order is the given one.
  if (requests.every((r) => !r.dependsOn?.length)) return [...requests];
  const index = new Map(requests.map((r, i) => [r.id, i]));
  const indegree = requests.map((r) => (r.dependsOn ?? []).filter((d) => index.has(d)).length);
  const dependants = new Map<string, number[]>();
  requests.forEach((r, i) => {
    for (const dep of r.dependsOn ?? []) {
      if (!index.has(dep)) continue;
      const list = dependants.get(dep) ?? [];
      list.push(i);
      dependants.set(dep, list);
    }
  });
  const ready: number[] = [];
  indegree.forEach((d, i) => {
    if (d === 0) ready.push(i);
  });
  const out: BatchRequest[] = [];
  // `ready` stays sorted (the earliest request first): each newly ready one is inserted in place.
  const insert = (j: number) => {
    let lo = 0;
    let hi = ready.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((ready[mid] as number) < j) lo = mid + 1;
      else hi = mid;
    }
    ready.splice(lo, 0, j);
  };
  while (ready.length) {
    const i = ready.shift() as number;
    const request = requests[i] as BatchRequest;
    out.push(request);
    for (const j of dependants.get(request.id) ?? []) {
      indegree[j] = (indegree[j] as number) - 1;
      if (indegree[j] === 0) insert(j);
    }
  }
  if (out.length !== requests.length) throw new GraphUsageError('Batch requests have a dependsOn cycle');
  return out;
}

/** Connected components over dependsOn edges, each in the given (topological) order. */
function dependencyGroups(ordered: readonly BatchRequest[]): BatchRequest[][] {
  const parent = new Map<string, string>(ordered.map((r) => [r.id, r.id]));
  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root) as string;
    parent.set(id, root);
    return root;
  };
  for (const r of ordered) for (const dep of r.dependsOn ?? []) parent.set(find(r.id), find(dep));
  const groups = new Map<string, BatchRequest[]>();
  for (const r of ordered) {
    const root = find(r.id);
    const group = groups.get(root) ?? [];
    group.push(r);
    groups.set(root, group);
  }
  return [...groups.values()];
}
