import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { registerSource } from '../harness/sync.ts';

type Json = Record<string, unknown> & { id: string };
interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

const cursorOf = (values: string[]) => Buffer.from(JSON.stringify(values)).toString('base64url');

/**
 * `{"not":{"not":…{"column":"id","op":"eq","value":1}…}}` nested `depth` rules deep, as JSON text:
 * built as a string because JSON.stringify itself overflows the stack on such a value.
 */
function nestedRule(depth: number, open = '{"not":', close = '}'): string {
  return `${open.repeat(depth - 1)}{"column":"id","op":"eq","value":1}${close.repeat(depth - 1)}`;
}

describe('bad input is a 4xx problem naming the field, never a 500', () => {
  let stack: TestStack;
  let appId: string;
  let instanceId: string;
  let definitionId: string;

  const call = async (method: string, path: string, json?: unknown) => {
    const res = await stack.api(path, { method, ...(json === undefined ? {} : { json }) });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', text, body: (text ? JSON.parse(text) : null) as Json & Problem };
  };
  const expectProblem = (res: Awaited<ReturnType<typeof call>>, status: number, field: string) => {
    expect(res.status, res.text).toBe(status);
    expect(res.type).toContain('application/problem+json');
    expect(res.body.errors?.map((e) => e.field)).toContain(field);
  };

  beforeAll(async () => {
    stack = await startTestStack();
    // The source is the test's own database: a table to define a sync on.
    await stack.store.sql.unsafe('create table public.items (id bigint primary key, name text)');
    const reg = await registerSource(stack, stack.db, 'bad-input');
    appId = reg.appId;
    instanceId = reg.instanceId;
    const def = await call('POST', '/v1/sync-definitions', {
      appId,
      name: 'items',
      sourceInstanceId: instanceId,
      sourceSchema: 'public',
      sourceTable: 'items',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorStrategy: 'full_scan',
    });
    expect(def.status, def.text).toBe(201);
    definitionId = def.body.id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  describe('NUL bytes (PostgreSQL text cannot hold them; drivers cut strings at them)', () => {
    it('in a body string field: 400 naming it, nothing stored', async () => {
      expectProblem(await call('POST', '/v1/apps', { name: 'a\u0000b', ownerTeam: 't' }), 400, 'body.name');
      expectProblem(await call('POST', '/v1/apps', { name: 'ok', ownerTeam: 't', description: 'x\u0000' }), 400, 'body.description');
      expectProblem(await call('PATCH', `/v1/apps/${appId}`, { ownerTeam: '\u0000' }), 400, 'body.ownerTeam');
      const [row] = await stack.store.sql<{ n: number }[]>`select count(*)::int as n from apps where name like 'a%b'`;
      expect(row!.n).toBe(0);
    });

    it('in a password (the driver would send only what precedes the NUL)', async () => {
      const databaseId = (await call('GET', `/v1/database-instances/${instanceId}`)).body.databaseId as string;
      const res = await call('POST', '/v1/database-instances', {
        databaseId,
        name: 'nul-password',
        host: 'db.internal',
        port: 5432,
        databaseName: 'x',
        username: 'u',
        password: 'secret\u0000ignored-tail',
        role: 'replica',
      });
      expectProblem(res, 400, 'body.password');
      // The problem names the field but never echoes the value.
      expect(res.text).not.toContain('ignored-tail');
    });

    it('in nested JSON (a routing rule value)', async () => {
      const res = await call('POST', `/v1/sync-definitions/${definitionId}/targets`, {
        connectionId: randomUUID(),
        siteId: 's',
        listDisplayName: 'l',
        routingRule: { all: [{ column: 'name', op: 'eq', value: 'a\u0000' }] },
      });
      expectProblem(res, 400, 'body.routingRule.all.0.value');
    });

    it('in query parameters: the ledger `after`, the schema filters (400, not 500 or 503)', async () => {
      expectProblem(await call('GET', `/v1/sync-definitions/${definitionId}/ledger?after=${encodeURIComponent('k\u0000')}`), 400, 'query.after');
      expectProblem(await call('GET', `/v1/database-instances/${instanceId}/schema?schema=${encodeURIComponent('pub\u0000lic')}`), 400, 'query.schema');
      expectProblem(await call('GET', `/v1/database-instances/${instanceId}/schema?table=${encodeURIComponent('\u0000')}`), 400, 'query.table');
    });

    it('inside a ledger cursor', async () => {
      expectProblem(await call('GET', `/v1/sync-definitions/${definitionId}/ledger?cursor=${cursorOf(['k\u0000'])}`), 400, 'cursor');
    });
  });

  describe('characters a person cannot read, hosts and Graph ids that are not', () => {
    it('control characters, bidi overrides and invalid characters in names: 400 naming the field, nothing stored', async () => {
      for (const bad of ['a\u0001b', 'tab\there', 'line\nbreak', '\u202egnp.exe', 'x\u2066y', 'bad\ufffd', 'lone\ud800x', 'del\u007f', 'c1\u0085']) {
        expectProblem(await call('POST', '/v1/apps', { name: bad, ownerTeam: 't' }), 400, 'body.name');
        expectProblem(await call('PATCH', `/v1/apps/${appId}`, { ownerTeam: bad }), 400, 'body.ownerTeam');
      }
      // A description may have lines and tabs, not other control characters.
      const ok = await call('POST', '/v1/apps', { name: 'described', ownerTeam: 't', description: 'first line\n\tsecond line' });
      expect(ok.status, ok.text).toBe(201);
      expectProblem(await call('POST', '/v1/apps', { name: 'd2', ownerTeam: 't', description: 'x\u001by' }), 400, 'body.description');
      // A valid surrogate pair (an emoji) is fine.
      expect((await call('POST', '/v1/apps', { name: 'team \u{1F680}', ownerTeam: 't' })).status).toBe(201);
      const [row] = await stack.store.sql<{ n: number }[]>`select count(*)::int as n from apps where name ~ '[[:cntrl:]]' or name like '%\u202e%'`;
      expect(row!.n).toBe(0);
    });

    it('a host that is not a host name or an IP address: 400 naming host, nothing stored', async () => {
      const databaseId = (await call('GET', `/v1/database-instances/${instanceId}`)).body.databaseId as string;
      const instance = (host: string, name: string) => ({ databaseId, name, host, port: 5432, databaseName: 'x', username: 'u', role: 'replica' });
      for (const host of [
        'a\u0001b',
        'host with spaces',
        'http://evil/',
        'db.internal:5432',
        'db/x',
        '-leading.example',
        'a..b',
        '\u202egnp.exe',
        `${'a'.repeat(64)}.example`,
      ]) {
        expectProblem(await call('POST', '/v1/database-instances', instance(host, `bad ${host.length}`)), 400, 'body.host');
      }
      expectProblem(await call('PATCH', `/v1/database-instances/${instanceId}`, { host: 'two words' }), 400, 'body.host');
      expectProblem(await call('POST', '/v1/database-instances', { ...instance('db.internal', 'bad user'), username: 'u\u0007' }), 400, 'body.username');
      for (const [i, host] of ['db.internal', 'db_1.corp.example.com.', '10.0.0.7', '2001:db8::7', '[2001:db8::8]'].entries()) {
        const res = await call('POST', '/v1/database-instances', instance(host, `good ${i}`));
        expect(res.status, `${host}: ${res.text}`).toBe(201);
      }
    });

    it('a site or list id with separators or dot segments: 400 naming it', async () => {
      const target = (json: Record<string, unknown>) =>
        call('POST', `/v1/sync-definitions/${definitionId}/targets`, { connectionId: randomUUID(), siteId: 's', listDisplayName: 'l', ...json });
      for (const siteId of ['..', '.', 'a/b', 'contoso.sharepoint.com:/sites/x:', 'a?b', 'a b', 'a%2fb'])
        expectProblem(await target({ siteId }), 400, 'body.siteId');
      expectProblem(await target({ listId: '../lists' }), 400, 'body.listId');
      expectProblem(await target({ listDisplayName: 'two\nlines' }), 400, 'body.listDisplayName');
    });
  });

  describe('list cursors', () => {
    it('with a date PostgreSQL cannot hold, or not as this API writes it: 400 naming cursor', async () => {
      const id = randomUUID();
      for (const date of ['-200000-01-01T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '2024-02-30T00:00:00.000Z', '2024', 'Tue, 01 Oct 2024 00:00:00 GMT']) {
        expectProblem(await call('GET', `/v1/apps?cursor=${cursorOf([date, id])}`), 400, 'cursor');
      }
      expectProblem(await call('GET', `/v1/sync-runs?cursor=${cursorOf(['-200000-01-01T00:00:00.000Z', id])}`), 400, 'cursor');
      expectProblem(await call('GET', `/v1/apps?cursor=${cursorOf(['2024-01-01T00:00:00.000Z', 'not-a-uuid'])}`), 400, 'cursor');
    });

    it('a cursor the API returned still works', async () => {
      await call('POST', '/v1/apps', { name: 'second', ownerTeam: 't' });
      const first = await call('GET', '/v1/apps?limit=1');
      expect(first.status).toBe(200);
      const next = first.body.nextCursor as string;
      expect(next).toBeTruthy();
      const second = await call('GET', `/v1/apps?limit=1&cursor=${next}`);
      expect(second.status, second.text).toBe(200);
    });
  });

  describe('routing rules', () => {
    const postTarget = async (rule: string) => {
      const body = `{"connectionId":"${randomUUID()}","siteId":"s","listDisplayName":"l","routingRule":${rule}}`;
      const res = await stack.api(`/v1/sync-definitions/${definitionId}/targets`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      const text = await res.text();
      return { status: res.status, type: res.headers.get('content-type') ?? '', text, body: JSON.parse(text) as Json & Problem };
    };

    it('nested thousands deep: 400 naming routingRule, not a stack overflow', async () => {
      for (const rule of [nestedRule(20_000), nestedRule(5_000, '{"all":[', ']}'), nestedRule(5_000, '{"any":[{"column":"id","op":"eq","value":2},', ']}')]) {
        const res = await postTarget(rule);
        expectProblem(res, 400, 'body.routingRule');
        expect(res.body.errors?.find((e) => e.field === 'body.routingRule')?.message).toMatch(/nested more than 32/);
      }
    });

    it('up to the cap is validated as usual', async () => {
      // 32 levels parse; the unknown connection is what is refused.
      const res = await postTarget(nestedRule(32));
      expect(res.status, res.text).toBe(422);
      expectProblem(res, 422, 'body.connectionId');
      expectProblem(await postTarget(nestedRule(33)), 400, 'body.routingRule');
    });
  });
});
