import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, startTestStack, type TestStack } from '../harness/stack.ts';

type Json = Record<string, unknown> & { id: string };

/** A viewer reads the source schema: a read, so it must not grow schema_snapshots unless the schema changed. */
describe('GET /v1/database-instances/{id}/schema as a read', () => {
  let stack: TestStack;
  let instanceId: string;
  let viewer: string;

  const post = async (path: string, json: unknown) => {
    const res = await stack.api(path, { method: 'POST', json });
    const body = (await res.json()) as Json;
    expect(res.status, JSON.stringify(body)).toBe(201);
    return body;
  };
  const getSchema = async (query = '') => {
    const res = await stack.api(`/v1/database-instances/${instanceId}/schema${query}`, { key: viewer });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    return JSON.parse(text) as { snapshotId: string | null; capturedAt: string | null; fingerprint: string; tables: unknown[]; changes: unknown };
  };
  const snapshotRows = async () =>
    (await stack.store.sql<{ n: number }[]>`select count(*)::int as n from schema_snapshots where instance_id = ${instanceId}`)[0]!.n;

  beforeAll(async () => {
    stack = await startTestStack();
    // The instance points at this test's own database: its tables are what gets introspected.
    await stack.store.sql.unsafe(`create schema shop; create table shop.items (id bigint primary key, name text);`);
    const appId = (await post('/v1/apps', { name: 'shop', ownerTeam: 'web' })).id;
    const databaseId = (await post('/v1/databases', { appId, name: 'shop-db', engine: 'postgres', environment: 'dev' })).id;
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
    viewer = await createKey(stack, 'viewer');
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('stores nothing for repeated reads of an unchanged schema', async () => {
    const first = await getSchema('?schema=shop');
    expect(first.snapshotId).toMatch(/^[0-9a-f-]{36}$/);
    const rows = await snapshotRows();
    for (let i = 0; i < 5; i++) expect((await getSchema('?schema=shop')).snapshotId).toBe(first.snapshotId);
    expect(await snapshotRows()).toBe(rows);
  });

  it('stores nothing for filters that match no table, however many a viewer tries', async () => {
    const rows = await snapshotRows();
    for (let i = 0; i < 20; i++) {
      const none = await getSchema(`?schema=nothing_here_${i}`);
      expect(none.tables).toEqual([]);
      expect(none.snapshotId).toBeNull();
      expect(none.capturedAt).toBeNull();
      expect(none.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(await snapshotRows()).toBe(rows);
  });

  it('still records a scope whose tables went away (it has history)', async () => {
    await stack.store.sql.unsafe(`create schema gone; create table gone.t (id int primary key);`);
    const before = await getSchema('?schema=gone');
    expect(before.tables).toHaveLength(1);
    await stack.store.sql.unsafe(`drop schema gone cascade`);
    const after = await getSchema('?schema=gone');
    expect(after.tables).toEqual([]);
    expect(after.snapshotId).not.toBeNull();
    expect(after.snapshotId).not.toBe(before.snapshotId);
    expect(after.changes).toMatchObject({ removedTables: ['gone.t'] });
  });
});
