import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeltaTokenExpiredError, type DeltaChanges, type DeltaResult, type GraphGateway } from '../../src/graph/index.ts';
import { Harness, createKeyedList } from './emulator-harness.ts';

let harness: Harness;
let gateway: GraphGateway;

beforeAll(async () => {
  harness = await Harness.start();
  gateway = harness.gateway();
});
afterAll(async () => {
  gateway.close();
  await harness.close();
});

function changes(result: DeltaResult): DeltaChanges {
  if (result.kind !== 'changes') throw new Error(`expected changes, got ${JSON.stringify(result)}`);
  return result;
}

const keyOf = (item: { fields?: unknown }) => (item.fields as { SyncKey?: string } | undefined)?.SyncKey;

describe('item delta', () => {
  it('enumerates across pages, then reports updates, creates and deletes since the deltaLink', async () => {
    const { siteId, listId } = await createKeyedList(gateway);
    const seeded = await harness.seedItems(
      listId,
      Array.from({ length: 25 }, (_, i) => ({ fields: { Title: `t${i}`, SyncKey: `k${i}` } })),
    );
    const first = changes(await gateway.listItemsDelta(siteId, listId, undefined, { top: 10 }));
    expect(first.pages).toBe(3);
    expect(first.changed).toHaveLength(25);
    expect(first.deletedIds).toEqual([]);
    expect(first.deltaLink).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\.0\/.*\/items\/delta\?/);

    const [a, b, c, d, e] = seeded.ids as [string, string, string, string, string];
    await gateway.updateItemFields(siteId, listId, a, { Title: 'changed once' });
    await gateway.updateItemFields(siteId, listId, a, { Title: 'changed twice' });
    await gateway.updateItemFields(siteId, listId, b, { Title: 'changed b' });
    const deleted = await gateway.deleteItems(
      siteId,
      listId,
      [c, d, e].map((itemId) => ({ id: itemId, itemId })),
    );
    expect(deleted.every((r) => r.ok)).toBe(true);
    await gateway.createItems(siteId, listId, [{ id: 'new', fields: { Title: 'new one', SyncKey: 'k-new' } }]);

    const second = changes(await gateway.listItemsDelta(siteId, listId, first.deltaLink, { top: 2 }));
    expect(second.changed.map(keyOf).sort()).toEqual(['k-new', 'k0', 'k1']);
    expect(second.changed.find((i) => i.id === a)?.fields).toMatchObject({ Title: 'changed twice' });
    expect(second.deletedIds.sort()).toEqual([c, d, e].sort());
    expect(second.deltaLink).not.toBe(first.deltaLink);

    const third = changes(await gateway.listItemsDelta(siteId, listId, second.deltaLink));
    expect(third.changed).toEqual([]);
    expect(third.deletedIds).toEqual([]);
  });

  it('starts from now with token=latest and then sees only later changes', async () => {
    const { siteId, listId } = await createKeyedList(gateway);
    await harness.seedItems(listId, [{ fields: { Title: 'old', SyncKey: 'old' } }]);
    const latest = changes(await gateway.listItemsDelta(siteId, listId, 'latest'));
    expect(latest.changed).toEqual([]);
    await gateway.createItems(siteId, listId, [{ id: 'n', fields: { Title: 'later', SyncKey: 'later' } }]);
    const next = changes(await gateway.listItemsDelta(siteId, listId, latest.deltaLink));
    expect(next.changed.map(keyOf)).toEqual(['later']);
  });

  it('turns 410 Gone on an expired token into a typed result with the resync location', async () => {
    const { siteId, listId } = await createKeyedList(gateway);
    await harness.seedItems(
      listId,
      Array.from({ length: 5 }, (_, i) => ({ fields: { Title: `t${i}`, SyncKey: `e${i}` } })),
    );
    const first = changes(await gateway.listItemsDelta(siteId, listId));
    await harness.admin('POST', '/delta/expire', { listId });

    const expired = await gateway.listItemsDelta(siteId, listId, first.deltaLink);
    expect(expired).toMatchObject({ kind: 'tokenExpired', code: 'resyncRequired' });
    const location = (expired as { location?: string }).location;
    expect(location).toMatch(/\/items\/delta/);

    // The page iterator throws the typed error instead.
    const thrown = await (async () => {
      for await (const _page of gateway.iterateItemsDelta(siteId, listId, first.deltaLink)) return 'no error';
    })().catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(DeltaTokenExpiredError);

    // Restarting from the Location enumerates the whole list again.
    const restarted = changes(await gateway.listItemsDelta(siteId, listId, location));
    expect(restarted.changed.map(keyOf).sort()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
  });
});
