import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, type TestStack } from '../harness/stack.ts';
import { startSyncFixture, type SyncFixture } from '../harness/sync-fixture.ts';
import { apiJson, defineSync, listItems, runPush, waitForRun, waitForRunState } from '../harness/sync.ts';
import { UiClient, type UiPage } from '../harness/ui.ts';

/*
 * Issue 15, items 1 and 2: a person can read a run's progress (rows done and to do, phase, time
 * left at the tenant's budget) within seconds of its start, before it starts and in the runs
 * list, and can stop it through the API; what was written is committed, and the next run
 * finishes the job without duplicates.
 */

interface RunBody {
  id: string;
  status: string;
  counts: Record<string, number>;
  progress: {
    phase: string;
    pass: string | null;
    rowsDone: number;
    rowsToDo: number | null;
    rowsToDoSource: string | null;
    percent: number | null;
    ruPerMinute: number | null;
    etaSeconds: number | null;
    etaBasis: string | null;
  };
}

const ROWS = 3000;

/** The "Next push" fact of a definition page, whitespace collapsed. */
const nextPush = (p: UiPage) =>
  p.doc
    .querySelectorAll('dl.facts dt')
    .find((dt) => dt.textContent.trim() === 'Next push')
    ?.nextElementSibling?.textContent.replace(/\s+/g, ' ')
    .trim();
/** A small tenant's budget: 3,000 creates need 6,000 RU, almost five minutes. */
const SMALL_TENANT_RU = 1250;

