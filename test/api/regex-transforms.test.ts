import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../harness/stack.ts';

type Json = Record<string, unknown> & { id: string };
interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

/** regex_replace patterns run on a linear-time engine: what it cannot run is refused when the mapping is saved. */
describe('field mappings: regex_replace patterns', () => {
  let stack: TestStack;
  let base: string;

  const post = async (path: string, json: unknown) => {
    const res = await stack.api(path, { method: 'POST', json });
    const body = (await res.json()) as Json;
    expect(res.status, JSON.stringify(body)).toBe(201);
    return body;
  };
  const problemOf = async (res: Response, status: number) => {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    return JSON.parse(text) as Problem;
  };
  const mapping = (pattern: string, extra: Record<string, unknown> = {}) => ({
    sourceColumn: 'name',
    targetColumn: 'Name',
    targetType: 'note',
    transforms: [{ op: 'trim' }, { op: 'regex_replace', pattern, replacement: '', ...extra }],
  });

  beforeAll(async () => {
    stack = await startTestStack();
    // The instance points at this test's own database: the definition reads a table there.
    await stack.store.sql.unsafe(`create table public.people (id bigint primary key, name text)`);
    const appId = (await post('/v1/apps', { name: 'people', ownerTeam: 'hr' })).id;
    const databaseId = (await post('/v1/databases', { appId, name: 'people-db', engine: 'postgres', environment: 'dev' })).id;
    const pg = new URL(stack.db.url);
    const instanceId = (
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
    const def = await post('/v1/sync-definitions', {
      appId,
      name: 'people',
      sourceInstanceId: instanceId,
      sourceSchema: 'public',
      sourceTable: 'people',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorStrategy: 'full_scan',
    });
    base = `/v1/sync-definitions/${def.id}/field-mappings`;
  });
  afterAll(async () => {
    await stack?.close();
  });

  it.each([
    ['(\\w)\\1', /backreference/],
    ['(?<c>\\w)\\k<c>', /backreference/],
    ['foo(?=bar)', /lookahead/],
    ['(?<!x)y', /lookbehind/],
  ])('refuses %s with a 422 naming body.transforms.1.pattern', async (pattern, why) => {
    const body = await problemOf(await stack.api(base, { method: 'POST', json: mapping(pattern) }), 422);
    expect(body.code).toBe('validation_failed');
    expect(body.errors).toEqual([{ field: 'body.transforms.1.pattern', message: expect.stringMatching(why) }]);
    expect(body.errors![0]!.message).toMatch(/linear-time/);
  });

  it('names the mapping and the transform in a whole-set replacement, and saves nothing', async () => {
    const ok = { sourceColumn: 'id', targetColumn: 'RowId', targetType: 'number' };
    const res = await stack.api(base, { method: 'PUT', json: { mappings: [ok, mapping('(a)\\1')] } });
    const body = await problemOf(res, 422);
    expect(body.errors?.map((e) => e.field)).toEqual(['body.mappings.1.transforms.1.pattern']);
    expect(((await (await stack.api(base)).json()) as { items: unknown[] }).items).toHaveLength(0);
  });

  it('refuses the same on PATCH', async () => {
    const saved = await post(base, mapping('\\s+', { flags: 'g' }));
    const res = await stack.api(`${base}/${saved.id}`, {
      method: 'PATCH',
      json: { transforms: [{ op: 'regex_replace', pattern: 'a(?!b)', replacement: '' }] },
    });
    expect((await problemOf(res, 422)).errors?.[0]?.field).toBe('body.transforms.0.pattern');
    await stack.api(`${base}/${saved.id}`, { method: 'DELETE' });
  });

  it('accepts a pattern that backtracks catastrophically in JavaScript: it cannot hang the linear-time engine', async () => {
    const saved = await post(base, mapping('^(a+)+$', { flags: 'g' }));
    expect(saved.transforms).toEqual([{ op: 'trim' }, { op: 'regex_replace', pattern: '^(a+)+$', flags: 'g', replacement: '' }]);
  });

  it('answers 400 naming the pattern for malformed syntax, and for flags it does not know', async () => {
    const malformed = await problemOf(await stack.api(base, { method: 'POST', json: mapping('(') }), 400);
    expect(malformed.errors?.[0]).toMatchObject({ field: 'body.transforms.1.pattern', message: expect.stringMatching(/regular expression/) });
    const sticky = await problemOf(await stack.api(base, { method: 'POST', json: mapping('a', { flags: 'y' }) }), 400);
    expect(sticky.errors?.[0]?.field).toBe('body.transforms.1.flags');
  });
});
