import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { definitionWorkflowId } from '@syncbridge/shared/temporal/ids';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/temporal-server.ts';
import { workflowBundle, type TestStack } from '../harness/stack.ts';
import { startSyncFixture, type SyncFixture } from '../harness/sync-fixture.ts';
import { apiJson, defineSync, listItems, waitForRun, waitForRunState } from '../harness/sync.ts';

/*
 * Issue 7: one operation model. Every operation of a definition goes through its coordinator
 * workflow: two "run now" give one writer, a writer asked for while another runs waits its
 * turn, what a run reads cannot change under it, and each run resolves and records its
 * source instance (pinned, or primary first and healthy).
 */

interface Ticket {
  runId: string;
  workflowId: string;
  state: 'started' | 'queued' | 'joined';
  reason: string | null;
}
interface Run {
  id: string;
  kind: string;
  status: string;
  instanceId: string | null;
  counts: Record<string, number>;
  errors: Array<{ message: string }>;
  options: Record<string, unknown>;
}

describe('operations of a definition (HTTP API -> coordinator workflow -> operations)', () => {
  let fx: SyncFixture;
  let stack: TestStack;
  let client: Client;

  const setLatency = (latencyMs: number) =>
    fetch(`${stack.emulator!.adminUrl}/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs }) });
  const ask = (definitionId: string, path: 'runs' | 'provision', json?: unknown) =>
    apiJson<Ticket>(stack, `/v1/sync-definitions/${definitionId}/${path}`, { method: 'POST', ...(json ? { json } : {}) }, 202);

  beforeAll(async () => {
    fx = await startSyncFixture(
      'sb_ops',
      `
      create table task (id integer primary key, title text not null, owner text not null default 'ann', updated_at timestamptz not null default now());
      insert into task (id, title) select g, 'task ' || g from generate_series(1, 240) g;`,
    );
    ({ stack } = fx);
    client = new Client({ connection: await Connection.connect({ address: stack.temporalAddress }) });
  });
  afterAll(async () => {
    await client?.connection.close();
    await fx?.close();
  });

  it('runs one writer at a time, refuses edits of what it reads, queues the next writer, and drops a cancelled queued one', async () => {
    const { definitionId, listId } = await defineSync(stack, fx.reg, {
      name: 'tasks',
      table: 'task',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorColumn: 'updated_at',
      batchSize: 20,
    });
    const mappings = await apiJson<{ items: Array<{ id: string; sourceColumn: string; targetColumn: string }> }>(
      stack,
      `/v1/sync-definitions/${definitionId}/field-mappings`,
    );
    const title = mappings.items.find((m) => m.sourceColumn === 'title')!;
    await setLatency(150);
    try {
      const first = await ask(definitionId, 'runs');
      expect(first.state).toBe('started');
      await waitForRunState<Run>(stack, first.runId, (r) => r.status === 'running' && (r.counts.read ?? 0) > 0);
      // During a run: one follow-up is queued (it sees changes made from now on), further requests join it.
      const second = await ask(definitionId, 'runs');
      const third = await ask(definitionId, 'runs');
      expect(second).toMatchObject({ state: 'queued' });
      expect(second.reason).toContain(first.runId);
      expect(third).toMatchObject({ runId: second.runId, state: 'joined' });

      // What the run reads may not change under it: 409 naming the run. Operational settings may.
      const edit = await stack.api(`/v1/sync-definitions/${definitionId}/field-mappings/${title.id}`, {
        method: 'PATCH',
        json: { transforms: [{ op: 'upper' }] },
      });
      expect(edit.status).toBe(409);
      expect(((await edit.json()) as { detail: string }).detail).toContain(first.runId);
      const replace = await stack.api(`/v1/sync-definitions/${definitionId}/field-mappings`, { method: 'PUT', json: { mappings: [] } });
      expect(replace.status).toBe(409);
      expect(
        (
          await stack.api(`/v1/sync-definitions/${definitionId}/targets`, {
            method: 'POST',
            json: { connectionId: fx.reg.connectionId, siteId: fx.reg.siteId, listDisplayName: 'More', routingRule: null },
          })
        ).status,
      ).toBe(409);
      expect((await stack.api(`/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { keyStrategy: 'unique', keyColumns: ['id'] } })).status).toBe(
        409,
      );
      await apiJson(stack, `/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { batchSize: 20, enabled: false } });

      // Another writer waits its turn; cancelled while it waits, it never starts.
      const provisionA = await ask(definitionId, 'provision');
      expect(provisionA.state).toBe('queued');
      // It waits for the writer directly ahead of it: the queued follow-up push.
      expect(provisionA.reason).toContain(second.runId);
      const active = await apiJson<{ items: Run[] }>(stack, `/v1/sync-definitions/${definitionId}/operations`);
      expect(active.items.map((r) => [r.kind, r.status])).toEqual([
        ['push', 'running'],
        ['push', 'queued'],
        ['provision', 'queued'],
      ]);
      await apiJson(stack, `/v1/sync-runs/${provisionA.runId}/cancel`, { method: 'POST' }, 202);
      expect((await apiJson<Run>(stack, `/v1/sync-runs/${provisionA.runId}`)).status).toBe('cancelled');
      const provisionB = await ask(definitionId, 'provision');
      expect(provisionB.state).toBe('queued');

      const pushed = await waitForRun(stack, definitionId, first.workflowId);
      expect(pushed.status).toBe('succeeded');
      expect((await waitForRun(stack, definitionId, second.workflowId)).status).toBe('succeeded');
      // The queued writer starts once the first ends; the cancelled one never did.
      expect((await waitForRunState<Run>(stack, provisionB.runId, (r) => r.status === 'succeeded', 60_000)).kind).toBe('provision');
      await expect(client.workflow.getHandle(provisionA.workflowId).describe()).rejects.toThrow();
    } finally {
      await setLatency(0);
    }
    // The run wrote with the mapping it began with.
    const items = await listItems(stack, listId);
    expect(items).toHaveLength(240);
    expect(items.every((i) => /^task \d+$/.test(String(i.fields[title.targetColumn])))).toBe(true);
    // Idle again: the edit goes through.
    await apiJson(stack, `/v1/sync-definitions/${definitionId}/field-mappings/${title.id}`, { method: 'PATCH', json: { transforms: [{ op: 'upper' }] } });

    // The coordinator's history replays on the current workflow code.
    const history = await client.workflow.getHandle(definitionWorkflowId(definitionId)).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), replayName: 'coordinator' }, history);
    // Every kind of run is listed in one place, filtered.
    const provisions = await apiJson<{ items: Run[] }>(stack, `/v1/sync-runs?definitionId=${definitionId}&kind=provision&limit=10`);
    expect(provisions.items.map((r) => r.status).sort()).toEqual(['cancelled', 'succeeded', 'succeeded']);
  });

  it('resolves the source instance each run: pinned, or primary first and healthy; records it; a new instance means a full pass', async () => {
    const u = new URL(fx.source.url);
    const params = {
      host: u.hostname,
      port: Number(u.port || 5432),
      databaseName: fx.source.name,
      username: decodeURIComponent(u.username) || 'postgres',
      password: 'unused-with-trust-auth',
      sslMode: 'disable',
    };
    const replica = await apiJson(
      stack,
      '/v1/database-instances',
      { method: 'POST', json: { databaseId: fx.reg.databaseId, name: 'replica', ...params, role: 'replica', priority: 10 } },
      201,
    );
    const unpinned = await defineSync(stack, fx.reg, {
      name: 'tasks-any',
      table: 'task',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorColumn: 'updated_at',
      databaseId: fx.reg.databaseId,
      sourceInstanceId: null,
      listName: 'Tasks any',
    });
    const pinned = await defineSync(stack, fx.reg, {
      name: 'tasks-pinned',
      table: 'task',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorColumn: 'updated_at',
      sourceInstanceId: replica.id,
      listName: 'Tasks pinned',
    });
    const def = await apiJson<{ databaseId: string; sourceInstanceId: string | null }>(stack, `/v1/sync-definitions/${pinned.definitionId}`);
    expect(def).toMatchObject({ databaseId: fx.reg.databaseId, sourceInstanceId: replica.id });

    const run = async (definitionId: string) => {
      const t = await ask(definitionId, 'runs');
      await waitForRun(stack, definitionId, t.workflowId);
      return apiJson<Run>(stack, `/v1/sync-runs/${t.runId}`);
    };
    expect((await run(unpinned.definitionId)).instanceId).toBe(fx.reg.instanceId);
    expect((await run(pinned.definitionId)).instanceId).toBe(replica.id);

    // The primary fails its health check: the unpinned definition moves to the replica, with a full pass.
    await apiJson(stack, `/v1/database-instances/${fx.reg.instanceId}`, {
      method: 'PATCH',
      json: { port: await freePort(), password: 'unused-with-trust-auth' },
    });
    const tested = await apiJson<{ ok: boolean }>(stack, `/v1/database-instances/${fx.reg.instanceId}/test`, { method: 'POST' });
    expect(tested.ok).toBe(false);
    const moved = await run(unpinned.definitionId);
    expect(moved).toMatchObject({ status: 'succeeded', instanceId: replica.id });
    expect(moved.counts).toMatchObject({ read: 240, created: 0, updated: 0, deleted: 0 });
    // Pinned stays pinned.
    expect((await run(pinned.definitionId)).instanceId).toBe(replica.id);
  });
});
