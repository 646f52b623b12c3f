import { z } from '@hono/zod-openapi';
import { readOnlyReason, tableNotes, uniqueKeysOf, type IntrospectedColumn, type IntrospectedTable, type TypeFamily } from '@syncbridge/shared/sources';

/*
 * The OpenAPI shapes of introspection (GET /v1/database-instances/{id}/schema and what embeds
 * its tables), and the mapping from the shared introspection types to them. The same for every
 * engine: types are described by canonical family, and where tables differ (read-only
 * relations, no usable key, non-transactional storage) the table's `notes` say so.
 */

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
    dataType: z.string().openapi({ example: 'character varying(300)', description: 'The declared type as the engine prints it' }),
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

const ForeignKeySchema = z
  .object({
    name: z.string(),
    columns: z.array(z.string()),
    referencedTable: qualified('The table the key references (schema.table)'),
    referencedColumns: z.array(z.string()).openapi({ description: 'In the order of columns' }),
    onUpdate: z.enum(['no_action', 'restrict', 'cascade', 'set_null', 'set_default']),
    onDelete: z.enum(['no_action', 'restrict', 'cascade', 'set_null', 'set_default']),
  })
  .openapi('SourceForeignKey');

const TableNoteSchema = z
  .object({
    code: z.enum(['read_only', 'no_usable_key', 'non_transactional']).openapi({
      description:
        'read_only: a view, materialized view or foreign table (push reads it; ingress never writes to it); no_usable_key: no primary key, unique constraint or unique index, so no sync definition can key its rows; non_transactional: a storage engine without transactions (MySQL MyISAM), refused by ingress',
    }),
    message: z.string(),
  })
  .openapi('SourceTableNote');

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
        'Every column set the engine guarantees unique and that a `unique` key strategy accepts: the primary key, unique constraints and unique indexes on plain columns without a WHERE predicate (each set once). Key columns must also be NOT NULL.',
    }),
    foreignKeys: z.array(ForeignKeySchema).openapi({ description: 'Foreign keys declared on this table (each once, where declared)' }),
    readOnly: z.boolean().openapi({
      description:
        'SyncBridge only reads this relation: push works (given a key), ingress never writes to it (a view, materialized view, foreign table or non-transactional table; see notes)',
    }),
    storageEngine: z
      .string()
      .nullable()
      .openapi({ example: 'InnoDB', description: 'The storage engine, on databases that have several (MySQL/MariaDB); null otherwise' }),
    notes: z.array(TableNoteSchema).openapi({ description: 'Where this table differs from an ordinary keyed, writable table; empty otherwise' }),
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
    foreignKeys: (t.foreignKeys ?? []).map((f) => ({
      name: f.name,
      columns: [...f.columns],
      referencedTable: `${f.referencedSchema}.${f.referencedTable}`,
      referencedColumns: [...f.referencedColumns],
      onUpdate: f.onUpdate,
      onDelete: f.onDelete,
    })),
    readOnly: readOnlyReason(t) !== null,
    storageEngine: t.storage?.engine ?? null,
    notes: tableNotes(t),
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
