import { Client, Connection } from '@temporalio/client';
import type postgres from 'postgres';
import { pushProgressQuery } from '@syncbridge/workflows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestStack } from '../harness/stack.ts';
import { startSyncFixture, type SyncFixture } from '../harness/sync-fixture.ts';
import { apiJson, defineSync, listItems, waitForRun, waitForRunState } from '../harness/sync.ts';

/*
 * Issue 14: accidental-delete prevention. A run that would delete more than the guard allows
 * (default: 500 items or 10% of a list, whichever is smaller) deletes nothing, says so in the
 * run, the API and the Temporal Web UI, and waits for a person: approve, reject, or raise the limit.
 */

interface HeldRun {
  id: string;
  status: string;
  workflowId: string;
  counts: Record<string, number>;
  progress: { phase: string; waitingFor: string | null };
  hold: { deletions: number; lists: Array<{ deletions: number; items: number; limit: number }>; sampleKeys: unknown[]; decided?: { decision: string } } | null;
}

describe('mass-delete guard (HTTP API -> Temporal -> PostgreSQL -> Graph emulator)', () => {
  let fx: SyncFixture;
  let stack: TestStack;
  let sql: postgres.Sql;
  let client: Client;
  let definitionId: string;
  let listId: string;

  const startRun = () => apiJson<{ runId: string; workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/runs`, { method: 'POST' }, 202);

  beforeAll(async () => {
    fx = await startSyncFixture(
      'sb_guard',
      `
      create table ticket (id integer primary key, subject text not null, updated_at timestamptz not null default now());
      insert into ticket (id, subject) select g, 'ticket ' || g from generate_series(1, 1000) g;`,
    );
    ({ stack, sql } = fx);
    ({ definitionId, listId } = await defineSync(stack, fx.reg, {
      name: 'tickets',
      table: 'ticket',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorColumn: 'updated_at',
      batchSize: 500,
    }));
    const first = await startRun();
    expect((await waitForRun(stack, definitionId, first.workflowId)).counts).toMatchObject({ created: 1000 });
    client = new Client({ connection: await Connection.connect({ address: stack.temporalAddress }) });
  });
  afterAll(async () => {
    await client?.connection.close();
    await fx?.close();
  });

  it('holds a run that would delete 600 of 1,000 items, deletes nothing, and proceeds after approval', async () => {
    await sql`delete from ticket where id <= 600`;
    const started = await startRun();
    const held = await waitForRunState<HeldRun>(stack, started.runId, (r) => r.status === 'awaiting_approval');
    expect(held.hold).toMatchObject({ deletions: 600, lists: [{ deletions: 600, items: 1000, limit: 100 }] });
    expect(held.hold!.sampleKeys).toHaveLength(20);
    expect(held.progress.phase).toBe('awaiting-approval');
    expect(held.progress.waitingFor).toMatch(/600 item\(s\).*approve-deletions/);
    expect(await listItems(stack, listId)).toHaveLength(1000);

    // Visible in Temporal too: the workflow's current details and its progress query.
    const handle = client.workflow.getHandle(held.workflowId);
    expect((await handle.query(pushProgressQuery)).phase).toBe('awaiting-approval');
    // The Web UI shows a workflow's current details from this built-in query.
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toMatch(/^Mass-delete guard: this run would delete 600 item\(s\)/);

    // Another "run now" starts no second writer: it waits for the held run.
    const again = await apiJson<{ runId: string; workflowId: string; state: string; reason: string }>(
      stack,
      `/v1/sync-definitions/${definitionId}/runs`,
      { method: 'POST' },
      202,
    );
    expect(again.state).toBe('queued');
    expect(again.reason).toContain(held.id);

    await apiJson(stack, `/v1/sync-runs/${held.id}/approve-deletions`, { method: 'POST' }, 202);
    const done = await waitForRun(stack, definitionId, started.workflowId);
    expect(done.status).toBe('succeeded');
    expect(done.counts).toMatchObject({ deleted: 600 });
    expect(await listItems(stack, listId)).toHaveLength(400);
    const view = await apiJson<HeldRun>(stack, `/v1/sync-runs/${held.id}`);
    expect(view.hold!.decided).toMatchObject({ decision: 'approved' });
    // The queued run starts after it, finds nothing more to delete.
    expect((await waitForRun(stack, definitionId, again.workflowId)).counts.deleted).toBe(0);
  });

  it('keeps every item when the held deletions are rejected', async () => {
    await sql`delete from ticket where id <= 900`;
    const started = await startRun();
    const held = await waitForRunState<HeldRun>(stack, started.runId, (r) => r.status === 'awaiting_approval');
    expect(held.hold).toMatchObject({ deletions: 300, lists: [{ items: 400, limit: 40 }] });
    await apiJson(stack, `/v1/sync-runs/${held.id}/reject-deletions`, { method: 'POST' }, 202);
    const done = await waitForRun(stack, definitionId, started.workflowId);
    expect(done.status).toBe('succeeded');
    expect(done.counts.deleted).toBe(0);
    expect(await listItems(stack, listId)).toHaveLength(400);
    // Deciding twice, or on a run that is not held, is a conflict.
    expect((await stack.api(`/v1/sync-runs/${held.id}/approve-deletions`, { method: 'POST' })).status).toBe(409);
  });

  it("lets a held run go on when the definition's limits are raised", async () => {
    const started = await startRun();
    const held = await waitForRunState<HeldRun>(stack, started.runId, (r) => r.status === 'awaiting_approval');
    expect(held.hold!.deletions).toBe(300);
    await apiJson(stack, `/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { deleteGuardMaxItems: null, deleteGuardMaxPercent: 80 } });
    const done = await waitForRun(stack, definitionId, started.workflowId);
    expect(done.status).toBe('succeeded');
    expect(done.counts.deleted).toBe(300);
    expect(await listItems(stack, listId)).toHaveLength(100);
  });

  it('deletes within the limits without asking, and refuses invalid limits', async () => {
    await sql`delete from ticket where id > 990`;
    const started = await startRun();
    const done = await waitForRun(stack, definitionId, started.workflowId);
    expect(done.counts.deleted).toBe(10);
    const bad = await stack.api(`/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { deleteGuardMaxPercent: 101 } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
  });
});
