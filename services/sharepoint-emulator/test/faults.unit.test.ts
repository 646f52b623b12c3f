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

const items = (listId: string) => `/sites/${h.siteId}/lists/${listId}/items`;

describe('fault injection', () => {
  it('adds configured latency to every request', async () => {
    await h.admin('PUT', '/faults', { latencyMs: [120, 150] });
    const started = Date.now();
    expect((await h.graph('GET', `/sites/${h.siteId}`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
    expect((await h.admin('GET', '/faults')).body.latencyMs).toEqual([120, 150]);
  });

  it('injects 503 serviceNotAvailable and 429 with Retry-After before the request runs (Graph throttling guidance: honour Retry-After)', async () => {
    const list = await h.createList('Injected');
    await h.admin('PUT', '/faults', { unavailableProbability: 1, retryAfterSeconds: 7 });
    const unavailable = await h.graph('POST', items(list.id), { fields: { Title: 'never' } });
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('7');
    expect(unavailable.body.error.code).toBe('serviceNotAvailable');
    await h.admin('PUT', '/faults', { throttleProbability: 1, retryAfterSeconds: 3 });
    const throttled = await h.graph('POST', items(list.id), { fields: { Title: 'never' } });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('3');
    await h.admin('PUT', '/faults', {});
    expect((await h.admin('GET', `/lists/${list.id}/items`)).body.value).toHaveLength(0);
    const counters = (await h.admin('GET', '/counters')).body.totals;
    expect(counters).toMatchObject({ injected503: 1, injected429: 1 });
  });

  it('applies a write and then drops the connection for a lost response', async () => {
    const list = await h.createList('Lost');
    await h.admin('PUT', '/faults', { lostResponseProbability: 1 });
    await expect(h.graph('POST', items(list.id), { fields: { Title: 'applied' } })).rejects.toThrow();
    // Reads are never lost.
    expect((await h.graph('GET', `/sites/${h.siteId}`)).status).toBe(200);
    await h.admin('PUT', '/faults', {});
    const dump = await h.admin('GET', `/lists/${list.id}/items`);
    expect(dump.body.value.map((i: { fields: { Title: string } }) => i.fields.Title)).toEqual(['applied']);
    expect((await h.admin('GET', '/counters')).body.totals.lostResponses).toBe(1);
  });

  it('in hang mode keeps the connection open past the client timeout after applying the write', async () => {
    const list = await h.createList('Hang');
    await h.admin('PUT', '/faults', { lostResponseProbability: 1, lostResponseMode: 'hang', hangMs: 5_000 });
    const attempt = fetch(`${h.emu.graphBaseUrl}${items(list.id)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fields: { Title: 'hung' } }),
      signal: AbortSignal.timeout(300),
    });
    await expect(attempt).rejects.toThrow(/aborted|timeout/i);
    await h.admin('PUT', '/faults', {});
    expect((await h.admin('GET', `/lists/${list.id}/items`)).body.value).toHaveLength(1);
  });

  it('faults batch sub-requests individually and loses the whole batch response when a sub-request response is lost', async () => {
    const list = await h.createList('Batch Faults');
    const step = (id: string) => ({
      id,
      method: 'POST',
      url: items(list.id),
      headers: { 'Content-Type': 'application/json' },
      body: { fields: { Title: id } },
    });
    await h.admin('PUT', '/faults', { throttleProbability: 0.5, seed: 7 });
    const res = await h.graph('POST', '/$batch', { requests: Array.from({ length: 20 }, (_, i) => step(String(i))) });
    expect(res.status).toBe(200);
    const statuses = res.body.responses.map((r: { status: number }) => r.status);
    expect(statuses).toContain(429);
    expect(statuses).toContain(201);
    const created = statuses.filter((s: number) => s === 201).length;
    expect((await h.admin('GET', `/lists/${list.id}/items`)).body.value).toHaveLength(created);

    await h.admin('PUT', '/faults', { lostResponseProbability: 1 });
    await expect(h.graph('POST', '/$batch', { requests: [step('lost-1'), step('lost-2')] })).rejects.toThrow();
    await h.admin('PUT', '/faults', {});
    const titles = (await h.admin('GET', `/lists/${list.id}/items`)).body.value.map((i: { fields: { Title: string } }) => i.fields.Title);
    expect(titles).toEqual(expect.arrayContaining(['lost-1', 'lost-2']));
  });

  it('rejects invalid fault configuration with 400', async () => {
    const res = await h.admin('PUT', '/faults', { throttleProbability: 2 });
    expect(res.status).toBe(400);
  });
});
