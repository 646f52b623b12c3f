import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './helpers.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const itemsPath = (listId: string) => `/sites/${h.siteId}/lists/${listId}/items`;
const PREFER_NON_INDEXED = { Prefer: 'HonorNonIndexedQueriesWarningMayFailRandomly' };

describe('item writes', () => {
  it('creates an item: 201 with id, eTag "guid,version", timestamps and fields incl. id and @odata.etag (Graph: Create a listItem)', async () => {
    const list = await h.createList('Create', [{ name: 'Qty', number: {} }]);
    const res = await h.graph('POST', itemsPath(list.id), { fields: { Title: 'Widget', Qty: 3 } });
    expect(res.status).toBe(201);
    expect(res.body.id).toBe('1');
    expect(res.body.eTag).toMatch(/^"[0-9a-f-]{36},1"$/);
    expect(res.body['@odata.etag']).toBe(res.body.eTag);
    expect(res.body.createdDateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(res.body.lastModifiedDateTime).toBe(res.body.createdDateTime);
    expect(res.body.fields).toMatchObject({ id: '1', Title: 'Widget', Qty: 3, '@odata.etag': res.body.eTag });
    const again = await h.graph('POST', itemsPath(list.id), { fields: { Title: 'Gadget' } });
    expect(again.body.id).toBe('2');
  });

  it('updates fields with PATCH .../fields, returns the fieldValueSet and a new eTag each write (Graph: Update listItem)', async () => {
    const list = await h.createList('Patch', [{ name: 'Qty', number: {} }]);
    const created = await h.graph('POST', itemsPath(list.id), { fields: { Title: 'A', Qty: 1 } });
    const patched = await h.graph('PATCH', `${itemsPath(list.id)}/${created.body.id}/fields`, { Qty: 2 }, { 'If-Match': created.body.eTag });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ Title: 'A', Qty: 2, id: created.body.id });
    expect(patched.body['@odata.etag']).not.toBe(created.body.eTag);
    expect(patched.body['@odata.etag']).toMatch(/,2"$/);
    const got = await h.graph('GET', `${itemsPath(list.id)}/${created.body.id}?$expand=fields`);
    expect(got.body.eTag).toBe(patched.body['@odata.etag']);
    expect(got.body.fields.Qty).toBe(2);
    const cleared = await h.graph('PATCH', `${itemsPath(list.id)}/${created.body.id}/fields`, { Qty: null });
    expect(cleared.body.Qty).toBeUndefined();
  });

  it('answers a stale If-Match with 412 preconditionFailed and accepts If-Match: * (Graph: conditional requests with eTags)', async () => {
    const list = await h.createList('Etag');
    const created = await h.graph('POST', itemsPath(list.id), { fields: { Title: 'v1' } });
    const path = `${itemsPath(list.id)}/${created.body.id}`;
    await h.graph('PATCH', `${path}/fields`, { Title: 'v2' });
    const stale = await h.graph('PATCH', `${path}/fields`, { Title: 'v3' }, { 'If-Match': created.body.eTag });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('preconditionFailed');
    expect((await h.graph('GET', `${path}?$expand=fields`)).body.fields.Title).toBe('v2');
    const star = await h.graph('PATCH', `${path}/fields`, { Title: 'v3' }, { 'If-Match': '*' });
    expect(star.status).toBe(200);
    const staleDelete = await h.graph('DELETE', path, undefined, { 'If-Match': created.body.eTag });
    expect(staleDelete.status).toBe(412);
    const current = await h.graph('GET', path);
    const del = await h.graph('DELETE', path, undefined, { 'If-Match': current.body.eTag });
    expect(del.status).toBe(204);
    expect((await h.graph('GET', path)).status).toBe(404);
  });

  it('validates fields against column types with 400 invalidRequest (SharePoint field validation)', async () => {
    const list = await h.createList('Validation', [
      { name: 'Qty', number: { minimum: 0, maximum: 100 } },
      { name: 'Active', boolean: {} },
      { name: 'Due', dateTime: {} },
      { name: 'Status', choice: { choices: ['Open', 'Closed'] } },
      { name: 'Short', text: { maxLength: 5 } },
      { name: 'Body', text: { allowMultipleLines: true } },
    ]);
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ Nope: 'x' }, /Field 'Nope' is not recognized/],
      [{ Title: 'x'.repeat(256) }, /maximum length of 255/],
      [{ Short: 'toolong' }, /maximum length of 5/],
      [{ Qty: 'three' }, /expected a number/],
      [{ Qty: 101 }, /outside the allowed range/],
      [{ Active: 'yes' }, /expected a boolean/],
      [{ Due: 'tomorrow' }, /ISO 8601/],
      [{ Status: 'Pending' }, /not one of the choices/],
      [{ Created: '2024-01-01T00:00:00Z' }, /read-only/],
    ];
    for (const [fields, message] of bad) {
      const res = await h.graph('POST', itemsPath(list.id), { fields });
      expect(res.status, JSON.stringify(fields)).toBe(400);
      expect(res.body.error.code).toBe('invalidRequest');
      expect(res.body.error.message).toMatch(message);
    }
    const ok = await h.graph('POST', itemsPath(list.id), {
      fields: {
        Title: 'x'.repeat(255),
        Qty: 5.5,
        Active: false,
        Due: '2024-03-01T10:30:00+02:00',
        Status: 'Open',
        Body: 'y'.repeat(1000),
        '@odata.etag': 'ignored',
      },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.fields).toMatchObject({ Qty: 5.5, Active: false, Due: '2024-03-01T08:30:00Z', Status: 'Open' });
    const dump = await h.admin('GET', `/lists/${list.id}/items`);
    expect(dump.body.value).toHaveLength(1);
  });

  it('enforces unique values case-insensitively with 409 (columnDefinition.enforceUniqueValues)', async () => {
    const list = await h.createList('Unique', [{ name: 'Code', text: {}, indexed: true, enforceUniqueValues: true }]);
    const first = await h.graph('POST', itemsPath(list.id), { fields: { Code: 'ABC' } });
    expect(first.status).toBe(201);
    const dup = await h.graph('POST', itemsPath(list.id), { fields: { Code: 'abc' } });
    expect(dup.status).toBe(409);
    expect(dup.body.error.message).toMatch(/duplicate values/);
    const second = await h.graph('POST', itemsPath(list.id), { fields: { Code: 'DEF' } });
    const clash = await h.graph('PATCH', `${itemsPath(list.id)}/${second.body.id}/fields`, { Code: 'Abc' });
    expect(clash.status).toBe(409);
    const self = await h.graph('PATCH', `${itemsPath(list.id)}/${first.body.id}/fields`, { Code: 'abc' });
    expect(self.status).toBe(200);
  });
});

