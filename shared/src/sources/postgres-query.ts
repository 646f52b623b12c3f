import type postgres from 'postgres';
import { canonicalKeyText } from '../mapping/canonical.ts';
import { familyOfPgType } from './postgres-introspect.ts';
import { qualifiedName, quoteIdent } from './sql-ident.ts';
import type { TypeFamily } from './types.ts';

/*
 * Query plumbing shared by the row readers: column types per call, quoted identifiers, and
 * values bound as text and cast to the column's own type in SQL (`$1::text::timestamp with
 * time zone`). Sending text keeps positions exact: the driver's Date serialisation would drop
 * microseconds, and its parameter typing differs per JavaScript value.
 */

export class SourceObjectNotFoundError extends Error {
  override name = 'SourceObjectNotFoundError';
}

export interface RelationRef {
  schema: string;
  table: string;
}

export interface ColumnType {
  /** The column's type as a quoted, schema-qualified name without typmod (`"pg_catalog"."bpchar"`, a domain's own name), safe to splice after `::`. */
  castType: string;
  family: TypeFamily;
}

export const MAX_LIMIT = 50_000;

/** Column types of one relation, looked up per call so a changed column type is never stale. */
export async function columnTypes(sql: postgres.Sql, ref: RelationRef): Promise<Map<string, ColumnType>> {
  // The cast target is the type's qualified name, never format_type(): that prints bpchar as
  // "character", which in a cast means char(1) and cuts every key text to its first character.
  const rows = await sql.unsafe<{ name: string; cast_type: string; base_name: string; base_typtype: string; base_category: string }[]>(
    `select a.attname::text as name, pg_catalog.quote_ident(tn.nspname) || '.' || pg_catalog.quote_ident(t.typname) as cast_type,
       coalesce(bt.typname, t.typname)::text as base_name, coalesce(bt.typtype, t.typtype)::text as base_typtype,
       coalesce(bt.typcategory, t.typcategory)::text as base_category
     from pg_catalog.pg_attribute a
     join pg_catalog.pg_class c on c.oid = a.attrelid
     join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     join pg_catalog.pg_type t on t.oid = a.atttypid
     join pg_catalog.pg_namespace tn on tn.oid = t.typnamespace
     left join pg_catalog.pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
     where n.nspname = $1::text and c.relname = $2::text and a.attnum > 0 and not a.attisdropped`,
    [ref.schema, ref.table],
  );
  if (rows.length === 0) throw new SourceObjectNotFoundError(`relation ${qualifiedName(ref.schema, ref.table)} does not exist or has no visible columns`);
  return new Map(rows.map((r) => [r.name, { castType: r.cast_type, family: familyOfPgType(r.base_name, r.base_typtype, r.base_category) }]));
}

export function typeOf(types: Map<string, ColumnType>, ref: RelationRef, column: string): ColumnType {
  const t = types.get(column);
  if (!t) throw new SourceObjectNotFoundError(`column ${quoteIdent(column)} does not exist in ${qualifiedName(ref.schema, ref.table)}`);
  return t;
}

export function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new RangeError(`limit must be an integer between 1 and ${MAX_LIMIT}`);
  return limit;
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

/** Builds the select list plus aliases for the position texts, chosen to never clash with a column. */
export class Query {
  readonly params: unknown[] = [];
  readonly rel: string;
  private readonly prefix: string;

  constructor(
    readonly ref: RelationRef,
    readonly types: Map<string, ColumnType>,
    readonly columns: string[],
    readonly keyColumns: string[],
    readonly cursorColumn?: string,
  ) {
    this.rel = qualifiedName(ref.schema, ref.table);
    let prefix = '__sb_';
    while (columns.some((c) => c.startsWith(prefix))) prefix = `_${prefix}`;
    this.prefix = prefix;
    for (const c of [...columns, ...keyColumns, ...(cursorColumn ? [cursorColumn] : [])]) typeOf(types, ref, c);
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

  select(): string {
    const cols = [...new Set(this.columns)].map(quoteIdent);
    const keys = this.keyColumns.map((k, i) => `${quoteIdent(k)}::text as ${this.alias(`k${i}`)}`);
    const cursor = this.cursorColumn ? [`${quoteIdent(this.cursorColumn)}::text as ${this.alias('w')}`] : [];
    return [...cols, ...cursor, ...keys].join(', ');
  }

  keyList = () => this.keyColumns.map(quoteIdent).join(', ');

  cursorIdent(): string {
    if (!this.cursorColumn) throw new Error('this query has no cursor column');
    return quoteIdent(this.cursorColumn);
  }

  async run(sql: postgres.Sql, text: string): Promise<RawRow[]> {
    const rows = await sql.unsafe(text, this.params as never[]);
    const want = [...new Set(this.columns)];
    return rows.map((r: Record<string, unknown>) => ({
      row: Object.fromEntries(want.map((c) => [c, r[c]])),
      key: this.keyColumns.map((k, i) => canonicalKeyText(r[`${this.prefix}k${i}`], typeOf(this.types, this.ref, k).family) as string),
      watermark: this.cursorColumn ? ((r[`${this.prefix}w`] as string | null) ?? null) : null,
    }));
  }
}

export interface RawRow {
  row: Record<string, unknown>;
  key: string[];
  watermark: string | null;
}
