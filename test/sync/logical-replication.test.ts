import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import {
  addInstance,
  apiJson,
  defineSync,
  listItems,
  registerSourceAndConnection,
  runPush,
  waitForRun,
  waitForRunState,
  type SyncSetup,
} from '../harness/sync.ts';

/*
 * Near-real-time push from PostgreSQL logical replication (issue "Scale", must-have 3): a slot and a
 * publication SyncBridge manages, the LSN as the cursor, changes and deletions read from the log and
 * written through the ledger path within seconds without a schedule, a lost slot replaced with a full
 * pass, a size limit, and the slot dropped with the definition. Through the API, real Temporal,
 * PostgreSQL (wal_level=logical) and the emulator.
 */

interface Replication {
  status: string;
  slotName: string | null;
  publicationName: string | null;
  cursorLsn: string | null;
  confirmedLsn: string | null;
  retainedBytes: number | null;
  maxRetainedBytes: number;
  alarm: string | null;
  lostCount: number;
  lastLostReason: string | null;
}

interface RunRow {
  id: string;
  kind: string;
  status: string;
  trigger: string;
  progress?: { pass?: string };
  counts: Record<string, number>;
}

const until = async <T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('push from PostgreSQL logical replication', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let reg: SyncSetup;
  let definitionId: string;
  let listId: string;
  let replica: TestDatabase | undefined;
  let rsql: postgres.Sql | undefined;

  const items = async () => new Map((await listItems(stack, listId)).map((i) => [i.fields.SyncBridgeKey as string, i.fields]));
  const replication = () => apiJson<Replication>(stack, `/v1/sync-definitions/${definitionId}/replication`);
  const runs = async () => (await apiJson<{ items: RunRow[] }>(stack, `/v1/sync-definitions/${definitionId}/runs?limit=50`)).items;
  const slotOnServer = async (name: string) =>
    (await sql<Array<{ confirmed: string | null }>>`select confirmed_flush_lsn::text as confirmed from pg_replication_slots where slot_name = ${name}`)[0];
  const patch = (json: Record<string, unknown>) => apiJson(stack, `/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json }, 200);

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    source = await createTestDatabase('sb_source');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    // A key with microseconds and a numeric amount: the log's key texts must find the ledger's.
    await sql`create table orders (id bigint primary key, placed_at timestamp(6) not null, note text not null, amount numeric(12,2) not null)`;
    await sql`insert into orders select g, timestamp '2026-01-01 10:00:00.123456' + g * interval '1 second', 'order ' || g, g * 1.5 from generate_series(1, 30) g`;
    reg = await registerSourceAndConnection(stack, source);
    ({ definitionId, listId } = await defineSync(stack, reg, {
      name: 'orders',
      table: 'orders',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorStrategy: 'logical_replication',
    }));
  });

  afterAll(async () => {
    // A slot left behind would keep the database (and WAL) from going.
    if (sql) await sql`select pg_drop_replication_slot(slot_name) from pg_replication_slots where database = current_database() and not active`.catch(() => {});
    await sql?.end();
    await rsql?.end();
    await stack?.close();
    await source?.drop();
    await replica?.drop();
  });

  it('loads the table on a new slot, then pushes inserts, updates and deletes from the log within seconds, with no schedule', async () => {
    expect((await replication()).status).toBe('none');
    const first = await runPush(stack, definitionId);
    expect(first.status).toBe('succeeded');
    expect(first.counts.created).toBe(30);
    const made = await replication();
    expect(made).toMatchObject({ status: 'active', slotName: expect.stringMatching(/^syncbridge_/), publicationName: expect.any(String), lostCount: 0 });
    expect(await slotOnServer(made.slotName!)).toBeDefined();

    // Turned on, the definition's watcher asks for a push run whenever the slot holds changes.
    await patch({ enabled: true });
    const committedAt = Date.now();
    await sql.begin(async (tx) => {
      await tx`insert into orders values (31, timestamp '2026-02-01 08:00:00.000001', 'new order', 12.25)`;
      await tx`update orders set note = 'changed' where id = 5`;
      await tx`delete from orders where id = 7`;
    });
    const after = await until('the three changes in the list', async () => {
      const now = await items();
      return now.size === 30 && now.get('31')?.note === 'new order' && now.get('5')?.note === 'changed' && !now.has('7') ? now : undefined;
    });
    const propagationMs = Date.now() - committedAt;
    console.log(`logical replication: COMMIT to list in ${propagationMs} ms`);
    expect(after.get('6')?.note).toBe('order 6');

    const logical = (await runs()).filter((r) => r.kind === 'push' && r.trigger === 'change');
    expect(logical.length).toBeGreaterThan(0);
    const latest = await until('the change run to finish', async () => {
      const r = (await runs()).find((x) => x.trigger === 'change' && x.status === 'succeeded' && (x.counts.deleted ?? 0) > 0);
      return r;
    });
    expect(latest.progress?.pass).toBe('logical');
    // Only what changed was read: three keys, not the table.
    expect(latest.counts.read).toBeLessThanOrEqual(2);

    // The cursor holds the LSN, and the slot was let go up to it.
    const state = await replication();
    expect(state.cursorLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    const onServer = await slotOnServer(state.slotName!);
    expect(onServer?.confirmed).toBeTruthy();
  });

  it('replaces a slot lost outside SyncBridge with a full pass, losing nothing changed meanwhile', async () => {
    const before = await replication();
    await until('the slot to be free', async () => {
      try {
        await sql`select pg_drop_replication_slot(${before.slotName!})`;
        return true;
      } catch {
        return false;
      }
    });
    // Changed while no slot records it: only a full pass can find this.
    await sql`update orders set note = 'while lost' where id = 9`;
    await until('the change made while the slot was lost', async () => (await items()).get('9')?.note === 'while lost');
    const state = await until('the loss to be recorded', async () => {
      const s = await replication();
      return s.lostCount === 1 && s.status === 'active' ? s : undefined;
    });
    expect(state.lastLostReason).toMatch(/gone from the source/);
    expect(await slotOnServer(state.slotName!)).toBeDefined();
    await until('the full pass on the new slot to succeed', async () =>
      (await runs()).some((r) => r.kind === 'push' && r.progress?.pass === 'full' && r.trigger === 'change' && r.status === 'succeeded'),
    );

    // And logical capture goes on from the new slot.
    await sql`update orders set note = 'after the new slot' where id = 10`;
    await until('a change on the new slot', async () => (await items()).get('10')?.note === 'after the new slot');
  });

  it('lets go of WAL while the table is idle and the database busy; past its limit the slot is dropped and replaced', async () => {
    await sql`create table filler (id serial primary key, pad text not null)`;
    // 4 MB of WAL in another table: the watcher lets the idle slot advance past it.
    await sql`insert into filler (pad) select repeat('x', 1000) from generate_series(1, 4000)`;
    await until('the slot to let go of the other table’s WAL', async () => {
      const s = await replication();
      return s.retainedBytes !== null && s.retainedBytes < 2 * 1024 * 1024 ? s : undefined;
    });

    // Turned off (no watcher), the slot holds WAL; the smallest limit is 16 MB.
    await patch({ enabled: false, replicationMaxRetainedMb: 16 });
    await sql`insert into filler (pad) select repeat('y', 1000) from generate_series(1, 24000)`;
    const held = await runPush(stack, definitionId);
    expect(held.status).toBe('succeeded');
    const state = await replication();
    expect(state.lostCount).toBe(2);
    expect(state.lastLostReason).toMatch(/more than the definition's limit of 16 MB/);
    expect(state.maxRetainedBytes).toBe(16 * 1024 * 1024);
    const last = (await runs()).find((r) => r.id === held.id);
    expect(last?.progress?.pass).toBe('full');
    expect((await items()).size).toBe(30);
  });

  it('takes a TRUNCATE for what it is: a full pass on a new slot, whose deletions the mass-delete guard holds', async () => {
    await sql`truncate orders`;
    const noticed = await runPush(stack, definitionId);
    expect(noticed.status).toBe('succeeded');
    expect(noticed.counts.deleted ?? 0).toBe(0);
    expect((await replication()).status).toBe('lost');
    const started = await apiJson<{ runId: string }>(stack, `/v1/sync-definitions/${definitionId}/runs`, { method: 'POST' }, 202);
    const held = await waitForRunState<RunRow>(stack, started.runId, (r) => r.status === 'awaiting_approval');
    expect(held.progress?.pass).toBe('full');
    await apiJson(stack, `/v1/sync-runs/${held.id}/approve-deletions`, { method: 'POST' }, 202);
    const done = await waitForRunState<RunRow>(stack, started.runId, (r) => r.status === 'succeeded');
    expect(done.counts.deleted).toBe(30);
    expect((await items()).size).toBe(0);
    const state = await replication();
    expect(state).toMatchObject({ status: 'active', lostCount: 3 });
    expect(state.lastLostReason).toMatch(/truncated/);
  });

  it('rebound to another instance, reads the log there: a full pass on a new slot, and the old slot is dropped', async () => {
    // A copy of the table in a second database stands in for a replica; one row differs there.
    replica = await createTestDatabase('sb_replica');
    rsql = postgres(replica.url, { max: 2, onnotice: () => {} });
    await rsql`create table orders (id bigint primary key, placed_at timestamp(6) not null, note text not null, amount numeric(12,2) not null)`;
    await rsql`insert into orders select g, timestamp '2026-01-01 10:00:00.123456' + g * interval '1 second', 'replica order ' || g, g * 1.5 from generate_series(1, 12) g`;
    const replicaId = await addInstance(stack, reg.databaseId, replica.url, { name: 'replica' });
    const started = await apiJson<{ workflowId: string }>(
      stack,
      `/v1/sync-definitions/${definitionId}/operations/rebind`,
      { method: 'POST', json: { options: { toInstanceId: replicaId, approve: true } } },
      202,
    );
    const rebound = await waitForRun(stack, definitionId, started.workflowId);
    expect(rebound.status, JSON.stringify(rebound.errors)).toBe('succeeded');
    // The catch-up push the rebind asks for reads the replica through a new slot there.
    await until('the replica’s rows in the list', async () => {
      const now = await items();
      return now.size === 12 && now.get('3')?.note === 'replica order 3';
    });
    const state = await until('the new slot on the replica', async () => {
      const s = await replication();
      return s.status === 'active' && s.lostCount === 4 ? s : undefined;
    });
    expect(state.lastLostReason).toMatch(/another instance/);
    const [onReplica] = await rsql`select 1 from pg_replication_slots where slot_name = ${state.slotName!} and database = current_database()`;
    expect(onReplica).toBeDefined();
    const [leftBehind] = await sql`select 1 from pg_replication_slots where database = current_database()`;
    expect(leftBehind).toBeUndefined();
    await patch({ enabled: true });
    await rsql`update orders set note = 'changed on the replica' where id = 4`;
    await until('a change on the replica', async () => (await items()).get('4')?.note === 'changed on the replica');
  });

  it('refuses tables whose replica identity does not carry the key, and a cursor column', async () => {
    await sql`create table tagged (id integer primary key, code text not null unique, label text)`;
    const refused = await stack.api('/v1/sync-definitions', {
      method: 'POST',
      json: {
        appId: reg.appId,
        sourceInstanceId: reg.instanceId,
        sourceSchema: 'public',
        sourceTable: 'tagged',
        name: 'tagged',
        keyStrategy: 'unique',
        keyColumns: ['code'],
        cursorStrategy: 'logical_replication',
      },
    });
    expect(refused.status).toBe(422);
    const problem = (await refused.json()) as { errors: Array<{ field: string; message: string }> };
    expect(problem.errors[0]!.field).toBe('body.cursorStrategy');
    expect(problem.errors[0]!.message).toMatch(/replica identity/i);

    const withCursor = await stack.api(`/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { cursorColumn: 'placed_at' } });
    expect(withCursor.status).toBe(400);
  });

  it('drops the slot and the publication with the definition', async () => {
    const state = await replication();
    // As a user would: turned off, and its last run over.
    await patch({ enabled: false });
    await until('the definition to be idle', async () => !(await runs()).some((r) => ['queued', 'running', 'awaiting_approval'].includes(r.status)));
    const deleted = await stack.api(`/v1/sync-definitions/${definitionId}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(await slotOnServer(state.slotName!)).toBeUndefined();
    const [pub] = await sql`select 1 from pg_publication where pubname = ${state.publicationName!}`;
    expect(pub).toBeUndefined();
  });
});
