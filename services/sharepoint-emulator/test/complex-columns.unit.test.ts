import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeListColumn } from '../../../shared/src/mapping/list-columns.ts';
import { startHarness, type Harness } from './helpers.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const APP_PRINCIPAL = 1073741822;
const itemsPath = (listId: string) => `/sites/${h.siteId}/lists/${listId}/items`;
const columnsPath = (listId: string) => `/sites/${h.siteId}/lists/${listId}/columns`;

async function createItem(listId: string, fields: Record<string, unknown>): Promise<{ id: string; fields: Record<string, unknown> }> {
  const res = await h.graph('POST', itemsPath(listId), { fields });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function fieldsOf(listId: string, itemId: string, select?: string): Promise<Record<string, unknown>> {
  const res = await h.graph('GET', `${itemsPath(listId)}/${itemId}?$expand=fields${select ? `($select=${select})` : ''}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.fields;
}

async function expect400(method: string, path: string, body: unknown, message: RegExp, code = 'invalidRequest'): Promise<void> {
  const res = await h.graph(method, path, body);
  expect(res.status, `${JSON.stringify(body)} -> ${JSON.stringify(res.body)}`).toBe(400);
  expect(res.body.error.code).toBe(code);
  expect(res.body.error.message).toMatch(message);
}

async function addUser(email: string, displayName: string): Promise<number> {
  const res = await h.admin('POST', `/sites/${h.siteId}/users`, { email, displayName });
  expect([200, 201]).toContain(res.status);
  return res.body.lookupId as number;
}

/** A lookup source list with items 1 "Hardware", 2 "Software", 3 "Services". */
async function categories(): Promise<{ id: string }> {
  const list = await h.createList('Categories', [{ name: 'Code', number: {} }]);
  for (const [i, title] of ['Hardware', 'Software', 'Services'].entries()) await createItem(list.id, { Title: title, Code: i + 10 });
  return list;
}

describe('multi-choice columns (choice with displayAs: checkBoxes)', () => {
  it('creates the column and reads values back as a Collection(Edm.String), written with or without the annotation', async () => {
    const list = await h.createList('Multi Choice', [{ name: 'Tags', choice: { choices: ['A', 'B', 'C'], displayAs: 'checkBoxes' } }]);
    const column = await h.graph('GET', `${columnsPath(list.id)}/Tags`);
    expect(column.body.choice).toEqual({ allowTextEntry: false, choices: ['A', 'B', 'C'], displayAs: 'checkBoxes' });

    const annotated = await createItem(list.id, { Title: 'one', 'Tags@odata.type': 'Collection(Edm.String)', Tags: ['A', 'B'] });
    expect(annotated.fields).toMatchObject({ 'Tags@odata.type': 'Collection(Edm.String)', Tags: ['A', 'B'] });
    const plain = await createItem(list.id, { Title: 'two', Tags: ['C'] });
    expect(await fieldsOf(list.id, plain.id)).toMatchObject({ 'Tags@odata.type': 'Collection(Edm.String)', Tags: ['C'] });

    const patched = await h.graph('PATCH', `${itemsPath(list.id)}/${annotated.id}/fields`, { Tags: ['C', 'A'] });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ 'Tags@odata.type': 'Collection(Edm.String)', Tags: ['C', 'A'] });
    const selected = await fieldsOf(list.id, annotated.id, 'Tags');
    expect(selected).toEqual({ '@odata.etag': expect.any(String), 'Tags@odata.type': 'Collection(Edm.String)', Tags: ['C', 'A'] });

    // An empty collection, like null, clears the field.
    await h.graph('PATCH', `${itemsPath(list.id)}/${annotated.id}/fields`, { Tags: [] });
    const cleared = await fieldsOf(list.id, annotated.id);
    expect(cleared).not.toHaveProperty('Tags');
    expect(cleared).not.toHaveProperty('Tags@odata.type');
  });

  it('validates values: an array of strings, each a choice (unless allowTextEntry), once; arrays only on multi-choice', async () => {
    const list = await h.createList('Multi Choice Rules', [
      { name: 'Tags', choice: { choices: ['A', 'B'], displayAs: 'checkBoxes' } },
      { name: 'Free', choice: { choices: ['A'], displayAs: 'checkBoxes', allowTextEntry: true } },
      { name: 'Status', choice: { choices: ['Open', 'Closed'] } },
    ]);
    const path = itemsPath(list.id);
    await expect400('POST', path, { fields: { Tags: 'A' } }, /Invalid value for field 'Tags': it allows multiple choices, so expected an array of strings/);
    await expect400('POST', path, { fields: { Tags: ['A', 'Z'] } }, /The value 'Z' is not one of the choices of field 'Tags'/);
    await expect400('POST', path, { fields: { Tags: ['A', 'A'] } }, /a choice appears more than once/);
    await expect400('POST', path, { fields: { Tags: ['A', 1] } }, /expected an array of strings/);
    await expect400(
      'POST',
      path,
      { fields: { Status: ['Open'] } },
      /Invalid value for field 'Status': it holds a single choice, so expected a string, not an array/,
    );
    await expect400('POST', path, { fields: { 'Tags@odata.type': 'Collection(Edm.Int32)', Tags: ['A'] } }, /must be 'Collection\(Edm\.String\)'/);
    await expect400('POST', path, { fields: { 'Status@odata.type': 'Collection(Edm.String)', Status: 'Open' } }, /Field 'Status' holds a single value/);
    await expect400('POST', path, { fields: { 'Nope@odata.type': 'Collection(Edm.String)' } }, /Field 'Nope' is not recognized/);
    const free = await createItem(list.id, { Free: ['A', 'anything'] });
    expect(free.fields.Free).toEqual(['A', 'anything']);
    expect((await h.admin('GET', `/lists/${list.id}/items`)).body.value).toHaveLength(1);
  });

  it('refuses an unknown displayAs and an index on a multi-choice column (SharePoint cannot index multi-valued columns)', async () => {
    const list = await h.createList('Multi Choice Columns');
    await expect400(
      'POST',
      columnsPath(list.id),
      { name: 'Bad', choice: { choices: ['A'], displayAs: 'tiles' } },
      /must be one of checkBoxes, dropDownMenu, radioButtons/,
    );
    await expect400('POST', columnsPath(list.id), { name: 'Idx', choice: { choices: ['A'], displayAs: 'checkBoxes' }, indexed: true }, /cannot be indexed/);
    const made = await h.graph('POST', columnsPath(list.id), { name: 'Later', choice: { choices: ['A'], displayAs: 'checkBoxes' } });
    expect(made.status).toBe(201);
    await expect400('PATCH', `${columnsPath(list.id)}/Later`, { indexed: true }, /cannot be indexed: columns that hold multiple values/);
    const single = await h.graph('POST', columnsPath(list.id), { name: 'Radio', choice: { choices: ['A'], displayAs: 'radioButtons' }, indexed: true });
    expect(single.status).toBe(201);
  });
});

describe('lookup columns', () => {
  it('validates the lookup facet: an existing list of the site, one of its columns, booleans, no secondary lookups', async () => {
    const source = await categories();
    await h.graph('POST', columnsPath(source.id), { name: 'Notes', text: { allowMultipleLines: true } });
    const list = await h.createList('Lookup Rules');
    const post = (def: Record<string, unknown>) => h.graph('POST', columnsPath(list.id), def);
    await expect400('POST', columnsPath(list.id), { name: 'L1', lookup: { columnName: 'Title' } }, /needs a 'listId'/);
    await expect400(
      'POST',
      columnsPath(list.id),
      { name: 'L2', lookup: { listId: '00000000-0000-0000-0000-000000000000', columnName: 'Title' } },
      /lookup list '0{8}-.*' of column 'L2' does not exist in this site/,
    );
    await expect400('POST', columnsPath(list.id), { name: 'L3', lookup: { listId: source.id } }, /needs a 'columnName'/);
    await expect400('POST', columnsPath(list.id), { name: 'L4', lookup: { listId: source.id, columnName: 'Missing' } }, /has no column 'Missing'/);
    await expect400('POST', columnsPath(list.id), { name: 'L5', lookup: { listId: source.id, columnName: 'Notes' } }, /cannot be shown by lookup column 'L5'/);
    await expect400(
      'POST',
      columnsPath(list.id),
      { name: 'L6', lookup: { listId: source.id, columnName: 'Title', allowMultipleValues: 'yes' } },
      /'allowMultipleValues' of column 'L6' must be a boolean/,
    );
    await expect400(
      'POST',
      columnsPath(list.id),
      { name: 'L7', lookup: { listId: source.id, columnName: 'Title', showField: 'x' } },
      /'showField' does not exist on type 'microsoft\.graph\.lookupColumn'/,
      'BadRequest',
    );
    await expect400(
      'POST',
      columnsPath(list.id),
      { name: 'L8', lookup: { listId: source.id, columnName: 'Title', primaryLookupColumnId: 'x' } },
      /Secondary lookup columns/,
      'notSupported',
    );
    await expect400(
      'POST',
      columnsPath(list.id),
      { name: 'L9', lookup: { listId: source.id, columnName: 'Title', allowMultipleValues: true }, indexed: true },
      /cannot be indexed/,
    );

    const made = await post({ name: 'Category', lookup: { listId: source.id.toUpperCase(), columnName: 'Title' }, indexed: true });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.lookup).toEqual({ allowMultipleValues: false, allowUnlimitedLength: false, columnName: 'Title', listId: source.id });
    // Field names a lookup column uses, or would use, are taken: `<name>LookupId`, and the computed AuthorLookupId.
    expect((await post({ name: 'CategoryLookupId', text: {} })).status).toBe(409);
    expect((await post({ name: 'Author', lookup: { listId: source.id, columnName: 'Title' } })).status).toBe(409);
    expect((await post({ name: 'ByCode', lookup: { listId: source.id, columnName: 'Code' } })).status).toBe(201);
    expect((await post({ name: 'ById', lookup: { listId: source.id, columnName: 'ID' } })).status).toBe(201);
  });

  it('writes a single lookup through <name>LookupId (number or numeric string) and reads <name>LookupId, the value only when selected', async () => {
    const source = await categories();
    const list = await h.createList('Single Lookup', [
      { name: 'Category', lookup: { listId: source.id, columnName: 'Title' } },
      { name: 'ByCode', lookup: { listId: source.id, columnName: 'Code' } },
    ]);
    const item = await createItem(list.id, { Title: 'laptop', CategoryLookupId: 1, ByCodeLookupId: '2' });
    expect(item.fields).toMatchObject({ CategoryLookupId: '1', ByCodeLookupId: '2' });
    expect(item.fields).not.toHaveProperty('Category');
    expect(item.fields).not.toHaveProperty('ByCode');

    const selected = await fieldsOf(list.id, item.id, 'Category,CategoryLookupId,ByCode');
    expect(selected).toEqual({ '@odata.etag': expect.any(String), Category: 'Hardware', CategoryLookupId: '1', ByCode: '11' });
    const direct = await h.graph('GET', `${itemsPath(list.id)}/${item.id}/fields?$select=Category`);
    expect(direct.body).toMatchObject({ Category: 'Hardware' });

    const patched = await h.graph('PATCH', `${itemsPath(list.id)}/${item.id}/fields`, { CategoryLookupId: '3' });
    expect(patched.body.CategoryLookupId).toBe('3');
    await h.graph('PATCH', `${itemsPath(list.id)}/${item.id}/fields`, { CategoryLookupId: null });
    expect(await fieldsOf(list.id, item.id)).not.toHaveProperty('CategoryLookupId');
  });

  it('refuses missing items, malformed ids, arrays, and writing the lookup field itself (400)', async () => {
    const source = await categories();
    const list = await h.createList('Lookup Writes', [{ name: 'Category', lookup: { listId: source.id, columnName: 'Title' } }]);
    const path = itemsPath(list.id);
    await expect400(
      'POST',
      path,
      { fields: { CategoryLookupId: 99 } },
      /Invalid value for field 'CategoryLookupId': item 99 does not exist in the lookup list 'Categories \d+'/,
    );
    for (const bad of ['abc', 0, -1, 1.5, '']) await expect400('POST', path, { fields: { CategoryLookupId: bad } }, /expected a lookup id/);
    await expect400('POST', path, { fields: { CategoryLookupId: [1] } }, /holds a single value, so expected one lookup id, not an array/);
    await expect400(
      'POST',
      path,
      { fields: { Category: 'Hardware' } },
      /Field 'Category' is a lookup field and cannot be written directly: write the lookup id to 'CategoryLookupId'/,
    );
    await expect400('POST', path, { fields: { Category: { LookupId: 1 } } }, /cannot be written directly/);
    await expect400('POST', path, { fields: { 'CategoryLookupId@odata.type': 'Collection(Edm.Int32)', CategoryLookupId: 1 } }, /holds a single value/);
    expect((await h.admin('GET', `/lists/${list.id}/items`)).body.value).toHaveLength(0);
  });

  it('writes a multi-valued lookup as Collection(Edm.Int32) and reads [{ LookupId, LookupValue }]', async () => {
    const source = await categories();
    const list = await h.createList('Multi Lookup', [{ name: 'Cats', lookup: { listId: source.id, columnName: 'Title', allowMultipleValues: true } }]);
    const item = await createItem(list.id, { 'CatsLookupId@odata.type': 'Collection(Edm.Int32)', CatsLookupId: [3, 1] });
    const expected = [
      { LookupId: 3, LookupValue: 'Services' },
      { LookupId: 1, LookupValue: 'Hardware' },
    ];
    expect(item.fields.Cats).toEqual(expected);
    expect(item.fields).not.toHaveProperty('CatsLookupId');
    expect(await fieldsOf(list.id, item.id)).toMatchObject({ Cats: expected });
    expect(await fieldsOf(list.id, item.id, 'Cats')).toEqual({ '@odata.etag': expect.any(String), Cats: expected });

    // Lookup ids as strings, typed Collection(Edm.String), are accepted too.
    const patched = await h.graph('PATCH', `${itemsPath(list.id)}/${item.id}/fields`, {
      'CatsLookupId@odata.type': 'Collection(Edm.String)',
      CatsLookupId: ['2'],
    });
    expect(patched.body.Cats).toEqual([{ LookupId: 2, LookupValue: 'Software' }]);

    const path = itemsPath(list.id);
    await expect400('POST', path, { fields: { CatsLookupId: 1 } }, /column 'Cats' allows multiple values, so expected an array of lookup ids/);
    await expect400('POST', path, { fields: { CatsLookupId: [1, 42] } }, /item 42 does not exist in the lookup list/);
    await expect400('POST', path, { fields: { CatsLookupId: [1, 1] } }, /appears more than once/);
    await expect400(
      'POST',
      path,
      { fields: { 'CatsLookupId@odata.type': 'Collection(Edm.Double)', CatsLookupId: [1] } },
      /must be 'Collection\(Edm\.Int32\)' or 'Collection\(Edm\.String\)'/,
    );
    await expect400('POST', path, { fields: { Cats: [{ LookupId: 1, LookupValue: 'Hardware' }] } }, /write the lookup ids to 'CatsLookupId'/);
  });

  it('refuses $filter on lookup fields and a $select of more than 12 lookup fields', async () => {
    const source = await categories();
    const defs = Array.from({ length: 13 }, (_, i) => ({ name: `L${i}`, lookup: { listId: source.id, columnName: 'Title' } }));
    const list = await h.createList('Many Lookups', defs);
    await createItem(list.id, { L0LookupId: 1 });
    const prefer = { Prefer: 'HonorNonIndexedQueriesWarningMayFailRandomly' };
    const filtered = await h.graph('GET', `${itemsPath(list.id)}?$filter=fields/L0LookupId eq 1`, undefined, prefer);
    expect(filtered.status).toBe(400);
    expect(filtered.body.error.code).toBe('notSupported');
    const twelve = defs.slice(0, 12).map((d) => d.name);
    const ok = await h.graph('GET', `${itemsPath(list.id)}?$expand=fields($select=${twelve.join(',')})`);
    expect(ok.status).toBe(200);
    expect(ok.body.value[0].fields.L0).toBe('Hardware');
    const tooMany = await h.graph('GET', `${itemsPath(list.id)}?$expand=fields($select=${defs.map((d) => d.name).join(',')})`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toMatch(/selects 13 lookup fields; at most 12/);
  });
});

describe('the User Information List', () => {
  it('is a hidden list every site has, listed by GET lists, with the SharePoint App principal and the site users as items', async () => {
    const lists = await h.graph('GET', `/sites/${h.siteId}/lists?$top=1000`);
    const uil = lists.body.value.find((l: { displayName: string }) => l.displayName === 'User Information List');
    expect(uil).toMatchObject({ name: 'users', list: { hidden: true, template: 'userInformation' } });
    expect(uil.webUrl).toBe('https://contoso.sharepoint.com/sites/syncbridge/_catalogs/users');
    expect(lists.body.value.filter((l: { list: { hidden: boolean } }) => l.list.hidden)).toHaveLength(1);
    const byName = await h.graph('GET', `/sites/${h.siteId}/lists/${encodeURIComponent('User Information List')}`);
    expect(byName.body.id).toBe(uil.id);
    const filtered = await h.graph('GET', `/sites/${h.siteId}/lists?$filter=displayName eq 'User Information List'`);
    expect(filtered.body.value.map((l: { id: string }) => l.id)).toEqual([uil.id]);

    const ada = await addUser('ada@contoso.com', 'Ada Lovelace');
    const alan = await addUser('alan@contoso.com', 'Alan Turing');
    // Paged through the ordinary items endpoint, in id order, the app principal last.
    const seen: Array<Record<string, unknown>> = [];
    let url: string | undefined = `${itemsPath(uil.id)}?$top=1&$expand=fields`;
    while (url) {
      const page = await h.graph('GET', url);
      expect(page.status).toBe(200);
      expect(page.body.value.length).toBeLessThanOrEqual(1);
      seen.push(...page.body.value.map((i: { fields: Record<string, unknown> }) => i.fields));
      url = page.body['@odata.nextLink'];
    }
    const ids = seen.map((f) => Number(f.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids.at(-1)).toBe(APP_PRINCIPAL);
    expect(seen.find((f) => f.id === String(ada))).toMatchObject({ Title: 'Ada Lovelace', EMail: 'ada@contoso.com', UserName: 'ada@contoso.com' });
    expect(seen.find((f) => f.id === String(alan))).toMatchObject({ Title: 'Alan Turing', EMail: 'alan@contoso.com' });
    expect(seen.find((f) => f.id === String(APP_PRINCIPAL))).toMatchObject({ Title: 'SharePoint App' });
  });

  it('is maintained by SharePoint: Graph writes to it answer 400 notSupported', async () => {
    const lists = await h.graph('GET', `/sites/${h.siteId}/lists?$filter=displayName eq 'User Information List'`);
    const id = lists.body.value[0].id as string;
    await expect400('POST', itemsPath(id), { fields: { Title: 'Mallory' } }, /User Information List/, 'notSupported');
    await expect400('PATCH', `${itemsPath(id)}/${APP_PRINCIPAL}/fields`, { Title: 'x' }, /User Information List/, 'notSupported');
    expect((await h.graph('DELETE', `${itemsPath(id)}/${APP_PRINCIPAL}`)).status).toBe(400);
    await expect400('POST', columnsPath(id), { name: 'Extra', text: {} }, /User Information List/, 'notSupported');
    expect((await h.graph('DELETE', `/sites/${h.siteId}/lists/${id}`)).status).toBe(400);
    expect((await h.admin('POST', `/lists/${id}/items`, { items: [{ fields: { Title: 'x' } }] })).status).toBe(400);
  });
});

describe('person or group columns', () => {
  it('creates the column with documented defaults and validates chooseFromType and displayAs', async () => {
    const list = await h.createList('People Columns', [{ name: 'Owner', personOrGroup: {} }]);
    const column = await h.graph('GET', `${columnsPath(list.id)}/Owner`);
    expect(column.body.personOrGroup).toEqual({ allowMultipleSelection: false, chooseFromType: 'peopleOnly', displayAs: 'nameWithPresence' });
    await expect400('POST', columnsPath(list.id), { name: 'P1', personOrGroup: { chooseFromType: 'everyone' } }, /must be one of peopleOnly, peopleAndGroups/);
    await expect400('POST', columnsPath(list.id), { name: 'P2', personOrGroup: { displayAs: 'avatar' } }, /'displayAs' of column 'P2' must be one of/);
    await expect400('POST', columnsPath(list.id), { name: 'P3', personOrGroup: { allowMultipleSelection: 1 } }, /must be a boolean/);
    await expect400(
      'POST',
      columnsPath(list.id),
      { name: 'P4', personOrGroup: { lookupList: 'x' } },
      /does not exist on type 'microsoft\.graph\.personOrGroupColumn'/,
      'BadRequest',
    );
    await expect400('POST', columnsPath(list.id), { name: 'P5', personOrGroup: { allowMultipleSelection: true }, indexed: true }, /cannot be indexed/);
    const made = await h.graph('POST', columnsPath(list.id), {
      name: 'Team',
      personOrGroup: { allowMultipleSelection: true, chooseFromType: 'peopleAndGroups', displayAs: 'name' },
    });
    expect(made.body.personOrGroup).toEqual({ allowMultipleSelection: true, chooseFromType: 'peopleAndGroups', displayAs: 'name' });
  });

  it('stores User Information List ids: <name>LookupId on read, the display name when <name> is selected, unknown ids refused', async () => {
    const grace = await addUser('grace@contoso.com', 'Grace Hopper');
    const list = await h.createList('Owned', [{ name: 'Owner', personOrGroup: {} }]);
    const item = await createItem(list.id, { Title: 'task', OwnerLookupId: grace });
    expect(item.fields.OwnerLookupId).toBe(String(grace));
    expect(item.fields).not.toHaveProperty('Owner');
    expect(await fieldsOf(list.id, item.id, 'Owner,OwnerLookupId')).toEqual({
      '@odata.etag': expect.any(String),
      Owner: 'Grace Hopper',
      OwnerLookupId: String(grace),
    });
    // The app principal is a site user too (it is what AuthorLookupId points at).
    const byApp = await createItem(list.id, { OwnerLookupId: String(APP_PRINCIPAL) });
    expect(byApp.fields).toMatchObject({ OwnerLookupId: String(APP_PRINCIPAL), AuthorLookupId: String(APP_PRINCIPAL) });
    await expect400(
      'POST',
      itemsPath(list.id),
      { fields: { OwnerLookupId: 4242 } },
      /'OwnerLookupId': 4242 is not the lookup id of a user in the site's User Information List/,
    );
    await expect400(
      'POST',
      itemsPath(list.id),
      { fields: { Owner: 'grace@contoso.com' } },
      /Field 'Owner' is a person or group field and cannot be written directly: write the lookup id to 'OwnerLookupId'/,
    );
  });

  it('writes multi-person columns as a collection of ids and reads [{ LookupId, LookupValue, Email }]', async () => {
    const grace = await addUser('grace@contoso.com', 'Grace Hopper');
    const linus = await addUser('linus@contoso.com', 'Linus Torvalds');
    const list = await h.createList('Teams', [{ name: 'Members', personOrGroup: { allowMultipleSelection: true } }]);
    const item = await createItem(list.id, { 'MembersLookupId@odata.type': 'Collection(Edm.Int32)', MembersLookupId: [linus, grace] });
    const expected = [
      { LookupId: linus, LookupValue: 'Linus Torvalds', Email: 'linus@contoso.com' },
      { LookupId: grace, LookupValue: 'Grace Hopper', Email: 'grace@contoso.com' },
    ];
    expect(item.fields.Members).toEqual(expected);
    expect(item.fields).not.toHaveProperty('MembersLookupId');
    expect(await fieldsOf(list.id, item.id, 'Members')).toEqual({ '@odata.etag': expect.any(String), Members: expected });
    await expect400('POST', itemsPath(list.id), { fields: { MembersLookupId: grace } }, /allows multiple values, so expected an array of lookup ids/);
    await expect400('POST', itemsPath(list.id), { fields: { MembersLookupId: [grace, 999] } }, /999 is not the lookup id of a user/);
  });
});

describe('delta and the admin dump', () => {
  it('renders multi-choice, lookup and person fields in delta exactly as GET items does, $select included', async () => {
    const source = await categories();
    const grace = await addUser('grace@contoso.com', 'Grace Hopper');
    const list = await h.createList('Delta Shapes', [
      { name: 'Tags', choice: { choices: ['A', 'B'], displayAs: 'checkBoxes' } },
      { name: 'Category', lookup: { listId: source.id, columnName: 'Title' } },
      { name: 'Cats', lookup: { listId: source.id, columnName: 'Title', allowMultipleValues: true } },
      { name: 'Owner', personOrGroup: {} },
    ]);
    const item = await createItem(list.id, { Title: 't', Tags: ['B'], CategoryLookupId: 2, CatsLookupId: [1, 2], OwnerLookupId: grace });

    const first = await h.graph('GET', `${itemsPath(list.id)}/delta?$expand=fields`);
    expect(first.body.value[0].fields).toEqual(await fieldsOf(list.id, item.id));
    expect(first.body.value[0].fields).toMatchObject({
      'Tags@odata.type': 'Collection(Edm.String)',
      Tags: ['B'],
      CategoryLookupId: '2',
      Cats: [
        { LookupId: 1, LookupValue: 'Hardware' },
        { LookupId: 2, LookupValue: 'Software' },
      ],
      OwnerLookupId: String(grace),
    });

    await h.graph('PATCH', `${itemsPath(list.id)}/${item.id}/fields`, { Tags: ['A', 'B'], OwnerLookupId: APP_PRINCIPAL });
    const select = 'Tags,Category,Owner,OwnerLookupId';
    const link = new URL(first.body['@odata.deltaLink'] as string);
    link.searchParams.set('$expand', `fields($select=${select})`);
    const changes = await h.graph('GET', link.toString());
    expect(changes.status, JSON.stringify(changes.body)).toBe(200);
    expect(changes.body.value[0].fields).toEqual(await fieldsOf(list.id, item.id, select));
    expect(changes.body.value[0].fields).toEqual({
      '@odata.etag': expect.any(String),
      'Tags@odata.type': 'Collection(Edm.String)',
      Tags: ['A', 'B'],
      Category: 'Software',
      Owner: 'SharePoint App',
      OwnerLookupId: String(APP_PRINCIPAL),
    });
    const dump = await h.admin('GET', `/lists/${list.id}/items`);
    expect(dump.body.value[0].fields).toMatchObject({ Tags: ['A', 'B'], CategoryLookupId: '2', Cats: [{ LookupId: 1 }, { LookupId: 2 }] });
  });
});

describe('describeListColumn (shared) on the columns the emulator returns', () => {
  it('reports type, allowMultipleValues and the lookup source', async () => {
    const source = await categories();
    const list = await h.createList('Described', [
      { name: 'Tags', choice: { choices: ['A'], displayAs: 'checkBoxes' } },
      { name: 'Status', choice: { choices: ['A'] } },
      { name: 'Category', lookup: { listId: source.id, columnName: 'Title' } },
      { name: 'Cats', lookup: { listId: source.id, columnName: 'Title', allowMultipleValues: true } },
      { name: 'Owner', personOrGroup: {} },
      { name: 'Team', personOrGroup: { allowMultipleSelection: true } },
    ]);
    const columns = (await h.graph('GET', columnsPath(list.id))).body.value as Array<{ name: string }>;
    const view = (name: string) => describeListColumn(columns.find((c) => c.name === name) as object);
    expect(view('Tags')).toMatchObject({ type: 'choice', choices: ['A'], allowMultipleValues: true });
    expect(view('Status')).toMatchObject({ type: 'choice', allowMultipleValues: false });
    expect(view('Category')).toMatchObject({ type: 'lookup', allowMultipleValues: false, lookupListId: source.id, lookupColumnName: 'Title' });
    expect(view('Cats')).toMatchObject({ type: 'lookup', allowMultipleValues: true, lookupListId: source.id });
    expect(view('Owner')).toMatchObject({ type: 'personOrGroup', allowMultipleValues: false });
    expect(view('Team')).toMatchObject({ type: 'personOrGroup', allowMultipleValues: true });
    expect(view('Title')).not.toHaveProperty('allowMultipleValues');
  });
});
