import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import postgres from 'postgres';
import { changeCaptureWorkflowId, definitionWorkflowId } from '@syncbridge/shared/temporal/ids';
import { pushSyncWorkflow } from '@syncbridge/workflows';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../harness/database.ts';
import { startTestStack, type TestStack } from '../../harness/stack.ts';
import { addInstance, apiJson, defineSync, provision, registerSourceAndConnection, runPush, waitForRun, type SyncSetup } from '../../harness/sync.ts';
import { HISTORIES_DIR } from '../histories.ts';

/*
 * Drives every workflow kind through the scenarios its code has paths for (success,
 * continue-as-new, skip, cancel, failure) and writes each run's history as JSON, named
 * `<tag>--<scenario>--<n>.json.gz`. The tag says which code recorded it (pass RECORD_TAG).
 */

const TAG = process.env.RECORD_TAG ?? 'current';
let stack: TestStack;
let source: TestDatabase;
let sql: postgres.Sql;
let client: Client;
let definitionId: string;
let databaseId: string;
let reg: SyncSetup;

/** Every run of a workflow id, following continue-as-new, oldest first. */
async function saveChain(scenario: string, workflowId: string): Promise<number> {
  const desc = await client.workflow.getHandle(workflowId).describe();
  let runId: string | undefined = desc.raw.workflowExecutionInfo?.firstRunId ?? desc.runId;
  let n = 0;
  while (runId) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    writeFileSync(join(HISTORIES_DIR, `${TAG}--${scenario}--${n}.json.gz`), gzipSync(historyToJSON(history)));
    n++;
    const last = history.events?.at(-1);
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return n;
}

beforeAll(async () => {
  stack = await startTestStack({ worker: true, emulator: true });
  source = await createTestDatabase('sb_record');
  sql = postgres(source.url, { max: 2, onnotice: () => {} });
  await sql`create table items (id bigint primary key, name text not null, region text not null, at timestamptz not null default now())`;
  await sql`insert into items (id, name, region) select g, 'item ' || g, case when g % 2 = 0 then 'eu' else 'us' end from generate_series(1, 60) g`;
  reg = await registerSourceAndConnection(stack, source);
  databaseId = reg.databaseId;
  definitionId = (
    await apiJson(
      stack,
      '/v1/sync-definitions',
      {
        method: 'POST',
        json: {
          appId: reg.appId,
          name: 'items',
          sourceInstanceId: reg.instanceId,
          sourceSchema: 'public',
          sourceTable: 'items',
          keyStrategy: 'pk',
          keyColumns: ['id'],
          cursorStrategy: 'updated_at',
          cursorColumn: 'at',
          batchSize: 20,
        },
      },
      201,
    )
  ).id;
  await apiJson(
    stack,
    `/v1/sync-definitions/${definitionId}/targets`,
    { method: 'POST', json: { connectionId: reg.connectionId, siteId: reg.siteId, listDisplayName: 'Items', isDefault: true } },
    201,
  );
  client = new Client({ connection: await Connection.connect({ address: stack.temporalAddress }) });
});

afterAll(async () => {
  await client?.connection.close();
  await sql?.end();
  await stack?.close();
  await source?.drop();
});

