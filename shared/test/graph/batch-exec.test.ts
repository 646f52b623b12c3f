import { describe, expect, it } from 'vitest';
import { executeBatch } from '../../src/graph/batch.ts';
import type { BatchRequest } from '../../src/graph/batch-plan.ts';
import { ResourceUnitBudget } from '../../src/graph/budget.ts';
import type { GraphRequestSpec, GraphTransport } from '../../src/graph/client.ts';
import { GraphError } from '../../src/graph/errors.ts';

interface WireRequest {
  id: string;
  method: string;
  url: string;
  dependsOn?: string[];
}
type Sub = { id: string; status: number; headers?: Record<string, string>; body?: unknown };
type Script = (requests: WireRequest[], envelope: number) => Sub[] | GraphError;

/** A transport that answers `$batch` envelopes from a script and records what was sent. */
function stubTransport(script: Script, maxAttempts = 4) {
  const envelopes: WireRequest[][] = [];
  const transport = {
    options: { maxAttempts, defaultThrottleMs: 5, backoffBaseMs: 1 },
    budget: new ResourceUnitBudget('stub', 1_000_000, { marginMs: 0 }),
    async send(spec: GraphRequestSpec) {
      const requests = (spec.body as { requests: WireRequest[] }).requests;
      envelopes.push(requests);
      const answer = script(requests, envelopes.length);
      if (answer instanceof GraphError) throw answer;
      return { status: 200, body: { responses: answer }, headers: new Headers(), attempts: 1, clientRequestId: undefined };
    },
  };
  return { transport: transport as unknown as GraphTransport, envelopes };
}

const post = (id: string, dependsOn?: string[]): BatchRequest => ({
  id,
  method: 'POST',
  url: '/sites/s/lists/l/items',
  body: { fields: { Title: id } },
  ...(dependsOn ? { dependsOn } : {}),
});
const created = (r: WireRequest): Sub => ({ id: r.id, status: 201, body: { id: `item-${r.id}`, '@odata.etag': `"e${r.id},1"` } });

describe('executeBatch', () => {
  it('checks every sub-response of a 200 envelope and resends only the throttled ones', async () => {
    const { transport, envelopes } = stubTransport((requests, n) =>
      requests.map((r) => (n === 1 && (r.id === '2' || r.id === '3') ? { id: r.id, status: 429, headers: { 'Retry-After': '0.01' } } : created(r))),
    );
    const results = await executeBatch(transport, [post('a'), post('b'), post('c'), post('d')]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
    expect(results[1]).toMatchObject({ id: 'b', ok: true, status: 201, etag: '"e2,1"' });
    expect(envelopes.map((e) => e.map((r) => r.id))).toEqual([
      ['1', '2', '3', '4'],
      ['2', '3'],
    ]);
  });

  it('resends a 424 dependant together with its throttled dependency, keeping dependsOn', async () => {
    const { transport, envelopes } = stubTransport((requests, n) =>
      requests.map((r) => {
        if (n === 1 && r.id === '1') return { id: r.id, status: 429, headers: { 'Retry-After': '0.01' } };
        if (n === 1 && r.id === '2') return { id: r.id, status: 424 };
        return created(r);
      }),
    );
    const results = await executeBatch(transport, [post('parent'), post('child', ['parent']), post('other')]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(envelopes[1]).toEqual([expect.objectContaining({ id: '1' }), expect.objectContaining({ id: '2', dependsOn: ['1'] })]);
  });

  it('fails a 424 dependant with its dependency when that failure is permanent', async () => {
    const { transport, envelopes } = stubTransport((requests) =>
      requests.map((r) =>
        r.id === '1' ? { id: r.id, status: 400, body: { error: { code: 'invalidRequest', message: 'Field X is not recognized' } } } : { id: r.id, status: 424 },
      ),
    );
    const [parent, child] = await executeBatch(transport, [post('parent'), post('child', ['parent'])]);
    expect(parent).toMatchObject({ ok: false, status: 400, code: 'invalidRequest', retryable: false });
    expect(child).toMatchObject({ ok: false, status: 424, code: 'failedDependency', retryable: false });
    expect(envelopes).toHaveLength(1);
  });

  it('reports permanent 4xx per item without retrying them', async () => {
    const { transport, envelopes } = stubTransport((requests) =>
      requests.map((r) => (r.id === '2' ? { id: r.id, status: 403, body: { error: { code: 'accessDenied', message: 'no' } } } : created(r))),
    );
    const results = await executeBatch(transport, [post('a'), post('b')]);
    expect(results[0]?.ok).toBe(true);
    expect(results[1]).toMatchObject({ id: 'b', ok: false, status: 403, code: 'accessDenied', retryable: false });
    expect(envelopes).toHaveLength(1);
  });

  it('gives up after maxAttempts of 429, reporting a retryable failure', async () => {
    const { transport, envelopes } = stubTransport((requests) => requests.map((r) => ({ id: r.id, status: 429, headers: { 'Retry-After': '0.001' } })), 3);
    const [result] = await executeBatch(transport, [post('a')]);
    expect(result).toMatchObject({ ok: false, status: 429, retryable: true });
    expect(envelopes).toHaveLength(3);
  });

  it('never resends a create after a lost envelope, but resends idempotent requests', async () => {
    const { transport, envelopes } = stubTransport((requests, n) =>
      n === 1
        ? new GraphError({ status: 0, code: 'outcomeUnknown', message: 'socket hang up', retryable: true })
        : requests.map((r) => ({ id: r.id, status: 204 })),
    );
    const results = await executeBatch(transport, [post('create'), { id: 'del', method: 'DELETE', url: '/sites/s/lists/l/items/9' }]);
    expect(results[0]).toMatchObject({ id: 'create', ok: false, code: 'outcomeUnknown', retryable: true });
    expect(results[1]).toMatchObject({ id: 'del', ok: true, status: 204 });
    expect(envelopes.map((e) => e.map((r) => r.method))).toEqual([['POST', 'DELETE'], ['DELETE']]);
  });

  it('splits more than 20 requests into several envelopes and maps results back in input order', async () => {
    const { transport, envelopes } = stubTransport((requests) => [...requests].reverse().map(created));
    const input = Array.from({ length: 47 }, (_, i) => post(`row-${i}`));
    const results = await executeBatch(transport, input, { concurrency: 3 });
    expect(envelopes.map((e) => e.length)).toEqual([20, 20, 7]);
    expect(results.map((r) => r.id)).toEqual(input.map((r) => r.id));
    expect(results.map((r) => (r.ok ? (r.body as { id: string }).id : null))).toEqual(input.map((_, i) => `item-${i + 1}`));
  });
});
