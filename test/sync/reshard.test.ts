import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import {
  apiJson,
  listItems,
  provision,
  registerSourceAndConnection,
  runPush,
  waitForRun,
  waitForRunState,
  type RunView,
  type SyncSetup,
} from '../harness/sync.ts';

/*
 * Re-shard after a routing rule changed, through the path a user takes (HTTP API -> Temporal ->
 * PostgreSQL -> Graph emulator): the moves planned and shown, approved, applied; every row ends
 * in its new list once, including one whose move a crashed attempt had half made.
 */

describe('reshard: items follow their rows to the lists the rules choose now', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let reg: SyncSetup;
  let definitionId: string;
  let eu: { id: string; listId: string };
  let other: { id: string; listId: string };

  const keysIn = async (listId: string) => (await listItems(stack, listId)).map((i) => String(i.fields.SyncBridgeKey)).sort((a, b) => Number(a) - Number(b));
  const reshard = (options: Record<string, unknown> = {}) =>
    apiJson<{ runId: string; workflowId: string }>(
      stack,
      `/v1/sync-definitions/${definitionId}/operations/reshard`,
      { method: 'POST', json: { options } },
      202,
    );

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    source = await createTestDatabase('sb_reshard');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql.unsafe(`
      create table accounts (id integer primary key, name varchar(100) not null, region varchar(10) not null, updated_at timestamptz not null default now());
      insert into accounts (id, name, region) select g, 'account ' || g, case when g % 2 = 0 then 'eu' else 'us' end from generate_series(1, 12) g;
    `);
    reg = await registerSourceAndConnection(stack, source, 'reshard');
    const def = await apiJson<{ id: string }>(
      stack,
      '/v1/sync-definitions',
      {
        method: 'POST',
        json: {
          appId: reg.appId,
          name: 'accounts',
          sourceInstanceId: reg.instanceId,
          sourceSchema: 'public',
          sourceTable: 'accounts',
          keyStrategy: 'pk',
          keyColumns: ['id'],
          cursorStrategy: 'updated_at',
          cursorColumn: 'updated_at',
          targetStrategy: 'conditional',
        },
      },
      201,
    );
    definitionId = def.id;
    const target = (json: Record<string, unknown>) =>
      apiJson<{ id: string }>(
        stack,
        `/v1/sync-definitions/${definitionId}/targets`,
        { method: 'POST', json: { connectionId: reg.connectionId, siteId: reg.siteId, ...json } },
        201,
      );
    const euTarget = await target({ listDisplayName: 'Accounts EU', routingRule: { column: 'region', op: 'eq', value: 'eu' }, priority: 10 });
    const otherTarget = await target({ listDisplayName: 'Accounts other', isDefault: true, priority: 100 });
    await provision(stack, definitionId);
    const targets = (await apiJson<{ items: Array<{ id: string; listId: string }> }>(stack, `/v1/sync-definitions/${definitionId}/targets`)).items;
    eu = targets.find((t) => t.id === euTarget.id)!;
    other = targets.find((t) => t.id === otherTarget.id)!;
    expect((await runPush(stack, definitionId)).counts).toMatchObject({ created: 12 });
    expect(await keysIn(eu.listId)).toEqual(['2', '4', '6', '8', '10', '12']);
  });

  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('has nothing to move while every item is where its rules put it', async () => {
    const started = await reshard({ approve: true });
    const run = await waitForRun(stack, definitionId, started.workflowId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    expect(run.counts).toMatchObject({ plannedMoves: 0, inPlace: 12 });
  });

  it('plans the moves a rule change asks for, shows them, and moves every row once after approval, a half-made move included', async () => {
    // The EU list now takes the US rows: every item is in the wrong list.
    const patched = await stack.api(`/v1/sync-definitions/${definitionId}/targets/${eu.id}`, {
      method: 'PATCH',
      json: { routingRule: { column: 'region', op: 'eq', value: 'us' } },
    });
    expect(patched.status, await patched.clone().text()).toBe(200);

    const dry = await reshard({ dryRun: true });
    const dryRun = await waitForRun(stack, definitionId, dry.workflowId);
    expect(dryRun.counts).toMatchObject({ plannedMoves: 12, dryRun: 1 });
    expect(await keysIn(eu.listId)).toEqual(['2', '4', '6', '8', '10', '12']);

    // A crashed attempt created row 1's item in its new list and died before deleting the old one.
    const one = (await listItems(stack, other.listId)).find((i) => i.fields.SyncBridgeKey === '1')!;
    const copy = Object.fromEntries(Object.entries(one.fields).filter(([k]) => ['SyncBridgeKey', 'Title', 'name', 'region'].includes(k)));
    const created = await fetch(`${stack.emulator!.adminUrl}/lists/${encodeURIComponent(eu.listId)}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ fields: copy }] }),
    });
    expect(created.status, await created.clone().text()).toBe(201);

    const started = await reshard();
    const held = await waitForRunState<RunView & { hold: { kind: string; actions: number } | null }>(
      stack,
      started.runId,
      (r) => r.status === 'awaiting_approval',
    );
    expect(held.hold).toMatchObject({ kind: 'reshard', actions: 12 });
    const plan = await apiJson<{ kind: string; summary: { total: number; byClass: Record<string, Record<string, number>> }; actionsTotal: number }>(
      stack,
      `/v1/sync-runs/${started.runId}/plan`,
    );
    expect(plan).toMatchObject({ kind: 'reshard', actionsTotal: 12 });
    expect(plan.summary.byClass).toEqual({ 'Accounts EU': { 'Accounts other': 6 }, 'Accounts other': { 'Accounts EU': 6 } });
    // Nothing moved while it waits.
    expect(await keysIn(eu.listId)).toEqual(['1', '2', '4', '6', '8', '10', '12']);

    const approved = await stack.api(`/v1/sync-runs/${started.runId}/approve-plan`, { method: 'POST' });
    expect(approved.status, await approved.clone().text()).toBe(202);
    const run = await waitForRun(stack, definitionId, started.workflowId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    expect(run.counts).toMatchObject({ plannedMoves: 12, moved: 12, moveFailed: 0 });

    // Every row in its new list, once; the ledger follows.
    expect(await keysIn(eu.listId)).toEqual(['1', '3', '5', '7', '9', '11']);
    expect(await keysIn(other.listId)).toEqual(['2', '4', '6', '8', '10', '12']);
    const ledger = await stack.store.sql<Array<{ source_key: string; target_id: string }>>`
      select source_key, target_id from sync_ledger where definition_id = ${definitionId}`;
    for (const e of ledger) expect(e.target_id, e.source_key).toBe(Number(e.source_key) % 2 === 1 ? eu.id : other.id);
    const check = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/operations/drift_check`, { method: 'POST' }, 202);
    const checked = await waitForRun(stack, definitionId, check.workflowId);
    expect(checked.counts).toMatchObject({ orphanItems: 0, missingItems: 0, valueDrift: 0, ledgerDrift: 0, duplicates: 0, misrouted: 0 });
    // The push after it (a full pass: the rules changed) has nothing left to move.
    const push = await runPush(stack, definitionId);
    expect(push.counts).toMatchObject({ created: 0, updated: 0, moved: 0, deleted: 0 });
  });

  it('ends without moving anything when the plan is rejected', async () => {
    await sql`update accounts set region = 'eu', updated_at = now() where id = 3`;
    const started = await reshard();
    await waitForRunState(stack, started.runId, (r: RunView) => r.status === 'awaiting_approval');
    expect((await stack.api(`/v1/sync-runs/${started.runId}/reject-plan`, { method: 'POST' })).status).toBe(202);
    const run = await waitForRun(stack, definitionId, started.workflowId);
    expect(run.counts).toMatchObject({ plannedMoves: 1, reshardRejected: 1 });
    expect(await keysIn(eu.listId)).toContain('3');
  });

  it('pushes a run to one list only: the other lists, moves and deletions wait for an ordinary run', async () => {
    // Row 3 (now eu, its item still in the EU list after the rejected plan) and new rows in both regions.
    await sql`insert into accounts (id, name, region) values (13, 'account 13', 'us'), (14, 'account 14', 'eu')`;
    await sql`update accounts set name = 'renamed', updated_at = now() where id in (5, 6)`;
    const bad = await stack.api(`/v1/sync-definitions/${definitionId}/runs`, { method: 'POST', json: { targetId: '00000000-0000-4000-8000-000000000000' } });
    expect(bad.status).toBe(422);
    const only = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/runs`, { method: 'POST', json: { targetId: eu.id } }, 202);
    const run = await waitForRun(stack, definitionId, only.workflowId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    // The EU list (us rows now) gets 13 and the rename of 5; 14 and 6 (other list) and the move of 3 wait.
    expect(run.counts).toMatchObject({ created: 1, updated: 1, moved: 0, deleted: 0 });
    expect(run.counts.skippedOtherLists).toBeGreaterThan(0);
    expect(await keysIn(eu.listId)).toEqual(['1', '3', '5', '7', '9', '11', '13']);
    expect(await keysIn(other.listId)).toEqual(['2', '4', '6', '8', '10', '12']);
    // The ordinary run after it does the rest: nothing was lost to the watermark.
    const after = await runPush(stack, definitionId);
    expect(after.counts).toMatchObject({ created: 1, updated: 1, moved: 1 });
    expect(await keysIn(eu.listId)).toEqual(['1', '5', '7', '9', '11', '13']);
    expect(await keysIn(other.listId)).toEqual(['2', '3', '4', '6', '8', '10', '12', '14']);
  });
});