describe('item reads', () => {
  it('pages with @odata.nextLink (absolute URL, opaque $skiptoken), default page size 200 (Graph: Paging Microsoft Graph data)', async () => {
    const list = await h.createList('Paging');
    const seed = await h.admin('POST', `/lists/${list.id}/items`, { items: Array.from({ length: 450 }, (_, i) => ({ fields: { Title: `item ${i + 1}` } })) });
    expect(seed.status).toBe(201);
    const sizes: number[] = [];
    const ids: string[] = [];
    let url: string | undefined = `${itemsPath(list.id)}?$expand=fields`;
    while (url) {
      const res = await h.graph('GET', url);
      expect(res.status).toBe(200);
      sizes.push(res.body.value.length);
      ids.push(...res.body.value.map((i: { id: string }) => i.id));
      expect(res.body.value[0].fields.Title).toMatch(/^item /);
      url = res.body['@odata.nextLink'];
      if (url) {
        expect(url).toMatch(new RegExp(`^${h.emu.graphBaseUrl.replace(/\./g, '\\.')}/`));
        expect(url).toContain('$skiptoken=');
        expect(url).toContain('$expand=fields');
      }
    }
    expect(sizes).toEqual([200, 200, 50]);
    expect(new Set(ids).size).toBe(450);
  });

  it('honours $top up to 5000 and refuses more (Graph: $top query parameter)', async () => {
    const list = await h.createList('Top');
    await h.admin('POST', `/lists/${list.id}/items`, { items: Array.from({ length: 5 }, () => ({ fields: {} })) });
    const two = await h.graph('GET', `${itemsPath(list.id)}?$top=2`);
    expect(two.body.value).toHaveLength(2);
    expect(two.body['@odata.nextLink']).toBeDefined();
    expect((await h.graph('GET', `${itemsPath(list.id)}?$top=5000`)).status).toBe(200);
    expect((await h.graph('GET', `${itemsPath(list.id)}?$top=5001`)).status).toBe(400);
  });

  it('omits fields unless expanded and honours $select and fields($select=...) (Graph: OData $select and $expand)', async () => {
    const list = await h.createList('Select', [
      { name: 'Color', text: {} },
      { name: 'Size', number: {} },
    ]);
    const created = await h.graph('POST', itemsPath(list.id), { fields: { Title: 'T', Color: 'Red', Size: 2 } });
    const plain = await h.graph('GET', `${itemsPath(list.id)}/${created.body.id}`);
    expect(plain.body.fields).toBeUndefined();
    const selected = await h.graph('GET', `${itemsPath(list.id)}?$select=id,eTag&$expand=fields($select=Color)`);
    const item = selected.body.value[0];
    expect(
      Object.keys(item)
        .filter((k) => !k.startsWith('@'))
        .sort(),
    ).toEqual(['eTag', 'fields', 'id']);
    expect(item.fields).toEqual({ '@odata.etag': created.body.eTag, Color: 'Red' });
  });

  it('filters on indexed fields with eq, ne, gt, lt, ge, le, and, or, startswith (Graph: $filter on list items)', async () => {
    const list = await h.createList('Filter', [
      { name: 'Qty', number: {}, indexed: true },
      { name: 'Color', text: {}, indexed: true },
      { name: 'Active', boolean: {}, indexed: true },
    ]);
    const rows = [
      { Title: 'a', Qty: 1, Color: 'Red', Active: true },
      { Title: 'b', Qty: 5, Color: "O'Brien", Active: false },
      { Title: 'c', Qty: 10, Color: 'red', Active: true },
      { Title: 'd', Qty: 20, Color: 'Blue' },
    ];
    await h.admin('POST', `/lists/${list.id}/items`, { items: rows.map((fields) => ({ fields })) });
    const titles = async (filter: string) => {
      const res = await h.graph('GET', `${itemsPath(list.id)}?$expand=fields&$filter=${encodeURIComponent(filter)}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.value.map((i: { fields: { Title: string } }) => i.fields.Title).sort();
    };
    expect(await titles("fields/Color eq 'red'")).toEqual(['a', 'c']);
    expect(await titles("fields/Color eq 'O''Brien'")).toEqual(['b']);
    expect(await titles('fields/Qty gt 5')).toEqual(['c', 'd']);
    expect(await titles('fields/Qty ge 5 and fields/Qty le 10')).toEqual(['b', 'c']);
    expect(await titles('fields/Qty lt 5 or fields/Qty eq 20')).toEqual(['a', 'd']);
    expect(await titles('fields/Qty ne 1')).toEqual(['b', 'c', 'd']);
    expect(await titles('fields/Active eq true')).toEqual(['a', 'c']);
    expect(await titles("startswith(fields/Color,'bl')")).toEqual(['d']);
    expect(await titles('(fields/Qty eq 1 or fields/Qty eq 5) and fields/Active eq false')).toEqual(['b']);
    const invalid = await h.graph('GET', `${itemsPath(list.id)}?$filter=${encodeURIComponent('fields/Qty eq')}`);
    expect(invalid.status).toBe(400);
  });

  it('refuses $filter on a non-indexed column without the Prefer header and honours it (Graph: HonorNonIndexedQueriesWarningMayFailRandomly)', async () => {
    const list = await h.createList('NonIndexed', [{ name: 'Color', text: {} }]);
    await h.admin('POST', `/lists/${list.id}/items`, { items: [{ fields: { Color: 'Red' } }, { fields: { Color: 'Blue' } }] });
    const path = `${itemsPath(list.id)}?$filter=${encodeURIComponent("fields/Color eq 'Red'")}`;
    const refused = await h.graph('GET', path);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toBe(
      "Field 'Color' cannot be referenced in filter or orderby as it is not indexed. Provide the 'Prefer: HonorNonIndexedQueriesWarningMayFailRandomly' header to allow this, but be warned that such queries may fail on large lists.",
    );
    const honoured = await h.graph('GET', path, undefined, PREFER_NON_INDEXED);
    expect(honoured.status).toBe(200);
    expect(honoured.body.value).toHaveLength(1);
  });

  it('on a list past the 5,000-item threshold, filters on indexed columns and refuses non-indexed ones (SharePoint: manage large lists)', async () => {
    const list = await h.createList('Large', [
      { name: 'Ref', number: {}, indexed: true },
      { name: 'Note', text: {} },
    ]);
    const items = Array.from({ length: 5_050 }, (_, i) => ({ fields: { Ref: i, Note: i % 1000 === 0 ? 'milestone' : 'plain' } }));
    const seeded = await h.admin('POST', `/lists/${list.id}/items`, { items });
    expect(seeded.body.created).toBe(5_050);
    const indexed = await h.graph('GET', `${itemsPath(list.id)}?$filter=${encodeURIComponent('fields/Ref ge 5040')}`);
    expect(indexed.status).toBe(200);
    expect(indexed.body.value).toHaveLength(10);
    const refused = await h.graph('GET', `${itemsPath(list.id)}?$filter=${encodeURIComponent("fields/Note eq 'milestone'")}`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/^Field 'Note' cannot be referenced in filter or orderby as it is not indexed/);
    const honoured = await h.graph('GET', `${itemsPath(list.id)}?$filter=${encodeURIComponent("fields/Note eq 'milestone'")}`, undefined, PREFER_NON_INDEXED);
    expect(honoured.status).toBe(200);
    expect(honoured.body.value).toHaveLength(6);
  });

  it('answers unknown items with 404 itemNotFound', async () => {
    const list = await h.createList('Missing');
    const res = await h.graph('GET', `${itemsPath(list.id)}/42`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('itemNotFound');
  });
});
