export interface AppCounters {
  tenantId: string;
  clientId: string;
  /** Graph operations: top-level requests and each `$batch` sub-request. */
  requests: number;
  /** `$batch` envelopes (their sub-requests are counted in `requests`). */
  batches: number;
  ruSpent: number;
  /** 429s from the resource-unit budget. */
  throttled: number;
  injected429: number;
  injected503: number;
  lostResponses: number;
}

type Counted = Exclude<keyof AppCounters, 'tenantId' | 'clientId'>;

export class Counters {
  private apps = new Map<string, AppCounters>();

  add(tenantId: string, clientId: string, field: Counted, amount = 1): void {
    const key = `${tenantId.toLowerCase()}/${clientId.toLowerCase()}`;
    let entry = this.apps.get(key);
    if (!entry) {
      entry = { tenantId, clientId, requests: 0, batches: 0, ruSpent: 0, throttled: 0, injected429: 0, injected503: 0, lostResponses: 0 };
      this.apps.set(key, entry);
    }
    entry[field] += amount;
  }

  snapshot(): { totals: Omit<AppCounters, 'tenantId' | 'clientId'>; apps: AppCounters[] } {
    const totals = { requests: 0, batches: 0, ruSpent: 0, throttled: 0, injected429: 0, injected503: 0, lostResponses: 0 };
    const apps = [...this.apps.values()].map((a) => ({ ...a }));
    for (const a of apps) for (const k of Object.keys(totals) as Counted[]) totals[k] += a[k];
    return { totals, apps };
  }

  reset(): void {
    this.apps.clear();
  }
}