it('records health, provision and push histories', async () => {
  const health = await apiJson<{ workflowId: string }>(stack, '/v1/diagnostics/health-workflow', { method: 'POST' });
  await saveChain('health', health.workflowId);

  const provisioned = await provision(stack, definitionId);
  await saveChain('provision', provisioned.workflowId);

  const first = await runPush(stack, definitionId);
  expect(first.status).toBe('succeeded');
  await saveChain('push-first-load', first.workflowId);

  await sql`update items set name = name || ' (renamed)', at = now() where id <= 5`;
  await sql`delete from items where id between 50 and 52`;
  const incremental = await runPush(stack, definitionId);
  expect(incremental.counts).toMatchObject({ updated: 5, deleted: 3 });
  await saveChain('push-incremental', incremental.workflowId);

  if (!['v0.1', 'v0.2', 'v0.3'].includes(TAG)) {
    // 0.4 on: a drift check (read-only), with one item the table no longer has.
    await sql`delete from items where id = 60`;
    const check = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/operations/drift_check`, { method: 'POST' }, 202);
    const checked = await waitForRun(stack, definitionId, check.workflowId);
    expect(checked.status, JSON.stringify(checked.errors)).toBe('succeeded');
    expect(checked.counts).toMatchObject({ orphanItems: 1 });
    await saveChain('drift-check', check.workflowId);
  }

  if (!['v0.1', 'v0.2', 'v0.3', 'v0.4'].includes(TAG)) {
    // 0.5 on: a ledger rebuild, as a dry run and for real, after the ledger was lost.
    await stack.store.sql`delete from sync_ledger where definition_id = ${definitionId}`;
    for (const [scenario, options] of [
      ['ledger-rebuild-dry-run', { dryRun: true }],
      ['ledger-rebuild', {}],
    ] as const) {
      const started = await apiJson<{ workflowId: string }>(
        stack,
        `/v1/sync-definitions/${definitionId}/operations/ledger_rebuild`,
        { method: 'POST', json: { options } },
        202,
      );
      const rebuilt = await waitForRun(stack, definitionId, started.workflowId);
      expect(rebuilt.status, JSON.stringify(rebuilt.errors)).toBe('succeeded');
      expect(rebuilt.counts.entries).toBeGreaterThan(0);
      await saveChain(scenario, started.workflowId);
    }
    // A drift repair: one item deleted in the list behind the ledger's back; a dry run, then one approved.
    const targets = await apiJson<{ items: Array<{ listId: string }> }>(stack, `/v1/sync-definitions/${definitionId}/targets`);
    const listId = targets.items[0]!.listId;
    const listed = (await (await fetch(`${stack.emulator!.adminUrl}/lists/${encodeURIComponent(listId)}/items`)).json()) as { value: Array<{ id: string }> };
    await fetch(`${stack.emulator!.adminUrl}/lists/${encodeURIComponent(listId)}/items/${listed.value[0]!.id}`, { method: 'DELETE' });
    const dry = await apiJson<{ workflowId: string }>(
      stack,
      `/v1/sync-definitions/${definitionId}/operations/drift_repair`,
      { method: 'POST', json: { options: { dryRun: true } } },
      202,
    );
    expect((await waitForRun(stack, definitionId, dry.workflowId)).status).toBe('succeeded');
    await saveChain('drift-repair-dry-run', dry.workflowId);
    const repair = await apiJson<{ runId: string; workflowId: string }>(
      stack,
      `/v1/sync-definitions/${definitionId}/operations/drift_repair`,
      { method: 'POST' },
      202,
    );
    await waitForStatus(repair.workflowId, 'awaiting_approval');
    await apiJson(stack, `/v1/sync-runs/${repair.runId}/approve-plan`, { method: 'POST' }, 202);
    const repaired = await waitForRun(stack, definitionId, repair.workflowId);
    expect(repaired.status, JSON.stringify(repaired.errors)).toBe('succeeded');
    expect(repaired.counts.repaired).toBeGreaterThan(0);
    await saveChain('drift-repair', repair.workflowId);
    // A reshard of a one-list definition: planned, nothing to move.
    const reshard = await apiJson<{ workflowId: string }>(
      stack,
      `/v1/sync-definitions/${definitionId}/operations/reshard`,
      { method: 'POST', json: { options: { approve: true } } },
      202,
    );
    expect((await waitForRun(stack, definitionId, reshard.workflowId)).status).toBe('succeeded');
    await saveChain('reshard-nothing-to-move', reshard.workflowId);
  }

  if (TAG !== 'v0.1' && TAG !== 'v0.2') {
    // 0.3 on: ingress, one edit made in the list read back into the table.
    await apiJson(stack, `/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { direction: 'both' } });
    const targets = await apiJson<{ items: Array<{ listId: string }> }>(stack, `/v1/sync-definitions/${definitionId}/targets`);
    const listId = targets.items[0]!.listId;
    const firstIngress = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/operations/ingress`, { method: 'POST' }, 202);
    await waitForRun(stack, definitionId, firstIngress.workflowId);
    const items = (await (await fetch(`${stack.emulator!.adminUrl}/lists/${encodeURIComponent(listId)}/items`)).json()) as {
      value: Array<{ id: string; fields: Record<string, unknown> }>;
    };
    const item = items.value.find((i) => i.fields.SyncBridgeKey === '7')!;
    const mappings = await apiJson<{ items: Array<{ sourceColumn: string; targetColumn: string }> }>(
      stack,
      `/v1/sync-definitions/${definitionId}/field-mappings?limit=100`,
    );
    const nameColumn = mappings.items.find((m) => m.sourceColumn === 'name')!.targetColumn;
    await fetch(`${stack.emulator!.adminUrl}/lists/${encodeURIComponent(listId)}/items/${item.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fields: { [nameColumn]: 'edited in the list' } }),
    });
    const ingress = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/operations/ingress`, { method: 'POST' }, 202);
    const ingressed = await waitForRun(stack, definitionId, ingress.workflowId);
    expect(ingressed.counts).toMatchObject({ updated: 1 });
    await saveChain('ingress', ingress.workflowId);
    // A push of a two-way definition: one cycle, the list read back first.
    await fetch(`${stack.emulator!.adminUrl}/lists/${encodeURIComponent(listId)}/items/${item.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fields: { [nameColumn]: 'edited again in the list' } }),
    });
    await sql`update items set name = 'edited in the table', at = now() where id = 8`;
    const cycle = await runPush(stack, definitionId);
    expect(cycle.counts).toMatchObject({ ingressUpdated: 1 });
    await saveChain('push-two-way', cycle.workflowId);
    await apiJson(stack, `/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { direction: 'push' } });
  }

  const full = await runPush(stack, definitionId, { fullResync: true });
  expect(full.status).toBe('succeeded');
  await saveChain('push-full', full.workflowId);

  // One row per batch, past the batches a run takes before it continues as new.
  await stack.store.sql`update sync_definitions set batch_size = 1 where id = ${definitionId}`;
  await sql`insert into items (id, name, region) select g, 'more ' || g, 'eu' from generate_series(1000, 1104) g`;
  const long = await runPush(stack, definitionId);
  expect(long.status).toBe('succeeded');
  expect(await saveChain('push-continue-as-new', long.workflowId)).toBeGreaterThan(1);
  await stack.store.sql`update sync_definitions set batch_size = 20 where id = ${definitionId}`;

  // A run that is cancelled while it writes, and one skipped because the first holds the lease.
  await fetch(`${stack.emulator!.adminUrl}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ latencyMs: 400 }),
  });
  await sql`update items set name = name || '!', at = now()`;
  const slow = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/runs`, { method: 'POST' }, 202);
  await waitForRunning(slow.workflowId);
  // Started outside the coordinator (as a 0.1 schedule would): 0.1 skipped it (lease held), 0.2 hands it to the coordinator.
  const second = await client.workflow.start(pushSyncWorkflow, {
    taskQueue: stack.taskQueue,
    workflowId: `push/${definitionId}/record-skip`,
    args: [{ definitionId, context: { requestId: 'record-skip', requestedBy: 'recorder' }, trigger: 'schedule' }],
  });
  expect(['skipped', 'forwarded']).toContain((await second.result()).status);
  await saveChain(TAG === 'v0.1' ? 'push-skipped' : 'push-forwarded', second.workflowId);
  await client.workflow.getHandle(slow.workflowId).cancel();
  const cancelled = await waitForRun(stack, definitionId, slow.workflowId);
  expect(cancelled.status).toBe('cancelled');
  await saveChain('push-cancelled', slow.workflowId);

  await waitForIdle();
  // A run that fails inside its batches: a mapped column disappears mid-run.
  await fetch(`${stack.emulator!.adminUrl}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ latencyMs: 300 }),
  });
  await sql`update items set name = name || '?', at = now()`;
  const doomed = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/runs`, { method: 'POST' }, 202);
  await waitForRunning(doomed.workflowId);
  await sql`alter table items drop column region`;
  const failed = await waitForRun(stack, definitionId, doomed.workflowId);
  expect(failed.status).toBe('failed');
  await saveChain('push-failed', doomed.workflowId);
  await fetch(`${stack.emulator!.adminUrl}/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
  await sql`alter table items add column region text not null default 'eu'`;

  // The mass-delete guard (0.2 on): held, then approved; held, then rejected; held, then released by new limits.
  await sql`insert into items (id, name) select g, 'bulk ' || g from generate_series(2000, 2099) g`;
  const loaded = await runPush(stack, definitionId, { fullResync: true });
  expect(loaded.status, JSON.stringify(loaded.errors)).toBe('succeeded');
  for (const [scenario, range, decide] of [
    ['push-guard-approved', [2000, 2039], 'approve'],
    ['push-guard-rejected', [2040, 2079], 'reject'],
    ['push-guard-limits-raised', [2040, 2079], 'raise'],
  ] as const) {
    await sql`delete from items where id between ${range[0]} and ${range[1]}`;
    const started = await apiJson<{ runId: string; workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/runs`, { method: 'POST' }, 202);
    await waitForStatus(started.workflowId, 'awaiting_approval');
    if (decide === 'raise')
      await apiJson(stack, `/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { deleteGuardMaxPercent: 100, deleteGuardMaxItems: null } });
    else await apiJson(stack, `/v1/sync-runs/${started.runId}/${decide}-deletions`, { method: 'POST' }, 202);
    expect((await waitForRun(stack, definitionId, started.workflowId)).status).toBe('succeeded');
    await saveChain(scenario, started.workflowId);
  }
  await apiJson(stack, `/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { deleteGuardMaxPercent: 10, deleteGuardMaxItems: 500 } });

  // Cancelled while held.
  await sql`delete from items where id between 1000 and 1050`;
  const held = await apiJson<{ runId: string; workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/runs`, { method: 'POST' }, 202);
  await waitForStatus(held.workflowId, 'awaiting_approval');
  await apiJson(stack, `/v1/sync-runs/${held.runId}/cancel`, { method: 'POST' }, 202);
  expect((await waitForRun(stack, definitionId, held.workflowId)).status).toBe('cancelled');
  await saveChain('push-guard-cancelled', held.workflowId);
  // Its deletions are still pending: let the next runs make them without asking.
  await apiJson(stack, `/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { deleteGuardMaxPercent: null, deleteGuardMaxItems: null } });

  // 0.2 on: a schedule's trigger, a push started outside the coordinator (forwarded), and the coordinator itself.
  await apiJson(stack, `/v1/sync-definitions/${definitionId}/schedules/push`, { method: 'PUT', json: { intervalSeconds: 3600, paused: true } });
  await apiJson(stack, `/v1/sync-definitions/${definitionId}/schedules/push/trigger`, { method: 'POST' }, 202);
  const trigger = await waitForWorkflow(`WorkflowType = 'scheduledOperationWorkflow'`);
  await client.workflow.getHandle(trigger).result();
  await saveChain('scheduled-trigger', trigger);
  if (!['v0.1', 'v0.2', 'v0.3', 'v0.4'].includes(TAG)) {
    // A rebind (failover runbook) to a second instance of the same database, approved with the request.
    const secondId = await addInstance(stack, databaseId, source.url, { name: 'replica' });
    const rebind = await apiJson<{ workflowId: string }>(
      stack,
      `/v1/sync-definitions/${definitionId}/operations/rebind`,
      { method: 'POST', json: { options: { toInstanceId: secondId, approve: true } } },
      202,
    );
    const rebound = await waitForRun(stack, definitionId, rebind.workflowId);
    expect(rebound.status, JSON.stringify(rebound.errors)).toBe('succeeded');
    await saveChain('rebind', rebind.workflowId);
    await waitForIdle();
  }
  await waitForIdle();
  await saveChain('definition-coordinator', definitionWorkflowId(definitionId));
});

it('records a change-capture watcher and the push runs it asks for (0.7 on)', async () => {
  if (['v0.1', 'v0.2', 'v0.3', 'v0.4', 'v0.5', 'v0.6'].includes(TAG)) return;
  await sql`create table orders (id bigint primary key, note text not null)`;
  await sql`insert into orders select g, 'order ' || g from generate_series(1, 10) g`;
  const { definitionId: logicalId } = await defineSync(stack, reg, {
    name: 'orders',
    table: 'orders',
    keyStrategy: 'pk',
    keyColumns: ['id'],
    cursorStrategy: 'logical_replication',
  });
  expect((await runPush(stack, logicalId)).status).toBe('succeeded');
  await apiJson(stack, `/v1/sync-definitions/${logicalId}`, { method: 'PATCH', json: { enabled: true } }, 200);
  await sql`update orders set note = 'changed' where id <= 3`;
  await sql`delete from orders where id = 10`;
  let changeRun: { workflow_id: string } | undefined;
  for (let i = 0; i < 300 && !changeRun; i++) {
    [changeRun] = await stack.store.sql<Array<{ workflow_id: string }>>`
      select workflow_id from sync_runs where definition_id = ${logicalId} and trigger = 'change' and status = 'succeeded' and (counts->>'deleted')::int = 1`;
    if (!changeRun) await new Promise((r) => setTimeout(r, 100));
  }
  expect(changeRun).toBeDefined();
  await saveChain('push-logical', changeRun!.workflow_id);
  // Turned off, the watcher ends by itself.
  await apiJson(stack, `/v1/sync-definitions/${logicalId}`, { method: 'PATCH', json: { enabled: false } }, 200);
  await client.workflow.getHandle(changeCaptureWorkflowId(logicalId)).result();
  await saveChain('change-capture', changeCaptureWorkflowId(logicalId));
  await stack.api(`/v1/sync-definitions/${logicalId}`, { method: 'DELETE' });
});

async function waitForWorkflow(query: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    for await (const w of client.workflow.list({ query })) return w.workflowId;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no workflow for ${query}`);
}

/** Every run of the definition has ended, so the coordinator's history holds complete operations. */
async function waitForIdle() {
  for (let i = 0; i < 300; i++) {
    const [row] = await stack.store.sql<
      Array<{ n: number }>
    >`select count(*)::int as n from sync_runs where definition_id = ${definitionId} and status in ('queued', 'running', 'awaiting_approval')`;
    if (row?.n === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('runs still active');
}

async function waitForStatus(workflowId: string, status: string) {
  for (let i = 0; i < 300; i++) {
    const [row] = await stack.store.sql<Array<{ status: string }>>`select status from sync_runs where workflow_id = ${workflowId}`;
    if (row?.status === status) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${workflowId} did not reach ${status}`);
}

async function waitForRunning(workflowId: string) {
  for (let i = 0; i < 200; i++) {
    const [row] = await stack.store.sql<
      Array<{ status: string; counts: Record<string, number> }>
    >`select status, counts from sync_runs where workflow_id = ${workflowId}`;
    if (row?.status === 'running' && (row.counts.read ?? 0) > 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${workflowId} did not start writing`);
}
