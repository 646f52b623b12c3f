import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID } from '@syncbridge/sharepoint-emulator';
import { createKey, startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson } from '../harness/sync.ts';

/*
 * Issue 8, defect 3, besides the egress policy (test/api/egress.test.ts):
 * - answers of tests, introspection and discovery carry a class of failure and a message of
 *   SyncBridge's own, never the server's text (a banner, an internal host name); that goes to
 *   the logs;
 * - these live calls are rate-limited per API key (429 problem+json with Retry-After).
 */

/** A PostgreSQL ErrorResponse message. */
function errorResponse(fields: Record<string, string>): Buffer {
  const body = Buffer.concat([...Object.entries(fields).map(([k, v]) => Buffer.from(`${k}${v}\0`, 'utf8')), Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const BANNER = 'pg_hba.conf on db-7.corp.internal (build 9.9-internal)';

/** Answers every start-up message with a FATAL authentication error whose text names internals. */
async function startChattyServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      socket.end(errorResponse({ S: 'FATAL', V: 'FATAL', C: '28P01', M: `password authentication failed for user "reader": ${BANNER}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('failures are answered as classes; the servers’ own text stays in the logs (issue 8, defect 3)', () => {
  let stack: TestStack;
  let chatty: Awaited<ReturnType<typeof startChattyServer>>;
  let databaseId: string;
  let appId: string;

  beforeAll(async () => {
    stack = await startTestStack({ emulator: true });
    chatty = await startChattyServer();
    appId = (await apiJson(stack, '/v1/apps', { method: 'POST', json: { name: 'classes', ownerTeam: 't' } }, 201)).id;
    databaseId = (await apiJson(stack, '/v1/databases', { method: 'POST', json: { appId, name: 'classes-db', engine: 'postgres', environment: 'dev' } }, 201))
      .id;
  });
  afterAll(async () => {
    await chatty?.close();
    await stack?.close();
  });

  it('a PostgreSQL login error: errorClass authentication_failed with our message; the server text only in the log, without the password', async () => {
    const password = 'pw-Secret-4711-never-logged';
    const id = (
      await apiJson(
        stack,
        '/v1/database-instances',
        {
          method: 'POST',
          json: {
            databaseId,
            name: 'chatty',
            host: '127.0.0.1',
            port: chatty.port,
            databaseName: 'sales',
            username: 'reader',
            password,
            sslMode: 'disable',
            role: 'replica',
          },
        },
        201,
      )
    ).id;
    const res = await stack.api(`/v1/database-instances/${id}/test`, { method: 'POST' });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(JSON.parse(text)).toMatchObject({
      ok: false,
      errorClass: 'authentication_failed',
      errorCode: '28P01',
      error: `authentication failed for user "reader" on 127.0.0.1:${chatty.port}`,
      instance: { status: 'unhealthy', lastHealthError: `authentication failed for user "reader" on 127.0.0.1:${chatty.port}` },
    });
    expect(text).not.toContain('db-7.corp.internal');
    expect(await (await stack.api(`/v1/database-instances/${id}`)).text()).not.toContain('db-7.corp.internal');

    const schema = await stack.api(`/v1/database-instances/${id}/schema`);
    const problem = await schema.text();
    expect(schema.status).toBe(503);
    expect(problem).toContain('(authentication_failed): authentication failed for user \\"reader\\"');
    expect(problem).not.toContain('db-7.corp.internal');

    const logs = stack.logs.text();
    expect(logs).toContain('db-7.corp.internal');
    expect(logs).not.toContain(password);
  });

  it("a Graph 404: the API's own words, not the service's message", async () => {
    const e = stack.emulator!;
    const id = (
      await apiJson(
        stack,
        '/v1/sharepoint-connections',
        {
          method: 'POST',
          json: {
            appId,
            name: 'emulator',
            tenantId: DEFAULT_TENANT_ID,
            clientId: DEFAULT_CLIENT_ID,
            clientSecret: DEFAULT_CLIENT_SECRET,
            graphBaseUrl: e.graphBaseUrl,
            authorityHost: e.authorityHost,
            caCertificatePem: e.caCertificatePem,
          },
        },
        201,
      )
    ).id;
    const sites = await apiJson<{ items: Array<{ id: string }> }>(stack, `/v1/sharepoint-connections/${id}/sites?search=syncbridge`);
    const res = await stack.api(`/v1/sharepoint-connections/${id}/sites/${encodeURIComponent(sites.items[0]!.id)}/lists/no-such-list/columns`);
    const problem = (await res.json()) as { detail: string };
    expect(res.status).toBe(404);
    expect(problem.detail).toMatch(/has no such site, list or item \(404\) \(itemNotFound\)/);
    expect(problem.detail).not.toContain('List not found');
    expect(stack.logs.text()).toContain('List not found');
  });
});

describe('per-key rate limits on live calls (issue 8, defect 3)', () => {
  let stack: TestStack;
  let instanceId: string;
  let connectionId: string;

  beforeAll(async () => {
    stack = await startTestStack({ probeLimits: { perMinute: 6, burst: 2 } });
    const appId = (await apiJson(stack, '/v1/apps', { method: 'POST', json: { name: 'limits', ownerTeam: 't' } }, 201)).id;
    const databaseId = (
      await apiJson(stack, '/v1/databases', { method: 'POST', json: { appId, name: 'limits-db', engine: 'postgres', environment: 'dev' } }, 201)
    ).id;
    // Port 1: refused at once, so each call is quick; what is limited is the call, whatever its outcome.
    instanceId = (
      await apiJson(
        stack,
        '/v1/database-instances',
        {
          method: 'POST',
          json: {
            databaseId,
            name: 'refused',
            host: '127.0.0.1',
            port: 1,
            databaseName: 'db',
            username: 'u',
            password: 'pw-1234567',
            sslMode: 'disable',
            role: 'replica',
          },
        },
        201,
      )
    ).id;
    connectionId = (
      await apiJson(
        stack,
        '/v1/sharepoint-connections',
        {
          method: 'POST',
          json: {
            appId,
            name: 'refused',
            tenantId: DEFAULT_TENANT_ID,
            clientId: DEFAULT_CLIENT_ID,
            clientSecret: DEFAULT_CLIENT_SECRET,
            graphBaseUrl: 'http://127.0.0.1:1/v1.0',
            authorityHost: 'https://127.0.0.1:1',
          },
        },
        201,
      )
    ).id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers 429 problem+json with Retry-After past the burst, per key and per kind of target', async () => {
    const test = (key?: string) => stack.api(`/v1/database-instances/${instanceId}/test`, { method: 'POST', ...(key ? { key } : {}) });
    expect((await test()).status).toBe(200);
    expect((await test()).status).toBe(200);
    const limited = await test();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const problem = (await limited.json()) as { code: string; detail: string };
    expect(problem.code).toBe('too_many_requests');
    expect(problem.detail).toMatch(/too many live calls to source databases.*retry in \d+ s/);
    // Introspection is the same kind of call: the same budget.
    expect((await stack.api(`/v1/database-instances/${instanceId}/schema`)).status).toBe(429);

    // Graph calls have a budget of their own; another key has its own.
    expect((await stack.api(`/v1/sharepoint-connections/${connectionId}/test`, { method: 'POST' })).status).toBe(200);
    const operator = await createKey(stack, 'operator');
    expect((await test(operator)).status).toBe(200);
  });
});
