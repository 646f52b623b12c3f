import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../harness/stack.ts';

const PASSWORD = 'pg-Pa55word-that-must-never-leak';
const CLIENT_SECRET = 'graph-client-secret-that-must-never-leak';
const NEW_SECRET = 'rotated-client-secret-never-leak-either';

describe('secrets are encrypted at rest, write-only and never logged', () => {
  let stack: TestStack;
  const bodies: string[] = [];
  const call = async (path: string, init?: Parameters<TestStack['api']>[1]) => {
    const res = await stack.api(path, init);
    const text = await res.text();
    bodies.push(text);
    return { status: res.status, json: JSON.parse(text) as Record<string, unknown> & { id: string } };
  };

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('never returns a password or client secret, and stores them encrypted', async () => {
    const app = await call('/v1/apps', { method: 'POST', json: { name: 'a', ownerTeam: 't' } });
    const db = await call('/v1/databases', { method: 'POST', json: { appId: app.json.id, name: 'd', engine: 'postgres', environment: 'prod' } });
    const inst = await call('/v1/database-instances', {
      method: 'POST',
      json: { databaseId: db.json.id, name: 'p', host: 'db.internal', port: 5432, databaseName: 'x', username: 'sync', password: PASSWORD, role: 'primary' },
    });
    expect(inst.status).toBe(201);
    expect(inst.json.hasPassword).toBe(true);
    expect(inst.json).not.toHaveProperty('password');
    expect(inst.json).not.toHaveProperty('passwordEncrypted');
    const conn = await call('/v1/sharepoint-connections', {
      method: 'POST',
      json: {
        appId: app.json.id,
        name: 'c',
        tenantId: 'contoso.onmicrosoft.com',
        clientId: '3b2a1c0d-8e7f-4a6b-9c5d-00000000000c',
        clientSecret: CLIENT_SECRET,
      },
    });
    expect(conn.status).toBe(201);
    expect(conn.json.hasClientSecret).toBe(true);

    await call(`/v1/database-instances/${inst.json.id}`);
    await call('/v1/database-instances');
    await call(`/v1/sharepoint-connections/${conn.json.id}`);
    await call('/v1/sharepoint-connections');
    const patched = await call(`/v1/sharepoint-connections/${conn.json.id}`, { method: 'PATCH', json: { clientSecret: NEW_SECRET } });
    expect(patched.status).toBe(200);
    // A rejected request that carries a secret must not echo it either.
    const rejected = await call(`/v1/database-instances/${inst.json.id}`, { method: 'PATCH', json: { password: PASSWORD, port: 'not-a-port' } });
    expect(rejected.status).toBe(400);

    const [instRow] = await stack.store.sql<{ password_encrypted: string }[]>`select password_encrypted from database_instances where id = ${inst.json.id}`;
    const [connRow] = await stack.store.sql<
      { client_secret_encrypted: string }[]
    >`select client_secret_encrypted from sharepoint_connections where id = ${conn.json.id}`;
    expect(instRow!.password_encrypted).toMatch(/^v1:test:/);
    expect(instRow!.password_encrypted).not.toContain(PASSWORD);
    expect(stack.secrets.decrypt(instRow!.password_encrypted)).toBe(PASSWORD);
    expect(stack.secrets.decrypt(connRow!.client_secret_encrypted)).toBe(NEW_SECRET);

    for (const secret of [PASSWORD, CLIENT_SECRET, NEW_SECRET]) {
      for (const body of bodies) expect(body).not.toContain(secret);
      expect(stack.logs.text()).not.toContain(secret);
    }
    expect(stack.logs.lines.length).toBeGreaterThan(5);
  });
});
