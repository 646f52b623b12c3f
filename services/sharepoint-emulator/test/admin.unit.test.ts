import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID, startHarness, type Harness } from './helpers.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ ruPerMinute: 500 });
});
afterAll(async () => {
  await h.close();
});

describe('admin API', () => {
  it('reports its URLs and registered tenants', async () => {
    const info = await h.admin('GET', '');
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ graphBaseUrl: h.emu.graphBaseUrl, authorityHost: h.emu.authorityHost, tenants: [DEFAULT_TENANT_ID] });
  });

  it('dumps list items without paging or auth, and seeds items with Graph validation', async () => {
    const list = await h.createList('Dump', [{ name: 'Qty', number: {} }]);
    const bad = await h.admin('POST', `/lists/${list.id}/items`, { items: [{ fields: { Qty: 'x' } }] });
    expect(bad.status).toBe(400);
    await h.admin('POST', `/lists/${list.id}/items`, { items: Array.from({ length: 250 }, (_, i) => ({ fields: { Qty: i } })) });
    const dump = await h.admin('GET', `/lists/${list.id}/items`);
    expect(dump.body.value).toHaveLength(250);
    expect(dump.body.value[249]).toMatchObject({ id: '250', fields: { Qty: 249 } });
    expect((await h.admin('GET', '/lists/00000000-0000-0000-0000-000000000000/items')).status).toBe(404);
  });

  it('keeps counters per tenant and client until reset', async () => {
    await h.admin('POST', '/counters/reset');
    await h.graph('GET', `/sites/${h.siteId}`);
    const counters = await h.admin('GET', '/counters');
    expect(counters.body.apps).toHaveLength(1);
    expect(counters.body.apps[0]).toMatchObject({ tenantId: DEFAULT_TENANT_ID, requests: 1, ruSpent: 1 });
    await h.admin('POST', '/counters/reset');
    expect((await h.admin('GET', '/counters')).body.totals.requests).toBe(0);
  });

  it('applies start options as settings and restores them, the default site and faults on reset', async () => {
    expect((await h.admin('GET', '/settings')).body.ruPerMinute).toBe(500);
    await h.admin('PUT', '/settings', { ruPerMinute: 3 });
    await h.admin('PUT', '/faults', { latencyMs: 5 });
    const list = await h.createList('Before Reset');
    expect((await h.admin('POST', '/reset')).status).toBe(204);
    expect((await h.admin('GET', '/settings')).body.ruPerMinute).toBe(500);
    expect((await h.admin('GET', '/faults')).body.latencyMs).toBe(0);
    const site = await h.graph('GET', '/sites/contoso.sharepoint.com:/sites/syncbridge');
    expect(site.status).toBe(200);
    expect((await h.graph('GET', `/sites/${site.body.id}/lists/${list.id}`)).status).toBe(404);
  });
});