describe('run progress and cancellation (HTTP API -> Temporal -> PostgreSQL -> Graph emulator)', () => {
  let fx: SyncFixture;
  let stack: TestStack;
  let reg: SyncFixture['reg'];
  let definitionId: string;
  let listId: string;

  beforeAll(async () => {
    fx = await startSyncFixture(
      'sb_runctl',
      `
      create table article (id integer primary key, title text not null, updated_at timestamptz not null default now());
      insert into article (id, title) select g, 'article ' || g from generate_series(1, ${ROWS}) g;`,
    );
    ({ stack, reg } = fx);
    ({ definitionId, listId } = await defineSync(stack, reg, {
      name: 'articles',
      table: 'article',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorColumn: 'updated_at',
      batchSize: 500,
    }));
    await apiJson(stack, `/v1/sharepoint-connections/${reg.connectionId}`, { method: 'PATCH', json: { ruPerMinute: SMALL_TENANT_RU } });
  });
  afterAll(() => fx?.close());

  it('estimates the next push before anything starts, through the API and on the definition page', async () => {
    const viewer = await createKey(stack, 'viewer');
    const estimatePath = `/v1/sync-definitions/${definitionId}/estimate`;
    // 3,000 rows x 2 RU / 1,250 RU per minute = 4.8 minutes; a viewer may read it.
    const estimate = await apiJson<Record<string, unknown>>(stack, estimatePath, { key: viewer });
    expect(estimate).toMatchObject({ firstLoad: true, rows: ROWS, rowsSource: 'statistics', ruPerMinute: SMALL_TENANT_RU, etaSeconds: 288 });
    expect(await apiJson(stack, `${estimatePath}?fullResync=true`, { key: viewer })).toMatchObject({ firstLoad: true, rows: ROWS });
    const bad = await stack.api(`${estimatePath}?fullResync=yes`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(await bad.json())).toMatch(/fullResync/);

    const ui = new UiClient(stack);
    await ui.signIn(viewer);
    let p = await ui.page(`/ui/definitions/${definitionId}`);
    expect(nextPush(p)).toBe('First load of about 3,000 rows: at 1,250 resource units per minute (2 per item created) it takes about 5 minutes.');
    expect(p.doc.querySelector('dd.long-run')).toBeNull();

    // At a budget that makes it hours, the page says so before anyone presses "Run push now".
    await apiJson(stack, `/v1/sharepoint-connections/${reg.connectionId}`, { method: 'PATCH', json: { ruPerMinute: 50 } });
    try {
      p = await ui.page(`/ui/definitions/${definitionId}`);
      expect(nextPush(p)).toMatch(
        /^Long run: First load of about 3,000 rows: at 50 resource units per minute \(2 per item created\) it takes about 2\.0 hours\. It runs as bulk work/,
      );
      expect(p.doc.querySelector('dd.long-run')).not.toBeNull();
    } finally {
      await apiJson(stack, `/v1/sharepoint-connections/${reg.connectionId}`, { method: 'PATCH', json: { ruPerMinute: SMALL_TENANT_RU } });
    }
    // Estimating started nothing.
    const runs = await apiJson<{ items: Array<{ kind: string }> }>(stack, `/v1/sync-definitions/${definitionId}/runs`);
    expect(runs.items.map((r) => r.kind)).toEqual(['provision']);
  });

  it('estimates a first load before it starts, shows progress within seconds, and stops on request', async () => {
    const started = await apiJson<{ runId: string; workflowId: string; estimate: Record<string, unknown> }>(
      stack,
      `/v1/sync-definitions/${definitionId}/runs`,
      { method: 'POST' },
      202,
    );
    // 3,000 rows x 2 RU / 1,250 RU per minute = 4.8 minutes.
    expect(started.estimate).toMatchObject({ firstLoad: true, rows: ROWS, ruPerMinute: SMALL_TENANT_RU, etaSeconds: 288 });
    expect(started.estimate.note).toMatch(/about 5 minutes\./);

    const t0 = Date.now();
    const running = await waitForRunState<RunBody>(stack, started.runId, (r) => r.status === 'running' && r.progress.rowsDone > 0, 20_000);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(running.progress).toMatchObject({ phase: 'upsert', pass: 'watermark', rowsToDo: ROWS, rowsToDoSource: 'count', ruPerMinute: SMALL_TENANT_RU });
    expect(running.progress.etaSeconds).toBeGreaterThan(0);
    expect(['budget', 'measured']).toContain(running.progress.etaBasis);
    expect(running.progress.percent).toBeLessThan(100);

    // The runs list shows the same progress for running runs (a viewer may read it).
    const viewer = await createKey(stack, 'viewer');
    const list = await apiJson<{ items: RunBody[]; nextCursor: string | null }>(stack, `/v1/sync-definitions/${definitionId}/runs?limit=5`, { key: viewer });
    expect(list.items[0]).toMatchObject({ id: started.runId, progress: { rowsToDo: ROWS, phase: 'upsert' } });
    // ...but may not stop it.
    expect((await stack.api(`/v1/sync-runs/${started.runId}/cancel`, { method: 'POST', key: viewer })).status).toBe(403);

    await apiJson(stack, `/v1/sync-runs/${started.runId}/cancel`, { method: 'POST' }, 202);
    const stopped = await waitForRun(stack, definitionId, started.workflowId, 30_000);
    expect(stopped.status).toBe('cancelled');
    expect(stopped.counts.created).toBeGreaterThan(0);
    expect(stopped.counts.created).toBeLessThan(ROWS);
    // What completed is committed: every recorded item exists, and the ledger knows them.
    const [ledger] = await stack.store.sql<Array<{ n: number }>>`select count(*)::int as n from sync_ledger where definition_id = ${definitionId}`;
    expect(ledger!.n).toBe(stopped.counts.created);
    // Stopping again is a conflict, with a clear message.
    const again = await stack.api(`/v1/sync-runs/${started.runId}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { detail: string }).detail).toMatch(/already ended \(cancelled\)/);
  });

  it('finishes the job on the next run: every row once, nothing duplicated', async () => {
    await apiJson(stack, `/v1/sharepoint-connections/${reg.connectionId}`, { method: 'PATCH', json: { ruPerMinute: 600_000 } });
    const run = await runPush(stack, definitionId);
    expect(run.status).toBe('succeeded');
    const items = await listItems(stack, listId);
    expect(items).toHaveLength(ROWS);
    expect(new Set(items.map((i) => i.fields.SyncBridgeKey)).size).toBe(ROWS);
    const finished = await apiJson<RunBody>(stack, `/v1/sync-runs/${run.id}`);
    expect(finished.progress).toMatchObject({ phase: 'done', percent: 100, etaSeconds: 0 });
  });

  it('pages the runs list with cursor / nextCursor', async () => {
    const first = await apiJson<{ items: RunBody[]; nextCursor: string | null }>(stack, `/v1/sync-definitions/${definitionId}/runs?limit=1`);
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).toBeTruthy();
    const second = await apiJson<{ items: RunBody[]; nextCursor: string | null }>(
      stack,
      `/v1/sync-definitions/${definitionId}/runs?limit=1&cursor=${first.nextCursor}`,
    );
    expect(second.items[0]!.id).not.toBe(first.items[0]!.id);
    const bad = await stack.api(`/v1/sync-definitions/${definitionId}/runs?cursor=not-a-cursor`);
    expect(bad.status).toBe(400);
  });
});
