import { createHash } from 'node:crypto';
import type { GraphConnectionConfig } from './config.ts';
import { GraphGateway, type GraphGatewayOptions } from './gateway.ts';

/**
 * One gateway (credential + Graph client + sockets) per connection per process, so
 * MSAL's token cache and keep-alive connections are reused across activity runs. A
 * changed config (rotated secret, new URL) gets a fresh gateway; the fingerprint is a
 * hash, so the secret is never kept as a map key or printed.
 */

const gateways = new Map<string, { fingerprint: string; gateway: GraphGateway }>();

export function getGraphGateway(config: GraphConnectionConfig, options?: GraphGatewayOptions): GraphGateway {
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([config.tenantId, config.clientId, config.clientSecret, config.graphBaseUrl, config.authorityHost, config.caCertificatePem ?? '', config.ruPerMinute ?? '']))
    .digest('hex');
  const cached = gateways.get(config.connectionId);
  if (cached && cached.fingerprint === fingerprint) return cached.gateway;
  cached?.gateway.close();
  const gateway = GraphGateway.create(config, options);
  gateways.set(config.connectionId, { fingerprint, gateway });
  return gateway;
}

/** Drops a connection's gateway (connection deleted or its secret rotated). */
export function evictGraphGateway(connectionId: string): void {
  gateways.get(connectionId)?.gateway.close();
  gateways.delete(connectionId);
}

export function closeGraphGateways(): void {
  for (const { gateway } of gateways.values()) gateway.close();
  gateways.clear();
}
