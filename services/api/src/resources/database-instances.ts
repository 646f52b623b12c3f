import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { sourceParamsFromInstance } from '@syncbridge/shared/connections';
import { schema } from '@syncbridge/shared/db';
import { CONNECTION_ERROR_CLASSES, EgressDeniedError } from '@syncbridge/shared/net';
import { checkSourceConnection, MAX_IDENTIFIER_LENGTH, snapshotFingerprint, sourceConnectorFor, UnsupportedEngineError } from '@syncbridge/shared/sources';
import type { App, ApiDeps } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { egressOf, egressRefused, limitProbes, probeErrorResponses, SOURCE_TEST_DEADLINE_MS } from '../lib/probes.ts';
import { registerCrud } from '../lib/crud.ts';
import { ApiError, commonErrorResponses, ErrorCode, notFound } from '../lib/problem.ts';
import { requireSecretWhenMoved, secretResendNote } from '../lib/secret-resend.ts';
import { scrubSecretText } from '../lib/secret-text.ts';
import { changesSince, recordObservedSnapshot, scopeOf } from '@syncbridge/shared/schema-snapshots';
import { checkIdentifiers, describeInstance, introspectSource, loadSourceInstance, sourceUnavailableResponse } from '../lib/source-schema.ts';
import { SchemaDiffSchema, SourceTableSchema, toApiTable as toApiTableRow } from '../lib/source-schema-api.ts';
import { hostName, iso, name, plainText, timestamps, uuidFilter, uuidRef } from './common.ts';

type InstanceRow = typeof schema.databaseInstances.$inferSelect;

const role = z.enum(schema.instanceRole.enumValues).openapi({ description: 'At most one primary per database' });
const sslMode = z.enum(schema.sslMode.enumValues);
const status = z.enum(schema.healthStatus.enumValues);

export const InstanceSchema = z
  .object({
    id: z.string().uuid(),
    databaseId: z.string().uuid(),
    name: z.string(),
    host: z.string(),
    port: z.number().int(),
    databaseName: z.string(),
    username: z.string(),
    hasPassword: z.boolean().openapi({ description: 'Whether a password is stored. The password itself is write-only.' }),
    sslMode,
    role,
    priority: z.number().int(),
    status,
    lastHealthAt: z.string().datetime().nullable(),
    lastHealthLatencyMs: z.number().int().nullable(),
    lastHealthError: z.string().nullable(),
    serverVersion: z.string().nullable(),
    ...timestamps,
  })
  .openapi('DatabaseInstance');

const writable = {
  name: name('Instance name, unique per database'),
  host: hostName('Host name or IP address of the server (no scheme, port or path)'),
  port: z.number().int().min(1).max(65535),
  databaseName: plainText(z.string().min(1).max(128)),
  username: plainText(z.string().min(1).max(128)),
  password: z.string().min(1).max(1024).optional().openapi({ description: 'Write-only; stored encrypted (AES-256-GCM).', writeOnly: true }),
  sslMode: sslMode.optional(),
  role,
  priority: z.number().int().min(0).max(10_000).optional().openapi({ description: 'Lower is preferred for failover' }),
};
const CreateInstance = z
  .object({ databaseId: uuidRef('Logical database'), ...writable })
  .strict()
  .openapi('CreateDatabaseInstance');
/** The fields that decide where the stored password goes (sslMode: a downgrade sends it in clear; databaseName: a pooler routes by it). */
const PASSWORD_TARGET = ['host', 'port', 'databaseName', 'username', 'sslMode'] as const;
const UpdateInstance = z
  .object({
    ...writable,
    password: writable.password
      .nullable()
      .openapi({ description: 'Write-only; null removes the stored password. Required when host, port, databaseName, username or sslMode changes.' }),
  })
  .partial()
  .strict()
  .openapi('UpdateDatabaseInstance', { description: secretResendNote(PASSWORD_TARGET, 'password') });

