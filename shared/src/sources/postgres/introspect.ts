import type postgres from 'postgres';
import type {
  ForeignKeyAction,
  IntrospectedColumn,
  IntrospectedForeignKey,
  IntrospectedIndex,
  IntrospectedTable,
  IntrospectionFilter,
  RowEstimate,
  SchemaSnapshot,
  TypeFamily,
} from '../types.ts';
import { uniqueKeysOf } from '../unique-keys.ts';
import { estimateRows, type EstimateOptions } from './estimates.ts';

/*
 * Schema introspection from pg_catalog (information_schema hides objects the user does not
 * own and is slow). Every query takes its filters as bind parameters; nothing is spliced in.
 */

// Relations a sync definition may read, and the partitions of partitioned tables (listed so a
// user sees where rows live; a definition must name the partitioned table). Objects that belong
// to an extension (e.g. spatial_ref_sys) are skipped. Names of parents and partitions are
// `schema.table`, unquoted, for reports.
const RELATIONS_SQL = `
select c.oid as oid, n.nspname as schema, c.relname as name, c.relkind as relkind, c.relispartition as is_partition,
  case when c.relispartition then (
    select pn.nspname || '.' || pc.relname from pg_catalog.pg_inherits i
    join pg_catalog.pg_class pc on pc.oid = i.inhparent join pg_catalog.pg_namespace pn on pn.oid = pc.relnamespace
    where i.inhrelid = c.oid) end as partition_of,
  case when c.relispartition then (
    select rn.nspname || '.' || rc.relname from pg_catalog.pg_class rc join pg_catalog.pg_namespace rn on rn.oid = rc.relnamespace
    where rc.oid = pg_catalog.pg_partition_root(c.oid)) end as partition_root,
  case when c.relispartition then pg_catalog.pg_get_expr(c.relpartbound, c.oid) end as partition_bound,
  case when c.relkind = 'p' then array(
    select kn.nspname || '.' || kc.relname from pg_catalog.pg_inherits i
    join pg_catalog.pg_class kc on kc.oid = i.inhrelid join pg_catalog.pg_namespace kn on kn.oid = kc.relnamespace
    where i.inhparent = c.oid order by 1) end as partitions
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'v', 'm', 'p', 'f')
  and n.nspname <> all (array['pg_catalog', 'information_schema'])
  and n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
  and ($1::text is null or n.nspname = $1::text)
  and ($2::text is null or c.relname = $2::text)
  and not exists (
    select 1 from pg_catalog.pg_depend d
    where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
order by n.nspname, c.relname`;

// Domains are resolved one level to their base type (and typmod), which decides the family.
const COLUMNS_SQL = `
select a.attrelid as rel, a.attname as name, a.attnum as ordinal,
  pg_catalog.format_type(a.atttypid, a.atttypmod) as data_type,
  t.typname as udt_name,
  (a.attnotnull or t.typnotnull) as not_null,
  case when a.attgenerated = '' then pg_catalog.pg_get_expr(d.adbin, d.adrelid) end as default_expr,
  a.attgenerated <> '' as generated,
  a.attidentity as identity,
  coalesce(bt.oid, t.oid) as base_oid,
  coalesce(bt.typname, t.typname) as base_name,
  coalesce(bt.typtype, t.typtype) as base_typtype,
  coalesce(bt.typcategory, t.typcategory) as base_category,
  case when t.typtype = 'd' then t.typtypmod else a.atttypmod end as typmod,
  coalesce(ebt.oid, et.oid) as elem_oid,
  coalesce(ebt.typname, et.typname) as elem_name,
  coalesce(ebt.typtype, et.typtype) as elem_typtype,
  case when t.typtype = 'd' then pg_catalog.format_type(t.typbasetype, t.typtypmod) end as domain_base
from pg_catalog.pg_attribute a
join pg_catalog.pg_type t on t.oid = a.atttypid
left join pg_catalog.pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
left join pg_catalog.pg_type et on coalesce(bt.typcategory, t.typcategory) = 'A' and et.oid = coalesce(bt.typelem, t.typelem)
left join pg_catalog.pg_type ebt on et.typtype = 'd' and ebt.oid = et.typbasetype
left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
order by a.attrelid, a.attnum`;

