import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID } from '@syncbridge/sharepoint-emulator';
import { GraphGateway } from '@syncbridge/shared/graph';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson } from '../harness/sync.ts';

describe('SharePoint connections: test and discovery through the Graph gateway', () => {
  let stack: TestStack;
  let appId: string;
  const connection = async (name: string, overrides: Record<string, unknown> = {}) => {
    const e = stack.emulator!;
    return apiJson(
      stack,
      '/v1/sharepoint-connections',
      {
        method: 'POST',
        json: {
          appId,
          name,
          tenantId: DEFAULT_TENANT_ID,
          clientId: DEFAULT_CLIENT_ID,
          clientSecret: DEFAULT_CLIENT_SECRET,
          graphBaseUrl: e.graphBaseUrl,
          authorityHost: e.authorityHost,
          caCertificatePem: e.caCertificatePem,
          ...overrides,
        },
      },
      201,
    );
  };

  beforeAll(async () => {
    stack = await startTestStack({ emulator: true });
    appId = (await apiJson(stack, '/v1/apps', { method: 'POST', json: { name: 'sp', ownerTeam: 't' } }, 201)).id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('acquires a token with the stored secret and records the connection as healthy', async () => {
    const conn = await connection('good');
    const result = await apiJson<{ ok: boolean; stage: string; connection: { status: string; lastTestAt: string | null } }>(
      stack,
      `/v1/sharepoint-connections/${conn.id}/test`,
      { method: 'POST' },
    );
    expect(result).toMatchObject({ ok: true, stage: 'done', connection: { status: 'healthy' } });
    expect(result.connection.lastTestAt).toBeTruthy();
  });

  it('reports a wrong secret as a failed token stage, records it, and never echoes the secret', async () => {
    const conn = await connection('bad-secret', { clientSecret: 'definitely-wrong-secret-value' });
    const res = await stack.api(`/v1/sharepoint-connections/${conn.id}/test`, { method: 'POST' });
    const text = await res.text();
    expect(res.status).toBe(200);
    const result = JSON.parse(text) as { ok: boolean; stage: string; connection: { status: string; lastTestError: string } };
    expect(result).toMatchObject({ ok: false, stage: 'token', connection: { status: 'unhealthy' } });
    expect(result.connection.lastTestError).toMatch(/token/);
    expect(text).not.toContain('definitely-wrong-secret-value');
    expect(stack.logs.text()).not.toContain('definitely-wrong-secret-value');
  });

  it('reports an untrusted certificate instead of hanging or crashing', async () => {
    const conn = await connection('no-ca', { caCertificatePem: undefined });
    const result = await apiJson<{ ok: boolean; stage: string; message: string }>(stack, `/v1/sharepoint-connections/${conn.id}/test`, { method: 'POST' });
    expect(result.ok).toBe(false);
    expect(result.stage).toBe('token');
  });

  it('discovers sites, lists and columns', async () => {
    const conn = await connection('discovery');
    const sites = await apiJson<{ items: Array<{ id: string; webUrl: string }> }>(stack, `/v1/sharepoint-connections/${conn.id}/sites?search=syncbridge`);
    expect(sites.items).toHaveLength(1);
    expect(sites.items[0]!.webUrl).toContain('/sites/syncbridge');
    const siteId = encodeURIComponent(sites.items[0]!.id);
    const e = stack.emulator!;
    const graph = GraphGateway.create({
      connectionId: 'test',
      tenantId: DEFAULT_TENANT_ID,
      clientId: DEFAULT_CLIENT_ID,
      clientSecret: DEFAULT_CLIENT_SECRET,
      graphBaseUrl: e.graphBaseUrl,
      authorityHost: e.authorityHost,
      caCertificatePem: e.caCertificatePem,
    });
    const made = await graph.createList(sites.items[0]!.id, {
      displayName: 'Invoices',
      columns: [
        { name: 'Amount', number: {} },
        { name: 'Notes', text: { allowMultipleLines: true } },
      ] as never,
    });
    await graph.close();
    const lists = await apiJson<{ items: Array<{ id: string; displayName: string }> }>(stack, `/v1/sharepoint-connections/${conn.id}/sites/${siteId}/lists`);
    expect(lists.items.map((l) => l.displayName)).toContain('Invoices');
    const columns = await apiJson<{ items: Array<{ name: string; type: string }> }>(
      stack,
      `/v1/sharepoint-connections/${conn.id}/sites/${siteId}/lists/${made.id}/columns`,
    );
    expect(columns.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'Amount', type: 'number' }),
        expect.objectContaining({ name: 'Notes', type: 'note' }),
        expect.objectContaining({ name: 'Title', type: 'text' }),
      ]),
    );
    const missing = await stack.api(`/v1/sharepoint-connections/${conn.id}/sites/${siteId}/lists/does-not-exist/columns`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    const unknownSite = await stack.api(
      `/v1/sharepoint-connections/${conn.id}/sites/${encodeURIComponent('nowhere.sharepoint.com,00000000-0000-0000-0000-000000000000,00000000-0000-0000-0000-000000000000')}/lists`,
    );
    expect(unknownSite.status).toBe(404);
  });

  it('answers 404 for an unknown connection and 401 without a key', async () => {
    expect((await stack.api('/v1/sharepoint-connections/00000000-0000-4000-8000-000000000000/test', { method: 'POST' })).status).toBe(404);
    expect((await stack.api('/v1/sharepoint-connections/00000000-0000-4000-8000-000000000000/sites', { key: null })).status).toBe(401);
  });
});
