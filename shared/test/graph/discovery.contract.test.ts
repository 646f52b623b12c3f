import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphError, type GraphGateway } from '../../src/graph/index.ts';
import { Harness } from './emulator-harness.ts';

let harness: Harness;
let gateway: GraphGateway;

beforeAll(async () => {
  harness = await Harness.start();
  gateway = harness.gateway();
});
afterAll(async () => {
  gateway.close();
  await harness.close();
});

describe('site, list and column discovery and provisioning', () => {
  it('finds the site by search, by path and by id', async () => {
    const found = await gateway.searchSites('syncbridge');
    expect(found.map((s) => s.webUrl)).toContain('https://contoso.sharepoint.com/sites/syncbridge');
    const byPath = await gateway.getSiteByPath('contoso.sharepoint.com', '/sites/syncbridge');
    const byId = await gateway.getSite(byPath.id as string);
    expect(byId).toMatchObject({ id: byPath.id, displayName: 'SyncBridge' });
    await expect(gateway.getSite('contoso.sharepoint.com,00000000-0000-0000-0000-000000000000,00000000-0000-0000-0000-000000000000')).rejects.toMatchObject({
      name: 'GraphNotFoundError',
      status: 404,
    });
  });

  it('creates a list with columns, adopts it by name, adds a column, and refuses a duplicate name', async () => {
    const siteId = (await gateway.getSiteByPath('contoso.sharepoint.com', '/sites/syncbridge')).id as string;
    expect(await gateway.getList(siteId, 'Orders')).toBeNull();
    const created = await gateway.createList(siteId, {
      displayName: 'Orders',
      description: 'Synced from public.orders',
      columns: [
        { name: 'SyncKey', text: {}, indexed: true, enforceUniqueValues: true },
        { name: 'Total', currency: { locale: 'en-us' } },
      ],
    });
    const adopted = await gateway.getList(siteId, 'Orders');
    expect(adopted?.id).toBe(created.id);
    expect((await gateway.listLists(siteId)).map((l) => l.displayName)).toContain('Orders');

    const column = await gateway.createColumn(siteId, created.id as string, { name: 'Shipped', boolean: {} });
    expect(column).toMatchObject({ name: 'Shipped' });
    const columns = await gateway.listColumns(siteId, created.id as string);
    const byName = new Map(columns.map((c) => [c.name, c]));
    expect(byName.get('SyncKey')).toMatchObject({ indexed: true, enforceUniqueValues: true });
    expect(byName.has('Total')).toBe(true);
    expect(byName.has('Shipped')).toBe(true);

    const duplicate = await gateway.createList(siteId, { displayName: 'Orders' }).catch((e: unknown) => e);
    expect(duplicate).toBeInstanceOf(GraphError);
    expect(duplicate).toMatchObject({ status: 409, retryable: false });
  });
});
