import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EgressPolicy } from '@syncbridge/shared/net';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { pause, startProbeServer, type ProbeServer } from '../harness/probe-servers.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson, defineSync, registerSourceAndConnection, waitForRun, type SyncSetup } from '../harness/sync.ts';

/*
 * Issue 8, defects 1 and 3 in the worker: a source that accepts and drops connections gets a
 * bounded number of them from a run (it used to get about 500 a second for as long as the
 * activity lived), and the worker applies the egress policy to its own connections.
 */

const DDL = `create table public.items (id bigint primary key, name text not null);
insert into public.items select g, 'item ' || g from generate_series(1, 5) g;`;

async function sourceWithTable(): Promise<{ db: TestDatabase; close(): Promise<void> }> {
  const db = await createTestDatabase('sb_limits');
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  await sql.unsafe(DDL);
  await sql.end();
  return { db, close: () => db.drop() };
}

describe('a run against a source that accepts and closes connections (issue 8, defect 1)', () => {
  let stack: TestStack;
  let source: Awaited<ReturnType<typeof sourceWithTable>>;
  let closing: ProbeServer;
  let reg: SyncSetup;

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    source = await sourceWithTable();
    closing = await startProbeServer('closing');
    reg = await registerSourceAndConnection(stack, source.db);
  });
  afterAll(async () => {
    await stack?.close();
    await closing?.close();
    await source?.close();
  });

  it('makes a handful of connection attempts, and none once cancelled', async () => {
    const { definitionId } = await defineSync(stack, reg, { name: 'items', table: 'items', keyStrategy: 'pk', keyColumns: ['id'] });
    // The instance now points at a port that accepts and drops every connection (the password is sent again, as a move requires).
    await apiJson(
      stack,
      `/v1/database-instances/${reg.instanceId}`,
      { method: 'PATCH', json: { host: closing.host, port: closing.port, password: 'unused-with-trust-auth' } },
      200,
    );
    const started = await apiJson<{ runId: string }>(stack, `/v1/sync-definitions/${definitionId}/runs`, { method: 'POST' }, 202);
    await pause(8_000);
    const during = closing.connections;
    expect(during).toBeGreaterThan(0);
    // One-shot introspections allow three attempts, a pool its own connections and one more every five seconds.
    expect(during).toBeLessThanOrEqual(20);

    // Cancelled, the run's activity is not retried: nothing connects any more.
    await apiJson(stack, `/v1/sync-runs/${started.runId}/cancel`, { method: 'POST' }, 202);
    await pause(1_000);
    const after = closing.connections;
    await pause(4_000);
    expect(closing.connections).toBe(after);
  });
});

describe('the worker applies the egress policy to its own connections (issue 8, defect 3)', () => {
  let stack: TestStack;
  let source: Awaited<ReturnType<typeof sourceWithTable>>;
  let reg: SyncSetup;

  beforeAll(async () => {
    // The API may reach the local source and emulator; the worker runs with the default policy, as in production.
    stack = await startTestStack({ worker: true, emulator: true, workerEgress: new EgressPolicy() });
    source = await sourceWithTable();
    reg = await registerSourceAndConnection(stack, source.db);
  });
  afterAll(async () => {
    await stack?.close();
    await source?.close();
  });

  it('a provisioning run fails at once, naming the refused address and the setting that allows it', async () => {
    const created = await apiJson(
      stack,
      '/v1/sync-definitions',
      {
        method: 'POST',
        json: {
          appId: reg.appId,
          sourceInstanceId: reg.instanceId,
          sourceSchema: 'public',
          sourceTable: 'items',
          name: 'items',
          keyStrategy: 'pk',
          keyColumns: ['id'],
          cursorStrategy: 'full_scan',
        },
      },
      201,
    );
    await apiJson(
      stack,
      `/v1/sync-definitions/${created.id}/targets`,
      { method: 'POST', json: { connectionId: reg.connectionId, siteId: reg.siteId, listDisplayName: 'Items', isDefault: true } },
      201,
    );
    const started = await apiJson<{ workflowId: string }>(stack, `/v1/sync-definitions/${created.id}/provision`, { method: 'POST' }, 202);
    const run = await waitForRun(stack, created.id, started.workflowId, 60_000);
    expect(run.status).toBe('failed');
    expect(JSON.stringify(run.errors)).toMatch(/loopback address, which this deployment's egress policy does not allow/);
    expect(JSON.stringify(run.errors)).toContain('SYNCBRIDGE_EGRESS_ALLOW');
  });
});
