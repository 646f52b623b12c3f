import { afterEach, describe, expect, it, vi } from 'vitest';
import { ResourceUnitBudget, budgetFor, resetBudgetRegistry } from '../../src/graph/budget.ts';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('ResourceUnitBudget (sliding window)', () => {
  it('lets a burst through up to the limit, then names the wait until the oldest spend leaves the window', () => {
    const c = clock();
    const budget = new ResourceUnitBudget('k', 100, { windowMs: 60_000, marginMs: 1_000, now: c.now });
    for (let i = 0; i < 5; i++) expect(budget.tryAcquire(20)).toBe(true);
    expect(budget.tryAcquire(2)).toBe(false);
    expect(budget.delayFor(2)).toBe(61_000);
    c.advance(30_000);
    expect(budget.delayFor(2)).toBe(31_000);
    c.advance(31_000);
    expect(budget.delayFor(2)).toBe(0);
    expect(budget.snapshot()).toMatchObject({ limit: 100, spentInWindow: 0, available: 100 });
  });

  it('never allows more than the limit inside any window, spends spread over time', () => {
    const c = clock();
    const budget = new ResourceUnitBudget('k', 50, { windowMs: 10_000, marginMs: 0, now: c.now });
    const sent: number[] = [];
    for (let step = 0; step < 400; step++) {
      if (budget.tryAcquire(2)) sent.push(c.now());
      c.advance(100);
    }
    for (const start of sent) {
      const inWindow = sent.filter((t) => t >= start && t < start + 10_000).length * 2;
      expect(inWindow).toBeLessThanOrEqual(50);
    }
    expect(sent.length * 2).toBeGreaterThanOrEqual(50 * 3);
  });

  it('waits only for as many old spends as the new cost needs', () => {
    const c = clock();
    const budget = new ResourceUnitBudget('k', 10, { windowMs: 1_000, marginMs: 0, now: c.now });
    budget.tryAcquire(4);
    c.advance(100);
    budget.tryAcquire(4);
    c.advance(100);
    budget.tryAcquire(2);
    expect(budget.delayFor(4)).toBe(800); // first spend (t=0) expires at 1000, now is 200
    expect(budget.delayFor(8)).toBe(900); // needs the second too (t=100)
  });

  it('clamps a cost larger than the whole budget so it can still be sent', () => {
    const c = clock();
    const budget = new ResourceUnitBudget('k', 10, { windowMs: 1_000, marginMs: 0, now: c.now });
    expect(budget.tryAcquire(40)).toBe(true);
    expect(budget.spentTotal).toBe(40);
    expect(budget.snapshot().spentInWindow).toBe(10);
  });

  it('pauses the whole connection after a 429 and books server-reported usage', () => {
    const c = clock();
    const budget = new ResourceUnitBudget('k', 100, { windowMs: 60_000, marginMs: 0, now: c.now });
    budget.pause(2_500);
    expect(budget.delayFor(1)).toBe(2_500);
    c.advance(2_500);
    expect(budget.delayFor(1)).toBe(0);
    // The service says only 10 RU remain for 20 s (another process spent them).
    budget.observe({ limit: 100, remaining: 10, resetMs: 20_000 });
    expect(budget.snapshot().available).toBe(10);
    expect(budget.tryAcquire(12)).toBe(false);
    expect(budget.delayFor(12)).toBe(20_000);
    // Remaining 0 pauses until the reset.
    budget.observe({ remaining: 0, resetMs: 5_000 });
    expect(budget.snapshot().pausedForMs).toBe(5_000);
  });

  it('adopts a lower limit announced by RateLimit-Limit', () => {
    const budget = new ResourceUnitBudget('k', 1250, { now: () => 0 });
    budget.observe({ limit: 1200, remaining: 1200, resetMs: 60_000 });
    expect(budget.snapshot().limit).toBe(1200);
  });
});

describe('ResourceUnitBudget.acquire (timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('serves waiters first come, first served once the window frees budget', async () => {
    vi.useFakeTimers();
    const budget = new ResourceUnitBudget('k', 10, { windowMs: 1_000, marginMs: 0 });
    const order: string[] = [];
    await budget.acquire(10);
    const a = budget.acquire(6).then(() => order.push('a'));
    const b = budget.acquire(2).then(() => order.push('b'));
    await vi.advanceTimersByTimeAsync(999);
    expect(order).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b']);
  });

  it('rejects a waiter whose signal aborts and serves the next one', async () => {
    vi.useFakeTimers();
    const budget = new ResourceUnitBudget('k', 4, { windowMs: 1_000, marginMs: 0 });
    await budget.acquire(4);
    const controller = new AbortController();
    const aborted = budget.acquire(4, controller.signal);
    const next = budget.acquire(2);
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(next).resolves.toBeUndefined();
  });
});

describe('budget registry', () => {
  it('shares one budget per tenant+client and lets the last configuration win', () => {
    resetBudgetRegistry();
    const a = budgetFor('tenant|client', 300);
    const b = budgetFor('tenant|client', 600);
    expect(a).toBe(b);
    expect(a.ruPerMinute).toBe(600);
    expect(budgetFor('tenant|other', 300)).not.toBe(a);
    resetBudgetRegistry();
  });
});
