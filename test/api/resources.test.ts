import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../harness/stack.ts';

type Json = Record<string, unknown> & { id: string };
interface Problem {
  status: number;
  code: string;
  detail: string;
  requestId: string;
  errors?: Array<{ field: string; message: string }>;
}

describe('admin API resources over HTTP', () => {
  let stack: TestStack;
  const post = async (path: string, json: unknown, expected = 201) => {
    const res = await stack.api(path, { method: 'POST', json });
    const body = (await res.json()) as Json;
    expect(res.status, JSON.stringify(body)).toBe(expected);
    return body;
  };
  const problemOf = async (res: Response, status: number) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = (await res.json()) as Problem;
    expect(body.requestId).toBeTruthy();
    return body;
  };
  let appId: string;
  let databaseId: string;
  let instanceId: string;
  let connectionId: string;

  beforeAll(async () => {
    stack = await startTestStack();
    // The instance below points at this test's own database: the tables its definitions read must exist there.
    await stack.store.sql.unsafe(`
      create table public.orders (region text not null, id bigint not null, updated_at timestamptz not null default now(), primary key (region, id));
      create table public.customers (id bigint primary key, email varchar(200), name varchar(200), region text);
      create table public.t (id bigint primary key);`);
    appId = (await post('/v1/apps', { name: 'orders', ownerTeam: 'data-platform' })).id;
    databaseId = (await post('/v1/databases', { appId, name: 'orders-db', engine: 'postgres', environment: 'dev' })).id;
    const pg = new URL(stack.db.url);
    instanceId = (
      await post('/v1/database-instances', {
        databaseId,
        name: 'primary',
        host: pg.hostname,
        port: Number(pg.port),
        databaseName: stack.db.name,
        username: 'postgres',
        password: 'not-needed-trust-auth',
        sslMode: 'disable',
        role: 'primary',
      })
    ).id;
    connectionId = (
      await post('/v1/sharepoint-connections', {
        appId,
        name: 'contoso',
        tenantId: 'contoso.onmicrosoft.com',
        clientId: '3b2a1c0d-8e7f-4a6b-9c5d-000000000001',
        clientSecret: 'super-secret-value-123',
        graphBaseUrl: 'http://127.0.0.1:9/v1.0',
      })
    ).id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('creates, reads, updates and deletes an app', async () => {
    const created = await post('/v1/apps', { name: 'crm', ownerTeam: 'sales-ops', description: 'CRM tables' });
    expect(created).toMatchObject({ name: 'crm', ownerTeam: 'sales-ops', description: 'CRM tables' });
    const got = (await (await stack.api(`/v1/apps/${created.id}`)).json()) as Json;
    expect(got).toEqual(created);
    const patched = await stack.api(`/v1/apps/${created.id}`, { method: 'PATCH', json: { ownerTeam: 'revops' } });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as Json).ownerTeam).toBe('revops');
    expect((await stack.api(`/v1/apps/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    await problemOf(await stack.api(`/v1/apps/${created.id}`), 404);
  });

  it('pages with an opaque cursor until nextCursor is null, without repeats', async () => {
    for (let i = 0; i < 7; i++) await post('/v1/apps', { name: `page-${i}`, ownerTeam: 't' });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = (await (await stack.api(`/v1/apps?limit=3${q}`)).json()) as { items: Json[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(8);
    const bad = await problemOf(await stack.api('/v1/apps?cursor=garbage'), 400);
    expect(bad.errors?.[0]?.field).toBe('cursor');
  });

  it('filters lists by parent id', async () => {
    const page = (await (await stack.api(`/v1/databases?appId=${appId}`)).json()) as { items: Json[] };
    expect(page.items.map((d) => d.id)).toEqual([databaseId]);
  });

  it('rejects invalid bodies with 400 problem+json naming each field', async () => {
    const res = await stack.api('/v1/database-instances', { method: 'POST', json: { databaseId: 'nope', name: '', port: 70000, role: 'leader' } });
    const body = await problemOf(res, 400);
    expect(body.code).toBe('validation_failed');
    const fields = body.errors!.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['body.databaseId', 'body.name', 'body.port', 'body.role', 'body.host']));
  });

  it('rejects unknown fields, malformed JSON and bad path ids with 400, never 500', async () => {
    const unknown = await problemOf(await stack.api('/v1/apps', { method: 'POST', json: { name: 'a', ownerTeam: 'b', colour: 'red' } }), 400);
    expect(unknown.detail).toMatch(/colour/);
    await problemOf(await stack.api('/v1/apps', { method: 'POST', body: '{"name":', headers: { 'content-type': 'application/json' } }), 400);
    const badId = await problemOf(await stack.api('/v1/apps/not-a-uuid'), 400);
    expect(badId.errors?.[0]?.field).toMatch(/id/);
  });

  it('answers 404 problem+json for unknown routes and ids', async () => {
    await problemOf(await stack.api('/v1/nothing-here'), 404);
    await problemOf(await stack.api('/v1/apps/00000000-0000-4000-8000-000000000000'), 404);
  });

  it('answers 409 for duplicates and for a second primary instance', async () => {
    const dup = await problemOf(await stack.api('/v1/apps', { method: 'POST', json: { name: 'orders', ownerTeam: 'x' } }), 409);
    expect(dup.code).toBe('conflict');
    const second = await stack.api('/v1/database-instances', {
      method: 'POST',
      json: { databaseId, name: 'another-primary', host: 'h', port: 5432, databaseName: 'd', username: 'u', role: 'primary' },
    });
    expect((await problemOf(second, 409)).detail).toContain('database_instances_one_primary_uq');
    expect(
      (
        await stack.api('/v1/database-instances', {
          method: 'POST',
          json: { databaseId, name: 'replica-1', host: 'h', port: 5432, databaseName: 'd', username: 'u', role: 'replica' },
        })
      ).status,
    ).toBe(201);
  });

  it('answers 422 for references to resources that do not exist, and 409 when deleting something in use', async () => {
    const missing = await problemOf(
      await stack.api('/v1/databases', {
        method: 'POST',
        json: { appId: '00000000-0000-4000-8000-000000000000', name: 'x', engine: 'postgres', environment: 'dev' },
      }),
      422,
    );
    expect(missing.code).toBe('invalid_reference');
    expect(missing.errors).toEqual([{ field: 'body.appId', message: expect.stringMatching(/^00000000-0000-4000-8000-000000000000 does not exist/) }]);
    const inUse = await problemOf(await stack.api(`/v1/apps/${appId}`, { method: 'DELETE' }), 409);
    expect(inUse.detail).toMatch(/in use/);
  });

  it('validates sync definitions across fields', async () => {
    const base = {
      appId,
      name: 'orders-sync',
      sourceInstanceId: instanceId,
      sourceSchema: 'public',
      sourceTable: 'orders',
      keyStrategy: 'composite',
      keyColumns: ['id'],
      cursorStrategy: 'updated_at',
    };
    const bad = await problemOf(await stack.api('/v1/sync-definitions', { method: 'POST', json: base }), 400);
    expect(bad.errors).toEqual(
      expect.arrayContaining([
        { field: 'body.keyColumns', message: 'a composite key needs at least two columns' },
        { field: 'body.cursorColumn', message: 'required when cursorStrategy is updated_at' },
      ]),
    );
    const cron = await problemOf(
      await stack.api('/v1/sync-definitions', {
        method: 'POST',
        json: { ...base, keyColumns: ['a', 'b'], cursorColumn: 'updated_at', scheduleCron: 'every minute' },
      }),
      400,
    );
    expect(cron.errors?.[0]?.field).toBe('body.scheduleCron');

    const def = await post('/v1/sync-definitions', { ...base, keyColumns: ['region', 'id'], cursorColumn: 'updated_at', scheduleIntervalSeconds: 60 });
    expect(def).toMatchObject({
      keyStrategy: 'composite',
      keyColumns: ['region', 'id'],
      direction: 'push',
      conflictPolicy: 'source_wins',
      targetStrategy: 'single',
      enabled: false,
      batchSize: 500,
    });
    // A patch is checked against the merged definition.
    const patch = await problemOf(await stack.api(`/v1/sync-definitions/${def.id}`, { method: 'PATCH', json: { cursorStrategy: 'full_scan' } }), 400);
    expect(patch.errors?.[0]?.message).toMatch(/must be null/);
    const ok = await stack.api(`/v1/sync-definitions/${def.id}`, { method: 'PATCH', json: { cursorStrategy: 'full_scan', cursorColumn: null } });
    expect(ok.status).toBe(200);
  });

  it('manages targets and field mappings nested under their definition', async () => {
    const def = await post('/v1/sync-definitions', {
      appId,
      name: 'customers',
      sourceInstanceId: instanceId,
      sourceSchema: 'public',
      sourceTable: 'customers',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorStrategy: 'full_scan',
      targetStrategy: 'conditional',
    });
    const base = `/v1/sync-definitions/${def.id}`;
    const eu = await post(`${base}/targets`, {
      connectionId,
      siteId: 'contoso.sharepoint.com,1,2',
      listDisplayName: 'Customers EU',
      routingRule: { column: 'region', op: 'in', values: ['eu', 'uk'] },
      priority: 10,
    });
    expect(eu.routingRule).toEqual({ column: 'region', op: 'in', values: ['eu', 'uk'] });
    await post(`${base}/targets`, { connectionId, siteId: 'contoso.sharepoint.com,1,2', listDisplayName: 'Customers', isDefault: true });
    const secondDefault = await stack.api(`${base}/targets`, {
      method: 'POST',
      json: { connectionId, siteId: 's', listDisplayName: 'Other', isDefault: true },
    });
    await problemOf(secondDefault, 409);
    const badRule = await problemOf(
      await stack.api(`${base}/targets`, {
        method: 'POST',
        json: { connectionId, siteId: 's', listDisplayName: 'X', routingRule: { column: 'region', op: 'like', value: 'e%' } },
      }),
      400,
    );
    expect(badRule.errors?.[0]?.field).toMatch(/routingRule/);
    const targets = (await (await stack.api(`${base}/targets`)).json()) as { items: Json[] };
    expect(targets.items).toHaveLength(2);

    const mapping = await post(`${base}/field-mappings`, {
      sourceColumn: 'email',
      targetColumn: 'Email',
      targetType: 'text',
      transforms: [{ op: 'trim' }, { op: 'lower' }],
    });
    expect(mapping).toMatchObject({ direction: 'both', converterOptions: {}, transforms: [{ op: 'trim' }, { op: 'lower' }] });
    const badRegex = await problemOf(
      await stack.api(`${base}/field-mappings`, {
        method: 'POST',
        json: { sourceColumn: 'name', targetColumn: 'Name', targetType: 'text', transforms: [{ op: 'regex_replace', pattern: '(', replacement: '' }] },
      }),
      400,
    );
    expect(badRegex.detail).toMatch(/regular expression/);
    const badName = await problemOf(
      await stack.api(`${base}/field-mappings`, { method: 'POST', json: { sourceColumn: 'name', targetColumn: 'Full Name', targetType: 'text' } }),
      400,
    );
    expect(badName.errors?.[0]?.field).toBe('body.targetColumn');

    // Nested ids are scoped: a mapping is not reachable under another definition.
    const other = await post('/v1/sync-definitions', {
      appId,
      name: 'other',
      sourceInstanceId: instanceId,
      sourceSchema: 'public',
      sourceTable: 't',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorStrategy: 'full_scan',
    });
    await problemOf(await stack.api(`/v1/sync-definitions/${other.id}/field-mappings/${mapping.id}`), 404);
    await problemOf(await stack.api(`/v1/sync-definitions/00000000-0000-4000-8000-000000000000/targets`), 404);
  });

  it('tests a database instance for real and records its health', async () => {
    const res = await stack.api(`/v1/database-instances/${instanceId}/test`, { method: 'POST' });
    const body = (await res.json()) as { ok: boolean; serverVersion: string; instance: Json };
    expect(res.status).toBe(200);
    expect(body.ok).toBe(true);
    expect(body.serverVersion).toMatch(/^PostgreSQL \d+/);
    expect(body.instance).toMatchObject({ status: 'healthy', lastHealthError: null });

    const down = await post('/v1/database-instances', {
      databaseId,
      name: 'dead',
      host: '127.0.0.1',
      port: 1,
      databaseName: 'x',
      username: 'u',
      role: 'replica',
      sslMode: 'disable',
    });
    const failed = (await (await stack.api(`/v1/database-instances/${down.id}/test`, { method: 'POST' })).json()) as {
      ok: boolean;
      error: string;
      instance: Json;
    };
    expect(failed.ok).toBe(false);
    expect(failed.error).toMatch(/ECONNREFUSED|connect/i);
    expect(failed.instance).toMatchObject({ status: 'unhealthy' });
    expect(failed.instance.lastHealthAt).toBeTruthy();
  });

  it('refuses plain-http Graph URLs except on loopback', async () => {
    const res = await stack.api('/v1/sharepoint-connections', {
      method: 'POST',
      json: {
        appId,
        name: 'plain',
        tenantId: 'contoso.onmicrosoft.com',
        clientId: '3b2a1c0d-8e7f-4a6b-9c5d-000000000001',
        clientSecret: 's',
        graphBaseUrl: 'http://graph.example.com/v1.0',
      },
    });
    const body = await problemOf(res, 400);
    expect(body.errors?.[0]).toMatchObject({ field: 'body.graphBaseUrl' });
  });
});
