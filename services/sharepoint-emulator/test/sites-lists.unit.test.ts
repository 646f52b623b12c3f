import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './helpers.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('sites', () => {
  it('gets the default site by hostname and server-relative path, with a composite id (Graph: Get a site resource)', async () => {
    const res = await h.graph('GET', '/sites/contoso.sharepoint.com:/sites/syncbridge');
    expect(res.status).toBe(200);
    expect(res.body.id).toMatch(/^contoso\.sharepoint\.com,[0-9a-f-]{36},[0-9a-f-]{36}$/);
    expect(res.body.webUrl).toBe('https://contoso.sharepoint.com/sites/syncbridge');
    expect(res.body.siteCollection).toEqual({ hostname: 'contoso.sharepoint.com' });
    const byId = await h.graph('GET', `/sites/${res.body.id}`);
    expect(byId.status).toBe(200);
    expect(byId.body.id).toBe(res.body.id);
  });

  it('continues a path-addressed site with ":/" into its lists (Graph: sites/{hostname}:/{path}:/lists)', async () => {
    const list = await h.createList('Path Addressed');
    const res = await h.graph('GET', `/sites/contoso.sharepoint.com:/sites/syncbridge:/lists/${list.id}`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(list.id);
  });

  it('answers an unknown site with 404 itemNotFound (Graph error responses)', async () => {
    const res = await h.graph('GET', '/sites/contoso.sharepoint.com:/sites/missing');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('itemNotFound');
  });

  it('finds sites seeded through the admin API with ?search= (Graph: Search for sites)', async () => {
    const seeded = await h.admin('POST', '/sites', { hostname: 'contoso.sharepoint.com', path: '/sites/ops', displayName: 'Operations' });
    expect(seeded.status).toBe(201);
    const res = await h.graph('GET', '/sites?search=operations');
    expect(res.status).toBe(200);
    expect(res.body.value.map((s: { id: string }) => s.id)).toEqual([seeded.body.id]);
    expect((await h.graph('GET', '/sites/contoso.sharepoint.com:/sites/ops')).body.displayName).toBe('Operations');
  });

  it('answers an unknown path segment with 400 BadRequest (Graph: Resource not found for the segment)', async () => {
    const res = await h.graph('GET', '/nonexistent');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe("Resource not found for the segment 'nonexistent'.");
  });
});

