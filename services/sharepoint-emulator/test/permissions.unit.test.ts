import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_ID, DEFAULT_TENANT_ID, rawGraph, startHarness, tokenClaims, tokenWithRoles, type Harness } from './helpers.ts';

/**
 * Application permissions (the access token's `roles` claim) as the Graph reference pages
 * list them: reads need Sites.Read.All or higher, item writes Sites.ReadWrite.All or
 * higher, list and column changes Sites.Manage.All or Sites.FullControl.All.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

describe('roles claim', () => {
  it('gives the default app the permission SyncBridge needs (Sites.Manage.All)', () => {
    expect(tokenClaims(h.token).roles).toEqual(['Sites.Manage.All']);
  });

  it('issues tokens with the roles registered for the client, and lists them in /_emulator/tenants', async () => {
    const token = await tokenWithRoles(h, 'reader-app', ['Sites.Read.All']);
    expect(tokenClaims(token)).toMatchObject({ roles: ['Sites.Read.All'], appid: 'reader-app', tid: DEFAULT_TENANT_ID });
    const tenants = await h.admin('GET', '/tenants');
    const clients = tenants.body.value.find((t: { tenantId: string }) => t.tenantId === DEFAULT_TENANT_ID).clients;
    expect(clients).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ clientId: DEFAULT_CLIENT_ID, roles: ['Sites.Manage.All'] }),
        expect.objectContaining({ clientId: 'reader-app', roles: ['Sites.Read.All'] }),
      ]),
    );
    // Granting more takes effect on the next token, as after admin consent in Entra ID.
    const upgraded = await tokenWithRoles(h, 'reader-app', ['Sites.Read.All', 'Sites.ReadWrite.All']);
    expect(tokenClaims(upgraded).roles).toEqual(['Sites.Read.All', 'Sites.ReadWrite.All']);
    expect(tokenClaims(token).roles).toEqual(['Sites.Read.All']);
  });

  it('refuses unknown role names at registration', async () => {
    const res = await h.admin('POST', '/tenants', {
      tenantId: DEFAULT_TENANT_ID,
      clients: [{ clientId: 'typo-app', clientSecret: 's', roles: ['Sites.Manage'] }],
    });
    expect(res.status).toBe(400);
  });
});

describe('authorization', () => {
  it('lets Sites.ReadWrite.All read and write items but answers 403 accessDenied to list and column changes, which Sites.FullControl.All may make', async () => {
    const list = await h.createList('Owned By Manager', [{ name: 'Qty', number: {} }]);
    const token = await tokenWithRoles(h, 'writer-app', ['Sites.ReadWrite.All']);
    const lists = `/sites/${h.siteId}/lists`;
    expect((await rawGraph(h.emu, token, 'GET', `/sites/${h.siteId}`)).status).toBe(200);
    expect((await rawGraph(h.emu, token, 'GET', lists)).status).toBe(200);
    expect((await rawGraph(h.emu, token, 'GET', `${lists}/${list.id}/columns`)).status).toBe(200);

    const denied = await rawGraph(h.emu, token, 'POST', lists, json({ displayName: 'Not Allowed', list: { template: 'genericList' } }));
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('accessDenied');
    expect(denied.body.error.message).toBe('Access denied');
    expect((await rawGraph(h.emu, token, 'POST', `${lists}/${list.id}/columns`, json({ name: 'Extra', text: {} }))).status).toBe(403);
    expect((await rawGraph(h.emu, token, 'PATCH', `${lists}/${list.id}/columns/Qty`, json({ indexed: true }))).status).toBe(403);
    expect((await rawGraph(h.emu, token, 'DELETE', `${lists}/${list.id}/columns/Qty`)).status).toBe(403);
    expect((await rawGraph(h.emu, token, 'DELETE', `${lists}/${list.id}`)).status).toBe(403);
    expect((await h.graph('GET', `${lists}?$filter=${encodeURIComponent("displayName eq 'Not Allowed'")}`)).body.value).toEqual([]);

    const created = await rawGraph(h.emu, token, 'POST', `${lists}/${list.id}/items`, json({ fields: { Title: 'ok', Qty: 1 } }));
    expect(created.status).toBe(201);
    expect((await rawGraph(h.emu, token, 'PATCH', `${lists}/${list.id}/items/${created.body.id}/fields`, json({ Qty: 2 }))).status).toBe(200);
    expect((await rawGraph(h.emu, token, 'DELETE', `${lists}/${list.id}/items/${created.body.id}`)).status).toBe(204);

    const full = await tokenWithRoles(h, 'full-app', ['Sites.FullControl.All']);
    expect((await rawGraph(h.emu, full, 'POST', lists, json({ displayName: 'Full Control List', list: { template: 'genericList' } }))).status).toBe(201);
    expect((await rawGraph(h.emu, full, 'POST', `${lists}/${list.id}/columns`, json({ name: 'Extra', text: {} }))).status).toBe(201);
  });

  it('lets Sites.Read.All read only, also inside $batch', async () => {
    const list = await h.createList('Read Only');
    const token = await tokenWithRoles(h, 'read-app', ['Sites.Read.All']);
    const items = `/sites/${h.siteId}/lists/${list.id}/items`;
    expect((await rawGraph(h.emu, token, 'GET', items)).status).toBe(200);
    expect((await rawGraph(h.emu, token, 'GET', `${items}/delta`)).status).toBe(200);
    expect((await rawGraph(h.emu, token, 'POST', items, json({ fields: { Title: 'x' } }))).status).toBe(403);
    const batch = await rawGraph(
      h.emu,
      token,
      'POST',
      '/$batch',
      json({
        requests: [
          { id: '1', method: 'GET', url: items },
          { id: '2', method: 'POST', url: items, headers: { 'Content-Type': 'application/json' }, body: { fields: { Title: 'x' } } },
        ],
      }),
    );
    expect(batch.status).toBe(200);
    const statuses = Object.fromEntries(batch.body.responses.map((r: { id: string; status: number }) => [r.id, r.status]));
    expect(statuses).toEqual({ '1': 200, '2': 403 });
    expect((await h.admin('GET', `/lists/${list.id}/items`)).body.value).toHaveLength(0);
  });

  it('gives Sites.Selected nothing without a site grant (403), and a token without roles 401', async () => {
    const selected = await tokenWithRoles(h, 'selected-app', ['Sites.Selected']);
    expect((await rawGraph(h.emu, selected, 'GET', `/sites/${h.siteId}`)).status).toBe(403);
    const none = await tokenWithRoles(h, 'no-roles-app', []);
    expect(tokenClaims(none).roles).toBeUndefined();
    const res = await rawGraph(h.emu, none, 'GET', `/sites/${h.siteId}`);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('InvalidAuthenticationToken');
    expect(res.body.error.message).toBe('Either scp or roles claim need to be present in the token.');
  });
});
