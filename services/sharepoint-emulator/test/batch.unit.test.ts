import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { restoreDefaults, startHarness, type Harness } from './helpers.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await restoreDefaults(h);
});
afterAll(async () => {
  await h.close();
});

interface SubResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary Graph JSON
  body?: any;
}

const createStep = (id: string, listId: string, fields: Record<string, unknown>, dependsOn?: string[]) => ({
  id,
  method: 'POST',
  url: `/sites/${h.siteId}/lists/${listId}/items`,
  headers: { 'Content-Type': 'application/json' },
  body: { fields },
  ...(dependsOn ? { dependsOn } : {}),
});

const byId = (responses: SubResponse[]) => new Map(responses.map((r) => [r.id, r]));

describe('JSON batching', () => {
  it('runs up to 20 requests and answers 200 with responses[] {id, status, headers, body} in any order (Graph: JSON batching)', async () => {
    const list = await h.createList('Batch');
    const requests = Array.from({ length: 20 }, (_, i) => createStep(String(i + 1), list.id, { Title: `row ${i + 1}` }));
    const res = await h.graph('POST', '/$batch', { requests });
    expect(res.status).toBe(200);
    const responses = res.body.responses as SubResponse[];
    expect(responses.map((r) => r.id).sort()).toEqual(requests.map((r) => r.id).sort());
    for (const r of responses) {
      expect(r.status).toBe(201);
      expect(r.headers['Content-Type']).toMatch(/^application\/json/);
      expect(r.body.fields.Title).toMatch(/^row /);
    }
    const dump = await h.admin('GET', `/lists/${list.id}/items`);
    expect(dump.body.value).toHaveLength(20);
  });

  it('refuses a batch of more than 20 requests with 400 (Graph: JSON batching size limit)', async () => {
    const list = await h.createList('TooBig');
    const requests = Array.from({ length: 21 }, (_, i) => createStep(String(i + 1), list.id, { Title: 'x' }));
    const res = await h.graph('POST', '/$batch', { requests });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BadRequest');
    expect((await h.admin('GET', `/lists/${list.id}/items`)).body.value).toHaveLength(0);
  });

  it('answers 424 Failed Dependency for requests whose dependsOn failed (Graph: JSON batching, sequencing with dependsOn)', async () => {
    const list = await h.createList('Depends', [{ name: 'Qty', number: {} }]);
    const requests = [
      createStep('1', list.id, { Qty: 'not a number' }),
      createStep('2', list.id, { Title: 'after failure' }, ['1']),
      createStep('3', list.id, { Title: 'chained' }, ['2']),
      createStep('4', list.id, { Title: 'independent' }),
      { id: '5', method: 'GET', url: `/sites/${h.siteId}/lists/${list.id}`, dependsOn: ['4'] },
    ];
    const res = await h.graph('POST', '/$batch', { requests });
    expect(res.status).toBe(200);
    const map = byId(res.body.responses);
    expect(map.get('1')?.status).toBe(400);
    expect(map.get('1')?.body.error.code).toBe('invalidRequest');
    expect(map.get('2')?.status).toBe(424);
    expect(map.get('3')?.status).toBe(424);
    expect(map.get('4')?.status).toBe(201);
    expect(map.get('5')?.status).toBe(200);
    const titles = (await h.admin('GET', `/lists/${list.id}/items`)).body.value.map((i: { fields: { Title: string } }) => i.fields.Title);
    expect(titles).toEqual(['independent']);
  });

  it('throttles sub-requests individually: some 429 with their own Retry-After while others succeed (Graph: throttling and batching)', async () => {
    const list = await h.createList('Throttled Batch');
    await h.admin('POST', '/counters/reset');
    // 2 RU per create: a 10 RU budget lets five creates through.
    await h.admin('PUT', '/settings', { ruPerMinute: 10 });
    const requests = Array.from({ length: 8 }, (_, i) => createStep(String(i + 1), list.id, { Title: `t${i}` }));
    const res = await h.graph('POST', '/$batch', { requests });
    expect(res.status).toBe(200);
    const responses = res.body.responses as SubResponse[];
    const ok = responses.filter((r) => r.status === 201);
    const throttled = responses.filter((r) => r.status === 429);
    expect(ok).toHaveLength(5);
    expect(throttled).toHaveLength(3);
    for (const r of throttled) {
      expect(Number(r.headers['Retry-After'])).toBeGreaterThan(0);
      expect(r.body.error.code).toBe('activityLimitReached');
    }
    expect((await h.admin('GET', `/lists/${list.id}/items`)).body.value).toHaveLength(5);
    const counters = await h.admin('GET', '/counters');
    expect(counters.body.totals).toMatchObject({ requests: 8, batches: 1, ruSpent: 16, throttled: 3 });
  });

  it('rejects sub-requests without Content-Type for a body and URLs outside the Graph version (400 per request)', async () => {
    const list = await h.createList('Malformed');
    const res = await h.graph('POST', '/$batch', {
      requests: [
        { id: 'a', method: 'POST', url: `/sites/${h.siteId}/lists/${list.id}/items`, body: { fields: {} } },
        { id: 'b', method: 'GET', url: '/../_emulator/counters' },
        { id: 'c', method: 'GET', url: `sites/${h.siteId}` },
      ],
    });
    const map = byId(res.body.responses);
    expect(map.get('a')?.status).toBe(400);
    expect(map.get('b')?.status).toBe(400);
    expect(map.get('c')?.status).toBe(200);
  });

  it('refuses duplicate ids and dependencies on unknown requests (400 for the whole batch)', async () => {
    const dup = await h.graph('POST', '/$batch', {
      requests: [
        { id: '1', method: 'GET', url: `/sites/${h.siteId}` },
        { id: '1', method: 'GET', url: `/sites/${h.siteId}` },
      ],
    });
    expect(dup.status).toBe(400);
    const unknown = await h.graph('POST', '/$batch', { requests: [{ id: '1', method: 'GET', url: `/sites/${h.siteId}`, dependsOn: ['9'] }] });
    expect(unknown.status).toBe(400);
  });
});
