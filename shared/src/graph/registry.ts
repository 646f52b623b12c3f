import { createHash } from 'node:crypto';
import type { GraphConnectionConfig } from './config.ts';
import { GraphGateway, type GraphGatewayOptions } from './gateway.ts';

/**
 * One gateway (credential + Graph client + sockets) per connection, owned by whoever creates
 * the registry (the worker's activity dependencies, the API), so MSAL's token cache and
 * keep-alive connections are reused across calls and closed with their owner. A changed
 * config (rotated secret, new URL, new budget) gets a fresh gateway; the fingerprint is a
 * hash, so the secret is never kept as a map key or printed.
 */
export class GatewayRegistry {
  private readonly gateways = new Map<string, { fingerprint: string; gateway: GraphGateway }>();

  constructor(private readonly defaults: GraphGatewayOptions = {}) {}

  get(config: GraphConnectionConfig, options?: GraphGatewayOptions): GraphGateway {
    const fingerprint = createHash('sha256')
      .update(
        JSON.stringify([
          config.tenantId,
          config.clientId,
          config.clientSecret,
          config.graphBaseUrl,
          config.authorityHost,
          config.caCertificatePem ?? '',
          config.ruPerMinute ?? '',
          config.ruPerDay ?? '',
          config.bulkShare ?? '',
          options?.maxAttempts ?? '',
        ]),
      )
      .digest('hex');
    const cached = this.gateways.get(config.connectionId);
    if (cached && cached.fingerprint === fingerprint) return cached.gateway;
    cached?.gateway.close();
    const gateway = GraphGateway.create(config, { ...this.defaults, ...options });
    this.gateways.set(config.connectionId, { fingerprint, gateway });
    return gateway;
  }

  /** Drops a connection's gateway (connection deleted or its secret rotated). */
  evict(connectionId: string): void {
    this.gateways.get(connectionId)?.gateway.close();
    this.gateways.delete(connectionId);
  }

  /** Closes every gateway, after giving back the budget leases this process holds. */
  async close(): Promise<void> {
    await this.defaults.budgetStore?.releaseLeases();
    for (const { gateway } of this.gateways.values()) gateway.close();
    this.gateways.clear();
  }
}
