import postgres from 'postgres';
import { DEFAULT_CLIENT_SECRET } from '@syncbridge/sharepoint-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson, defineSync, registerSourceAndConnection, runPush } from '../harness/sync.ts';
import { startWorkerProcess, type WorkerProcess } from '../harness/worker-process.ts';

/*
 * Issue 8: secrets are never logged. Every call that carries or uses a secret — registering an
 * instance and a connection, testing them (also with a wrong password), introspecting,
 * discovering, provisioning, pushing, rotating — runs through the API and a real worker
 * process; then neither the API's log nor the worker's output holds any secret value.
 */

const ROLE = `sb_log_${process.pid}`;
const PASSWORD = `Pw-${process.pid}-must-never-be-logged`;
const WRONG_PASSWORD = `Wrong-${process.pid}-must-never-be-logged-either`;
const ROTATED_SECRET = `rotated-${process.pid}-client-secret-never-logged`;

describe('no secret value in any log', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let worker: WorkerProcess;
  let admin: postgres.Sql;

  beforeAll(async () => {
    stack = await startTestStack({ emulator: true });
    worker = startWorkerProcess(stack);
    source = await createTestDatabase('sb_logs');
    admin = postgres(source.url, { max: 1, onnotice: () => {} });
    // A role with a real password, so the password is really sent (and refused when wrong).
    await admin.unsafe(`drop role if exists ${ROLE}; create role ${ROLE} login password '${PASSWORD}'`);
    await admin`create table memo (id integer primary key, body text not null, updated_at timestamptz not null default now())`;
    await admin`insert into memo select g, 'memo ' || g from generate_series(1, 30) g`;
    await admin.unsafe(`grant select on memo to ${ROLE}`);
    await worker.ready;
    // Started as a deployment starts it: with its memory flags (services/worker/src/node-flags.ts), which it logs.
    const heapLimitMb = Number(/"heapLimitMb":(\d+)/.exec(worker.output())?.[1]);
    expect(heapLimitMb).toBeGreaterThanOrEqual(256);
    expect(heapLimitMb).toBeLessThan(400);
    expect(worker.output()).not.toContain('without its memory flags');
  });
  afterAll(async () => {
    await worker?.kill('SIGKILL');
    await admin?.unsafe(`drop owned by ${ROLE}; drop role if exists ${ROLE}`).catch(() => {});
    await admin?.end();
    await stack?.close();
    await source?.drop();
  });

  it('keeps passwords, client secrets and API keys out of the API and worker logs', async () => {
    const reg = await registerSourceAndConnection(stack, source);
    const u = new URL(source.url);
    // The instance now logs in as a role that needs its password (pg_hba may still trust local connections; the password is sent either way).
    await apiJson(stack, `/v1/database-instances/${reg.instanceId}`, { method: 'PATCH', json: { host: u.hostname, username: ROLE, password: PASSWORD } });
    await apiJson(stack, `/v1/database-instances/${reg.instanceId}/test`, { method: 'POST' });
    await apiJson(stack, `/v1/database-instances/${reg.instanceId}/schema`);
    await apiJson(stack, `/v1/sharepoint-connections/${reg.connectionId}/test`, { method: 'POST' });
    await apiJson(stack, `/v1/sharepoint-connections/${reg.connectionId}/sites?search=syncbridge`);
    const { definitionId } = await defineSync(stack, reg, { name: 'memos', table: 'memo', keyStrategy: 'pk', keyColumns: ['id'], cursorColumn: 'updated_at' });
    expect((await runPush(stack, definitionId)).status).toBe('succeeded');

    // Failures log their causes: the secrets must not be among them.
    await apiJson(stack, `/v1/database-instances/${reg.instanceId}`, { method: 'PATCH', json: { username: ROLE, password: WRONG_PASSWORD } });
    await stack.api(`/v1/database-instances/${reg.instanceId}/test`, { method: 'POST' });
    await apiJson(stack, `/v1/sharepoint-connections/${reg.connectionId}`, { method: 'PATCH', json: { clientSecret: ROTATED_SECRET } });
    await stack.api(`/v1/sharepoint-connections/${reg.connectionId}/test`, { method: 'POST' });
    const created = await apiJson<{ key: string }>(stack, '/v1/api-keys', { method: 'POST', json: { name: 'logged?', role: 'viewer' } }, 201);
    await stack.api('/v1/apps', { key: created.key });
    await stack.api('/v1/apps', { key: `${created.key}x` });

    const logs = `${stack.logs.text()}\n${worker.output()}`;
    expect(logs.length).toBeGreaterThan(1000);
    for (const secret of [PASSWORD, WRONG_PASSWORD, ROTATED_SECRET, DEFAULT_CLIENT_SECRET, created.key, stack.adminKey]) {
      expect(logs.includes(secret), `a secret (${secret.slice(0, 6)}…) is in the logs`).toBe(false);
    }
  });
});
