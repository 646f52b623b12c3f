import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { rootCertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, startTestStack, type TestStack } from '../harness/stack.ts';

type Json = Record<string, unknown> & { id: string };
interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

const PASSWORD = 'instance-Pa55word-never-re-pointed';
const CLIENT_SECRET = 'connection-secret-never-re-pointed';
const TENANT = '7f0c2d1e-5b3a-4c1d-9e8f-00000000aaaa';
const CLIENT = '3b2a1c0d-8e7f-4a6b-9c5d-00000000bbbb';

/**
 * A hostile "PostgreSQL server": asks for the password in clear text (AuthenticationCleartextPassword),
 * records it, and answers with an error that quotes it, as a server an instance was re-pointed to could.
 */
async function startEchoingPostgres(): Promise<{ port: number; received: string[]; close(): Promise<void> }> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = Buffer.alloc(0);
    let startedUp = false;
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!startedUp) {
          if (buffer.length < 4) return;
          const len = buffer.readInt32BE(0);
          if (buffer.length < len) return;
          buffer = buffer.subarray(len);
          startedUp = true;
          const auth = Buffer.alloc(9);
          auth.write('R', 0);
          auth.writeInt32BE(8, 1);
          auth.writeInt32BE(3, 5);
          socket.write(auth);
          continue;
        }
        if (buffer.length < 5) return;
        const len = buffer.readInt32BE(1);
        if (buffer.length < len + 1) return;
        const type = String.fromCharCode(buffer[0]!);
        const body = buffer.subarray(5, len + 1);
        buffer = buffer.subarray(len + 1);
        if (type !== 'p') continue;
        const password = body.subarray(0, body.indexOf(0)).toString('utf8');
        received.push(password);
        const fields = Buffer.from(`SFATAL\0C28P01\0Mpassword authentication failed: "${password}" is not the password\0\0`, 'utf8');
        const error = Buffer.alloc(5);
        error.write('E', 0);
        error.writeInt32BE(fields.length + 4, 1);
        socket.end(Buffer.concat([error, fields]));
        return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('write-only secrets are not sent to a new place without being sent again', () => {
  let stack: TestStack;
  let echo: Awaited<ReturnType<typeof startEchoingPostgres>>;
  let databaseId: string;
  let appId: string;
  let operator: string;
  let viewer: string;

  const call = async (method: string, path: string, json?: unknown, key?: string) => {
    const res = await stack.api(path, { method, ...(json === undefined ? {} : { json }), ...(key ? { key } : {}) });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', text, body: (text ? JSON.parse(text) : null) as Json & Problem };
  };
  const instance = async (overrides: Record<string, unknown> = {}) => {
    const res = await call('POST', '/v1/database-instances', {
      databaseId,
      name: `i-${Math.random().toString(36).slice(2)}`,
      host: 'db1.internal',
      port: 5432,
      databaseName: 'orders',
      username: 'sync',
      password: PASSWORD,
      sslMode: 'require',
      role: 'replica',
      ...overrides,
    });
    expect(res.status, res.text).toBe(201);
    return res.body;
  };
  const connection = async (overrides: Record<string, unknown> = {}) => {
    const res = await call('POST', '/v1/sharepoint-connections', {
      appId,
      name: `c-${Math.random().toString(36).slice(2)}`,
      tenantId: TENANT,
      clientId: CLIENT,
      clientSecret: CLIENT_SECRET,
      graphBaseUrl: 'https://graph.microsoft.com/v1.0',
      authorityHost: 'https://login.microsoftonline.com',
      ...overrides,
    });
    expect(res.status, res.text).toBe(201);
    return res.body;
  };
  const expectSecretRequired = (res: Awaited<ReturnType<typeof call>>, field: string, secret: string) => {
    expect(res.status, res.text).toBe(422);
    expect(res.type).toContain('application/problem+json');
    expect(res.body.errors?.map((e) => e.field)).toEqual([`body.${field}`]);
    expect(res.body.errors?.[0]?.message).toContain(`send ${secret} again`);
  };

  beforeAll(async () => {
    stack = await startTestStack();
    echo = await startEchoingPostgres();
    appId = (await call('POST', '/v1/apps', { name: 'a', ownerTeam: 't' })).body.id;
    databaseId = (await call('POST', '/v1/databases', { appId, name: 'd', engine: 'postgres', environment: 'prod' })).body.id;
    operator = await createKey(stack, 'operator');
    viewer = await createKey(stack, 'viewer');
  });
  afterAll(async () => {
    await echo?.close();
    await stack?.close();
  });

  it('refuses to move an instance (host, port, databaseName, username, sslMode) without its password, naming the field', async () => {
    const inst = await instance();
    const moves: Record<string, unknown> = { host: '127.0.0.1', port: echo.port, databaseName: 'other', username: 'someone', sslMode: 'disable' };
    for (const [field, value] of Object.entries(moves)) {
      expectSecretRequired(await call('PATCH', `/v1/database-instances/${inst.id}`, { [field]: value }), field, 'password');
    }
    // Nothing changed: the stored password still only goes where it went before.
    const after = await call('GET', `/v1/database-instances/${inst.id}`);
    expect(after.body).toMatchObject({ host: 'db1.internal', port: 5432, databaseName: 'orders', username: 'sync', sslMode: 'require' });

    // Several at once: every moved field is named.
    const both = await call('PATCH', `/v1/database-instances/${inst.id}`, { host: '127.0.0.1', port: echo.port, sslMode: 'disable', name: 'moved' });
    expect(both.status).toBe(422);
    expect(both.body.errors?.map((e) => e.field).sort()).toEqual(['body.host', 'body.port', 'body.sslMode']);

    // The same values again, or fields that do not decide where the password goes, need no password.
    const same = await call('PATCH', `/v1/database-instances/${inst.id}`, {
      host: 'db1.internal',
      port: 5432,
      sslMode: 'require',
      priority: 7,
      name: 'renamed',
    });
    expect(same.status, same.text).toBe(200);
    expect(same.body).toMatchObject({ name: 'renamed', priority: 7, hasPassword: true });

    // With the password in the same request the move is allowed.
    const moved = await call('PATCH', `/v1/database-instances/${inst.id}`, { host: 'db2.internal', port: 6432, password: 'a-new-password-for-db2' });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body).toMatchObject({ host: 'db2.internal', port: 6432, hasPassword: true });
  });

  it('lets an instance without a stored password move, and a move that drops the password', async () => {
    const none = await instance({ password: undefined });
    expect(none.hasPassword).toBe(false);
    const moved = await call('PATCH', `/v1/database-instances/${none.id}`, { host: 'db3.internal' });
    expect(moved.status, moved.text).toBe(200);

    const withPassword = await instance();
    const dropped = await call('PATCH', `/v1/database-instances/${withPassword.id}`, { host: 'db4.internal', password: null });
    expect(dropped.status, dropped.text).toBe(200);
    expect(dropped.body).toMatchObject({ host: 'db4.internal', hasPassword: false });
  });

  it('a refused move leaves /test talking to the old server: the stored password never reaches the new one', async () => {
    const inst = await instance({ host: '127.0.0.1', port: 1, sslMode: 'disable' });
    expectSecretRequired(await call('PATCH', `/v1/database-instances/${inst.id}`, { port: echo.port }), 'port', 'password');
    const tested = await call('POST', `/v1/database-instances/${inst.id}/test`, undefined, operator);
    expect(tested.status).toBe(200);
    expect(tested.body.ok).toBe(false);
    expect(echo.received).not.toContain(PASSWORD);
  });

  it('refuses to move a connection (tenantId, clientId, authorityHost, graphBaseUrl, caCertificatePem) without its client secret', async () => {
    const conn = await connection();
    const moves: Record<string, unknown> = {
      tenantId: 'attacker.onmicrosoft.com',
      clientId: '3b2a1c0d-8e7f-4a6b-9c5d-00000000cccc',
      authorityHost: 'https://login.attacker.example',
      graphBaseUrl: 'https://graph.attacker.example/v1.0',
      caCertificatePem: rootCertificates[0],
    };
    for (const [field, value] of Object.entries(moves)) {
      expectSecretRequired(await call('PATCH', `/v1/sharepoint-connections/${conn.id}`, { [field]: value }), field, 'clientSecret');
    }
    const after = await call('GET', `/v1/sharepoint-connections/${conn.id}`);
    expect(after.body).toMatchObject({
      tenantId: TENANT,
      clientId: CLIENT,
      authorityHost: 'https://login.microsoftonline.com',
      graphBaseUrl: 'https://graph.microsoft.com/v1.0',
      hasCaCertificate: false,
    });

    const same = await call('PATCH', `/v1/sharepoint-connections/${conn.id}`, { tenantId: TENANT, ruPerMinute: 2500, name: 'renamed' });
    expect(same.status, same.text).toBe(200);

    const moved = await call('PATCH', `/v1/sharepoint-connections/${conn.id}`, { ...moves, clientSecret: 'the-secret-of-the-new-app' });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body).toMatchObject({ tenantId: 'attacker.onmicrosoft.com', hasCaCertificate: true });

    // Dropping the extra CA changes whom the secret is sent to (the trust) as much as adding one.
    expectSecretRequired(await call('PATCH', `/v1/sharepoint-connections/${conn.id}`, { caCertificatePem: null }), 'caCertificatePem', 'clientSecret');
  });

  it('says so in the OpenAPI document', async () => {
    const doc = (await call('GET', '/openapi.json')).body as unknown as { components: { schemas: Record<string, { description?: string }> } };
    expect(doc.components.schemas.UpdateDatabaseInstance?.description).toMatch(/host, port, databaseName, username or sslMode.*password/s);
    expect(doc.components.schemas.UpdateSharePointConnection?.description).toMatch(
      /tenantId, clientId, authorityHost, graphBaseUrl or caCertificatePem.*clientSecret/s,
    );
  });

  it('/test scrubs the password from the server error it returns and stores (viewers read it)', async () => {
    const inst = await instance({ host: '127.0.0.1', port: echo.port, sslMode: 'disable' });
    const tested = await call('POST', `/v1/database-instances/${inst.id}/test`, undefined, operator);
    expect(tested.status, tested.text).toBe(200);
    // The hostile server did get the password (the admin pointed the instance there with it) and quoted it back.
    expect(echo.received).toContain(PASSWORD);
    expect(tested.body.ok).toBe(false);
    expect(tested.body.error).toBeTruthy();
    expect(tested.text).not.toContain(PASSWORD);
    const read = await call('GET', `/v1/database-instances/${inst.id}`, undefined, viewer);
    expect(read.body.lastHealthError).toBeTruthy();
    expect(read.text).not.toContain(PASSWORD);
    const [row] = await stack.store.sql<{ last_health_error: string }[]>`select last_health_error from database_instances where id = ${inst.id}`;
    expect(row!.last_health_error).not.toContain(PASSWORD);
  });
});
