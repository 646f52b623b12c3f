import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson, defineSync, registerSourceAndConnection, runPush, type SyncSetup } from '../harness/sync.ts';

interface Problem {
  status: number;
  code: string;
  detail: string;
  requestId: string;
  errors?: Array<{ field: string; message: string }>;
}
interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
type LedgerPage = Page<{ sourceKey: string }> & { nextAfter: string | null };
type QuarantinePage = Page<{ id: string; sourceKey: string; reason: string; firstSeenAt: string }>;

const ROWS = 16;
/** Every third row holds NaN, which a list cannot store: those rows are quarantined, the others reach the ledger. */
const NAN_ROWS = Math.floor(ROWS / 3);

describe('list endpoints page alike; definitions use only their own app', () => {
  let stack: TestStack;
  let source: TestDatabase;
  let sql: postgres.Sql;
  let alpha: SyncSetup;
  let beta: SyncSetup;
  let definitionId: string;

  const problemOf = async (res: Response, status: number) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = (await res.json()) as Problem;
    expect(body.requestId).toBeTruthy();
    return body;
  };

  /** Follows `next(page)` until it is null, returning every page. */
  async function allPages<P>(first: string, next: (page: P) => string | null): Promise<P[]> {
    const pages: P[] = [];
    for (let path: string | null = first; path;) {
      const page: P = await apiJson<P>(stack, path);
      pages.push(page);
      path = next(page);
    }
    return pages;
  }

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, emulator: true });
    source = await createTestDatabase('sb_source');
    sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql`create table readings (id integer primary key, reading double precision, updated_at timestamptz not null default now())`;
    // One statement, so the quarantined entries share first_seen_at: paging must rely on the id tie-break.
    await sql`insert into readings (id, reading) select g, case when g % 3 = 0 then 'NaN'::float8 else g * 1.5 end from generate_series(1, ${ROWS}) g`;
    alpha = await registerSourceAndConnection(stack, source, 'alpha');
    beta = await registerSourceAndConnection(stack, source, 'beta');
    ({ definitionId } = await defineSync(stack, alpha, {
      name: 'readings',
      table: 'readings',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorColumn: 'updated_at',
    }));
    const run = await runPush(stack, definitionId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    expect(run.counts).toMatchObject({ created: ROWS - NAN_ROWS, quarantined: NAN_ROWS });
  });
  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await source?.drop();
  });

  describe('ledger', () => {
    const ledger = (query: string) => `/v1/sync-definitions/${definitionId}/ledger?${query}`;
    const keysInStoreOrder = async () =>
      (await stack.store.sql<Array<{ source_key: string }>>`select source_key from sync_ledger where definition_id = ${definitionId} order by source_key`).map(
        (r) => r.source_key,
      );

    it('pages with limit and cursor, every entry once, in source-key order, until nextCursor is null', async () => {
      const pages = await allPages<LedgerPage>(ledger('limit=3'), (p) => p.nextCursor && ledger(`limit=3&cursor=${encodeURIComponent(p.nextCursor)}`));
      expect(pages).toHaveLength(Math.ceil((ROWS - NAN_ROWS) / 3));
      for (const p of pages) expect(p.items.length).toBeLessThanOrEqual(3);
      expect(pages.at(-1)).toMatchObject({ nextCursor: null, nextAfter: null });
      expect(pages.flatMap((p) => p.items.map((i) => i.sourceKey))).toEqual(await keysInStoreOrder());
    });

    it('still pages with the deprecated after / nextAfter, the same way', async () => {
      const pages = await allPages<LedgerPage>(ledger('limit=4'), (p) => p.nextAfter && ledger(`limit=4&after=${encodeURIComponent(p.nextAfter)}`));
      expect(pages.flatMap((p) => p.items.map((i) => i.sourceKey))).toEqual(await keysInStoreOrder());
      // The two continuations name the same place: the last entry of the page.
      const first = pages[0]!;
      const viaCursor = await apiJson<LedgerPage>(stack, ledger(`limit=4&cursor=${encodeURIComponent(first.nextCursor!)}`));
      expect(viaCursor.items).toEqual(pages[1]!.items);
    });

    it('answers a bad cursor, a cursor of another list, both continuations or a limit over 200 with a 400 problem', async () => {
      const garbage = await problemOf(await stack.api(ledger('cursor=not-a-cursor')), 400);
      expect(garbage).toMatchObject({ code: 'validation_failed', errors: [{ field: 'cursor' }] });
      expect(garbage.detail).toMatch(/nextCursor/);

      const apps = await apiJson<Page<unknown>>(stack, '/v1/apps?limit=1');
      expect(apps.nextCursor).not.toBeNull();
      await problemOf(await stack.api(ledger(`cursor=${encodeURIComponent(apps.nextCursor!)}`)), 400);

      const page = await apiJson<LedgerPage>(stack, ledger('limit=2'));
      const both = await problemOf(await stack.api(ledger(`cursor=${encodeURIComponent(page.nextCursor!)}&after=${encodeURIComponent(page.nextAfter!)}`)), 400);
      expect(both.errors?.[0]?.field).toBe('query.after');

      const tooMany = await problemOf(await stack.api(ledger('limit=201')), 400);
      expect(tooMany.errors?.[0]?.field).toBe('query.limit');
    });
  });

  it('documents both lists with the same paging parameters, and after / nextAfter as deprecated', async () => {
    type Param = { name: string; deprecated?: boolean; schema?: { maximum?: number } };
    const doc = (await (await stack.api('/openapi.json', { key: null })).json()) as {
      paths: Record<string, { get: { parameters: Param[] } }>;
      components: { schemas: Record<string, { properties: Record<string, { deprecated?: boolean }> }> };
    };
    const paramsOf = (list: string) => doc.paths[`/v1/sync-definitions/{id}/${list}`]!.get.parameters;
    for (const list of ['ledger', 'quarantine']) {
      expect(paramsOf(list).find((p) => p.name === 'limit')?.schema?.maximum).toBe(200);
      expect(paramsOf(list).find((p) => p.name === 'cursor')).toBeDefined();
    }
    expect(paramsOf('ledger').find((p) => p.name === 'after')?.deprecated).toBe(true);
    expect(doc.components.schemas.LedgerPage!.properties.nextAfter!.deprecated).toBe(true);
    expect(doc.components.schemas.QuarantinePage!.properties.nextCursor).toBeDefined();
  });

  describe('quarantine', () => {
    const quarantine = (query: string) => `/v1/sync-definitions/${definitionId}/quarantine?${query}`;

    it('pages open entries oldest first with limit and cursor, every entry once', async () => {
      const pages = await allPages<QuarantinePage>(
        quarantine('limit=2'),
        (p) => p.nextCursor && quarantine(`limit=2&cursor=${encodeURIComponent(p.nextCursor)}`),
      );
      expect(pages).toHaveLength(Math.ceil(NAN_ROWS / 2));
      expect(pages.at(-1)!.nextCursor).toBeNull();
      const entries = pages.flatMap((p) => p.items);
      expect(entries).toHaveLength(NAN_ROWS);
      expect(new Set(entries.map((e) => e.id)).size).toBe(NAN_ROWS);
      for (const e of entries) expect(e.reason).toMatch(/reading/);
      const seen = entries.map((e) => Date.parse(e.firstSeenAt));
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      // One page as large as the whole set has no continuation.
      expect(await apiJson<QuarantinePage>(stack, quarantine(`limit=${NAN_ROWS}`))).toMatchObject({ nextCursor: null });
    });

    it('answers a bad cursor or a ledger cursor with a 400 problem', async () => {
      await problemOf(await stack.api(quarantine('cursor=%%%')), 400);
      const ledger = await apiJson<LedgerPage>(stack, `/v1/sync-definitions/${definitionId}/ledger?limit=1`);
      const foreign = await problemOf(await stack.api(quarantine(`cursor=${encodeURIComponent(ledger.nextCursor!)}`)), 400);
      expect(foreign.errors?.[0]?.field).toBe('cursor');
    });
  });

  describe('a definition at a glance', () => {
    it('filters the ledger and the quarantine by a piece of the source key', async () => {
      const all = await apiJson<LedgerPage>(stack, `/v1/sync-definitions/${definitionId}/ledger?limit=200`);
      const one = all.items.at(-1)!.sourceKey;
      const found = await apiJson<LedgerPage>(stack, `/v1/sync-definitions/${definitionId}/ledger?key=${encodeURIComponent(one)}`);
      // Every entry whose key contains the text, in key order, and nothing else.
      expect(found.items.map((i) => i.sourceKey)).toEqual(all.items.map((i) => i.sourceKey).filter((k) => k.includes(one)));
      expect(found.items.map((i) => i.sourceKey)).toContain(one);
      expect(found.items.length).toBeLessThan(all.items.length);
      // Plain text, not a pattern: '%' and '_' match only themselves.
      expect((await apiJson<LedgerPage>(stack, `/v1/sync-definitions/${definitionId}/ledger?key=%25`)).items).toEqual([]);
      const quarantined = await apiJson<QuarantinePage>(stack, `/v1/sync-definitions/${definitionId}/quarantine?limit=200`);
      const q = quarantined.items[1]!;
      const qFound = await apiJson<QuarantinePage>(stack, `/v1/sync-definitions/${definitionId}/quarantine?key=${encodeURIComponent(q.sourceKey)}`);
      expect(qFound.items.map((i) => i.id)).toEqual(quarantined.items.filter((i) => i.sourceKey.includes(q.sourceKey)).map((i) => i.id));
      expect(qFound.items.map((i) => i.id)).toContain(q.id);
      expect((await problemOf(await stack.api(`/v1/sync-definitions/${definitionId}/ledger?key=`), 400)).errors?.[0]?.field).toMatch(/key/);
    });

    it('sums up the last run, the quarantine and the ledger', async () => {
      const summary = await apiJson<Record<string, unknown>>(stack, `/v1/sync-definitions/${definitionId}/summary`);
      expect(summary).toMatchObject({
        definitionId,
        activeRuns: 0,
        quarantineOpen: NAN_ROWS,
        ledgerEntries: ROWS - NAN_ROWS,
        schedules: [],
        nextRunAt: null,
        lastRun: { kind: 'push', status: 'succeeded' },
      });
      await problemOf(await stack.api('/v1/sync-definitions/00000000-0000-4000-8000-000000000000/summary'), 404);
    });

    it('warns on the definition when no index serves its watermark column', async () => {
      const def = await apiJson<{ sourceWarnings: Array<{ field: string; code: string; message: string }> }>(stack, `/v1/sync-definitions/${definitionId}`);
      expect(def.sourceWarnings).toEqual([{ field: 'cursorColumn', code: 'cursor_not_indexed', message: expect.stringContaining('updated_at') }]);
    });

    it('tells a key who it is', async () => {
      expect(await apiJson(stack, '/v1/me')).toMatchObject({ role: 'admin', keyId: expect.any(String), name: expect.any(String) });
      await problemOf(await stack.api('/v1/me', { key: null }), 401);
    });
  });

  describe('cross-app use is refused', () => {
    const readings = (reg: SyncSetup, name: string) => ({
      appId: reg.appId,
      name,
      sourceInstanceId: reg.instanceId,
      sourceSchema: 'public',
      sourceTable: 'readings',
      keyStrategy: 'pk',
      keyColumns: ['id'],
      cursorStrategy: 'full_scan',
    });

    it("refuses a target on another app's SharePoint connection, on create and on update", async () => {
      const targets = `/v1/sync-definitions/${definitionId}/targets`;
      const created = await problemOf(
        await stack.api(targets, { method: 'POST', json: { connectionId: beta.connectionId, siteId: beta.siteId, listDisplayName: 'Elsewhere' } }),
        422,
      );
      expect(created.errors).toEqual([{ field: 'body.connectionId', message: created.detail }]);
      expect(created.detail).toContain(`connection ${beta.connectionId} belongs to app "beta" (${beta.appId})`);
      expect(created.detail).toContain(`definitions of app "alpha" (${alpha.appId})`);

      const [target] = (await apiJson<Page<{ id: string }>>(stack, targets)).items;
      const patched = await problemOf(await stack.api(`${targets}/${target!.id}`, { method: 'PATCH', json: { connectionId: beta.connectionId } }), 422);
      expect(patched.errors?.[0]?.field).toBe('body.connectionId');
      // Nothing changed, and the target's own connection is still accepted.
      await apiJson(stack, `${targets}/${target!.id}`, { method: 'PATCH', json: { connectionId: alpha.connectionId, priority: 5 } }, 200);

      const unknown = await problemOf(
        await stack.api(targets, { method: 'POST', json: { connectionId: '00000000-0000-4000-8000-000000000000', siteId: 's', listDisplayName: 'Nowhere' } }),
        422,
      );
      expect(unknown.errors?.[0]?.field).toBe('body.connectionId');
    });

    it("refuses a definition on another app's database instance, on create and on update", async () => {
      const created = await problemOf(
        await stack.api('/v1/sync-definitions', { method: 'POST', json: { ...readings(alpha, 'borrowed'), sourceInstanceId: beta.instanceId } }),
        422,
      );
      expect(created.errors?.[0]?.field).toBe('body.sourceInstanceId');
      expect(created.detail).toContain(`database instance ${beta.instanceId} belongs to app "beta" (${beta.appId})`);
      expect(created.detail).toContain(`definitions of app "alpha" (${alpha.appId})`);

      const patched = await problemOf(
        await stack.api(`/v1/sync-definitions/${definitionId}`, { method: 'PATCH', json: { sourceInstanceId: beta.instanceId } }),
        422,
      );
      expect(patched.errors?.[0]?.field).toBe('body.sourceInstanceId');
      expect((await apiJson<{ sourceInstanceId: string }>(stack, `/v1/sync-definitions/${definitionId}`)).sourceInstanceId).toBe(alpha.instanceId);
    });

    it('accepts a definition and targets that use only their own app', async () => {
      const def = await apiJson(stack, '/v1/sync-definitions', { method: 'POST', json: readings(beta, 'readings-beta') }, 201);
      await apiJson(
        stack,
        `/v1/sync-definitions/${def.id}/targets`,
        { method: 'POST', json: { connectionId: beta.connectionId, siteId: beta.siteId, listDisplayName: 'Readings beta', isDefault: true } },
        201,
      );
    });
  });
});
