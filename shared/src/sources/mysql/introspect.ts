import type {
  ForeignKeyAction,
  IntrospectedColumn,
  IntrospectedForeignKey,
  IntrospectedIndex,
  IntrospectedTable,
  IntrospectionFilter,
  SchemaSnapshot,
  SourceEngine,
} from '../types.ts';
import { uniqueKeysOf } from '../unique-keys.ts';
import { enumLabels, familyOfMysqlType } from './families.ts';
import { literal, qualifiedName, quoteIdent } from './ident.ts';
import type { Flavor } from './pool.ts';
import { isGeneratedExtra, jsonCheckSql, plainRows, type Runner } from './query.ts';

/*
 * Schema introspection from information_schema: schemas are databases (the system ones never
 * listed), tables and views with their columns, keys, indexes, foreign keys, storage engine and
 * row estimates, in a fixed number of statements whatever the number of tables. Filters are
 * literals; identifiers are never spliced unquoted.
 */

const SYSTEM_SCHEMAS = `('mysql', 'sys', 'information_schema', 'performance_schema')`;

/** Storage engines whose writes a ROLLBACK undoes. Aria is crash-safe (TRANSACTIONAL=1) but cannot roll back a statement: not listed. */
const TRANSACTIONAL_ENGINES = new Set(['innodb', 'xtradb', 'rocksdb', 'tokudb', 'ndbcluster', 'ndb']);

export const isTransactionalEngine = (engine: string) => TRANSACTIONAL_ENGINES.has(engine.toLowerCase());

const FK_ACTIONS: Record<string, ForeignKeyAction> = {
  'NO ACTION': 'no_action',
  RESTRICT: 'restrict',
  CASCADE: 'cascade',
  'SET NULL': 'set_null',
  'SET DEFAULT': 'set_default',
};

function where(filter: IntrospectionFilter, schemaCol: string, tableCol: string): string {
  const parts = [`${schemaCol} not in ${SYSTEM_SCHEMAS}`];
  if (filter.schema !== undefined) parts.push(`${schemaCol} = ${literal(filter.schema)}`);
  if (filter.table !== undefined) parts.push(`${tableCol} = ${literal(filter.table)}`);
  return parts.join(' and ');
}

interface TableRow {
  schema: string;
  name: string;
  type: string;
  engine: string | null;
  table_rows: string | number | null;
}

interface ColumnRow {
  schema: string;
  table_name: string;
  name: string;
  ordinal: number;
  default_expr: string | null;
  nullable: string;
  data_type: string;
  column_type: string;
  max_length: string | number | null;
  num_precision: string | number | null;
  num_scale: string | number | null;
  extra: string | null;
  is_json: number | string | null;
}

interface IndexRow {
  schema: string;
  table_name: string;
  name: string;
  non_unique: number | string;
  seq: number;
  column_name: string | null;
  sub_part: number | string | null;
  index_type: string;
  collation: string | null;
  expression: string | null;
}

interface ForeignKeyRow {
  schema: string;
  table_name: string;
  name: string;
  column_name: string;
  ref_schema: string;
  ref_table: string;
  ref_column: string;
  on_update: string;
  on_delete: string;
}

const tableKey = (schema: string, table: string) => `${schema}\u0000${table}`;