const ENUMS_SQL = `
select e.enumtypid as type_oid, e.enumlabel::text as label
from pg_catalog.pg_enum e where e.enumtypid = any($1::oid[])
order by e.enumtypid, e.enumsortorder`;

const CONSTRAINTS_SQL = `
select con.conrelid as rel, con.conname::text as name, con.contype::text as type,
  array(select a.attname::text from unnest(con.conkey) with ordinality k(attnum, ord)
        join pg_catalog.pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum order by k.ord) as columns
from pg_catalog.pg_constraint con
where con.conrelid = any($1::oid[]) and con.contype in ('p', 'u')
order by con.conrelid, con.conname`;

// Only key columns (the first indnkeyatts); INCLUDE columns do not take part in uniqueness.
const INDEXES_SQL = `
select i.indrelid as rel, ic.relname::text as name, i.indisunique as is_unique, i.indisprimary as is_primary,
  pg_catalog.pg_get_indexdef(i.indexrelid) as definition,
  i.indpred is not null as partial, i.indexprs is not null as has_expressions,
  array(select a.attname::text from unnest(i.indkey[0:i.indnkeyatts - 1]) with ordinality k(attnum, ord)
        join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum order by k.ord) as columns
from pg_catalog.pg_index i
join pg_catalog.pg_class ic on ic.oid = i.indexrelid
where i.indrelid = any($1::oid[])
order by i.indrelid, ic.relname`;

// Constraints cloned from a parent (conparentid <> 0: on partitions, or per partition of a
// referenced partitioned table) are left out: each foreign key is listed once, where it was declared.
const FOREIGN_KEYS_SQL = `
select con.conrelid as rel, con.conname::text as name,
  array(select a.attname::text from unnest(con.conkey) with ordinality k(attnum, ord)
        join pg_catalog.pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum order by k.ord) as columns,
  rn.nspname::text as ref_schema, rc.relname::text as ref_table,
  array(select a.attname::text from unnest(con.confkey) with ordinality k(attnum, ord)
        join pg_catalog.pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum order by k.ord) as ref_columns,
  con.confupdtype::text as on_update, con.confdeltype::text as on_delete
from pg_catalog.pg_constraint con
join pg_catalog.pg_class rc on rc.oid = con.confrelid
join pg_catalog.pg_namespace rn on rn.oid = rc.relnamespace
where con.conrelid = any($1::oid[]) and con.contype = 'f' and con.conparentid = 0
order by con.conrelid, con.conname`;

const FK_ACTIONS: Record<string, ForeignKeyAction> = { a: 'no_action', r: 'restrict', c: 'cascade', n: 'set_null', d: 'set_default' };

type ForeignKeyRow = {
  rel: number;
  name: string;
  columns: string[];
  ref_schema: string;
  ref_table: string;
  ref_columns: string[];
  on_update: string;
  on_delete: string;
};

const toForeignKey = (r: ForeignKeyRow): IntrospectedForeignKey => ({
  name: r.name,
  columns: [...r.columns],
  referencedSchema: r.ref_schema,
  referencedTable: r.ref_table,
  referencedColumns: [...r.ref_columns],
  onUpdate: FK_ACTIONS[r.on_update] ?? 'no_action',
  onDelete: FK_ACTIONS[r.on_delete] ?? 'no_action',
});

const KINDS: Record<string, IntrospectedTable['kind']> = { r: 'table', v: 'view', m: 'materialized_view', p: 'partitioned_table', f: 'foreign_table' };

interface RelationRow {
  oid: number;
  schema: string;
  name: string;
  relkind: string;
  is_partition: boolean;
  partition_of: string | null;
  partition_root: string | null;
  partition_bound: string | null;
  partitions: string[] | null;
}

const FAMILY_BY_TYPE: Record<string, TypeFamily> = {
  text: 'text',
  varchar: 'text',
  bpchar: 'text',
  char: 'text',
  name: 'text',
  citext: 'text',
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  numeric: 'numeric',
  float4: 'real',
  float8: 'double',
  bool: 'boolean',
  date: 'date',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
  time: 'time',
  timetz: 'time',
  uuid: 'uuid',
  json: 'json',
  jsonb: 'jsonb',
  bytea: 'bytea',
  interval: 'interval',
};

