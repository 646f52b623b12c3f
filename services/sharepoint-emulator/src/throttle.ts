import type { Settings } from './settings.ts';

/**
 * SharePoint Online's per-app-per-tenant budget in resource units ("Avoid getting
 * throttled or blocked in SharePoint Online"): Graph requests have fixed costs, every
 * request inside a `$batch` is charged separately, and throttled requests still count.
 */
export function resourceUnitCost(method: string, graphPath: string, url: URL): number {
  const segments = graphPath.split('/').filter(Boolean);
  const last = segments[segments.length - 1] ?? '';
  if (last === '$batch') return 0;
  // Create, update, delete: 2 RU.
  if (method !== 'GET' && method !== 'HEAD') return 2;
  // Delta with a token: 1 RU; without (full enumeration): 2 RU like any multi-item query.
  if (last === 'delta') return url.searchParams.has('token') ? 1 : 2;
  // Multi-item queries (list children): 2 RU. Single-item queries: 1 RU.
  if (['sites', 'lists', 'items', 'columns'].includes(last)) return 2;
  return 1;
}

export interface ChargeResult {
  throttled: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
  /** The service sends RateLimit headers once an app has used 80% of its window budget. */
  nearLimit: boolean;
}

interface Window {
  start: number;
  spent: number;
}

export class Throttle {
  private windows = new Map<string, Window>();

  constructor(private readonly settings: Settings) {}

  get enabled(): boolean {
    const limit = this.settings.ruPerMinute;
    return Number.isFinite(limit) && limit > 0;
  }

  /** Charges `cost` to the app's window; undefined when throttling is disabled. */
  charge(key: string, cost: number, now = Date.now()): ChargeResult | undefined {
    if (!this.enabled) return undefined;
    const limit = this.settings.ruPerMinute;
    const windowMs = this.settings.throttleWindowMs;
    let w = this.windows.get(key);
    if (!w || now - w.start >= windowMs) {
      w = { start: now, spent: 0 };
      this.windows.set(key, w);
    }
    w.spent += cost;
    const resetSeconds = Math.max(1, Math.ceil((w.start + windowMs - now) / 1000));
    return {
      throttled: w.spent > limit,
      limit,
      remaining: Math.max(0, limit - w.spent),
      resetSeconds,
      nearLimit: w.spent >= limit * 0.8,
    };
  }

  reset(): void {
    this.windows.clear();
  }
}