function group<T>(rows: readonly T[], keyOf: (r: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = keyOf(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

const num = (v: string | number | null): number | null => (v === null || v === undefined ? null : Number(v));

function toColumn(r: ColumnRow): IntrospectedColumn {
  const isJson = Number(r.is_json) === 1;
  const family = familyOfMysqlType(r.data_type, r.column_type, isJson);
  const type = r.data_type.toLowerCase();
  const sized = ['char', 'varchar', 'binary', 'varbinary'].includes(type);
  // MariaDB prints "NULL" for a column without a default; string defaults keep their quotes there.
  const defaultExpr = r.default_expr === null || r.default_expr === 'NULL' ? null : r.default_expr;
  const generated = isGeneratedExtra(r.extra ?? '');
  const column: IntrospectedColumn = {
    name: r.name,
    ordinal: Number(r.ordinal),
    dataType: isJson ? 'json' : r.column_type,
    typeFamily: family,
    udtName: isJson ? 'json' : type,
    nullable: r.nullable === 'YES',
    defaultExpr: generated ? null : defaultExpr,
    maxLength: sized ? num(r.max_length) : null,
    numericPrecision: family === 'numeric' ? num(r.num_precision) : null,
    numericScale: family === 'numeric' ? num(r.num_scale) : null,
  };
  if (family === 'enum') column.enumValues = enumLabels(r.column_type);
  if (generated) column.generated = true;
  if (/auto_increment/i.test(r.extra ?? '')) column.identity = 'by_default';
  return column;
}

function toIndexes(schema: string, table: string, rows: IndexRow[]): IntrospectedIndex[] {
  const byName = group(rows, (r) => r.name);
  return [...byName.entries()]
    .map(([name, parts]) => {
      parts.sort((a, b) => Number(a.seq) - Number(b.seq));
      const primary = name === 'PRIMARY';
      const unique = Number((parts[0] as IndexRow).non_unique) === 0;
      const type = (parts[0] as IndexRow).index_type.toUpperCase();
      const hasExpressions = parts.some((p) => p.column_name === null);
      const items = parts.map((p) => {
        const base = p.column_name === null ? `(${p.expression ?? '?'})` : quoteIdent(p.column_name);
        return `${base}${p.sub_part !== null ? `(${Number(p.sub_part)})` : ''}${p.collation === 'D' ? ' DESC' : ''}`;
      });
      const kind = primary ? 'PRIMARY KEY' : type === 'FULLTEXT' ? 'FULLTEXT INDEX' : type === 'SPATIAL' ? 'SPATIAL INDEX' : unique ? 'UNIQUE INDEX' : 'INDEX';
      const definition = primary
        ? `ALTER TABLE ${qualifiedName(schema, table)} ADD PRIMARY KEY (${items.join(', ')})`
        : `CREATE ${kind} ${quoteIdent(name)} ON ${qualifiedName(schema, table)} (${items.join(', ')})${type === 'BTREE' || type === 'HASH' ? ` USING ${type}` : ''}`;
      return {
        name,
        columns: parts.filter((p) => p.column_name !== null).map((p) => p.column_name as string),
        unique,
        primary,
        definition,
        partial: false,
        // A full-text or spatial index does not order or identify rows; treat it like an expression index.
        hasExpressions: hasExpressions || type === 'FULLTEXT' || type === 'SPATIAL',
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function toForeignKeys(rows: ForeignKeyRow[]): IntrospectedForeignKey[] {
  return [...group(rows, (r) => r.name).entries()]
    .map(([name, parts]) => {
      const first = parts[0] as ForeignKeyRow;
      return {
        name,
        columns: parts.map((p) => p.column_name),
        referencedSchema: first.ref_schema,
        referencedTable: first.ref_table,
        referencedColumns: parts.map((p) => p.ref_column),
        onUpdate: FK_ACTIONS[first.on_update.toUpperCase()] ?? 'no_action',
        onDelete: FK_ACTIONS[first.on_delete.toUpperCase()] ?? 'no_action',
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Tables and views of every user database (or those matching `filter`), on one connection. */
export async function introspectMysql(db: Runner, flavor: Flavor, engine: SourceEngine, filter: IntrospectionFilter = {}): Promise<SchemaSnapshot> {
  const [version] = await plainRows<{ v: string }>(db, 'select version() as v');
  const tables = await plainRows<TableRow>(
    db,
    `select t.TABLE_SCHEMA as \`schema\`, t.TABLE_NAME as name, t.TABLE_TYPE as type, t.ENGINE as engine, t.TABLE_ROWS as table_rows
     from information_schema.TABLES t
     where ${where(filter, 't.TABLE_SCHEMA', 't.TABLE_NAME')} and t.TABLE_TYPE in ('BASE TABLE', 'VIEW', 'SYSTEM VERSIONED')
     order by t.TABLE_SCHEMA, t.TABLE_NAME`,
  );
  const columns = tables.length
    ? await plainRows<ColumnRow>(
        db,
        `select c.TABLE_SCHEMA as \`schema\`, c.TABLE_NAME as table_name, c.COLUMN_NAME as name, c.ORDINAL_POSITION as ordinal,
           c.COLUMN_DEFAULT as default_expr, c.IS_NULLABLE as nullable, c.DATA_TYPE as data_type, c.COLUMN_TYPE as column_type,
           c.CHARACTER_MAXIMUM_LENGTH as max_length, c.NUMERIC_PRECISION as num_precision, c.NUMERIC_SCALE as num_scale, c.EXTRA as extra,
           ${jsonCheckSql(flavor, 'c.TABLE_SCHEMA', 'c.TABLE_NAME', 'c.COLUMN_NAME')} as is_json
         from information_schema.COLUMNS c
         where ${where(filter, 'c.TABLE_SCHEMA', 'c.TABLE_NAME')}
         order by c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION`,
      )
    : [];
  const indexes = tables.length
    ? await plainRows<IndexRow>(
        db,
        `select s.TABLE_SCHEMA as \`schema\`, s.TABLE_NAME as table_name, s.INDEX_NAME as name, s.NON_UNIQUE as non_unique, s.SEQ_IN_INDEX as seq,
           s.COLUMN_NAME as column_name, s.SUB_PART as sub_part, s.INDEX_TYPE as index_type, s.COLLATION as collation,
           ${flavor === 'mysql' ? 's.EXPRESSION' : 'null'} as expression
         from information_schema.STATISTICS s
         where ${where(filter, 's.TABLE_SCHEMA', 's.TABLE_NAME')}
         order by s.TABLE_SCHEMA, s.TABLE_NAME, s.INDEX_NAME, s.SEQ_IN_INDEX`,
      )
    : [];
  const foreignKeys = tables.length
    ? await plainRows<ForeignKeyRow>(
        db,
        `select k.TABLE_SCHEMA as \`schema\`, k.TABLE_NAME as table_name, k.CONSTRAINT_NAME as name, k.COLUMN_NAME as column_name,
           k.REFERENCED_TABLE_SCHEMA as ref_schema, k.REFERENCED_TABLE_NAME as ref_table, k.REFERENCED_COLUMN_NAME as ref_column,
           rc.UPDATE_RULE as on_update, rc.DELETE_RULE as on_delete
         from information_schema.KEY_COLUMN_USAGE k
         join information_schema.REFERENTIAL_CONSTRAINTS rc
           on rc.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA and rc.CONSTRAINT_NAME = k.CONSTRAINT_NAME and rc.TABLE_NAME = k.TABLE_NAME
         where ${where(filter, 'k.TABLE_SCHEMA', 'k.TABLE_NAME')} and k.REFERENCED_TABLE_NAME is not null
         order by k.TABLE_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
      )
    : [];

  const columnsBy = group(columns, (c) => tableKey(c.schema, c.table_name));
  const indexesBy = group(indexes, (i) => tableKey(i.schema, i.table_name));
  const foreignKeysBy = group(foreignKeys, (f) => tableKey(f.schema, f.table_name));
  const out: IntrospectedTable[] = tables.map((t) => {
    const k = tableKey(t.schema, t.name);
    const view = t.type === 'VIEW';
    const tableIndexes = toIndexes(t.schema, t.name, indexesBy.get(k) ?? []);
    const primary = tableIndexes.find((i) => i.primary);
    const keys = {
      primaryKey: primary ? { name: primary.name, columns: [...primary.columns] } : null,
      // Every UNIQUE KEY is a unique constraint (information_schema.TABLE_CONSTRAINTS lists each one).
      uniqueConstraints: tableIndexes.filter((i) => i.unique && !i.primary && !i.hasExpressions).map((i) => ({ name: i.name, columns: [...i.columns] })),
      indexes: tableIndexes,
    };
    const rows = view || t.table_rows === null ? null : Number(t.table_rows);
    const table: IntrospectedTable = {
      schema: t.schema,
      name: t.name,
      kind: view ? 'view' : 'table',
      columns: (columnsBy.get(k) ?? []).map(toColumn),
      ...keys,
      uniqueKeys: uniqueKeysOf(keys),
      foreignKeys: toForeignKeys(foreignKeysBy.get(k) ?? []),
      estimatedRows: rows,
      rowEstimate: rows === null ? { rows: null, source: 'none' } : { rows, source: 'statistics' },
    };
    if (!view && t.engine) table.storage = { engine: t.engine, transactional: isTransactionalEngine(t.engine) };
    return table;
  });
  return { engine, serverVersion: version?.v ?? 'unknown', capturedAt: new Date().toISOString(), tables: out };
}