/** The family of a (base) type from its pg_type name and typtype. */
export function familyOfPgType(typname: string, typtype: string, category?: string): TypeFamily {
  if (typtype === 'e') return 'enum';
  if (category === 'A') return 'array';
  return FAMILY_BY_TYPE[typname] ?? 'other';
}

interface ColumnRow {
  rel: number;
  name: string;
  ordinal: number;
  data_type: string;
  udt_name: string;
  not_null: boolean;
  default_expr: string | null;
  generated: boolean;
  identity: string;
  base_oid: number;
  base_name: string;
  base_typtype: string;
  base_category: string;
  typmod: number;
  elem_oid: number | null;
  elem_name: string | null;
  elem_typtype: string | null;
  domain_base: string | null;
}

/** Length, precision and scale from a typmod, as information_schema derives them. */
function typmodFacets(baseName: string, typmod: number): Pick<IntrospectedColumn, 'maxLength' | 'numericPrecision' | 'numericScale'> {
  if (baseName === 'char') return { maxLength: 1, numericPrecision: null, numericScale: null };
  if ((baseName === 'varchar' || baseName === 'bpchar') && typmod >= 4) return { maxLength: typmod - 4, numericPrecision: null, numericScale: null };
  if (baseName === 'numeric' && typmod >= 4) {
    // Scale is an 11-bit signed field since PostgreSQL 15 (negative scales); older servers only store 0..1000.
    let scale = (typmod - 4) & 0x7ff;
    if (scale & 0x400) scale -= 0x800;
    return { maxLength: null, numericPrecision: ((typmod - 4) >> 16) & 0xffff, numericScale: scale };
  }
  return { maxLength: null, numericPrecision: null, numericScale: null };
}

function toColumn(r: ColumnRow, enums: Map<number, string[]>): IntrospectedColumn {
  const typeFamily = familyOfPgType(r.base_name, r.base_typtype, r.base_category);
  const column: IntrospectedColumn = {
    name: r.name,
    ordinal: r.ordinal,
    dataType: r.data_type,
    typeFamily,
    udtName: r.udt_name,
    nullable: !r.not_null,
    defaultExpr: r.default_expr,
    ...typmodFacets(r.base_name, r.typmod),
  };
  if (typeFamily === 'array' && r.elem_name && r.elem_typtype) column.elementFamily = familyOfPgType(r.elem_name, r.elem_typtype);
  const enumOid = typeFamily === 'enum' ? r.base_oid : column.elementFamily === 'enum' ? r.elem_oid : null;
  if (enumOid !== null) column.enumValues = enums.get(enumOid) ?? [];
  if (r.generated) column.generated = true;
  if (r.identity === 'a') column.identity = 'always';
  else if (r.identity === 'd') column.identity = 'by_default';
  if (r.domain_base !== null) column.domain = { name: r.udt_name, baseType: r.domain_base };
  return column;
}

function groupBy<T extends { rel: number }>(rows: readonly T[]): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const row of rows) {
    const list = out.get(row.rel);
    if (list) list.push(row);
    else out.set(row.rel, [row]);
  }
  return out;
}

type ConstraintRow = { rel: number; name: string; type: string; columns: string[] };
type IndexRow = {
  rel: number;
  name: string;
  is_unique: boolean;
  is_primary: boolean;
  definition: string;
  partial: boolean;
  has_expressions: boolean;
  columns: string[];
};

/** Partition facts: `partitionOf`/`partitionRoot`/`partitionBound` on partitions, `partitions` on partitioned tables. */
function partitionFacts(rel: RelationRow): Pick<IntrospectedTable, 'partitionOf' | 'partitionRoot' | 'partitionBound' | 'partitions'> {
  return {
    ...(rel.is_partition && rel.partition_of ? { partitionOf: rel.partition_of } : {}),
    ...(rel.is_partition && rel.partition_root ? { partitionRoot: rel.partition_root } : {}),
    ...(rel.is_partition && rel.partition_bound ? { partitionBound: rel.partition_bound } : {}),
    ...(rel.relkind === 'p' ? { partitions: rel.partitions ?? [] } : {}),
  };
}

