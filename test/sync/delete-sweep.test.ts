import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson, defineSync, listItems, registerSourceAndConnection, runPush, type SyncSetup } from '../harness/sync.ts';

/*
 * Incremental runs whose cost does not grow with the table (issue "Scale"): the delete sweep over the
 * whole ledger runs on its own cadence (deleteSweep every_run | interval | off; a full pass always
 * sweeps), and rows marked in the soft-delete column are removed by the run that reads them. Through
 * the API, real Temporal, PostgreSQL and the emulator.
 */

describe('delete detection cadence', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let reg: SyncSetup;
  let definitionId: string;
  let listId: string;

  const keysInList = async () => new Set((await listItems(stack, listId)).map((i) => i.fields.SyncBridgeKey as string));
  const patch = (json: Record<string, unknown>, expected = 200) =>
    stack.api(`/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json }).then(async (r) => {
      expect(r.status, await r.clone().text()).toBe(expected);
      return (await r.json()) as Record<string, unknown>;
    });

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    source = await createTestDatabase('sb_source');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql`create table items (id integer primary key, name text not null, deleted boolean not null default false, updated_at timestamptz not null default now())`;
    await sql`insert into items (id, name) select g, 'item ' || g from generate_series(1, 40) g`;
    reg = await registerSourceAndConnection(stack, source);
    ({ definitionId, listId } = await defineSync(stack, reg, {
      name: 'items',
      table: 'items',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorColumn: 'updated_at',
      ingressDeletePolicy: 'soft_delete',
      softDeleteColumn: 'deleted',
      deleteSweep: 'interval',
      deleteSweepIntervalSeconds: 3_600,
    }));
  });

  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  it('sweeps at most once per interval; soft-deleted rows go at once; a full pass sweeps', async () => {
    const first = await runPush(stack, definitionId);
    expect(first.status).toBe('succeeded');
    expect(first.counts.created).toBe(40);
    const before = await keysInList();
    expect(before.size).toBe(40);

    // One row deleted outright, one marked deleted.
    await sql`delete from items where id = 1`;
    await sql`update items set deleted = true, updated_at = now() where id = 2`;
    const second = await runPush(stack, definitionId);
    expect(second.status).toBe('succeeded');
    // The marked row's item goes in this run (it was read as changed); the hard delete waits for the next sweep.
    expect(second.counts.deleted).toBe(1);
    const afterSecond = await keysInList();
    expect(afterSecond.size).toBe(39);
    const [gone] = [...before].filter((k) => !afterSecond.has(k));
    expect(gone).toMatch(/2/);

    // A full pass always sweeps: the hard-deleted row's item goes too.
    const full = await runPush(stack, definitionId, { fullResync: true });
    expect(full.status).toBe('succeeded');
    expect(full.counts.deleted).toBe(1);
    expect((await keysInList()).size).toBe(38);
  });

  it('every_run sweeps each run; off never does', async () => {
    // Leaving interval drops the interval.
    expect(await patch({ deleteSweep: 'every_run' })).toMatchObject({ deleteSweep: 'every_run', deleteSweepIntervalSeconds: null });
    await sql`delete from items where id = 3`;
    const swept = await runPush(stack, definitionId);
    expect(swept.counts.deleted).toBe(1);
    expect((await keysInList()).size).toBe(37);

    await patch({ deleteSweep: 'off' });
    await sql`delete from items where id = 4`;
    const notSwept = await runPush(stack, definitionId);
    expect(notSwept.status).toBe('succeeded');
    expect(notSwept.counts.deleted ?? 0).toBe(0);
    expect((await keysInList()).size).toBe(37);
  });

  it('refuses settings that do not fit together with a problem naming the field', async () => {
    const noInterval = await stack.api(`/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { deleteSweep: 'interval' } });
    expect(noInterval.status).toBe(400);
    expect(noInterval.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await noInterval.text()).toMatch(/deleteSweepIntervalSeconds/);
    const stray = await stack.api(`/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { deleteSweepIntervalSeconds: 600 } });
    expect(stray.status).toBe(400);
    expect(await stray.text()).toMatch(/only used with deleteSweep interval/);
    for (const json of [
      { deleteSweepIntervalSeconds: 5, deleteSweep: 'interval' },
      { budgetWeight: 0 },
      { budgetWeight: 1000 },
      { deleteSweep: 'sometimes' },
    ]) {
      const res = await stack.api(`/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json });
      expect(res.status, JSON.stringify(json)).toBe(400);
    }
    for (const json of [{ bulkShare: 0 }, { bulkShare: 1.5 }, { ruPerDay: 5 }, { ruPerDay: 'lots' }]) {
      const res = await stack.api(`/v1/sharepoint-connections/${reg.connectionId}`, { method: 'PATCH', json });
      expect(res.status, JSON.stringify(json)).toBe(400);
    }
    const ok = await apiJson(stack, `/v1/sharepoint-connections/${reg.connectionId}`, { method: 'PATCH', json: { ruPerDay: 1_200_000, bulkShare: 0.25 } });
    expect(ok).toMatchObject({ ruPerDay: 1_200_000, bulkShare: 0.25 });
    expect((await stack.api(`/v1/sharepoint-connections/${randomUUID()}/budget`)).status).toBe(404);
    const budget = await apiJson(stack, `/v1/sharepoint-connections/${reg.connectionId}/budget`);
    expect(budget).toMatchObject({ ruPerDay: 1_200_000, bulkShare: 0.25, pausedForMs: 0 });
    expect(budget.spentLast24h).toBeGreaterThan(0);
  });
});
