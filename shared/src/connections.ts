import type { SecretBox } from './crypto/secrets.ts';
import type { schema } from './db/index.ts';
import type { GraphConnectionConfig } from './graph/index.ts';
import type { SourceConnectionParams } from './sources/index.ts';

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
  if (!row.clientSecretEncrypted)
    throw new MissingSecretError(`SharePoint connection "${row.name}" has no client secret; set one with PATCH /v1/sharepoint-connections/${row.id}`);
  return {
    connectionId: row.id,
    tenantId: row.tenantId,
    clientId: row.clientId,
    clientSecret: secrets.decrypt(row.clientSecretEncrypted),
    graphBaseUrl: row.graphBaseUrl,
    authorityHost: row.authorityHost,
    ...(row.caCertificatePem ? { caCertificatePem: row.caCertificatePem } : {}),
    ruPerMinute: row.ruPerMinute,
    ruPerDay: row.ruPerDay,
    bulkShare: row.bulkShare,
  };
}

type InstanceRow = typeof schema.databaseInstances.$inferSelect;
type Engine = (typeof schema.databaseEngine.enumValues)[number];

/** A stored database instance as source connection parameters, its password decrypted. */
export function sourceParamsFromInstance(instance: InstanceRow, engine: Engine, secrets: SecretBox): SourceConnectionParams {
  return {
    engine,
    host: instance.host,
    port: instance.port,
    databaseName: instance.databaseName,
    username: instance.username,
    password: instance.passwordEncrypted ? secrets.decrypt(instance.passwordEncrypted) : null,
    sslMode: instance.sslMode,
  };
}
