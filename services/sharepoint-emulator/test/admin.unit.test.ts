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

  it('adds site users to the User Information List (POST /sites/{siteId}/users) and lists them with their lookup ids', async () => {
    const added = await h.admin('POST', `/sites/${h.siteId}/users`, { email: 'Jane@Contoso.com', displayName: 'Jane Doe' });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({ lookupId: expect.any(Number), email: 'Jane@Contoso.com', displayName: 'Jane Doe', userName: 'Jane@Contoso.com' });
    // The same e-mail (any case) answers the existing entry, like SharePoint's "ensure user".
    const again = await h.admin('POST', `/sites/${h.siteId}/users`, { email: 'jane@contoso.com', displayName: 'Someone Else' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(added.body);
    const other = await h.admin('POST', `/sites/${h.siteId}/users`, {
      email: 'joe@contoso.com',
      displayName: 'Joe',
      userName: 'i:0#.f|membership|joe@contoso.com',
    });
    expect(other.status).toBe(201);
    expect(other.body.lookupId).toBe(added.body.lookupId + 1);
    expect(other.body.userName).toBe('i:0#.f|membership|joe@contoso.com');

    const users = await h.admin('GET', `/sites/${h.siteId}/users`);
    expect(users.status).toBe(200);
    expect(users.body.value).toEqual(
      expect.arrayContaining([added.body, other.body, { lookupId: 1073741822, email: '', displayName: 'SharePoint App', userName: 'app@sharepoint' }]),
    );
    const list = await h.graph('GET', `/sites/${h.siteId}/lists/${users.body.listId}/items/${added.body.lookupId}?$expand=fields`);
    expect(list.body.fields).toMatchObject({ Title: 'Jane Doe', EMail: 'Jane@Contoso.com', UserName: 'Jane@Contoso.com' });

    expect((await h.admin('POST', `/sites/${h.siteId}/users`, { email: 'not-an-email', displayName: 'X' })).status).toBe(400);
    expect((await h.admin('POST', `/sites/${h.siteId}/users`, { email: 'x@contoso.com' })).status).toBe(400);
    expect(
      (
        await h.admin('POST', '/sites/contoso.sharepoint.com,00000000-0000-0000-0000-000000000000,00000000-0000-0000-0000-000000000000/users', {
          email: 'x@contoso.com',
          displayName: 'X',
        })
      ).status,
    ).toBe(404);
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
