import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import {
  apiJson,
  defineSync,
  listItems,
  provision,
  registerSourceAndConnection,
  runPush,
  type EmulatorItem,
  type RunView,
  type SyncSetup,
} from '../harness/sync.ts';

/*
 * Person, lookup and multi-choice columns both ways, through the path a user takes (HTTP API ->
 * Temporal -> Graph emulator -> PostgreSQL): an owner e-mail becomes a person of the site (its
 * User Information List), a foreign key becomes a lookup of the item another definition synced
 * for the referenced row, a text[] becomes a multi-choice field; edits of those fields in the
 * list come back as e-mail, key and array.
 */

interface SiteUser {
  lookupId: number;
  email: string;
}

describe('person, lookup and multi-choice columns, both ways', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let reg: SyncSetup;
  let categories: { definitionId: string; listId: string };
  let ticketsId: string;
  let ticketsList: string;
  const users: Record<string, SiteUser> = {};

  const admin = (path: string, init?: RequestInit) => fetch(`${stack.emulator!.adminUrl}${path}`, init);
  const adminJson = async <T>(method: string, path: string, body: unknown, status: number): Promise<T> => {
    const res = await admin(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    expect(res.status, text).toBe(status);
    return JSON.parse(text) as T;
  };
  const push = async (definitionId: string): Promise<RunView> => {
    const run = await runPush(stack, definitionId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    return run;
  };
  const byKey = (items: EmulatorItem[], key: string) => items.find((i) => i.fields.SyncBridgeKey === key);
  const quarantine = async () =>
    (await apiJson<{ items: Array<{ sourceKey: string; reason: string }> }>(stack, `/v1/sync-definitions/${ticketsId}/quarantine`)).items;

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    source = await createTestDatabase('sb_people_lookups');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql.unsafe(`
      create table categories (id integer primary key, name varchar(100) not null);
      insert into categories values (1, 'Hardware'), (2, 'Software'), (3, 'Network');
      create table tickets (
        id integer primary key,
        title varchar(200) not null,
        owner text,
        category_id integer references categories,
        tags text[],
        updated_at timestamptz not null default now()
      );
      insert into tickets (id, title, owner, category_id, tags) values
        (1, 'Printer jams', 'ada@contoso.example', 1, '{urgent,onsite}'),
        (2, 'VPN drops', 'Grace@Contoso.example', 3, '{}'),
        (3, 'No owner yet', null, null, null),
        (4, 'Owner unknown to the site', 'nobody@contoso.example', 2, '{urgent}');
    `);
    reg = await registerSourceAndConnection(stack, source, 'people');
    for (const [email, displayName] of [
      ['ada@contoso.example', 'Ada Lovelace'],
      ['grace@contoso.example', 'Grace Hopper'],
    ] as const) {
      users[email] = await adminJson<SiteUser>('POST', `/sites/${encodeURIComponent(reg.siteId)}/users`, { email, displayName }, 201);
    }

    // The looked-up list: categories, synced by a definition of their own.
    categories = await defineSync(stack, reg, { name: 'categories', table: 'categories', keyStrategy: 'pk', keyColumns: ['id'] });
    expect((await push(categories.definitionId)).counts).toMatchObject({ created: 3 });

    ({ definitionId: ticketsId, listId: ticketsList } = await defineSync(stack, reg, {
      name: 'tickets',
      table: 'tickets',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorColumn: 'updated_at',
      direction: 'both',
      listName: 'Tickets',
      mappings: [
        { sourceColumn: 'id', targetColumn: 'TicketId', targetType: 'number', direction: 'push' },
        { sourceColumn: 'title', targetColumn: 'Title', targetType: 'text', direction: 'both' },
        { sourceColumn: 'owner', targetColumn: 'Owner', targetType: 'person', direction: 'both' },
        {
          sourceColumn: 'category_id',
          targetColumn: 'Category',
          targetType: 'lookup',
          direction: 'both',
          converterOptions: { lookupDefinitionId: categories.definitionId, lookupColumnName: 'Title' },
        },
        {
          sourceColumn: 'tags',
          targetColumn: 'Tags',
          targetType: 'multiChoice',
          direction: 'both',
          converterOptions: { choices: ['urgent', 'onsite', 'remote'] },
        },
      ],
    }));
  });

  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('refuses mappings that cannot work: a lookup of a text column without a synced definition, an unknown personBy', async () => {
    const res = await stack.api(`/v1/sync-definitions/${ticketsId}/field-mappings`, {
      method: 'PUT',
      json: {
        mappings: [
          { sourceColumn: 'id', targetColumn: 'TicketId', targetType: 'number', direction: 'push' },
          { sourceColumn: 'title', targetColumn: 'Related', targetType: 'lookup', direction: 'both', converterOptions: {} },
          { sourceColumn: 'owner', targetColumn: 'Owner', targetType: 'person', direction: 'both', converterOptions: { personBy: 'phone' } },
        ],
      },
    });
    const text = await res.text();
    expect(res.status, text).toBe(422);
    const fields = (JSON.parse(text) as { errors: Array<{ field: string }> }).errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['body.mappings.1.targetType', 'body.mappings.2.converterOptions.personBy']));
  });

  it('pushes e-mails as people, foreign keys as lookups of the synced rows, arrays as multi-choice; an unknown person quarantines its row', async () => {
    const run = await push(ticketsId);
    expect(run.counts).toMatchObject({ created: 3, quarantined: 1 });
    const items = await listItems(stack, ticketsList);
    const cats = await listItems(stack, categories.listId);
    const categoryItem = (id: number) => byKey(cats, String(id))!.id;
    const one = byKey(items, '1')!;
    expect(one.fields.OwnerLookupId).toBe(String(users['ada@contoso.example']!.lookupId));
    expect(one.fields.CategoryLookupId).toBe(categoryItem(1));
    expect(one.fields.Tags).toEqual(['urgent', 'onsite']);
    // E-mails match whatever their case; an empty array is an empty field.
    const two = byKey(items, '2')!;
    expect(two.fields.OwnerLookupId).toBe(String(users['grace@contoso.example']!.lookupId));
    expect(two.fields.CategoryLookupId).toBe(categoryItem(3));
    expect(two.fields.Tags ?? null).toBeNull();
    const three = byKey(items, '3')!;
    expect(three.fields.OwnerLookupId ?? null).toBeNull();
    expect(byKey(items, '4')).toBeUndefined();
    expect(await quarantine()).toEqual([
      expect.objectContaining({ sourceKey: '4', reason: expect.stringContaining('no user with the e-mail "nobody@contoso.example"') }),
    ]);
  });

  it('takes list edits of people, lookups and choices back as e-mail, foreign key and array, and then has nothing to do', async () => {
    const cats = await listItems(stack, categories.listId);
    const one = byKey(await listItems(stack, ticketsList), '1')!;
    const res = await admin(`/lists/${encodeURIComponent(ticketsList)}/items/${one.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        fields: {
          OwnerLookupId: users['grace@contoso.example']!.lookupId,
          CategoryLookupId: Number(byKey(cats, '2')!.id),
          Tags: ['remote', 'urgent'],
        },
      }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const cycle = await push(ticketsId);
    expect(cycle.counts).toMatchObject({ ingressUpdated: 1, created: 0 });
    expect(cycle.counts.ingressQuarantined ?? 0).toBe(0);
    const [row] = await sql<Array<{ owner: string; category_id: number; tags: string[] }>>`select owner, category_id, tags from tickets where id = 1`;
    expect(row).toEqual({ owner: 'grace@contoso.example', category_id: 2, tags: ['remote', 'urgent'] });
    // The next cycle reads nothing back and writes nothing (the trigger-less table did not move its watermark).
    const idle = await push(ticketsId);
    expect(idle.counts).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    expect(idle.counts.ingressUpdated ?? 0).toBe(0);
  });

  it('quarantines a list edit naming a lookup item that is no synced row, with the reason, and applies the rest', async () => {
    const cats = await listItems(stack, categories.listId);
    // An item added to the categories list by hand: no row of the categories table stands behind it.
    const stray = await adminJson<{ ids: string[] }>(
      'POST',
      `/lists/${encodeURIComponent(categories.listId)}/items`,
      { items: [{ fields: { Title: 'Stray' } }] },
      201,
    );
    const items = await listItems(stack, ticketsList);
    const edit = async (key: string, fields: Record<string, unknown>) => {
      const res = await admin(`/lists/${encodeURIComponent(ticketsList)}/items/${byKey(items, key)!.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ fields }),
      });
      expect(res.status, await res.clone().text()).toBe(200);
    };
    await edit('2', { CategoryLookupId: Number(stray.ids[0]) });
    await edit('3', { Title: 'Owner found', CategoryLookupId: Number(byKey(cats, '1')!.id), OwnerLookupId: users['ada@contoso.example']!.lookupId });
    const cycle = await push(ticketsId);
    expect(cycle.counts).toMatchObject({ ingressUpdated: 1, ingressQuarantined: 1 });
    const held = await quarantine();
    expect(held.find((q) => q.sourceKey === '2')?.reason, JSON.stringify(held)).toContain('is not a row synced by the looked-up definition');
    const rows = await sql<Array<{ id: number; title: string; owner: string | null; category_id: number | null }>>`
      select id, title, owner, category_id from tickets where id in (2, 3) order by id`;
    expect(rows).toEqual([
      // Row 2 is untouched: its e-mail keeps the case the table wrote it in.
      { id: 2, title: 'VPN drops', owner: 'Grace@Contoso.example', category_id: 3 },
      { id: 3, title: 'Owner found', owner: 'ada@contoso.example', category_id: 1 },
    ]);
  });

  it('maps multi-valued people and lookups: arrays of e-mails and of foreign keys <-> collections of lookup ids, both ways', async () => {
    await sql`alter table tickets add column watchers text[], add column related integer[]`;
    await sql`update tickets set watchers = '{ada@contoso.example,grace@contoso.example}', related = '{2,3}', updated_at = now() where id = 1`;
    const current = await apiJson<{ items: Array<Record<string, unknown>> }>(stack, `/v1/sync-definitions/${ticketsId}/field-mappings`);
    const keep = current.items.map(({ sourceColumn, targetColumn, targetType, direction, converterOptions }) => ({
      sourceColumn,
      targetColumn,
      targetType,
      direction,
      converterOptions,
    }));
    await apiJson(
      stack,
      `/v1/sync-definitions/${ticketsId}/field-mappings`,
      {
        method: 'PUT',
        json: {
          mappings: [
            ...keep,
            { sourceColumn: 'watchers', targetColumn: 'Watchers', targetType: 'person', direction: 'both', converterOptions: { multipleValues: true } },
            {
              sourceColumn: 'related',
              targetColumn: 'Related',
              targetType: 'lookup',
              direction: 'both',
              converterOptions: { multipleValues: true, lookupDefinitionId: categories.definitionId },
            },
          ],
        },
      },
      200,
    );
    expect((await provision(stack, ticketsId)).status).toBe('succeeded');
    const run = await push(ticketsId);
    // New mappings: a full pass writes the new columns to every item (row 4 is still held for its unknown owner).
    expect(run.counts).toMatchObject({ updated: 3, created: 0, quarantined: 1 });
    // The ingress half saw new fields selected: it enumerated the list again (a delta link keeps its old query), and the
    // item still held for its stray category was seen there, not taken for deleted.
    expect(run.counts.ingressFieldResyncs).toBe(1);
    expect(run.counts.ingressConflicts ?? 0).toBe(0);
    const cats = await listItems(stack, categories.listId);
    const one = byKey(await listItems(stack, ticketsList), '1')!;
    // Graph returns a multi-valued column as the collection itself.
    const ada = users['ada@contoso.example']!.lookupId;
    const grace = users['grace@contoso.example']!.lookupId;
    expect((one.fields.Watchers as Array<{ LookupId: number }>).map((w) => Number(w.LookupId))).toEqual([ada, grace]);
    expect((one.fields.Related as Array<{ LookupId: number }>).map((r) => String(r.LookupId))).toEqual([byKey(cats, '2')!.id, byKey(cats, '3')!.id]);

    const res = await admin(`/lists/${encodeURIComponent(ticketsList)}/items/${one.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        fields: {
          'WatchersLookupId@odata.type': 'Collection(Edm.Int32)',
          WatchersLookupId: [grace],
          'RelatedLookupId@odata.type': 'Collection(Edm.Int32)',
          RelatedLookupId: [Number(byKey(cats, '1')!.id), Number(byKey(cats, '3')!.id)],
        },
      }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const cycle = await push(ticketsId);
    expect(cycle.counts).toMatchObject({ ingressUpdated: 1, created: 0 });
    expect(cycle.counts.ingressQuarantined ?? 0).toBe(0);
    const [row] = await sql<Array<{ watchers: string[]; related: number[] }>>`select watchers, related from tickets where id = 1`;
    expect(row).toEqual({ watchers: ['grace@contoso.example'], related: [1, 3] });
    const idle = await push(ticketsId);
    expect(idle.counts).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    expect(idle.counts.ingressUpdated ?? 0).toBe(0);
  });
});
