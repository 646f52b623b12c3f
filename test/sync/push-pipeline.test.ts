import { encodeSourceKey } from '@syncbridge/shared/mapping';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSyncFixture, type SyncFixture } from '../harness/sync-fixture.ts';
import { apiJson, defineSync, listItems, waitForRun, waitForRunState } from '../harness/sync.ts';

/*
 * A push activity writes page N+1 while page N commits (activities/src/push/pipeline.ts). Whatever
 * the overlap, the run must end with the list equal to the table: rows changed while the run reads
 * them (met again in a later page) pushed once, with their last values, and the cursor at the last row.
 */
describe('overlapping pages of a push (HTTP API -> Temporal -> PostgreSQL -> Graph emulator)', () => {
  let fx: SyncFixture;
  const ROWS = 3_000;

  beforeAll(async () => {
    fx = await startSyncFixture(
      'sb_pipeline',
      `create table orders (id integer primary key, note text not null, updated_at timestamptz not null);
       insert into orders select g, 'first ' || g, timestamptz '2025-01-01' + g * interval '1 second' from generate_series(1, ${ROWS}) g;`,
    );
  });
  afterAll(() => fx?.close());

  it('rows changed during a multi-page run end in the list once, with their last values', async () => {
    const { stack, sql, reg } = fx;
    const { definitionId, listId } = await defineSync(stack, reg, {
      name: 'orders',
      table: 'orders',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorColumn: 'updated_at',
      batchSize: 250,
    });
    // Slow Graph a little, so the run is still going when the table changes.
    await fetch(`${stack.emulator!.adminUrl}/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ latencyMs: 15 }),
    });
    let created = 0;
    try {
      const started = await apiJson<{ runId: string; workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/runs`, { method: 'POST' }, 202);
      await waitForRunState<{ status: string; counts: Record<string, number> }>(stack, started.runId, (r) => (r.counts.created ?? 0) >= 300);
      // Rows already pushed move to the end of the watermark order (read again later in this run); rows not read yet change too.
      await sql`update orders set note = 'second ' || id, updated_at = now() where id <= 40 or id between 2900 and 2940`;
      const during = await apiJson<{ counts: Record<string, number> }>(stack, `/v1/sync-runs/${started.runId}`);
      // Hot rows, changed again and again while the run goes: each change puts them ahead of the run's cursor again.
      let hot = true;
      const heat = (async () => {
        for (let n = 0; hot; n++) {
          await sql`update orders set note = 'hot ' || ${n}::int, updated_at = now() where id between 2991 and 3000`;
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const run = await waitForRun(stack, definitionId, started.workflowId, 240_000).finally(() => (hot = false));
      await heat;
      expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
      // The change happened mid-run (the test means nothing otherwise).
      expect(during.counts.created ?? 0).toBeLessThan(ROWS);
      expect(run.counts.quarantined ?? 0).toBe(0);
      created += run.counts.created ?? 0;
    } finally {
      await fetch(`${stack.emulator!.adminUrl}/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ latencyMs: 0 }),
      });
    }
    // The hot rows' last change may have come after the run passed them: the next run takes it.
    const catchUp = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/runs`, { method: 'POST' }, 202);
    const caught = await waitForRun(stack, definitionId, catchUp.workflowId);
    expect(caught.status, JSON.stringify(caught.errors)).toBe('succeeded');
    created += caught.counts.created ?? 0;
    // One create per row, however often a row was met (pages sharing a row: test/sync/legacy-keys-recovery.test.ts).
    expect(created).toBe(ROWS);

    const rows = await sql<Array<{ id: number; note: string }>>`select id, note from orders`;
    const items = await listItems(stack, listId);
    const byKey = new Map<string, string>();
    for (const item of items) {
      const key = item.fields.SyncBridgeKey as string;
      expect(byKey.has(key), `two items for ${key}`).toBe(false);
      byKey.set(key, item.fields.note as string);
    }
    expect(byKey.size).toBe(ROWS);
    for (const r of rows) expect(byKey.get(encodeSourceKey([r.id], ['integer'])), `row ${r.id}`).toBe(r.note);
    const [ledger] = await stack.store.sql<Array<{ n: number }>>`select count(*)::int as n from sync_ledger where definition_id = ${definitionId}`;
    expect(ledger!.n).toBe(ROWS);
    // The cursor stands at the last row of the watermark order, and the next run has nothing to do.
    const [last] = await sql<Array<{ id: number }>>`select id from orders order by updated_at desc, id desc limit 1`;
    const [cursor] = await stack.store.sql<Array<{ value: { key: unknown[] } }>>`
      select value from sync_cursors where definition_id = ${definitionId} and kind = 'source_watermark'`;
    expect(cursor!.value.key.map(Number)).toEqual([last!.id]);
    const again = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${definitionId}/runs`, { method: 'POST' }, 202);
    const next = await waitForRun(stack, definitionId, again.workflowId);
    expect(next.counts).toMatchObject({ created: 0, updated: 0 });
  });
});
