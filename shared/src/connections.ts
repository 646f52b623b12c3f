import type { SecretBox } from './crypto/secrets.ts';
import type { schema } from './db/index.ts';
import type { GraphConnectionConfig } from './graph/index.ts';

type ConnectionRow = typeof schema.sharepointConnections.$inferSelect;

export class MissingSecretError extends Error {
  override name = 'MissingSecretError';
}

/**
 * A stored SharePoint connection as Graph gateway configuration: the connection's
 * own (decrypted) secret is the credential. Environment variables are never a
 * fallback here, so production cannot silently use a developer's app.
 */
export function graphConfigFromConnection(row: ConnectionRow, secrets: SecretBox): GraphConnectionConfig {
  if (!row.clientSecretEncrypted) throw new MissingSecretError(`SharePoint connection "${row.name}" has no client secret; set one with PATCH /v1/sharepoint-connections/${row.id}`);
  return {
    connectionId: row.id,
    tenantId: row.tenantId,
    clientId: row.clientId,
    clientSecret: secrets.decrypt(row.clientSecretEncrypted),
    graphBaseUrl: row.graphBaseUrl,
    authorityHost: row.authorityHost,
    ...(row.caCertificatePem ? { caCertificatePem: row.caCertificatePem } : {}),
    ruPerMinute: row.ruPerMinute,
  };
}