function toTable(
  rel: RelationRow,
  columns: IntrospectedColumn[],
  constraints: ConstraintRow[],
  indexRows: IndexRow[],
  foreignKeys: ForeignKeyRow[],
  rowEstimate: RowEstimate,
): IntrospectedTable {
  const pk = constraints.find((c) => c.type === 'p');
  const indexes: IntrospectedIndex[] = indexRows.map((i) => ({
    name: i.name,
    columns: [...i.columns],
    unique: i.is_unique,
    primary: i.is_primary,
    definition: i.definition,
    partial: i.partial,
    hasExpressions: i.has_expressions,
  }));
  const keys = {
    primaryKey: pk ? { name: pk.name, columns: [...pk.columns] } : null,
    uniqueConstraints: constraints.filter((c) => c.type === 'u').map((c) => ({ name: c.name, columns: [...c.columns] })),
    indexes,
  };
  return {
    schema: rel.schema,
    name: rel.name,
    kind: rel.is_partition ? 'partition' : (KINDS[rel.relkind] ?? 'table'),
    columns,
    ...keys,
    uniqueKeys: uniqueKeysOf(keys),
    foreignKeys: foreignKeys.map(toForeignKey),
    estimatedRows: rowEstimate.rows,
    rowEstimate,
    ...partitionFacts(rel),
  };
}

/**
 * Captures the schema of every user relation (or those matching `filter`) in one read-only,
 * repeatable-read transaction, so the snapshot is consistent even while DDL runs. The number
 * of statements does not grow with the number of tables.
 */
export async function introspectPostgres(sql: postgres.Sql, filter: IntrospectionFilter = {}, opts: EstimateOptions = {}): Promise<SchemaSnapshot> {
  return sql.begin('isolation level repeatable read read only', async (tx) => {
    const [version] = await tx.unsafe<{ v: string; num: number }[]>(
      `select current_setting('server_version') as v, current_setting('server_version_num')::int as num`,
    );
    const relations = await tx.unsafe<RelationRow[]>(RELATIONS_SQL, [filter.schema ?? null, filter.table ?? null]);
    const oids = relations.map((r) => r.oid);
    const columnRows = oids.length ? await tx.unsafe<ColumnRow[]>(COLUMNS_SQL, [oids]) : [];
    const enumOids = [
      ...new Set(
        columnRows
          .flatMap((c) => [c.base_typtype === 'e' ? c.base_oid : null, c.elem_typtype === 'e' ? c.elem_oid : null])
          .filter((o): o is number => o !== null),
      ),
    ];
    const enumRows = enumOids.length ? await tx.unsafe<{ type_oid: number; label: string }[]>(ENUMS_SQL, [enumOids]) : [];
    const constraintRows = oids.length ? await tx.unsafe<ConstraintRow[]>(CONSTRAINTS_SQL, [oids]) : [];
    const indexRows = oids.length ? await tx.unsafe<IndexRow[]>(INDEXES_SQL, [oids]) : [];
    const foreignKeyRows = oids.length ? await tx.unsafe<ForeignKeyRow[]>(FOREIGN_KEYS_SQL, [oids]) : [];
    // Last: the only part that may touch table data (counts of small tables without statistics).
    const estimates = await estimateRows(tx, relations, version?.num ?? 0, opts);

    const enums = new Map<number, string[]>();
    for (const e of enumRows) enums.set(e.type_oid, [...(enums.get(e.type_oid) ?? []), e.label]);
    const columnsByRel = groupBy(columnRows);
    const constraintsByRel = groupBy(constraintRows);
    const indexesByRel = groupBy(indexRows);
    const foreignKeysByRel = groupBy(foreignKeyRows);
    const tables = relations.map((rel) =>
      toTable(
        rel,
        (columnsByRel.get(rel.oid) ?? []).map((c) => toColumn(c, enums)),
        constraintsByRel.get(rel.oid) ?? [],
        indexesByRel.get(rel.oid) ?? [],
        foreignKeysByRel.get(rel.oid) ?? [],
        estimates.get(rel.oid) ?? { rows: null, source: 'none' },
      ),
    );
    return { engine: 'postgres' as const, serverVersion: version?.v ?? 'unknown', capturedAt: new Date().toISOString(), tables };
  });
}