const toResponse = (r: InstanceRow) => ({
  id: r.id,
  databaseId: r.databaseId,
  name: r.name,
  host: r.host,
  port: r.port,
  databaseName: r.databaseName,
  username: r.username,
  hasPassword: r.passwordEncrypted !== null,
  sslMode: r.sslMode,
  role: r.role,
  priority: r.priority,
  status: r.status,
  lastHealthAt: iso(r.lastHealthAt),
  lastHealthLatencyMs: r.lastHealthLatencyMs,
  lastHealthError: r.lastHealthError,
  serverVersion: r.serverVersion,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

const ConnectionTestResult = z
  .object({
    ok: z.boolean(),
    latencyMs: z.number().int(),
    serverVersion: z.string().optional(),
    errorClass: z.enum(CONNECTION_ERROR_CLASSES).optional().openapi({
      description:
        "When ok is false: what went wrong, as a class. The server's own message is never returned (it is logged); error says what the class means for this instance.",
    }),
    error: z
      .string()
      .optional()
      .openapi({ description: 'When ok is false: a message for errorClass, naming the host, user or database; also stored as lastHealthError' }),
    errorCode: z.string().optional().openapi({ description: 'The SQLSTATE, when the server answered with one (e.g. 28P01)' }),
    instance: InstanceSchema,
  })
  .openapi('DatabaseInstanceTestResult');

/** Capped at the longest name any engine has; the instance's engine's own limit is checked once the instance is loaded (422). */
const identifierFilter = (description: string) =>
  z.string().max(MAX_IDENTIFIER_LENGTH, `must be at most ${MAX_IDENTIFIER_LENGTH} characters`).optional().openapi({ description });

export const SourceSchemaSnapshot = z
  .object({
    snapshotId: z.string().uuid().nullable().openapi({
      description:
        'The stored snapshot this state matches (schema_snapshots); unchanged while the schema is unchanged. null when the filter matches no table and its scope has no history: nothing is recorded for it',
    }),
    capturedAt: z.string().datetime().nullable().openapi({ description: 'When the source was first seen in this state; null with snapshotId' }),
    checkedAt: z.string().datetime().openapi({ description: 'When it was introspected for this response' }),
    engine: z
      .enum(schema.databaseEngine.enumValues)
      .openapi({ description: "The database's engine; types are described by canonical family whatever the engine" }),
    serverVersion: z.string().openapi({ example: '16.4' }),
    fingerprint: z.string().openapi({
      description:
        "SHA-256 of the schema (tables, columns, keys, indexes and the partition tree; not statistics, nor the columns of partitions, which are their parent's)",
    }),
    scope: z
      .object({ schema: z.string().nullable(), table: z.string().nullable() })
      .openapi({ description: 'The filter; snapshots are compared only with snapshots of the same scope' }),
    tables: z.array(SourceTableSchema),
    changesSince: z.string().uuid().nullable().openapi({
      description:
        'The snapshot `changes` compares with: the previous snapshot of this scope, or snapshotId itself when nothing changed; null for the first snapshot',
    }),
    changes: SchemaDiffSchema.nullable().openapi({
      description: 'Differences from the snapshot changesSince names; null for the first snapshot of this scope',
    }),
  })
  .openapi('SourceSchemaSnapshot');

export function registerDatabaseInstances(app: App, deps: ApiDeps) {
  registerCrud<InstanceRow, z.infer<typeof CreateInstance>, z.infer<typeof UpdateInstance>>(app, deps, {
    basePath: '/v1/database-instances',
    tag: 'Database instances',
    singular: 'DatabaseInstance',
    table: schema.databaseInstances,
    response: InstanceSchema,
    create: CreateInstance,
    update: UpdateInstance,
    writeRole: 'admin',
    listFilters: { databaseId: { column: schema.databaseInstances.databaseId, schema: uuidFilter('Only instances of this database') } },
    toResponse,
    toInsert: ({ password, ...rest }) => ({ ...rest, passwordEncrypted: password ? deps.secrets.encrypt(password) : null }),
    toPatch: (body, _deps, existing) => {
      requireSecretWhenMoved({ body, existing, fields: PASSWORD_TARGET, secretField: 'password', hasStoredSecret: existing.passwordEncrypted !== null });
      const { password, ...rest } = body;
      return { ...rest, ...(password === undefined ? {} : { passwordEncrypted: password === null ? null : deps.secrets.encrypt(password) }) };
    },
  });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/database-instances/{id}/test',
      tags: ['Database instances'],
      security: [{ bearerAuth: [] }],
      summary: 'Test the connection to an instance and record its health',
      description: [
        'Connects with the stored credentials, runs a trivial query and stores status, latency and error on the instance.',
        `Answers within ${SOURCE_TEST_DEADLINE_MS / 1000} s, after at most three connection attempts: a source that does not answer by then is reported with ok false and errorClass timeout.`,
        'A host the egress policy does not allow answers 422 naming `host` (nothing is attempted or recorded). Live calls are rate-limited per API key (429 with Retry-After).',
      ].join(' '),
      middleware: [requireRole('operator'), limitProbes(deps, 'source')] as const,
      request: {
        params: z.object({
          id: z
            .string()
            .uuid()
            .openapi({ param: { name: 'id', in: 'path' } }),
        }),
      },
      responses: {
        200: { description: 'The check ran (see ok)', content: { 'application/json': { schema: ConnectionTestResult } } },
        ...commonErrorResponses,
        ...probeErrorResponses,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { db } = deps.store;
      const [row] = await db
        .select({ instance: schema.databaseInstances, engine: schema.databases.engine })
        .from(schema.databaseInstances)
        .innerJoin(schema.databases, eq(schema.databases.id, schema.databaseInstances.databaseId))
        .where(eq(schema.databaseInstances.id, id));
      if (!row) throw notFound('DatabaseInstance', id);
      let connector;
      try {
        connector = sourceConnectorFor(row.engine);
      } catch (err) {
        if (err instanceof UnsupportedEngineError) throw new ApiError(422, ErrorCode.ValidationFailed, err.message);
        throw err;
      }
      const params = sourceParamsFromInstance(row.instance, row.engine, deps.secrets);
      let checked;
      try {
        checked = await checkSourceConnection(connector, params, { deadlineMs: SOURCE_TEST_DEADLINE_MS, egress: egressOf(deps) });
      } catch (err) {
        if (err instanceof EgressDeniedError) throw egressRefused(err, 'host', c.get('log'));
        throw err;
      }
      // Returned and stored where viewers read it: the class and our message only (never the password, nor the server's text); the detail is logged.
      const result = checked.ok ? checked : { ...checked, error: scrubSecretText(checked.error, [params.password]) };
      if (!checked.ok) c.get('log').warn({ instanceId: id, errorClass: checked.errorClass, detail: checked.detail }, 'database instance test failed');
      const [updated] = await db
        .update(schema.databaseInstances)
        .set({
          status: result.ok ? 'healthy' : 'unhealthy',
          lastHealthAt: new Date(),
          lastHealthLatencyMs: result.latencyMs,
          lastHealthError: result.ok ? null : result.error,
          ...(result.ok ? { serverVersion: result.serverVersion } : {}),
        })
        .where(eq(schema.databaseInstances.id, id))
        .returning();
      c.get('log').info({ instanceId: id, ok: result.ok, latencyMs: result.latencyMs }, 'database instance tested');
      const answer = result.ok
        ? { ok: true, latencyMs: result.latencyMs, serverVersion: result.serverVersion }
        : {
            ok: false,
            latencyMs: result.latencyMs,
            errorClass: result.errorClass,
            error: result.error,
            ...(result.errorCode ? { errorCode: result.errorCode } : {}),
          };
      return c.json({ ...answer, instance: toResponse(updated as InstanceRow) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/database-instances/{id}/schema',
      tags: ['Database instances'],
      security: [{ bearerAuth: [] }],
      summary: 'Introspect the source schema live and record a snapshot',
      description: [
        'Connects with the stored credentials and describes the tables, views and their columns, keys and indexes (system schemas excluded).',
        'Partitions are listed too, with kind `partition` and `partitionOf`/`partitionRoot`; their partitioned table lists them in `partitions`. A sync definition names the partitioned table, never a partition.',
        'Every table-like relation has a `rowEstimate` saying how its row count was obtained (planner statistics, an exact count for small relations without statistics, or a size-based figure); partitioned tables sum their partitions.',
        '`uniqueKeys` lists every column set a `unique` key strategy accepts (primary key, unique constraints, unique indexes); domain columns name their base type in `domain`.',
        'Each call stores a snapshot in schema_snapshots only when the schema differs from the latest snapshot of the same scope (the same schema/table filter),',
        'and reports the differences from it in `changes`. Filtered and unfiltered calls keep separate histories.',
        'An unknown `schema` answers 200 with no tables and `snapshotId: null` (nothing is stored); a `table` that does not exist answers 404 (nothing is stored).',
        'Each table says where it differs from an ordinary keyed, writable table: `readOnly` (views, materialized views, foreign tables, non-transactional storage: push only, never ingress) and `notes` (read_only, no_usable_key, non_transactional).',
        "A source that cannot be reached or does not answer within 30 s answers 503 naming the instance and the class of failure (the driver's own text is logged, not returned); an engine without a connector answers 422, and so does a host the egress policy does not allow (naming `host`), and a schema or table name longer than the engine allows (PostgreSQL: 63 bytes; MySQL and MariaDB: 64 characters).",
        'Live calls are rate-limited per API key (429 with Retry-After).',
      ].join(' '),
      middleware: [requireRole('viewer'), limitProbes(deps, 'source')] as const,
      request: {
        params: z.object({
          id: z
            .string()
            .uuid()
            .openapi({ param: { name: 'id', in: 'path' } }),
        }),
        query: z.object({
          schema: identifierFilter('Only this schema (e.g. public)'),
          table: identifierFilter('Only this table or view (in every schema unless `schema` is given); 404 when it does not exist'),
        }),
      },
      responses: {
        200: { description: 'The live schema and its snapshot', content: { 'application/json': { schema: SourceSchemaSnapshot } } },
        ...commonErrorResponses,
        ...sourceUnavailableResponse,
        ...probeErrorResponses,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const query = c.req.valid('query');
      // Empty parameters (`?schema=&table=`) mean no filter.
      const filter = { ...(query.schema ? { schema: query.schema } : {}), ...(query.table ? { table: query.table } : {}) };
      const source = await loadSourceInstance(deps, id);
      checkIdentifiers(source, [
        { field: 'query.schema', name: filter.schema },
        { field: 'query.table', name: filter.table },
      ]);
      const live = await introspectSource(deps, source, filter);
      if (filter.table && live.tables.length === 0) {
        const name = filter.schema ? `${filter.schema}.${filter.table}` : filter.table;
        throw new ApiError(404, ErrorCode.NotFound, `table ${name} does not exist on ${describeInstance(source.instance)} (or its user cannot see it)`);
      }
      const scope = scopeOf(filter);
      // A read (viewers may call it): stores a row only when the schema changed, never for a filter that matched nothing new.
      const recorded = await recordObservedSnapshot(deps.store.db, id, scope, live);
      c.get('log').info(
        { instanceId: id, snapshotId: recorded?.id ?? null, created: recorded?.created ?? false, tables: live.tables.length },
        'source schema introspected',
      );
      return c.json(
        {
          snapshotId: recorded?.id ?? null,
          capturedAt: recorded?.capturedAt.toISOString() ?? null,
          checkedAt: live.capturedAt,
          engine: live.engine,
          serverVersion: live.serverVersion,
          fingerprint: recorded?.fingerprint ?? snapshotFingerprint(live),
          scope,
          tables: live.tables.map(toApiTableRow),
          changesSince: recorded?.previous ? (recorded.created ? recorded.previous.id : recorded.id) : null,
          changes: recorded ? changesSince(recorded, live) : null,
        },
        200,
      );
    },
  );
}
