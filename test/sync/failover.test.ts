import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import {
  addInstance,
  apiJson,
  defineSync,
  registerSourceAndConnection,
  runPush,
  waitForRun,
  waitForRunState,
  type RunView,
  type SyncSetup,
} from '../harness/sync.ts';

/*
 * The failover runbook (rebind) through the path a user takes (HTTP API -> Temporal ->
 * PostgreSQL -> Graph emulator), with a second PostgreSQL database as the replica: a replica
 * that does not fit is reported and nothing changes; a good one is approved, the definition
 * moves to it, its schedules are paused and resumed, and the catch-up push writes only what
 * changed on the new instance.
 */

const TABLE = `create table items (id integer primary key, name varchar(100) not null, qty integer, updated_at timestamptz not null);`;

describe('failover: a definition moved to another instance of its database', () => {
  let stack: TestStack;
  let primary: TestDatabase;
  let replica: TestDatabase;
  let broken: TestDatabase;
  let a: postgres.Sql;
  let b: postgres.Sql;
  let reg: SyncSetup;
  let definitionId: string;
  let replicaId: string;
  let brokenId: string;

  const addReplica = (db: TestDatabase, name: string) => addInstance(stack, reg.databaseId, db.url, { name });
  const rebind = (options: Record<string, unknown>) =>
    apiJson<{ runId: string; workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/operations/rebind`, { method: 'POST', json: { options } }, 202);
  /** The catch-up run a rebind asked for has ended, so the next writer starts at once. */
  const waitForIdle = async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [row] = await stack.store.sql<Array<{ n: number }>>`
        select count(*)::int as n from sync_runs where definition_id = ${definitionId} and status in ('queued', 'running', 'awaiting_approval')`;
      if (row?.n === 0) return;
      expect(Date.now(), 'runs still active').toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const pinnedTo = async () => (await apiJson<{ sourceInstanceId: string | null }>(stack, `/v1/sync-definitions/${definitionId}`)).sourceInstanceId;

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    primary = await createTestDatabase('sb_failover_a');
    replica = await createTestDatabase('sb_failover_b');
    broken = await createTestDatabase('sb_failover_c');
    a = postgres(primary.url, { max: 2, onnotice: () => {} });
    b = postgres(replica.url, { max: 2, onnotice: () => {} });
    const seed = `insert into items select g, 'item ' || g, g, timestamptz '2026-11-30 08:00:00+00' + g * interval '1 second' from generate_series(1, 10) g;`;
    await a.unsafe(TABLE + seed);
    await b.unsafe(TABLE + seed);
    const c = postgres(broken.url, { max: 1, onnotice: () => {} });
    await c.unsafe(`create table items (id integer primary key, qty integer, updated_at timestamptz not null);`);
    await c.end();
    reg = await registerSourceAndConnection(stack, primary, 'failover');
    replicaId = await addReplica(replica, 'replica');
    brokenId = await addReplica(broken, 'broken');
    ({ definitionId } = await defineSync(stack, reg, { name: 'items', table: 'items', keyStrategy: 'pk', keyColumns: ['id'], cursorColumn: 'updated_at' }));
    expect((await runPush(stack, definitionId)).counts).toMatchObject({ created: 10 });
    await apiJson(stack, `/v1/sync-definitions/${definitionId}/schedules/push`, { method: 'PUT', json: { intervalSeconds: 3600 } });
  });

  afterAll(async () => {
    await a?.end();
    await b?.end();
    await stack?.close();
    for (const db of [primary, replica, broken]) await db?.drop();
  });

  it('refuses options it cannot use, before any run', async () => {
    for (const options of [{}, { toInstanceId: 'nope' }, { toInstanceId: replicaId, cursor: 'sometimes' }]) {
      const res = await stack.api(`/v1/sync-definitions/${definitionId}/operations/rebind`, { method: 'POST', json: { options } });
      expect(res.status, JSON.stringify(options)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('stops with a report and changes nothing when the new instance does not fit', async () => {
    const started = await rebind({ toInstanceId: brokenId, approve: true });
    const run = await waitForRun(stack, definitionId, started.workflowId);
    expect(run.status).toBe('failed');
    expect(JSON.stringify(run.errors)).toContain('name');
    expect(JSON.stringify(run.errors)).toContain('nothing was changed');
    expect(await pinnedTo()).toBe(reg.instanceId);
    const plan = await apiJson<{ summary: { check: { ok: boolean; problems: string[] } } }>(stack, `/v1/sync-runs/${started.runId}/plan`);
    expect(plan.summary.check.ok).toBe(false);
    expect(plan.summary.check.problems.join(' ')).toContain('name');
    // A dry run against a good instance checks and reports only.
    const dry = await rebind({ toInstanceId: replicaId, dryRun: true });
    const dryRun = await waitForRun(stack, definitionId, dry.workflowId);
    expect(dryRun.status, JSON.stringify(dryRun.errors)).toBe('succeeded');
    expect(dryRun.counts).toMatchObject({ checkPassed: 1, dryRun: 1, oldRows: 10, newRows: 10 });
    expect(await pinnedTo()).toBe(reg.instanceId);
  });

  it('moves to a good instance after approval: schedules paused and resumed, the catch-up push writes only what changed there', async () => {
    const started = await rebind({ toInstanceId: replicaId, cursor: 'keep', rewindSeconds: 600 });
    const held = await waitForRunState<RunView & { hold: { kind: string; message: string } | null }>(
      stack,
      started.runId,
      (r) => r.status === 'awaiting_approval',
    );
    expect(held.hold).toMatchObject({ kind: 'rebind' });
    expect(held.hold!.message).toContain('fits');
    // Written on the new instance while the failover waits (the application moved first).
    await b`update items set name = 'changed on the replica', updated_at = now() where id = 4`;
    expect(await pinnedTo()).toBe(reg.instanceId);

    expect((await stack.api(`/v1/sync-runs/${started.runId}/approve-plan`, { method: 'POST' })).status).toBe(202);
    const run = await waitForRun(stack, definitionId, started.workflowId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    expect(run.counts).toMatchObject({ checkPassed: 1, rebound: 1, schedulesPaused: 1, fullPassNext: 0 });
    expect(await pinnedTo()).toBe(replicaId);
    const schedules = await apiJson<{ items: Array<{ kind: string; paused: boolean }> }>(stack, `/v1/sync-definitions/${definitionId}/schedules`);
    expect(schedules.items.find((s) => s.kind === 'push')).toMatchObject({ paused: false });
    const plan = await apiJson<{ status: string; outcome: { cursor: { rule: string; fullPass: boolean } } }>(stack, `/v1/sync-runs/${started.runId}/plan`);
    expect(plan).toMatchObject({ status: 'applied', outcome: { cursor: { rule: 'keep', fullPass: false } } });

    // The catch-up push was asked for by the runbook and starts once it ended.
    type Run = RunView & { createdAt: string; instanceId: string | null };
    const rebindRun = await apiJson<Run>(stack, `/v1/sync-runs/${started.runId}`);
    let catchUp: Run | undefined;
    const deadline = Date.now() + 60_000;
    while (!catchUp) {
      const runs = await apiJson<{ items: Run[] }>(stack, `/v1/sync-runs?definitionId=${definitionId}&kind=push&limit=1`);
      const newest = runs.items[0];
      if (newest && new Date(newest.createdAt) > new Date(rebindRun.createdAt) && ['succeeded', 'failed'].includes(newest.status)) catchUp = newest;
      else {
        expect(Date.now(), 'no catch-up push').toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    expect(catchUp.status, JSON.stringify(catchUp.errors)).toBe('succeeded');
    expect(catchUp.instanceId).toBe(replicaId);
    expect(catchUp.counts).toMatchObject({ created: 0, updated: 1, deleted: 0 });
  });

  it('a two-way definition needs the primary: a replica is refused unless promoted, and promote makes it the primary', async () => {
    // Back to the first instance (the primary), now two-way.
    const back = await rebind({ toInstanceId: reg.instanceId, approve: true });
    expect((await waitForRun(stack, definitionId, back.workflowId)).status).toBe('succeeded');
    await waitForIdle();
    const patched = await stack.api(`/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { direction: 'both' } });
    expect(patched.status, await patched.clone().text()).toBe(200);

    const refused = await rebind({ toInstanceId: replicaId, approve: true });
    const failed = await waitForRun(stack, definitionId, refused.workflowId);
    expect(failed.status).toBe('failed');
    expect(JSON.stringify(failed.errors)).toContain('promote');
    expect(await pinnedTo()).toBe(reg.instanceId);

    const promoted = await rebind({ toInstanceId: replicaId, approve: true, promote: true, cursor: 'full' });
    const run = await waitForRun(stack, definitionId, promoted.workflowId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    expect(run.counts).toMatchObject({ rebound: 1, promoted: 1, fullPassNext: 1 });
    // The definition follows the database's primary, which the replica is now; the old primary steps down.
    expect(await pinnedTo()).toBeNull();
    const roles = await stack.store.sql<Array<{ id: string; role: string }>>`select id, role from database_instances where database_id = ${reg.databaseId}`;
    expect(roles.find((r) => r.id === replicaId)?.role).toBe('primary');
    expect(roles.find((r) => r.id === reg.instanceId)?.role).toBe('replica');
    await waitForIdle();
  });
});
