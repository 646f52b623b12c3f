import { randomUUID } from 'node:crypto';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_TENANT_ID,
  startEmulator,
  type EmulatorOptions,
  type RunningEmulator,
} from '@syncbridge/sharepoint-emulator';
import { GraphGateway, type GraphConnectionConfig, type GraphGatewayOptions } from '../../src/graph/index.ts';
import { createLogger } from '../../src/observability/logger.ts';

/**
 * Contract-test harness: a real SharePoint emulator over HTTP (Graph) and HTTPS
 * (identity), driven through its loopback admin API.
 */

export interface Counters {
  requests: number;
  batches: number;
  ruSpent: number;
  throttled: number;
  injected429: number;
  injected503: number;
  lostResponses: number;
}

export interface EmulatedItem {
  id: string;
  eTag: string;
  fields: Record<string, unknown>;
}

export class Harness {
  private constructor(readonly emulator: RunningEmulator) {}

  static async start(options: EmulatorOptions = {}): Promise<Harness> {
    return new Harness(await startEmulator({ ruPerMinute: 0, strict: true, ...options }));
  }

  connection(overrides: Partial<GraphConnectionConfig> = {}): GraphConnectionConfig {
    return {
      connectionId: `conn-${randomUUID()}`,
      tenantId: DEFAULT_TENANT_ID,
      clientId: DEFAULT_CLIENT_ID,
      clientSecret: DEFAULT_CLIENT_SECRET,
      graphBaseUrl: this.emulator.graphBaseUrl,
      authorityHost: this.emulator.authorityHost,
      caCertificatePem: this.emulator.caCertificatePem,
      // The emulator runs unthrottled unless a test sets a budget; keep ours out of the way too.
      ruPerMinute: 1_000_000,
      ...overrides,
    };
  }

  gateway(overrides: Partial<GraphConnectionConfig> = {}, options: GraphGatewayOptions = {}): GraphGateway {
    return GraphGateway.create(this.connection(overrides), { logger: createLogger({ service: 'graph-test', level: 'silent' }), ...options });
  }

  /** Registers another app (its own RU budget on both sides) and returns its credentials. */
  async addClient(): Promise<{ clientId: string; clientSecret: string }> {
    const client = { clientId: randomUUID(), clientSecret: `secret-${randomUUID()}` };
    await this.admin('POST', '/tenants', { tenantId: DEFAULT_TENANT_ID, clients: [client], seedDefaultSite: false });
    return client;
  }

  async admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.emulator.adminUrl}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`admin ${method} ${path}: ${response.status} ${await response.text()}`);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  setFaults(faults: Record<string, unknown>): Promise<unknown> {
    return this.admin('PUT', '/faults', faults);
  }

  setSettings(settings: Record<string, unknown>): Promise<unknown> {
    return this.admin('PUT', '/settings', settings);
  }

  async counters(clientId: string = DEFAULT_CLIENT_ID): Promise<Counters> {
    const snapshot = await this.admin<{ apps: Array<Counters & { clientId: string }> }>('GET', '/counters');
    const app = snapshot.apps.find((a) => a.clientId.toLowerCase() === clientId.toLowerCase());
    return app ?? { requests: 0, batches: 0, ruSpent: 0, throttled: 0, injected429: 0, injected503: 0, lostResponses: 0 };
  }

  resetCounters(): Promise<unknown> {
    return this.admin('POST', '/counters/reset');
  }

  /** The list's items as the emulator stores them (bypassing Graph and its budget). */
  async items(listId: string): Promise<EmulatedItem[]> {
    return (await this.admin<{ value: EmulatedItem[] }>('GET', `/lists/${listId}/items`)).value;
  }

  seedItems(listId: string, items: Array<{ fields: Record<string, unknown> }>): Promise<{ ids: string[] }> {
    return this.admin('POST', `/lists/${listId}/items`, { items });
  }

  close(): Promise<void> {
    return this.emulator.close();
  }
}

/** A fresh list with an indexed key column, on the emulator's default site. */
export async function createKeyedList(gateway: GraphGateway, name = `List ${randomUUID().slice(0, 8)}`): Promise<{ siteId: string; listId: string }> {
  const site = await gateway.getSiteByPath('contoso.sharepoint.com', '/sites/syncbridge');
  const list = await gateway.createList(site.id as string, {
    displayName: name,
    columns: [
      { name: 'SyncKey', text: {}, indexed: true },
      { name: 'Amount', number: {} },
    ],
  });
  return { siteId: site.id as string, listId: list.id as string };
}

export { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID };
