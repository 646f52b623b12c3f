import type postgres from 'postgres';
import { canonicalKeyText } from '../../mapping/canonical.ts';
import { SourceObjectNotFoundError } from '../errors.ts';
import type { RelationRef, RowReadOptions } from '../reads.ts';
import { canonicalValueText, sourceRowHash } from '../row-text.ts';
import type { TypeFamily } from '../types.ts';
import { arrayCanonicalText, arrayDriverValue } from './array-text.ts';
import { qualifiedName, quoteIdent } from './ident.ts';
import { familyOfPgType } from './introspect.ts';

/*
 * Query plumbing shared by the readers and the writer: column types per call, quoted
 * identifiers, and values bound as text and cast to the column's own type in SQL
 * (`$1::text::timestamp with time zone`). Sending text keeps values exact: the driver's Date
 * serialisation would drop microseconds, and its parameter typing differs per JavaScript value.
 */

export interface ColumnType {
  /** The column's type as a quoted, schema-qualified name without typmod (`"pg_catalog"."bpchar"`, a domain's own name), safe to splice after `::`. */
  castType: string;
  family: TypeFamily;
  /** pg_type.typname of the base type (domains resolved): `tsvector`, `_int4`, ... */
  baseType: string;
  /** Arrays: the element's family and base typname. */
  elementFamily?: TypeFamily;
  elementType?: string;
  nullable: boolean;
  generated: boolean;
  identity: 'always' | 'by_default' | null;
}

// The cast target is the type's qualified name, never format_type(): that prints bpchar as
// "character", which in a cast means char(1) and cuts every key text to its first character.
const COLUMN_TYPES_SQL = `
select a.attname::text as name, pg_catalog.quote_ident(tn.nspname) || '.' || pg_catalog.quote_ident(t.typname) as cast_type,
  coalesce(bt.typname, t.typname)::text as base_name, coalesce(bt.typtype, t.typtype)::text as base_typtype,
  coalesce(bt.typcategory, t.typcategory)::text as base_category,
  coalesce(ebt.typname, et.typname)::text as elem_name, coalesce(ebt.typtype, et.typtype)::text as elem_typtype,
  coalesce(ebt.typcategory, et.typcategory)::text as elem_category,
  (a.attnotnull or t.typnotnull) as not_null, a.attgenerated <> '' as generated, a.attidentity::text as identity
from pg_catalog.pg_attribute a
join pg_catalog.pg_class c on c.oid = a.attrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
join pg_catalog.pg_type t on t.oid = a.atttypid
join pg_catalog.pg_namespace tn on tn.oid = t.typnamespace
left join pg_catalog.pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
left join pg_catalog.pg_type et on coalesce(bt.typcategory, t.typcategory) = 'A' and et.oid = coalesce(bt.typelem, t.typelem)
left join pg_catalog.pg_type ebt on et.typtype = 'd' and ebt.oid = et.typbasetype
where n.nspname = $1::text and c.relname = $2::text and a.attnum > 0 and not a.attisdropped
order by a.attnum`;

interface ColumnTypeRow {
  name: string;
  cast_type: string;
  base_name: string;
  base_typtype: string;
  base_category: string;
  elem_name: string | null;
  elem_typtype: string | null;
  elem_category: string | null;
  not_null: boolean;
  generated: boolean;
  identity: string;
}

/** Column types of one relation, looked up per call so a changed column type is never stale. */
export async function columnTypes(sql: postgres.Sql | postgres.TransactionSql, ref: RelationRef): Promise<Map<string, ColumnType>> {
  const rows = await sql.unsafe<ColumnTypeRow[]>(COLUMN_TYPES_SQL, [ref.schema, ref.table]);
  if (rows.length === 0) throw new SourceObjectNotFoundError(`relation ${qualifiedName(ref.schema, ref.table)} does not exist or has no visible columns`);
  return new Map(
    rows.map((r) => {
      const type: ColumnType = {
        castType: r.cast_type,
        family: familyOfPgType(r.base_name, r.base_typtype, r.base_category),
        baseType: r.base_name,
        nullable: !r.not_null,
        generated: r.generated,
        identity: r.identity === 'a' ? 'always' : r.identity === 'd' ? 'by_default' : null,
      };
      if (r.elem_name && r.elem_typtype) {
        type.elementFamily = familyOfPgType(r.elem_name, r.elem_typtype, r.elem_category ?? undefined);
        type.elementType = r.elem_name;
      }
      return [r.name, type];
    }),
  );
}

export function typeOf(types: Map<string, ColumnType>, ref: RelationRef, column: string): ColumnType {
  const t = types.get(column);
  if (!t) throw new SourceObjectNotFoundError(`column ${quoteIdent(column)} does not exist in ${qualifiedName(ref.schema, ref.table)}`);
  return t;
}

/** Canonical text of key values, for binding (and for callers comparing keys). */
export function keyTexts(values: readonly unknown[], keyColumns: readonly string[], types: Map<string, ColumnType>, ref: RelationRef): string[] {
  if (values.length !== keyColumns.length) throw new RangeError(`expected ${keyColumns.length} key values, got ${values.length}`);
  return values.map((v, i) => {
    const text = canonicalKeyText(v, typeOf(types, ref, keyColumns[i] as string).family);
    if (text === null) throw new RangeError(`key column ${keyColumns[i]} cannot be NULL in a position`);
    return text;
  });
}

/** The canonical text of a value the database printed (`col::text`), arrays as JSON arrays of element texts. */
export function canonicalTextOf(text: string | null, type: ColumnType): string | null {
  return type.family === 'array' ? arrayCanonicalText(text, type.elementFamily, type.elementType) : canonicalValueText(text, type.family);
}

export interface RawRow {
  row: Record<string, unknown>;
  key: string[];
  watermark: string | null;
  hash?: string;
}

/** Builds the select list plus aliases for the position texts, chosen to never clash with a column. */
export class Query {
  readonly params: unknown[] = [];
  readonly rel: string;
  /** A table alias to qualify columns with (`r`), for statements that join other row sources. */
  qualifier = '';
  private readonly prefix: string;
  private readonly wanted: string[];
  private readonly hashColumns: string[];

  constructor(
    readonly ref: RelationRef,
    readonly types: Map<string, ColumnType>,
    readonly columns: string[],
    readonly keyColumns: string[],
    readonly cursorColumn?: string,
    private readonly options: RowReadOptions = {},
  ) {
    this.rel = qualifiedName(ref.schema, ref.table);
    this.wanted = [...new Set(columns)];
    this.hashColumns = [...new Set(options.hashColumns ?? [])];
    let prefix = '__sb_';
    while (columns.some((c) => c.startsWith(prefix))) prefix = `_${prefix}`;
    this.prefix = prefix;
    for (const c of [...columns, ...keyColumns, ...this.hashColumns, ...(cursorColumn ? [cursorColumn] : [])]) typeOf(types, ref, c);
  }

  alias = (name: string) => quoteIdent(`${this.prefix}${name}`);

  /** `$n::text::type` for a value bound as text. */
  param(value: string, column: string): string {
    this.params.push(value);
    return `$${this.params.length}::text::${typeOf(this.types, this.ref, column).castType}`;
  }

  arrayParam(values: string[], column: string): string {
    this.params.push(values);
    return `$${this.params.length}::text[]::${typeOf(this.types, this.ref, column).castType}[]`;
  }

  limit(n: number): string {
    this.params.push(n);
    return `$${this.params.length}::int8`;
  }

  private col = (c: string) => (this.qualifier ? `${this.qualifier}.${quoteIdent(c)}` : quoteIdent(c));

  /** A column read as its text: every column in canonical mode, arrays always (see array-text.ts). */
  private readsText(column: string): boolean {
    return this.options.canonical === true || this.types.get(column)?.family === 'array';
  }

  select(): string {
    const cols = this.wanted.map((c, i) => (this.readsText(c) ? `${this.col(c)}::text as ${this.alias(`c${i}`)}` : `${this.col(c)} as ${quoteIdent(c)}`));
    const keys = this.keyColumns.map((k, i) => `${this.col(k)}::text as ${this.alias(`k${i}`)}`);
    const cursor = this.cursorColumn ? [`${this.col(this.cursorColumn)}::text as ${this.alias('w')}`] : [];
    const hashes = this.hashColumns.map((h, i) => `${this.col(h)}::text as ${this.alias(`h${i}`)}`);
    return [...cols, ...cursor, ...keys, ...hashes].join(', ') || 'true';
  }

  keyList = () => this.keyColumns.map(this.col).join(', ');

  cursorIdent(): string {
    if (!this.cursorColumn) throw new Error('this query has no cursor column');
    return quoteIdent(this.cursorColumn);
  }

  private value(r: Record<string, unknown>, column: string, i: number): unknown {
    if (!this.readsText(column)) return r[column];
    const text = (r[`${this.prefix}c${i}`] as string | null) ?? null;
    const type = typeOf(this.types, this.ref, column);
    if (this.options.canonical) return canonicalTextOf(text, type);
    return arrayDriverValue(text, type.elementFamily, type.elementType);
  }

  /** A row hash over the hash columns, from the texts selected as `h<i>`. */
  hashOf(r: Record<string, unknown>): string {
    const texts = this.hashColumns.map((h, i) => canonicalTextOf((r[`${this.prefix}h${i}`] as string | null) ?? null, typeOf(this.types, this.ref, h)));
    return sourceRowHash(this.hashColumns, texts);
  }

  toRaw(r: Record<string, unknown>): RawRow {
    const raw: RawRow = {
      row: Object.fromEntries(this.wanted.map((c, i) => [c, this.value(r, c, i)])),
      key: this.keyColumns.map((k, i) => canonicalKeyText(r[`${this.prefix}k${i}`], typeOf(this.types, this.ref, k).family) as string),
      watermark: this.cursorColumn ? ((r[`${this.prefix}w`] as string | null) ?? null) : null,
    };
    if (this.hashColumns.length) raw.hash = this.hashOf(r);
    return raw;
  }

  async run(sql: postgres.Sql | postgres.TransactionSql, text: string): Promise<RawRow[]> {
    const rows = await sql.unsafe(text, this.params as never[]);
    return rows.map((r: Record<string, unknown>) => this.toRaw(r));
  }
}
