import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, startTestStack, type TestStack } from '../harness/stack.ts';

const problem = async (res: Response) => {
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  return (await res.json()) as { status: number; code: string; detail: string; requestId: string };
};

describe('API authentication and roles', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers 401 problem+json without a key, with the request id', async () => {
    const res = await stack.api('/v1/apps', { key: null, headers: { 'x-request-id': 'req-no-key' } });
    expect(res.status).toBe(401);
    const body = await problem(res);
    expect(body).toMatchObject({ status: 401, code: 'unauthenticated', requestId: 'req-no-key' });
  });

  it('answers 401 for an unknown key and for a malformed header', async () => {
    expect((await stack.api('/v1/apps', { key: 'sbk_not_a_real_key_at_all_000000' })).status).toBe(401);
    const res = await stack.api('/v1/apps', { key: null, headers: { authorization: 'Basic abc' } });
    expect(res.status).toBe(401);
    expect((await problem(res)).detail).toMatch(/Bearer/);
  });

  it('lets a viewer read but not write (403 naming the role needed)', async () => {
    const viewer = await createKey(stack, 'viewer');
    expect((await stack.api('/v1/apps', { key: viewer })).status).toBe(200);
    const res = await stack.api('/v1/apps', { key: viewer, method: 'POST', json: { name: 'x', ownerTeam: 'y' } });
    expect(res.status).toBe(403);
    const body = await problem(res);
    expect(body.code).toBe('forbidden');
    expect(body.detail).toContain('admin');
  });

  it('lets an operator manage sync definitions but not credentials or keys', async () => {
    const operator = await createKey(stack, 'operator');
    expect((await stack.api('/v1/apps', { key: operator, method: 'POST', json: { name: 'ops', ownerTeam: 'y' } })).status).toBe(403);
    expect((await stack.api('/v1/api-keys', { key: operator })).status).toBe(403);
    // Reaching validation (400) proves the role check passed.
    expect((await stack.api('/v1/sync-definitions', { key: operator, method: 'POST', json: {} })).status).toBe(400);
  });

  it('stores keys hashed, shows the value once, and refuses a revoked key', async () => {
    const created = await stack.api('/v1/api-keys', { method: 'POST', json: { name: 'temp', role: 'viewer' } });
    const { id, key, prefix } = (await created.json()) as { id: string; key: string; prefix: string };
    expect(key.startsWith(prefix)).toBe(true);
    const [row] = await stack.store.sql<{ key_hash: string }[]>`select key_hash from api_keys where id = ${id}`;
    expect(row!.key_hash).not.toContain(key);
    expect(row!.key_hash).toMatch(/^[0-9a-f]{64}$/);
    const listed = await (await stack.api('/v1/api-keys')).text();
    expect(listed).not.toContain(key);

    expect((await stack.api('/v1/apps', { key })).status).toBe(200);
    expect((await stack.api(`/v1/api-keys/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await stack.api('/v1/apps', { key })).status).toBe(401);
  });

  it('documents the bearer security scheme on every /v1 operation', async () => {
    const doc = (await (await stack.api('/openapi.json', { key: null })).json()) as {
      openapi: string;
      components: { securitySchemes: Record<string, { scheme: string }> };
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearerAuth?.scheme).toBe('bearer');
    const v1 = Object.entries(doc.paths).filter(([p]) => p.startsWith('/v1/'));
    expect(v1.length).toBeGreaterThan(10);
    for (const [path, ops] of v1) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.security, `${method} ${path}`).toEqual([{ bearerAuth: [] }]);
        expect(Object.keys(op.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['400', '401', '403', '500']));
      }
    }
    expect((await stack.api('/docs', { key: null })).status).toBe(200);
  });
});
