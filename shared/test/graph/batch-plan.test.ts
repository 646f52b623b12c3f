import { describe, expect, it } from 'vitest';
import { MAX_BATCH_SIZE, planBatches, topologicalOrder, type BatchRequest } from '../../src/graph/batch-plan.ts';
import { GraphUsageError } from '../../src/graph/errors.ts';

const req = (id: string, dependsOn?: string[]): BatchRequest => ({
  id,
  method: 'POST',
  url: '/sites/s/lists/l/items',
  body: {},
  ...(dependsOn ? { dependsOn } : {}),
});
const ids = (chunks: BatchRequest[][]): string[][] => chunks.map((c) => c.map((r) => r.id));

describe('planBatches', () => {
  it('chunks independent requests into batches of at most 20, keeping order', () => {
    const requests = Array.from({ length: 45 }, (_, i) => req(`r${i}`));
    const chunks = planBatches(requests);
    expect(chunks.map((c) => c.length)).toEqual([20, 20, 5]);
    expect(chunks.flat().map((r) => r.id)).toEqual(requests.map((r) => r.id));
    expect(MAX_BATCH_SIZE).toBe(20);
  });

  it('keeps a dependsOn group in one batch, even when that starts a new batch', () => {
    const requests = [...Array.from({ length: 18 }, (_, i) => req(`a${i}`)), req('p'), req('c1', ['p']), req('c2', ['c1'])];
    const chunks = planBatches(requests);
    expect(ids(chunks)).toEqual([Array.from({ length: 18 }, (_, i) => `a${i}`), ['p', 'c1', 'c2']]);
  });

  it('orders each group so a dependency comes before its dependants', () => {
    const chunks = planBatches([req('child', ['parent']), req('x'), req('parent')]);
    expect(ids(chunks)).toEqual([['x', 'parent', 'child']]);
    expect(chunks[0]?.[2]?.dependsOn).toEqual(['parent']);
  });

  it('drops dependsOn edges to requests that are no longer pending (already succeeded)', () => {
    const chunks = planBatches([req('child', ['done-earlier'])]);
    expect(chunks[0]?.[0]?.dependsOn).toBeUndefined();
  });

  it('rejects duplicates, self-dependencies, cycles, absolute urls and groups larger than a batch', () => {
    expect(() => planBatches([req('a'), req('a')])).toThrow(GraphUsageError);
    expect(() => planBatches([req('a', ['a'])])).toThrow(/itself/);
    expect(() => topologicalOrder([req('a', ['b']), req('b', ['a'])])).toThrow(/cycle/);
    expect(() => planBatches([{ id: 'x', method: 'GET', url: 'https://graph.microsoft.com/v1.0/me' }])).toThrow(/relative/);
    const chain = Array.from({ length: 21 }, (_, i) => req(`c${i}`, i ? [`c${i - 1}`] : undefined));
    expect(() => planBatches(chain)).toThrow(/does not fit/);
  });
});
