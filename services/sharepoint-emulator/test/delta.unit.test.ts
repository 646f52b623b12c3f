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

interface DeltaItem {
  id: string;
  deleted?: { state: string };
  fields?: Record<string, unknown>;
}

/** Follows @odata.nextLink until the page that carries @odata.deltaLink. */
async function drain(url: string): Promise<{ items: DeltaItem[]; deltaLink: string; pages: number }> {
  const items: DeltaItem[] = [];
  let next = url;
  let pages = 0;
  for (;;) {
    const res = await h.graph('GET', next);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    pages++;
    items.push(...res.body.value);
    if (res.body['@odata.deltaLink']) {
      expect(res.body['@odata.nextLink']).toBeUndefined();
      return { items, deltaLink: res.body['@odata.deltaLink'], pages };
    }
    expect(res.body['@odata.nextLink']).toBeDefined();
    next = res.body['@odata.nextLink'] as string;
  }
}

const itemsPath = (listId: string) => `/sites/${h.siteId}/lists/${listId}/items`;

describe('listItem: delta', () => {
  it('enumerates all items in pages via @odata.nextLink, the last page carrying @odata.deltaLink, without deletions (Graph: listItem delta)', async () => {
    const list = await h.createList('Delta Initial');
    await h.admin('POST', `/lists/${list.id}/items`, { items: Array.from({ length: 5 }, (_, i) => ({ fields: { Title: `r${i}` } })) });
    await h.graph('DELETE', `${itemsPath(list.id)}/2`);
    const { items, deltaLink, pages } = await drain(`${itemsPath(list.id)}/delta?$top=2&$expand=fields`);
    expect(pages).toBe(2);
    expect(items.map((i) => i.id)).toEqual(['1', '3', '4', '5']);
    expect(items.every((i) => !i.deleted && i.fields?.Title)).toBe(true);
    expect(deltaLink).toMatch(new RegExp(`^${h.emu.graphBaseUrl.replace(/\./g, '\\.')}/sites/.+/items/delta\\?.*token=`));
  });

  it('returns each changed item once with its latest state and deleted items as {id, deleted:{state:"deleted"}} (Graph: delta feed shows the latest state)', async () => {
    const list = await h.createList('Delta Changes', [{ name: 'Qty', number: {} }]);
    await h.admin('POST', `/lists/${list.id}/items`, { items: Array.from({ length: 4 }, (_, i) => ({ fields: { Title: `r${i + 1}`, Qty: 0 } })) });
    const first = await drain(`${itemsPath(list.id)}/delta?$expand=fields`);
    expect(first.items).toHaveLength(4);

    await h.graph('PATCH', `${itemsPath(list.id)}/1/fields`, { Qty: 1 });
    await h.graph('PATCH', `${itemsPath(list.id)}/1/fields`, { Qty: 2 });
    await h.graph('DELETE', `${itemsPath(list.id)}/3`);
    const created = await h.graph('POST', itemsPath(list.id), { fields: { Title: 'r5' } });

    const second = await drain(first.deltaLink);
    const byId = new Map(second.items.map((i) => [i.id, i]));
    expect(second.items).toHaveLength(3);
    expect(byId.get('1')?.fields?.Qty).toBe(2);
    expect(byId.get('3')).toMatchObject({ id: '3', deleted: { state: 'deleted' } });
    expect(byId.get(created.body.id)?.fields?.Title).toBe('r5');

    const third = await drain(second.deltaLink);
    expect(third.items).toEqual([]);
  });

  it('pages a large change set and catches changes made while paging in the next round', async () => {
    const list = await h.createList('Delta Paging');
    const seeded = await h.admin('POST', `/lists/${list.id}/items`, { items: Array.from({ length: 7 }, () => ({ fields: { Title: 'a' } })) });
    const base = await h.graph('GET', `${itemsPath(list.id)}/delta?token=latest`);
    for (const id of seeded.body.ids as string[]) await h.graph('PATCH', `${itemsPath(list.id)}/${id}/fields`, { Title: 'b' });
    const page1 = await h.graph('GET', `${base.body['@odata.deltaLink']}&$top=3`);
    expect(page1.body.value).toHaveLength(3);
    // Item 1 was on page 1; changing it now must surface in the next round, not be lost.
    await h.graph('PATCH', `${itemsPath(list.id)}/1/fields`, { Title: 'c' });
    const rest = await drain(page1.body['@odata.nextLink']);
    expect(page1.body.value.map((i: DeltaItem) => i.id)).toEqual(['1', '2', '3']);
    expect(rest.items.map((i) => i.id)).toEqual(['4', '5', '6', '7']);
    const next = await drain(`${rest.deltaLink}&$expand=fields`);
    expect(next.items.map((i) => [i.id, i.fields?.Title])).toEqual([['1', 'c']]);
  });

  it('with token=latest returns no items, only a deltaLink that reports later changes (Graph: listItem delta, Example 3)', async () => {
    const list = await h.createList('Delta Latest');
    await h.admin('POST', `/lists/${list.id}/items`, { items: [{ fields: { Title: 'old' } }] });
    const latest = await h.graph('GET', `${itemsPath(list.id)}/delta?token=latest`);
    expect(latest.status).toBe(200);
    expect(latest.body.value).toEqual([]);
    expect(latest.body['@odata.deltaLink']).toBeDefined();
    expect(latest.body['@odata.nextLink']).toBeUndefined();
    await h.graph('POST', itemsPath(list.id), { fields: { Title: 'new' } });
    const changes = await drain(latest.body['@odata.deltaLink']);
    expect(changes.items.map((i) => i.id)).toEqual(['2']);
  });

  it('answers an invalidated token with 410 Gone, resyncRequired and a Location to a fresh enumeration (Graph: listItem delta 410 Gone)', async () => {
    const list = await h.createList('Delta Expire');
    await h.admin('POST', `/lists/${list.id}/items`, { items: [{ fields: { Title: 'x' } }] });
    const { deltaLink } = await drain(`${itemsPath(list.id)}/delta`);
    const expire = await h.admin('POST', '/delta/expire', { listId: list.id });
    expect(expire.body.expired).toEqual([list.id]);
    const gone = await h.graph('GET', deltaLink);
    expect(gone.status).toBe(410);
    expect(gone.body.error.code).toBe('resyncRequired');
    expect(gone.body.error.innerError.code).toBe('resyncChangesApplyDifferences');
    const location = gone.headers.get('location');
    expect(location).toBe(`${h.emu.graphBaseUrl}/sites/${h.siteId}/lists/${list.id}/items/delta`);
    const fresh = await drain(location as string);
    expect(fresh.items.map((i) => i.id)).toEqual(['1']);
    expect((await h.graph('GET', fresh.deltaLink)).status).toBe(200);
  });

  it('answers tokens older than the delta token lifetime with 410 Gone', async () => {
    const list = await h.createList('Delta TTL');
    const { deltaLink } = await drain(`${itemsPath(list.id)}/delta`);
    await h.admin('PUT', '/settings', { deltaTokenTtlMs: 50 });
    await new Promise((r) => setTimeout(r, 80));
    const gone = await h.graph('GET', deltaLink);
    expect(gone.status).toBe(410);
    expect(gone.headers.get('location')).toContain('/items/delta');
  });

  it('charges 2 RU for delta without a token and 1 RU with a token (SharePoint: resource units)', async () => {
    const list = await h.createList('Delta RU');
    await h.admin('POST', '/counters/reset');
    const initial = await h.graph('GET', `${itemsPath(list.id)}/delta`);
    expect((await h.admin('GET', '/counters')).body.totals.ruSpent).toBe(2);
    await h.graph('GET', initial.body['@odata.deltaLink']);
    expect((await h.admin('GET', '/counters')).body.totals.ruSpent).toBe(3);
  });
});
