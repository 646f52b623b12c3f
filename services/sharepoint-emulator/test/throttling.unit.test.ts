import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID, fetchToken, restoreDefaults, startHarness, type Harness } from './helpers.ts';

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

const ru = async () => (await h.admin('GET', '/counters')).body.totals.ruSpent as number;

describe('SharePoint throttling', () => {
  it('charges resource units: 1 per single-item get, 2 per multi-item query and per create/update/delete (SharePoint: avoid getting throttled, resource units)', async () => {
    const list = await h.createList('RU');
    await h.admin('POST', '/counters/reset');
    const items = `/sites/${h.siteId}/lists/${list.id}/items`;
    await h.graph('GET', `/sites/${h.siteId}`);
    expect(await ru()).toBe(1);
    await h.graph('GET', items);
    expect(await ru()).toBe(3);
    const created = await h.graph('POST', items, { fields: { Title: 'x' } });
    expect(await ru()).toBe(5);
    await h.graph('GET', `${items}/${created.body.id}`);
    expect(await ru()).toBe(6);
    await h.graph('PATCH', `${items}/${created.body.id}/fields`, { Title: 'y' });
    await h.graph('DELETE', `${items}/${created.body.id}`);
    expect(await ru()).toBe(10);
    await h.graph('GET', `/sites/${h.siteId}/lists`);
    expect(await ru()).toBe(12);
  });

  it('answers 429 activityLimitReached with Retry-After once the per-app budget is spent; throttled requests still count (SharePoint throttling)', async () => {
    await h.admin('PUT', '/settings', { ruPerMinute: 5 });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await h.graph('GET', `/sites/${h.siteId}`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const throttled = await h.graph('GET', `/sites/${h.siteId}`);
    expect(throttled.status).toBe(429);
    expect(throttled.body.error.code).toBe('activityLimitReached');
    expect(throttled.body.error.innerError.code).toBe('throttledRequest');
    const retryAfter = Number(throttled.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const counters = (await h.admin('GET', '/counters')).body.totals;
    expect(counters).toMatchObject({ requests: 8, ruSpent: 8, throttled: 3 });
  });

  it('sends RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset past 80% of the budget (SharePoint: RateLimit headers)', async () => {
    await h.admin('PUT', '/settings', { ruPerMinute: 10 });
    const seen: Array<string | null> = [];
    for (let i = 0; i < 9; i++) {
      const res = await h.graph('GET', `/sites/${h.siteId}`);
      seen.push(res.headers.get('ratelimit-remaining'));
      if (i === 7) {
        expect(res.headers.get('ratelimit-limit')).toBe('10');
        expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
      }
    }
    expect(seen).toEqual([null, null, null, null, null, null, null, '2', '1']);
  });

  it('budgets each app (client id) separately and restores the budget when the window ends', async () => {
    await h.admin('PUT', '/settings', { ruPerMinute: 2, throttleWindowMs: 400 });
    expect((await h.graph('GET', `/sites/${h.siteId}`)).status).toBe(200);
    expect((await h.graph('GET', `/sites/${h.siteId}`)).status).toBe(200);
    expect((await h.graph('GET', `/sites/${h.siteId}`)).status).toBe(429);
    await h.admin('POST', '/tenants', { tenantId: DEFAULT_TENANT_ID, clients: [{ clientId: 'second-app', clientSecret: 'second-secret' }] });
    const other = await fetchToken(h.emu, DEFAULT_TENANT_ID, 'second-app', 'second-secret');
    const otherRes = await fetch(`${h.emu.graphBaseUrl}/sites/${h.siteId}`, { headers: { authorization: `Bearer ${other}` } });
    expect(otherRes.status).toBe(200);
    await new Promise((r) => setTimeout(r, 450));
    expect((await h.graph('GET', `/sites/${h.siteId}`)).status).toBe(200);
  });

  it('is disabled with ruPerMinute 0', async () => {
    await h.admin('PUT', '/settings', { ruPerMinute: 0 });
    for (let i = 0; i < 30; i++) expect((await h.graph('GET', `/sites/${h.siteId}`)).headers.get('ratelimit-limit')).toBeNull();
  });
});