describe('lists', () => {
  it('creates a genericList with columns and the built-in Title column (Graph: Create a new list)', async () => {
    const res = await h.graph('POST', `/sites/${h.siteId}/lists`, {
      displayName: 'Books',
      columns: [
        { name: 'Author', text: {} },
        { name: 'PageCount', number: {} },
      ],
      list: { template: 'genericList' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ displayName: 'Books', list: { template: 'genericList' } });
    expect(res.body['@odata.etag']).toMatch(/^"[0-9a-f-]{36},\d+"$/);
    const cols = await h.graph('GET', `/sites/${h.siteId}/lists/${res.body.id}/columns`);
    const names = cols.body.value.map((c: { name: string }) => c.name);
    expect(names).toEqual(expect.arrayContaining(['Title', 'Author', 'PageCount']));
    expect(cols.body.value.find((c: { name: string }) => c.name === 'Title').text.maxLength).toBe(255);
  });

  it('refuses a duplicate display name with 409 nameAlreadyExists', async () => {
    await h.graph('POST', `/sites/${h.siteId}/lists`, { displayName: 'Unique Name', list: { template: 'genericList' } });
    const res = await h.graph('POST', `/sites/${h.siteId}/lists`, { displayName: 'unique name', list: { template: 'genericList' } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('nameAlreadyExists');
  });

  it('gets a list by id or by display name, with $expand=columns (Graph: Get metadata for a list)', async () => {
    await h.graph('POST', `/sites/${h.siteId}/lists`, { displayName: 'Work Orders', columns: [{ name: 'Status', choice: { choices: ['Open', 'Closed'] } }] });
    const byName = await h.graph('GET', `/sites/${h.siteId}/lists/${encodeURIComponent('Work Orders')}?$expand=columns`);
    expect(byName.status).toBe(200);
    expect(byName.body.columns.find((c: { name: string }) => c.name === 'Status').choice.choices).toEqual(['Open', 'Closed']);
    const byId = await h.graph('GET', `/sites/${h.siteId}/lists/${byName.body.id}`);
    expect(byId.body.displayName).toBe('Work Orders');
    expect(byId.body.columns).toBeUndefined();
  });

  it('pages the lists collection with an absolute @odata.nextLink (Graph: Paging Microsoft Graph data)', async () => {
    for (let i = 0; i < 3; i++) await h.createList('Paged');
    const all = new Set<string>();
    let url: string | undefined = `/sites/${h.siteId}/lists?$top=2`;
    let pages = 0;
    while (url) {
      const res = await h.graph('GET', url);
      expect(res.status).toBe(200);
      expect(res.body.value.length).toBeLessThanOrEqual(2);
      for (const l of res.body.value) all.add(l.id);
      url = res.body['@odata.nextLink'];
      if (url) expect(url.startsWith(h.emu.graphBaseUrl)).toBe(true);
      pages++;
    }
    expect(pages).toBeGreaterThan(1);
    const single = await h.graph('GET', `/sites/${h.siteId}/lists?$top=1000`);
    expect(single.body.value).toHaveLength(all.size);
  });
});

describe('columns', () => {
  it('creates typed columns and renders their facets (Graph: Create columnDefinition)', async () => {
    const list = await h.createList('Typed');
    const defs = [
      { name: 'Notes', text: { allowMultipleLines: true } },
      { name: 'Price', currency: { locale: 'en-us' } },
      { name: 'Active', boolean: {} },
      { name: 'Due', dateTime: {} },
      { name: 'Link', hyperlinkOrPicture: {} },
      { name: 'Code', text: { maxLength: 10 }, indexed: true, enforceUniqueValues: true, required: true },
    ];
    for (const def of defs) {
      const res = await h.graph('POST', `/sites/${h.siteId}/lists/${list.id}/columns`, def);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    const code = await h.graph('GET', `/sites/${h.siteId}/lists/${list.id}/columns/Code`);
    expect(code.body).toMatchObject({
      name: 'Code',
      indexed: true,
      enforceUniqueValues: true,
      required: true,
      text: { maxLength: 10, allowMultipleLines: false },
    });
  });

  it('refuses an index on multi-line text, enforceUniqueValues without an index, and a second type facet (400)', async () => {
    const list = await h.createList('Bad Columns');
    const cases = [
      { name: 'Body', text: { allowMultipleLines: true }, indexed: true },
      { name: 'Key', text: {}, enforceUniqueValues: true },
      { name: 'Both', text: {}, number: {} },
      { name: 'NoType' },
      { name: 'Weird', note: {} },
    ];
    for (const def of cases) {
      const res = await h.graph('POST', `/sites/${h.siteId}/lists/${list.id}/columns`, def);
      expect(res.status, def.name).toBe(400);
    }
    const dup = await h.graph('POST', `/sites/${h.siteId}/lists/${list.id}/columns`, { name: 'title', text: {} });
    expect(dup.status).toBe(409);
  });

  it('allows at most 20 indexed columns per list (SharePoint: list and library limits)', async () => {
    const list = await h.createList('Many Indexes');
    for (let i = 1; i <= 20; i++) {
      const res = await h.graph('POST', `/sites/${h.siteId}/lists/${list.id}/columns`, { name: `Idx${i}`, number: {}, indexed: true });
      expect(res.status).toBe(201);
    }
    const over = await h.graph('POST', `/sites/${h.siteId}/lists/${list.id}/columns`, { name: 'Idx21', number: {}, indexed: true });
    expect(over.status).toBe(400);
    expect(over.body.error.message).toMatch(/at most 20 indexed columns/);
    const plain = await h.graph('POST', `/sites/${h.siteId}/lists/${list.id}/columns`, { name: 'Plain', number: {} });
    expect(plain.status).toBe(201);
    const patch = await h.graph('PATCH', `/sites/${h.siteId}/lists/${list.id}/columns/Plain`, { indexed: true });
    expect(patch.status).toBe(400);
  });

  it('indexes an existing column through PATCH (Graph: Update columnDefinition)', async () => {
    const list = await h.createList('Index Later', [{ name: 'Ref', text: {} }]);
    const res = await h.graph('PATCH', `/sites/${h.siteId}/lists/${list.id}/columns/Ref`, { indexed: true });
    expect(res.status).toBe(200);
    expect(res.body.indexed).toBe(true);
  });
});
