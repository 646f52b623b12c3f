import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid, real } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './common.ts';

export const databaseEngine = pgEnum('database_engine', ['postgres', 'mysql', 'mariadb', 'sqlserver']);
export const environment = pgEnum('environment', ['dev', 'staging', 'prod']);
export const instanceRole = pgEnum('instance_role', ['primary', 'replica']);
export const healthStatus = pgEnum('health_status', ['unknown', 'healthy', 'unhealthy']);
export const sslMode = pgEnum('ssl_mode', ['disable', 'prefer', 'require', 'verify-full']);

export const apps = pgTable('apps', {
  id: id(),
  name: text('name').notNull().unique(),
  ownerTeam: text('owner_team').notNull(),
  description: text('description'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const databases = pgTable(
  'databases',
  {
    id: id(),
    appId: uuid('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'restrict' }),
    name: text('name').notNull(),
    engine: databaseEngine('engine').notNull(),
    environment: environment('environment').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('databases_app_name_uq').on(t.appId, t.name)],
);

export const databaseInstances = pgTable(
  'database_instances',
  {
    id: id(),
    databaseId: uuid('database_id')
      .notNull()
      .references(() => databases.id, { onDelete: 'restrict' }),
    name: text('name').notNull(),
    host: text('host').notNull(),
    port: integer('port').notNull(),
    databaseName: text('database_name').notNull(),
    username: text('username').notNull(),
    /** AES-256-GCM envelope (see crypto/secrets.ts); never returned by the API. */
    passwordEncrypted: text('password_encrypted'),
    sslMode: sslMode('ssl_mode').notNull().default('prefer'),
    role: instanceRole('role').notNull(),
    priority: integer('priority').notNull().default(100),
    status: healthStatus('status').notNull().default('unknown'),
    lastHealthAt: timestamp('last_health_at', { withTimezone: true }),
    lastHealthLatencyMs: integer('last_health_latency_ms'),
    lastHealthError: text('last_health_error'),
    serverVersion: text('server_version'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('database_instances_db_name_uq').on(t.databaseId, t.name),
    // At most one primary per logical database, enforced by PostgreSQL itself.
    uniqueIndex('database_instances_one_primary_uq')
      .on(t.databaseId)
      .where(sql`${t.role} = 'primary'`),
    check('database_instances_port_ck', sql`${t.port} between 1 and 65535`),
  ],
);

export const sharepointConnections = pgTable(
  'sharepoint_connections',
  {
    id: id(),
    appId: uuid('app_id')
      .notNull()
      .references(() => apps.id, { onDelete: 'restrict' }),
    name: text('name').notNull(),
    tenantId: text('tenant_id').notNull(),
    clientId: text('client_id').notNull(),
    clientSecretEncrypted: text('client_secret_encrypted'),
    graphBaseUrl: text('graph_base_url').notNull().default('https://graph.microsoft.com/v1.0'),
    authorityHost: text('authority_host').notNull().default('https://login.microsoftonline.com'),
    /** Extra CA to trust for Graph and identity (TLS-inspecting proxies, the local emulator). */
    caCertificatePem: text('ca_certificate_pem'),
    ruPerMinute: integer('ru_per_minute').notNull().default(1250),
    /** Daily resource units of the app in the tenant (Microsoft publishes one per tenant size); null: no daily cap. */
    ruPerDay: integer('ru_per_day'),
    /**
     * The share of the budget bulk work (initial loads, full passes, re-shards, repairs) keeps while
     * smaller work waits: incremental runs, ingress and "run now" go first, bulk still progresses.
     */
    bulkShare: real('bulk_share').notNull().default(0.5),
    status: healthStatus('status').notNull().default('unknown'),
    lastTestAt: timestamp('last_test_at', { withTimezone: true }),
    lastTestError: text('last_test_error'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('sharepoint_connections_app_name_uq').on(t.appId, t.name),
    index('sharepoint_connections_tenant_idx').on(t.tenantId, t.clientId),
    check('sharepoint_connections_ru_ck', sql`${t.ruPerMinute} > 0`),
    check('sharepoint_connections_ru_day_ck', sql`${t.ruPerDay} is null or ${t.ruPerDay} > 0`),
    check('sharepoint_connections_bulk_share_ck', sql`${t.bulkShare} > 0 and ${t.bulkShare} <= 1`),
  ],
);

/** What a source looked like when introspected; definitions are validated against it. */
export const schemaSnapshots = pgTable(
  'schema_snapshots',
  {
    id: id(),
    instanceId: uuid('instance_id')
      .notNull()
      .references(() => databaseInstances.id, { onDelete: 'cascade' }),
    serverVersion: text('server_version').notNull(),
    /** SHA-256 of the canonical snapshot: equal fingerprints mean nothing changed. */
    fingerprint: text('fingerprint').notNull(),
    snapshot: jsonb('snapshot').notNull(),
    capturedAt: createdAt(),
  },
  (t) => [index('schema_snapshots_instance_idx').on(t.instanceId, t.capturedAt)],
);
