import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { reconcileAllSchedules } from '@syncbridge/api';
import { operationScheduleId } from '@syncbridge/shared/temporal/ids';
import { apiJson, listItems, provision, registerSourceAndConnection, type RunView } from '../harness/sync.ts';

describe('Temporal Schedules follow the definition', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let client: Client;
  let connection: Connection;
  let definitionId: string;

  const schedule = () => client.schedule.getHandle(operationScheduleId(definitionId, 'push'));
  const patch = (json: Record<string, unknown>) => apiJson(stack, `/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json });

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    connection = await Connection.connect({ address: stack.temporalAddress });
    client = new Client({ connection });
    source = await createTestDatabase('sb_source');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql`create table notes (id integer primary key, body text not null, updated_at timestamptz not null default now())`;
    await sql`insert into notes (id, body) select g, 'note ' || g from generate_series(1, 12) g`;
    const reg = await registerSourceAndConnection(stack, source);
    const def = await apiJson(
      stack,
      '/v1/sync-definitions',
      {
        method: 'POST',
        json: {
          appId: reg.appId,
          name: 'notes',
          sourceInstanceId: reg.instanceId,
          sourceSchema: 'public',
          sourceTable: 'notes',
          keyStrategy: 'pk',
          keyColumns: ['id'],
          cursorStrategy: 'updated_at',
          cursorColumn: 'updated_at',
          scheduleIntervalSeconds: 10,
        },
      },
      201,
    );
    definitionId = def.id;
    await apiJson(
      stack,
      `/v1/sync-definitions/${definitionId}/targets`,
      { method: 'POST', json: { connectionId: reg.connectionId, siteId: reg.siteId, listDisplayName: 'Notes', isDefault: true } },
      201,
    );
    await provision(stack, definitionId);
  });
  afterAll(async () => {
    await connection?.close();
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('creates a paused schedule for a disabled definition, with overlap SKIP', async () => {
    const d = await schedule().describe();
    expect(d.state.paused).toBe(true);
    expect(d.spec.intervals?.[0]?.every).toBe(10_000);
    expect(d.policies.overlap).toBe('SKIP');
    expect(d.action.type).toBe('startWorkflow');
  });

  it('runs on schedule once enabled, and an edit reaches the list without anyone asking', async () => {
    await patch({ enabled: true });
    expect((await schedule().describe()).state.paused).toBe(false);
    const deadline = Date.now() + 60_000;
    let scheduled: RunView | undefined;
    while (!scheduled && Date.now() < deadline) {
      const runs = await apiJson<{ items: Array<RunView & { trigger: string }> }>(stack, `/v1/sync-definitions/${definitionId}/runs`);
      scheduled = runs.items.find((r) => r.trigger === 'schedule' && r.status === 'succeeded');
      if (!scheduled) await new Promise((r) => setTimeout(r, 500));
    }
    expect(scheduled, 'a scheduled run succeeded').toBeDefined();

    await sql`update notes set body = 'edited on a schedule', updated_at = now() where id = 3`;
    const listId = (await apiJson<{ items: Array<{ listId: string }> }>(stack, `/v1/sync-definitions/${definitionId}/targets`)).items[0]!.listId;
    let found = false;
    while (!found && Date.now() < deadline + 30_000) {
      found = (await listItems(stack, listId)).some((i) => i.fields.body === 'edited on a schedule');
      if (!found) await new Promise((r) => setTimeout(r, 500));
    }
    expect(found).toBe(true);
  });

  it('pauses, resumes and fires a schedule through the API, and lists it', async () => {
    const paused = await apiJson<{ paused: boolean; effectivelyPaused: boolean; note: string }>(
      stack,
      `/v1/sync-definitions/${definitionId}/schedules/push/pause`,
      { method: 'POST', json: { note: 'maintenance window' } },
    );
    expect(paused).toMatchObject({ paused: true, effectivelyPaused: true, note: 'maintenance window' });
    expect((await schedule().describe()).state).toMatchObject({ paused: true, note: 'maintenance window' });
    expect((await apiJson(stack, `/v1/sync-definitions/${definitionId}/schedules/push/resume`, { method: 'POST' })).paused).toBe(false);
    expect((await schedule().describe()).state.paused).toBe(false);

    const before = (await apiJson<{ items: RunView[] }>(stack, `/v1/sync-runs?definitionId=${definitionId}&kind=push&limit=200`)).items.length;
    await apiJson(stack, `/v1/sync-definitions/${definitionId}/schedules/push/trigger`, { method: 'POST' }, 202);
    await expectEventually(
      async () => (await apiJson<{ items: RunView[] }>(stack, `/v1/sync-runs?definitionId=${definitionId}&kind=push&limit=200`)).items.length > before,
    );
    const listed = await apiJson<{ items: Array<{ kind: string; intervalSeconds: number; scheduleId: string }> }>(
      stack,
      `/v1/sync-definitions/${definitionId}/schedules`,
    );
    expect(listed.items).toEqual([expect.objectContaining({ kind: 'push', intervalSeconds: 10, scheduleId: operationScheduleId(definitionId, 'push') })]);
    // Operations without schedules are refused with a reason.
    const refused = await stack.api(`/v1/sync-definitions/${definitionId}/schedules/provision`, { method: 'PUT', json: { intervalSeconds: 60 } });
    expect(refused.status).toBe(422);
  });

  it("restores a schedule deleted in Temporal behind the API's back when the API starts", async () => {
    await schedule().delete();
    await expect(schedule().describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    // What the API runs at start (services/api/src/main.ts).
    const result = await reconcileAllSchedules(stack.apiDeps);
    expect(result.applied).toBeGreaterThanOrEqual(1);
    expect((await schedule().describe()).spec.intervals?.[0]?.every).toBe(10_000);
    // A schedule of ours whose definition is gone (and one of 0.1) is removed.
    const orphan = operationScheduleId('00000000-0000-4000-8000-000000000000', 'push');
    await client.schedule.create({
      scheduleId: orphan,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'scheduledOperationWorkflow', taskQueue: stack.taskQueue, args: [] },
      state: { paused: true },
    });
    await client.schedule.create({
      scheduleId: `push-schedule/${definitionId}`,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'pushSyncWorkflow', taskQueue: stack.taskQueue, args: [] },
      state: { paused: true },
    });
    expect((await reconcileAllSchedules(stack.apiDeps)).removed).toBe(2);
    await expect(client.schedule.getHandle(orphan).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  it('refuses an expression Temporal would not take with a 400, saving nothing; a bad row saved before is skipped at start, not fatal', async () => {
    const saved = async () =>
      (
        await apiJson<{ items: Array<{ kind: string; cron: string | null; intervalSeconds: number | null }> }>(
          stack,
          `/v1/sync-definitions/${definitionId}/schedules`,
        )
      ).items.find((i) => i.kind === 'push');
    const before = await saved();
    for (const cron of ['61 * * * *', '* * 32 * *', '*/0 * * * *', '0 0 31 2 *', '@every 1s', '@every 99999999h']) {
      for (const [path, method, json] of [
        [`/v1/sync-definitions/${definitionId}/schedules/push`, 'PUT', { cron }],
        [`/v1/sync-definitions/${definitionId}`, 'PATCH', { scheduleCron: cron }],
      ] as const) {
        const res = await stack.api(path, { method, json });
        expect(res.status, `${method} ${cron}`).toBe(400);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        const body = (await res.json()) as { errors: Array<{ field: string; message: string }> };
        expect(body.errors[0]?.field).toMatch(/cron|scheduleCron/i);
        expect(body.errors[0]?.message).toMatch(/^not a usable schedule: /);
      }
    }
    expect(await saved()).toEqual(before);
    expect((await schedule().describe()).spec.intervals?.[0]?.every).toBe(10_000);

    // Names and ranges Temporal takes are taken (the drift check's schedule, so push keeps its own).
    await apiJson(stack, `/v1/sync-definitions/${definitionId}/schedules/drift_check`, {
      method: 'PUT',
      json: { cron: '*/15 9-17 * * MON-FRI', paused: true },
    });
    const drift = client.schedule.getHandle(operationScheduleId(definitionId, 'drift_check'));
    expect((await drift.describe()).spec.calendars?.length ?? 0).toBeGreaterThan(0);

    // A row an older version saved and Temporal refuses: reconciliation logs and skips it, and still restores the others.
    await stack.store.sql`update operation_schedules set cron = '61 * * * *' where definition_id = ${definitionId} and kind = 'drift_check'`;
    await drift.delete();
    await schedule().delete();
    const result = await reconcileAllSchedules(stack.apiDeps);
    expect(result.applied).toBeGreaterThanOrEqual(1);
    expect((await schedule().describe()).spec.intervals?.[0]?.every).toBe(10_000);
    await expect(drift.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await apiJson(stack, `/v1/sync-definitions/${definitionId}/schedules/drift_check`, { method: 'DELETE' }, 204);
  });

  it('updates the spec on edit, pauses when disabled, and removes the schedule with the definition', async () => {
    await patch({ scheduleIntervalSeconds: null, scheduleCron: '*/5 * * * *' });
    const d = await schedule().describe();
    expect(d.spec.calendars?.length ?? 0).toBeGreaterThan(0);
    expect(d.spec.intervals ?? []).toHaveLength(0);
    await patch({ enabled: false });
    expect((await schedule().describe()).state.paused).toBe(true);
    await patch({ scheduleCron: null });
    await expect(schedule().describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await patch({ scheduleIntervalSeconds: 60 });
    expect((await schedule().describe()).spec.intervals?.[0]?.every).toBe(60_000);
    // A run the earlier 10 s schedule (or the trigger) started may still be going on a slow machine:
    // the API refuses to delete under it with a 409 naming the run, and accepts once it has finished.
    let deleted = await stack.api(`/v1/sync-definitions/${definitionId}`, { method: 'DELETE' });
    for (const deadline = Date.now() + 60_000; deleted.status === 409 && Date.now() < deadline;) {
      expect(((await deleted.json()) as { detail: string }).detail).toMatch(/run/);
      await new Promise((r) => setTimeout(r, 500));
      deleted = await stack.api(`/v1/sync-definitions/${definitionId}`, { method: 'DELETE' });
    }
    expect(deleted.status).toBe(204);
    await expect(schedule().describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });
});

async function expectEventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 300));
  }
}
