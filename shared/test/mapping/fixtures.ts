import type { IntrospectedColumn, IntrospectedTable, TypeFamily } from '../../src/sources/types.ts';
import type { FieldMappingSpec } from '../../src/mapping/types.ts';

const DATA_TYPES: Partial<Record<TypeFamily, string>> = {
  text: 'text',
  smallint: 'smallint',
  integer: 'integer',
  bigint: 'bigint',
  numeric: 'numeric',
  real: 'real',
  double: 'double precision',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
  time: 'time without time zone',
  uuid: 'uuid',
  json: 'json',
  jsonb: 'jsonb',
  bytea: 'bytea',
  interval: 'interval',
  enum: 'status',
  array: 'text[]',
  other: 'inet',
};

let ordinal = 0;

/** An introspected column for pure tests; override what matters. */
export function col(name: string, typeFamily: TypeFamily, extra: Partial<IntrospectedColumn> = {}): IntrospectedColumn {
  return {
    name,
    ordinal: ++ordinal,
    dataType: DATA_TYPES[typeFamily] ?? typeFamily,
    typeFamily,
    udtName: typeFamily,
    nullable: true,
    defaultExpr: null,
    maxLength: null,
    numericPrecision: null,
    numericScale: null,
    ...extra,
  };
}

export function tableOf(columns: IntrospectedColumn[], extra: Partial<IntrospectedTable> = {}): IntrospectedTable {
  return {
    schema: 'public',
    name: 't',
    kind: 'table',
    columns,
    primaryKey: null,
    uniqueConstraints: [],
    indexes: [],
    estimatedRows: null,
    rowEstimate: { rows: null, source: 'none' },
    ...extra,
  };
}

export function mapping(sourceColumn: string, targetType: FieldMappingSpec['targetType'], extra: Partial<FieldMappingSpec> = {}): FieldMappingSpec {
  return { sourceColumn, targetColumn: sourceColumn, targetType, converterOptions: {}, transforms: [], direction: 'push', ...extra };
}
