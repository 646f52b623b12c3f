import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, createKeyedList } from './emulator-harness.ts';

/**
 * The emulator enforces a resource-unit budget per app per tenant like SharePoint
 * Online, with a window shortened to 3 s so the test stays short. The gateway is given
 * the same budget and window; a burst worth 2.5 windows of budget must then complete
 * without a single 429 from the emulator's budget.
 */
const WINDOW_MS = 3_000;
const RU_PER_WINDOW = 120;

let harness: Harness;

beforeAll(async () => {
  harness = await Harness.start();
  await harness.setSettings({ ruPerMinute: RU_PER_WINDOW, throttleWindowMs: WINDOW_MS });
});
afterAll(() => harness.close());

const rows = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, fields: { Title: `Row ${i}`, SyncKey: `${prefix}-${i}` } }));

describe('resource-unit budget', () => {
  it('control: with a budget set far too high the burst is throttled, then completes via Retry-After and RateLimit-*', { timeout: 60_000 }, async () => {
    const client = await harness.addClient();
    // Same (shortened) window, so adopting the emulator's RateLimit-Limit paces the retries.
    const gateway = harness.gateway({ ...client, ruPerMinute: 1_000_000 }, { maxAttempts: 10, budgetWindowMs: WINDOW_MS, budgetMarginMs: 500 });
    try {
      const { siteId, listId } = await createKeyedList(gateway);
      const results = await gateway.createItems(siteId, listId, rows(100, 'burst'));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(await harness.items(listId)).toHaveLength(100);
      expect((await harness.counters(client.clientId)).throttled).toBeGreaterThan(0);
      expect(gateway.budgetSnapshot().limit).toBe(RU_PER_WINDOW);
    } finally {
      gateway.close();
    }
  });

  it('paces a burst that exceeds the budget so the emulator never answers 429', { timeout: 60_000 }, async () => {
    const client = await harness.addClient();
    const gateway = harness.gateway({ ...client, ruPerMinute: RU_PER_WINDOW }, { budgetWindowMs: WINDOW_MS, budgetMarginMs: 1_000 });
    try {
      const { siteId, listId } = await createKeyedList(gateway);
      const results = await gateway.createItems(siteId, listId, rows(150, 'paced'));
      expect(results.filter((r) => !r.ok)).toEqual([]);
      expect(await harness.items(listId)).toHaveLength(150);
      const counters = await harness.counters(client.clientId);
      expect(counters.throttled).toBe(0);
      // 150 creates at 2 RU + reading the site (1) + creating the list (2): 2.5 windows' worth.
      expect(counters.ruSpent).toBe(303);
      expect(gateway.budgetSnapshot().limit).toBe(RU_PER_WINDOW);
    } finally {
      gateway.close();
    }
  });
});
