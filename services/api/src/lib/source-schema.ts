import { z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { sourceParamsFromInstance } from '@syncbridge/shared/connections';
import { schema } from '@syncbridge/shared/db';
import { EgressDeniedError } from '@syncbridge/shared/net';
import {
  classifySourceError,
  sourceAdapterFor,
  UnsupportedEngineError,
  uniqueKeysOf,
  type IntrospectedColumn,
  type IntrospectedTable,
  type SchemaSnapshot,
  type SourceAdapter,
  type SourceConnectionParams,
  type TypeFamily,
} from '@syncbridge/shared/sources';
import type { ApiDeps } from './context.ts';
import { egressOf, egressRefused } from './probes.ts';
import { ApiError, commonErrorResponses, ErrorCode, notFound } from './problem.ts';
import { scrubSecretText } from './secret-text.ts';

/*
 * Live access to a source database for the API: load an instance with its decrypted
 * credentials, introspect it (unreachable -> 503, unsupported engine -> 422), and keep the
 * history of what it looked like in schema_snapshots, one history per filter scope.
 */

type InstanceRow = typeof schema.databaseInstances.$inferSelect;

/** How long a live introspection may take before the API gives up with a 503. */
export const INTROSPECTION_TIMEOUT_MS = 30_000;

export interface SourceInstance {
  instance: InstanceRow;
  engine: SourceConnectionParams['engine'];
}

/** The instance and its database's engine, or undefined when it does not exist. */
export async function findSourceInstance(deps: ApiDeps, instanceId: string): Promise<SourceInstance | undefined> {
  const [row] = await deps.store.db
    .select({ instance: schema.databaseInstances, engine: schema.databases.engine })
    .from(schema.databaseInstances)
    .innerJoin(schema.databases, eq(schema.databases.id, schema.databaseInstances.databaseId))
    .where(eq(schema.databaseInstances.id, instanceId))
    .limit(1);
  return row;
}

export async function loadSourceInstance(deps: ApiDeps, instanceId: string): Promise<SourceInstance> {
  const row = await findSourceInstance(deps, instanceId);
  if (!row) throw notFound('DatabaseInstance', instanceId);
  return row;
}

/** Connection parameters with the stored password decrypted (never logged, never returned). */
export function connectionParams(deps: ApiDeps, source: SourceInstance): SourceConnectionParams {
  return sourceParamsFromInstance(source.instance, source.engine, deps.secrets);
}

export const describeInstance = (inst: Pick<InstanceRow, 'id' | 'name' | 'host' | 'port' | 'databaseName'>) =>
  `database instance "${inst.name}" (${inst.id}, ${inst.host}:${inst.port}/${inst.databaseName})`;

export function adapterFor(source: SourceInstance): SourceAdapter {
  try {
    return sourceAdapterFor(source.engine);
  } catch (err) {
    if (err instanceof UnsupportedEngineError) {
      throw new ApiError(422, ErrorCode.ValidationFailed, `${describeInstance(source.instance)}: ${err.message}`);
    }
    throw err;
  }
}

/** Errors that are our own bugs, not the source's answer: they stay 500s. */
const isProgrammingError = (err: unknown) =>
  err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError;

/** The driver's message without the password, should a driver ever echo it. */
function driverMessage(err: unknown, password: string | null): string {
  const e = err as { message?: unknown; code?: unknown };
  let message = typeof e?.message === 'string' && e.message ? e.message : String(err);
  if (typeof e?.code === 'string' && !message.includes(e.code)) message = `${message} (${e.code})`;
  return scrubSecretText(message, [password]);
}

/**
 * Introspects an instance live, within INTROSPECTION_TIMEOUT_MS and the egress policy.
 * `unavailablePrefix` starts the 503 message, e.g. "the definition cannot be validated now".
 * The message names the instance and the failure's class (shared/src/net/error-class.ts),
 * never the server's own text nor the password; the driver's detail goes to the log. A host
 * the egress policy refuses answers 422 naming `host`.
 */
export async function introspectSource(
  deps: ApiDeps,
  source: SourceInstance,
  filter: { schema?: string; table?: string },
  unavailablePrefix?: string,
): Promise<SchemaSnapshot> {
  const adapter = adapterFor(source);
  const params = connectionParams(deps, source);
  try {
    return await adapter.introspect(params, filter, { deadlineMs: INTROSPECTION_TIMEOUT_MS, egress: egressOf(deps) });
  } catch (err) {
    if (isProgrammingError(err)) throw err;
    if (err instanceof EgressDeniedError) throw egressRefused(err, 'host', deps.logger.child({ instanceId: source.instance.id }));
    const classified = classifySourceError(err, params);
    deps.logger.warn(
      { instanceId: source.instance.id, errorClass: classified.errorClass, error: driverMessage(err, params.password) },
      'source introspection failed',
    );
    const what = `${describeInstance(source.instance)} cannot be reached (${classified.errorClass}): ${classified.message}`;
    throw new ApiError(503, ErrorCode.Unavailable, unavailablePrefix ? `${unavailablePrefix}: ${what}` : what);
  }
}

// ---- OpenAPI shapes --------------------------------------------------------------------

const TYPE_FAMILIES = [
  'text',
  'smallint',
  'integer',
  'bigint',
  'numeric',
  'real',
  'double',
  'boolean',
  'date',
  'timestamp',
  'timestamptz',
  'time',
  'uuid',
  'json',
  'jsonb',
  'array',
  'enum',
  'bytea',
  'interval',
  'other',
] as const satisfies readonly TypeFamily[];
// Fails to compile when the shared TypeFamily gains a member this list lacks.
type MissingFamily = Exclude<TypeFamily, (typeof TYPE_FAMILIES)[number]>;
const _allFamiliesListed: [MissingFamily] extends [never] ? true : MissingFamily = true;

const typeFamily = z.enum(TYPE_FAMILIES).openapi({ description: 'How SyncBridge groups the type; decides default mappings and conversions' });

export const SourceColumnSchema = z
  .object({
    name: z.string(),
    ordinal: z.number().int().openapi({ description: 'Attribute number (gaps remain where columns were dropped)' }),
    dataType: z.string().openapi({ example: 'character varying(300)', description: 'The declared type as PostgreSQL prints it' }),
    typeFamily,
    udtName: z.string().openapi({ description: 'Name of the declared type (the domain or enum name for those)' }),
    nullable: z.boolean(),
    default: z.string().nullable().openapi({ description: 'Default expression, e.g. now()' }),
    maxLength: z.number().int().nullable().openapi({ description: 'Declared length of varchar(n)/char(n)' }),
    precision: z.number().int().nullable().openapi({ description: 'numeric(p,s): p' }),
    scale: z.number().int().nullable().openapi({ description: 'numeric(p,s): s' }),
    enumValues: z.array(z.string()).nullable().openapi({ description: 'Enum labels in declared order (enums and arrays of enums)' }),
    elementFamily: typeFamily.nullable().openapi({ description: 'For arrays: the family of the element type' }),
    generated: z.boolean().openapi({ description: 'GENERATED ALWAYS AS (...) STORED: readable, never writable' }),
    identity: z.enum(['always', 'by_default']).nullable(),
    domain: z
      .object({
        name: z.string().openapi({ example: 'email_address', description: 'The domain (as udtName)' }),
        baseType: z.string().openapi({
          example: 'character varying(254)',
          description: 'The type the domain is based on, as PostgreSQL prints it; typeFamily, maxLength, precision and scale come from it',
        }),
      })
      .nullable()
      .openapi({ description: "Set when the column's type is a domain (dataType then shows the domain's name); null otherwise" }),
  })
  .openapi('SourceColumn');

const ConstraintSchema = z.object({ name: z.string(), columns: z.array(z.string()) }).openapi('SourceConstraint');

const TABLE_KINDS = [
  'table',
  'view',
  'materialized_view',
  'partitioned_table',
  'partition',
  'foreign_table',
] as const satisfies readonly IntrospectedTable['kind'][];
type MissingKind = Exclude<IntrospectedTable['kind'], (typeof TABLE_KINDS)[number]>;
const _allKindsListed: [MissingKind] extends [never] ? true : MissingKind = true;

const qualified = (description: string) => z.string().openapi({ example: 'public.payments', description });

const RowEstimateSchema = z
  .object({
    rows: z.number().int().nullable().openapi({ description: 'Number of rows; null when source is none' }),
    source: z.enum(['statistics', 'count', 'size', 'none']).openapi({
      description: [
        'How `rows` was obtained.',
        'statistics: the planner statistics (pg_class.reltuples, kept by ANALYZE/autovacuum; as stale as the last ANALYZE).',
        'count: an exact count(*), made for relations without statistics that are small enough.',
        'size: no statistics and too large to count; derived from the size on disk and the row width (a rough figure; run ANALYZE for a better one).',
        'none: no figure (views, unpopulated materialized views, foreign tables never analysed, a relation locked during introspection).',
        'A partitioned table sums its leaf partitions and reports the least exact source among them (none if any leaf has none).',
      ].join(' '),
    }),
  })
  .openapi('SourceRowEstimate');

const UniqueKeySchema = z
  .object({
    name: z.string().openapi({ description: 'The constraint or index' }),
    columns: z.array(z.string()),
    source: z.enum(['primary_key', 'unique_constraint', 'unique_index']),
  })
  .openapi('SourceUniqueKey');

export const SourceTableSchema = z
  .object({
    schema: z.string(),
    name: z.string(),
    kind: z.enum(TABLE_KINDS).openapi({
      description:
        'partition: a partition of a partitioned table (listed for information; sync its partitioned table, named by partitionRoot); partitioned_table: reads include every partition',
    }),
    estimatedRows: z.number().int().nullable().openapi({ description: 'rowEstimate.rows (kept for older clients; see rowEstimate for how it was obtained)' }),
    rowEstimate: RowEstimateSchema,
    partitionOf: qualified(
      'For a partition: the partitioned table it is attached to (its immediate parent; for a sub-partition, a partition itself)',
    ).nullable(),
    partitionRoot: qualified('For a partition: the top-level partitioned table, the one a sync definition names').nullable(),
    partitionBound: z
      .string()
      .nullable()
      .openapi({ example: "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')", description: 'For a partition: its bound, or DEFAULT' }),
    partitions: z.array(z.string()).openapi({
      example: ['public.payments_2024', 'public.payments_default'],
      description: 'For a partitioned table: its immediate partitions (schema.table), sorted; empty otherwise',
    }),
    columns: z.array(SourceColumnSchema),
    primaryKey: ConstraintSchema.nullable(),
    uniqueConstraints: z.array(ConstraintSchema).openapi({ description: 'UNIQUE constraints only; uniqueKeys also lists unique indexes' }),
    uniqueKeys: z.array(UniqueKeySchema).openapi({
      description:
        'Every column set PostgreSQL guarantees unique and that a `unique` key strategy accepts: the primary key, unique constraints and unique indexes on plain columns without a WHERE predicate (each set once). Key columns must also be NOT NULL.',
    }),
    indexes: z.array(
      z
        .object({
          name: z.string(),
          columns: z.array(z.string()).openapi({ description: 'Key columns in index order (INCLUDE columns are not listed)' }),
          unique: z.boolean(),
          primary: z.boolean(),
          partial: z.boolean().openapi({ description: 'Has a WHERE predicate' }),
          hasExpressions: z.boolean().openapi({ description: 'Indexes an expression; the column list is then incomplete' }),
          definition: z.string(),
        })
        .openapi('SourceIndex'),
    ),
  })
  .openapi('SourceTable');

const PartitionChangeSchema = z.object({ table: qualified('The partition'), partitionOf: qualified('The partitioned table') }).openapi('SourcePartitionChange');

const changeValue = z.union([z.string(), z.boolean(), z.array(z.string())]);

export const SchemaDiffSchema = z
  .object({
    addedTables: z.array(z.string()).openapi({
      description: 'schema.table; partitions are not tables here (see addedPartitions), and their columns are compared on their partitioned table',
    }),
    removedTables: z.array(z.string()),
    changedTables: z.array(
      z.object({
        table: z.string(),
        addedColumns: z.array(z.string()),
        removedColumns: z.array(z.string()),
        changedColumns: z.array(
          z.object({
            column: z.string(),
            changes: z.array(z.object({ property: z.enum(['dataType', 'typeFamily', 'nullable', 'enumValues']), before: changeValue, after: changeValue })),
          }),
        ),
        primaryKeyChanged: z.boolean(),
      }),
    ),
    addedPartitions: z
      .array(PartitionChangeSchema)
      .openapi({ description: 'Partitions attached to (or created in) a partitioned table present in both snapshots' }),
    removedPartitions: z.array(PartitionChangeSchema).openapi({ description: 'Partitions detached or dropped' }),
    hasChanges: z.boolean(),
  })
  .openapi('SchemaDiff');

function toApiColumn(c: IntrospectedColumn) {
  return {
    name: c.name,
    ordinal: c.ordinal,
    dataType: c.dataType,
    typeFamily: c.typeFamily,
    udtName: c.udtName,
    nullable: c.nullable,
    default: c.defaultExpr,
    maxLength: c.maxLength,
    precision: c.numericPrecision,
    scale: c.numericScale,
    enumValues: c.enumValues ?? null,
    elementFamily: c.elementFamily ?? null,
    generated: c.generated === true,
    identity: c.identity ?? null,
    domain: c.domain ? { name: c.domain.name, baseType: c.domain.baseType } : null,
  };
}

export function toApiTable(t: IntrospectedTable) {
  return {
    schema: t.schema,
    name: t.name,
    kind: t.kind,
    estimatedRows: t.rowEstimate.rows,
    rowEstimate: { rows: t.rowEstimate.rows, source: t.rowEstimate.source },
    partitionOf: t.partitionOf ?? null,
    partitionRoot: t.partitionRoot ?? null,
    partitionBound: t.partitionBound ?? null,
    partitions: [...(t.partitions ?? [])],
    columns: t.columns.map(toApiColumn),
    primaryKey: t.primaryKey ? { name: t.primaryKey.name, columns: [...t.primaryKey.columns] } : null,
    uniqueConstraints: t.uniqueConstraints.map((u) => ({ name: u.name, columns: [...u.columns] })),
    uniqueKeys: (t.uniqueKeys ?? uniqueKeysOf(t)).map((k) => ({ name: k.name, columns: [...k.columns], source: k.source })),
    indexes: t.indexes.map((i) => ({
      name: i.name,
      columns: [...i.columns],
      unique: i.unique,
      primary: i.primary,
      partial: i.partial ?? /\bWHERE\b/i.test(i.definition),
      hasExpressions: i.hasExpressions ?? false,
      definition: i.definition,
    })),
  };
}

/** The 503 every route that reads a source live documents. */
export const sourceUnavailableResponse = {
  503: {
    description:
      'The source database could not be reached or did not answer within 30 s (the message names the instance and the class of failure: unreachable, timeout, tls, protocol, authentication_failed, database_not_found, permission_denied, server_error); nothing was changed',
    content: commonErrorResponses[500].content,
  },
} as const;
