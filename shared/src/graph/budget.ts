import type { RateLimitInfo } from './throttle.ts';

/**
 * Client-side resource-unit limiter, one per app per tenant (Microsoft measures the
 * budget "per app per tenant", see cost.ts), shared by every request this process
 * sends to that tenant.
 *
 * It is a sliding-window log: a spend is allowed only if the RU spent in the last
 * `windowMs + marginMs` plus the new cost stay within the limit. That guarantee holds
 * for every 60-second window, so it is safe whether the service counts in fixed
 * minutes, a sliding minute or a refilling bucket (a token bucket with a full-minute
 * burst could spend twice the budget inside one sliding minute). The margin covers
 * network latency: the service stamps a request when it arrives, we when we send.
 *
 * Server signals tighten it: `RateLimit-Remaining/Reset` lower our view of the
 * remaining budget, and a 429/503 pauses the whole connection for the announced time
 * (throttled requests still spend budget, so retrying early only digs deeper).
 */

export interface BudgetOptions {
  windowMs?: number;
  marginMs?: number;
  now?: () => number;
}

export interface BudgetSnapshot {
  key: string;
  limit: number;
  spentInWindow: number;
  available: number;
  pausedForMs: number;
  queued: number;
}

interface Spend {
  t: number;
  cost: number;
}

interface Waiter {
  cost: number;
  resolve: () => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class ResourceUnitBudget {
  private limit: number;
  private windowMs: number;
  private marginMs: number;
  private readonly now: () => number;
  private spends: Spend[] = [];
  private pausedUntil = 0;
  private queue: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Total RU recorded since creation (for tests, benchmarks and span attributes). */
  spentTotal = 0;

  constructor(
    readonly key: string,
    ruPerMinute: number,
    options: BudgetOptions = {},
  ) {
    this.limit = ruPerMinute;
    this.windowMs = options.windowMs ?? 60_000;
    this.marginMs = options.marginMs ?? 1_000;
    this.now = options.now ?? (() => Date.now());
  }

  get ruPerMinute(): number {
    return this.limit;
  }

  setLimit(ruPerMinute: number): void {
    if (ruPerMinute === this.limit) return;
    this.limit = ruPerMinute;
    this.pump();
  }

  /** Changes the window (tests against an emulator with a shortened window). */
  setWindow(windowMs: number | undefined, marginMs: number | undefined): void {
    if (windowMs !== undefined) this.windowMs = windowMs;
    if (marginMs !== undefined) this.marginMs = marginMs;
    this.pump();
  }

  /**
   * Milliseconds until `cost` RU may be spent (0 = now). A cost above the whole
   * budget is clamped to it, otherwise it could never be sent.
   */
  delayFor(cost: number): number {
    const now = this.now();
    this.prune(now);
    const pauseMs = Math.max(0, this.pausedUntil - now);
    const need = Math.min(cost, this.limit);
    const spent = this.spentInWindow();
    let fitMs = 0;
    if (spent + need > this.limit) {
      let toFree = spent + need - this.limit;
      for (const entry of this.spends) {
        toFree -= entry.cost;
        if (toFree <= 0) {
          fitMs = entry.t + this.effectiveWindow() - now;
          break;
        }
      }
    }
    return Math.max(pauseMs, fitMs, 0);
  }

  /** Spends `cost` now if the budget allows it; never waits. */
  tryAcquire(cost: number): boolean {
    if (this.queue.length > 0 || this.delayFor(cost) > 0) return false;
    this.record(cost);
    return true;
  }

  /** Waits (first come, first served) until `cost` RU fit, then records the spend. */
  acquire(cost: number, signal?: AbortSignal): Promise<void> {
    if (cost <= 0) return Promise.resolve();
    if (this.tryAcquire(cost)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const waiter: Waiter = { cost, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          this.queue = this.queue.filter((w) => w !== waiter);
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.pump();
    });
  }

  /** Stops every request of this connection for `ms` (429/503 with Retry-After). */
  pause(ms: number): void {
    if (!(ms > 0)) return;
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
    this.pump();
  }

  /**
   * Reconciles with the service's own count. If it reports fewer remaining RU than we
   * believe, the difference is booked as a spend that expires when the service's
   * window resets (someone else — another worker process — spent it). A lower
   * `RateLimit-Limit` than configured is adopted until the limit is configured again
   * (`setLimit`, i.e. the next `budgetFor` with the configured value).
   */
  observe(info: RateLimitInfo | undefined): void {
    if (!info) return;
    const now = this.now();
    if (info.limit !== undefined && info.limit > 0 && info.limit < this.limit) this.limit = info.limit;
    if (info.remaining !== undefined) {
      this.prune(now);
      const localRemaining = this.limit - this.spentInWindow();
      const resetMs = info.resetMs ?? this.windowMs;
      if (info.remaining < localRemaining) {
        this.insert({ t: now + resetMs - this.effectiveWindow(), cost: localRemaining - Math.max(0, info.remaining) });
      }
      if (info.remaining <= 0) this.pausedUntil = Math.max(this.pausedUntil, now + resetMs);
    }
    this.pump();
  }

  snapshot(): BudgetSnapshot {
    const now = this.now();
    this.prune(now);
    const spent = this.spentInWindow();
    return {
      key: this.key,
      limit: this.limit,
      spentInWindow: spent,
      available: Math.max(0, this.limit - spent),
      pausedForMs: Math.max(0, this.pausedUntil - now),
      queued: this.queue.length,
    };
  }

  private effectiveWindow(): number {
    return this.windowMs + this.marginMs;
  }

  private spentInWindow(): number {
    let sum = 0;
    for (const entry of this.spends) sum += entry.cost;
    return sum;
  }

  private record(cost: number): void {
    const clamped = Math.min(cost, this.limit);
    this.insert({ t: this.now(), cost: clamped });
    this.spentTotal += cost;
  }

  private insert(entry: Spend): void {
    // Kept sorted by time: reconciliation entries may be back-dated.
    let i = this.spends.length;
    while (i > 0 && (this.spends[i - 1] as Spend).t > entry.t) i--;
    this.spends.splice(i, 0, entry);
  }

  private prune(now: number): void {
    const horizon = now - this.effectiveWindow();
    let drop = 0;
    while (drop < this.spends.length && (this.spends[drop] as Spend).t <= horizon) drop++;
    if (drop > 0) this.spends.splice(0, drop);
  }

  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0) {
      const head = this.queue[0] as Waiter;
      const wait = this.delayFor(head.cost);
      if (wait > 0) {
        this.timer = setTimeout(() => this.pump(), wait);
        return;
      }
      this.queue.shift();
      if (head.signal && head.onAbort) head.signal.removeEventListener('abort', head.onAbort);
      this.record(head.cost);
      head.resolve();
    }
  }
}

/** Module-level registry: one budget per tenant+client for the whole process. */
const registry = new Map<string, ResourceUnitBudget>();

/**
 * The budget for a connection key, created on first use. A later connection with the
 * same key but another configured limit (or window) changes the shared one (last one
 * wins): the service enforces one budget per app per tenant whatever we configure.
 */
export function budgetFor(key: string, ruPerMinute: number, options?: BudgetOptions): ResourceUnitBudget {
  const existing = registry.get(key);
  if (existing) {
    existing.setLimit(ruPerMinute);
    existing.setWindow(options?.windowMs, options?.marginMs);
    return existing;
  }
  const created = new ResourceUnitBudget(key, ruPerMinute, options);
  registry.set(key, created);
  return created;
}

/** Forgets every budget (tests; a process that reconfigures all connections). */
export function resetBudgetRegistry(): void {
  registry.clear();
}
