import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphConflictError, type BatchResult, type GraphGateway } from '../../src/graph/index.ts';
import { Harness, createKeyedList, type EmulatedItem } from './emulator-harness.ts';

let harness: Harness;
let gateway: GraphGateway;

beforeAll(async () => {
  harness = await Harness.start();
  gateway = harness.gateway({}, { backoffBaseMs: 20 });
});
afterAll(async () => {
  gateway.close();
  await harness.close();
});

const rows = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, fields: { Title: `Row ${i}`, SyncKey: `${prefix}-${i}`, Amount: i } }));
const keysOf = (items: EmulatedItem[]) => items.map((i) => i.fields.SyncKey as string);

function expectAllCreated(results: BatchResult[], n: number): void {
  expect(results).toHaveLength(n);
  expect(results.filter((r) => !r.ok)).toEqual([]);
  for (const r of results) if (r.ok) expect(r.etag).toMatch(/^"/);
}

describe('paging', () => {
  it('follows @odata.nextLink across several pages without gaps or repeats', async () => {
    const { siteId, listId } = await createKeyedList(gateway);
    await harness.seedItems(
      listId,
      Array.from({ length: 450 }, (_, i) => ({ fields: { Title: `seed ${i}`, SyncKey: `s${i}` } })),
    );
    const pageSizes: number[] = [];
    const ids: string[] = [];
    for await (const page of gateway.listItems(siteId, listId, { top: 100, fields: ['SyncKey'] })) {
      pageSizes.push(page.length);
      ids.push(...page.map((item) => item.id as string));
      expect(Object.keys(page[0]?.fields ?? {})).toContain('SyncKey');
    }
    expect(pageSizes).toEqual([100, 100, 100, 100, 50]);
    expect(new Set(ids).size).toBe(450);
  });

  it('filters on an indexed column and follows pages of the filtered result', async () => {
    const { siteId, listId } = await createKeyedList(gateway);
    await harness.seedItems(
      listId,
      Array.from({ length: 30 }, (_, i) => ({ fields: { Title: i % 3 === 0 ? 'pick' : 'skip', SyncKey: `f${i}` } })),
    );
    const picked: string[] = [];
    for await (const page of gateway.listItems(siteId, listId, { filter: "fields/SyncKey ge 'f2'", top: 4 }))
      picked.push(...page.map((i) => (i.fields as { SyncKey: string }).SyncKey));
    expect(picked.length).toBeGreaterThan(4);
    expect(picked.every((k) => k >= 'f2')).toBe(true);
    // A non-indexed column needs the Prefer header.
    const rejected = await (async () => {
      for await (const _page of gateway.listItems(siteId, listId, { filter: "fields/Title eq 'pick'" })) return 'no error';
    })().catch((e: unknown) => e);
    expect(rejected).toMatchObject({ status: 400 });
    let count = 0;
    for await (const page of gateway.listItems(siteId, listId, { filter: "fields/Title eq 'pick'", preferNonIndexed: true })) count += page.length;
    expect(count).toBe(10);
  });
});

describe('bulk writes through $batch', () => {
  it('writes 1,000 items in batches of 20: exactly 1,000 items, no duplicates', async () => {
    const { siteId, listId } = await createKeyedList(gateway);
    await harness.resetCounters();
    const input = rows(1000, 'bulk');
    const results = await gateway.createItems(siteId, listId, input);
    expectAllCreated(results, 1000);
    const stored = await harness.items(listId);
    expect(stored).toHaveLength(1000);
    expect(new Set(keysOf(stored))).toEqual(new Set(input.map((r) => r.id)));
    const counters = await harness.counters();
    expect(counters.batches).toBe(50);
    expect(counters.ruSpent).toBe(2000);
  });

  it('retries throttled (429, Retry-After 0.249) and unavailable (503) sub-requests alone until every item is written', async () => {
    const { siteId, listId } = await createKeyedList(gateway);
    await harness.resetCounters();
    await harness.setFaults({ throttleProbability: 0.25, unavailableProbability: 0.05, retryAfterSeconds: 0.249, seed: 42 });
    try {
      const input = rows(300, 'thr');
      const results = await gateway.createItems(siteId, listId, input, { maxAttempts: 12 });
      expectAllCreated(results, 300);
      const stored = await harness.items(listId);
      expect(stored).toHaveLength(300);
      expect(new Set(keysOf(stored)).size).toBe(300);
      const counters = await harness.counters();
      expect(counters.injected429).toBeGreaterThan(0);
      expect(counters.injected503).toBeGreaterThan(0);
      // Every refused sub-request was resent once more, nothing else.
      expect(counters.requests).toBe(300 + counters.injected429 + counters.injected503);
    } finally {
      await harness.setFaults({});
    }
  });

  it('never duplicates a create whose response was lost: it looks the key up instead of resending blindly', async () => {
    const { siteId, listId } = await createKeyedList(gateway);
    await harness.resetCounters();
    await harness.setFaults({ lostResponseProbability: 0.02, seed: 7 });
    try {
      const input = rows(400, 'lost');
      const results = await gateway.createItems(siteId, listId, input, { keyField: 'SyncKey' });
      expectAllCreated(results, 400);
      expect((await harness.counters()).lostResponses).toBeGreaterThan(0);
      const stored = await harness.items(listId);
      expect(stored).toHaveLength(400);
      expect(new Set(keysOf(stored)).size).toBe(400);
      // Results point at the stored items.
      const byKey = new Map(stored.map((s) => [s.fields.SyncKey, s.id]));
      for (const [i, r] of results.entries()) expect((r as { body: { id: string } }).body.id).toBe(byKey.get(input[i]?.id));
    } finally {
      await harness.setFaults({});
    }
  });

  it('without a key column, reports lost creates as outcomeUnknown instead of guessing', async () => {
    const { siteId, listId } = await createKeyedList(gateway);
    await harness.setFaults({ lostResponseProbability: 1 });
    try {
      const [result] = await gateway.createItems(siteId, listId, rows(1, 'unknown'));
      expect(result).toMatchObject({ ok: false, code: 'outcomeUnknown', retryable: true });
      expect(await harness.items(listId)).toHaveLength(1);
    } finally {
      await harness.setFaults({});
    }
  });

  it('updates and deletes in bulk with per-item results; a repeated delete is harmless', async () => {
    const { siteId, listId } = await createKeyedList(gateway);
    const created = await gateway.createItems(siteId, listId, rows(30, 'ud'));
    const ids = created.map((r) => (r as { body: { id: string } }).body.id);
    const updates = await gateway.updateItems(
      siteId,
      listId,
      ids.slice(0, 25).map((itemId, i) => ({ id: `u${i}`, itemId, fields: { Amount: 1000 + i } })),
    );
    expect(updates.every((r) => r.ok)).toBe(true);
    const badField = await gateway.updateItems(siteId, listId, [{ id: 'bad', itemId: ids[0] as string, fields: { NoSuchColumn: 1 } }]);
    expect(badField[0]).toMatchObject({ ok: false, status: 400, retryable: false });
    const deletes = await gateway.deleteItems(
      siteId,
      listId,
      ids.slice(25).map((itemId) => ({ id: itemId, itemId })),
    );
    expect(deletes.every((r) => r.ok && r.status === 204)).toBe(true);
    const again = await gateway.deleteItems(
      siteId,
      listId,
      ids.slice(25).map((itemId) => ({ id: itemId, itemId })),
    );
    expect(again.every((r) => r.ok && r.status === 404)).toBe(true);
    const stored = await harness.items(listId);
    expect(stored).toHaveLength(25);
    expect(stored.map((s) => s.fields.Amount).sort()).toEqual(Array.from({ length: 25 }, (_, i) => 1000 + i).sort());
  });
});

describe('eTags', () => {
  it('surfaces 412 on a stale eTag as GraphConflictError, single and in bulk', async () => {
    const { siteId, listId } = await createKeyedList(gateway);
    const [created] = await gateway.createItems(siteId, listId, rows(1, 'etag'));
    const itemId = (created as { body: { id: string } }).body.id;
    const item = await gateway.getItem(siteId, listId, itemId);
    const staleEtag = item?.eTag as string;
    const first = await gateway.updateItemFields(siteId, listId, itemId, { Amount: 1 }, { ifMatch: staleEtag });
    expect(first.etag).toBeDefined();
    expect(first.etag).not.toBe(staleEtag);

    const conflict = await gateway.updateItemFields(siteId, listId, itemId, { Amount: 2 }, { ifMatch: staleEtag }).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(GraphConflictError);
    expect(conflict).toMatchObject({ status: 412, retryable: false, failureType: 'Conflict' });

    const [bulk] = await gateway.updateItems(siteId, listId, [{ id: 'x', itemId, fields: { Amount: 3 }, ifMatch: staleEtag }]);
    expect(bulk).toMatchObject({ ok: false, status: 412, retryable: false });
    const current = await gateway.updateItemFields(siteId, listId, itemId, { Amount: 4 }, { ifMatch: first.etag as string });
    expect(current.fields).toMatchObject({ Amount: 4 });
    expect(await gateway.getItem(siteId, listId, '999999')).toBeNull();
  });
});
