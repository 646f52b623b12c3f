import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson, listItems, provision, registerSourceAndConnection, runPush } from '../harness/sync.ts';

describe('conditional routing, moves and the full-scan strategy', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let reg: Awaited<ReturnType<typeof registerSourceAndConnection>>;

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    source = await createTestDatabase('sb_source');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql`create table customers (id integer primary key, name text not null, region text not null, updated_at timestamptz not null default now())`;
    await sql`insert into customers (id, name, region) select g, 'customer ' || g, (array['eu','us','apac'])[1 + g % 3] from generate_series(1, 90) g`;
    await sql`create table tags (code varchar(20) primary key, label varchar(100) not null)`;
    await sql`insert into tags select 'T' || g, 'tag ' || g from generate_series(1, 40) g`;
    reg = await registerSourceAndConnection(stack, source);
  });
  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  const listIdOf = async (definitionId: string, name: string) =>
    (
      await apiJson<{ items: Array<{ id: string; listId: string; listDisplayName: string }> }>(stack, `/v1/sync-definitions/${definitionId}/targets`)
    ).items.find((t) => t.listDisplayName === name)!;
  const regionsIn = async (listId: string) => new Set((await listItems(stack, listId)).map((i) => i.fields.region));
  const namesIn = async (listId: string) => (await listItems(stack, listId)).map((i) => i.fields.name as string);

  it('routes rows by rule, moves a row whose region changes, and re-routes after a rule change', async () => {
    const def = await apiJson(
      stack,
      '/v1/sync-definitions',
      {
        method: 'POST',
        json: {
          appId: reg.appId,
          name: 'customers',
          sourceInstanceId: reg.instanceId,
          sourceSchema: 'public',
          sourceTable: 'customers',
          keyStrategy: 'pk',
          keyColumns: ['id'],
          cursorStrategy: 'updated_at',
          cursorColumn: 'updated_at',
          targetStrategy: 'conditional',
          batchSize: 25,
        },
      },
      201,
    );
    const eu = await apiJson(
      stack,
      `/v1/sync-definitions/${def.id}/targets`,
      {
        method: 'POST',
        json: {
          connectionId: reg.connectionId,
          siteId: reg.siteId,
          listDisplayName: 'Customers EU',
          routingRule: { column: 'region', op: 'eq', value: 'eu' },
          priority: 10,
        },
      },
      201,
    );
    await apiJson(
      stack,
      `/v1/sync-definitions/${def.id}/targets`,
      { method: 'POST', json: { connectionId: reg.connectionId, siteId: reg.siteId, listDisplayName: 'Customers other', isDefault: true, priority: 100 } },
      201,
    );
    await provision(stack, def.id);
    const euList = (await listIdOf(def.id, 'Customers EU')).listId;
    const otherList = (await listIdOf(def.id, 'Customers other')).listId;

    const first = await runPush(stack, def.id);
    expect(first.status, JSON.stringify(first.errors)).toBe('succeeded');
    expect(first.counts).toMatchObject({ created: 90 });
    expect(await regionsIn(euList)).toEqual(new Set(['eu']));
    expect(await regionsIn(otherList)).toEqual(new Set(['us', 'apac']));
    expect((await listItems(stack, euList)).length).toBe(30);

    // A row whose routing column changes moves: created in the new list, deleted from the old, ledger updated once.
    await sql`update customers set region = 'eu', updated_at = now() where id = 1`;
    const moved = await runPush(stack, def.id);
    expect(moved.counts).toMatchObject({ moved: 1, created: 0 });
    expect(await namesIn(euList)).toContain('customer 1');
    expect(await namesIn(otherList)).not.toContain('customer 1');
    const [event] = await stack.store.sql`select kind, from_target_id, to_target_id from ledger_events where definition_id = ${def.id} and kind = 'move'`;
    expect(event).toMatchObject({ kind: 'move', to_target_id: eu.id });
    const [ledger] = await stack.store
      .sql`select target_id from sync_ledger where definition_id = ${def.id} and list_item_id is not null and target_id = ${eu.id} limit 1`;
    expect(ledger).toBeDefined();

    // Changing a rule re-routes rows already synced on the next run (a full pass), without touching the source.
    await apiJson(stack, `/v1/sync-definitions/${def.id}/targets/${eu.id}`, {
      method: 'PATCH',
      json: { routingRule: { column: 'region', op: 'in', values: ['eu', 'apac'] } },
    });
    const rerouted = await runPush(stack, def.id);
    expect(rerouted.status).toBe('succeeded');
    expect(rerouted.counts.moved).toBe(30);
    expect(await regionsIn(euList)).toEqual(new Set(['eu', 'apac']));
    expect(await regionsIn(otherList)).toEqual(new Set(['us']));
    const total = (await listItems(stack, euList)).length + (await listItems(stack, otherList)).length;
    expect(total).toBe(90);
  });

  it('quarantines rows no rule matches when there is no default target', async () => {
    const def = await apiJson(
      stack,
      '/v1/sync-definitions',
      {
        method: 'POST',
        json: {
          appId: reg.appId,
          name: 'customers-eu-only',
          sourceInstanceId: reg.instanceId,
          sourceSchema: 'public',
          sourceTable: 'customers',
          keyStrategy: 'pk',
          keyColumns: ['id'],
          cursorStrategy: 'updated_at',
          cursorColumn: 'updated_at',
          targetStrategy: 'conditional',
        },
      },
      201,
    );
    await apiJson(
      stack,
      `/v1/sync-definitions/${def.id}/targets`,
      {
        method: 'POST',
        json: { connectionId: reg.connectionId, siteId: reg.siteId, listDisplayName: 'EU only', routingRule: { column: 'region', op: 'eq', value: 'eu' } },
      },
      201,
    );
    await provision(stack, def.id);
    const run = await runPush(stack, def.id);
    const eu = (await sql`select count(*)::int as n from customers where region = 'eu'`)[0]!.n as number;
    expect(run.counts).toMatchObject({ created: eu, quarantined: 90 - eu });
    const q = await apiJson<{ items: Array<{ reason: string }> }>(stack, `/v1/sync-definitions/${def.id}/quarantine?limit=200`);
    expect(q.items).toHaveLength(90 - eu);
    expect(q.items[0]!.reason).toMatch(/no routing rule matches/);
  });

  it('full-scan strategy (no watermark column) finds inserts, updates and deletes by hash compare', async () => {
    const def = await apiJson(
      stack,
      '/v1/sync-definitions',
      {
        method: 'POST',
        json: {
          appId: reg.appId,
          name: 'tags',
          sourceInstanceId: reg.instanceId,
          sourceSchema: 'public',
          sourceTable: 'tags',
          keyStrategy: 'pk',
          keyColumns: ['code'],
          cursorStrategy: 'full_scan',
          batchSize: 15,
        },
      },
      201,
    );
    await apiJson(
      stack,
      `/v1/sync-definitions/${def.id}/targets`,
      { method: 'POST', json: { connectionId: reg.connectionId, siteId: reg.siteId, listDisplayName: 'Tags', isDefault: true } },
      201,
    );
    await provision(stack, def.id);
    const listId = (await listIdOf(def.id, 'Tags')).listId;
    expect((await runPush(stack, def.id)).counts).toMatchObject({ read: 40, created: 40 });

    await sql`update tags set label = 'renamed' where code in ('T1', 'T2')`;
    await sql`delete from tags where code in ('T3', 'T4', 'T5')`;
    await sql`insert into tags values ('NEW', 'new tag')`;
    const run = await runPush(stack, def.id);
    expect(run.counts).toMatchObject({ read: 38, created: 1, updated: 2, deleted: 3, unchanged: 35 });
    const labels = new Map((await listItems(stack, listId)).map((i) => [i.fields.code, i.fields.label]));
    expect(labels.size).toBe(38);
    expect(labels.get('T1')).toBe('renamed');
    expect(labels.get('NEW')).toBe('new tag');
    expect(labels.has('T3')).toBe(false);
  });
});
