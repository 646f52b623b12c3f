import type mysql from 'mysql2/promise';
import { canonicalKeyText } from '../../mapping/canonical.ts';
import { parseTimestampText } from '../../mapping/temporal.ts';
import { SourceObjectNotFoundError } from '../errors.ts';
import type { RelationRef, RowReadOptions } from '../reads.ts';
import { canonicalValueText, sourceRowHash } from '../row-text.ts';
import type { TypeFamily } from '../types.ts';
import { familyOfMysqlType, isGeometryType } from './families.ts';
import { literal, qualifiedName, quoteIdent, safeName } from './ident.ts';
import type { Flavor } from './pool.ts';

/*
 * Query plumbing shared by the readers and the writer. Rows are read as raw bytes (the text
 * protocol sends every value as the server's text) and converted here by the column's family,
 * so values are exact and never depend on the driver's parsing. Constants are SQL literals
 * made for the column's type: integers and decimals as validated number literals (a string
 * compared with an integer column is compared as a double and loses digits past 2^53),
 * temporal values cast to the type, text converted to the column's character set with the
 * column's collation, so equality and order are the column's own (and its index serves them).
 */

export interface ColumnType {
  name: string;
  /** information_schema DATA_TYPE and COLUMN_TYPE, lower case. */
  dataType: string;
  columnType: string;
  family: TypeFamily;
  nullable: boolean;
  generated: boolean;
  autoIncrement: boolean;
  charset: string | null;
  collation: string | null;
}

/** Anything that runs SQL: the pool or one connection of it. */
export type Runner = Pick<mysql.Pool, 'query'> | Pick<mysql.PoolConnection, 'query'>;

const RAW = (field: { buffer(): Buffer | null }) => field.buffer();

/** Rows of a statement, every value as raw bytes (null for NULL). */
export async function rawRows(db: Runner, sql: string): Promise<Array<Record<string, Buffer | null>>> {
  const [rows] = await db.query({ sql, typeCast: RAW as never });
  return rows as Array<Record<string, Buffer | null>>;
}

/** Rows of a statement with the driver's own conversion (catalog queries: strings and numbers). */
export async function plainRows<T>(db: Runner, sql: string): Promise<T[]> {
  const [rows] = await db.query({ sql });
  return rows as T[];
}

interface ColumnRow {
  name: string;
  data_type: string;
  column_type: string;
  nullable: string;
  extra: string;
  charset: string | null;
  collation: string | null;
  is_json: number | string | null;
}

/** The MariaDB-only test that a longtext column is JSON (its json_valid() check); false on MySQL, whose JSON is a type. */
export function jsonCheckSql(flavor: Flavor, schemaCol: string, tableCol: string, columnCol: string): string {
  if (flavor !== 'mariadb') return '0';
  return `(c.DATA_TYPE = 'longtext' and exists (select 1 from information_schema.CHECK_CONSTRAINTS cc
    where cc.CONSTRAINT_SCHEMA = ${schemaCol} and cc.TABLE_NAME = ${tableCol} and cc.CHECK_CLAUSE = concat('json_valid(\`', replace(${columnCol}, '\`', '\`\`'), '\`)')))`;
}

/** Column types of one table or view, looked up per call so a changed column is never stale. */
export async function columnTypes(db: Runner, ref: RelationRef, flavor: Flavor): Promise<Map<string, ColumnType>> {
  const rows = await plainRows<ColumnRow>(
    db,
    `select c.COLUMN_NAME as name, lower(c.DATA_TYPE) as data_type, lower(c.COLUMN_TYPE) as column_type, c.IS_NULLABLE as nullable,
       coalesce(c.EXTRA, '') as extra, c.CHARACTER_SET_NAME as charset, c.COLLATION_NAME as collation,
       ${jsonCheckSql(flavor, 'c.TABLE_SCHEMA', 'c.TABLE_NAME', 'c.COLUMN_NAME')} as is_json
     from information_schema.COLUMNS c
     where c.TABLE_SCHEMA = ${literal(ref.schema)} and c.TABLE_NAME = ${literal(ref.table)}
     order by c.ORDINAL_POSITION`,
  );
  if (rows.length === 0) throw new SourceObjectNotFoundError(`relation ${qualifiedName(ref.schema, ref.table)} does not exist or has no visible columns`);
  return new Map(rows.map((r) => [r.name, toColumnType(r)]));
}

function toColumnType(r: ColumnRow): ColumnType {
  return {
    name: r.name,
    dataType: r.data_type,
    columnType: r.column_type,
    family: familyOfMysqlType(r.data_type, r.column_type, Number(r.is_json) === 1),
    nullable: r.nullable === 'YES',
    generated: isGeneratedExtra(r.extra),
    autoIncrement: /auto_increment/i.test(r.extra),
    charset: r.charset,
    collation: r.collation,
  };
}

/** EXTRA of a generated column: `VIRTUAL GENERATED`, `STORED GENERATED` (MariaDB also `PERSISTENT GENERATED`); not MySQL's `DEFAULT_GENERATED` (an expression default). */
export const isGeneratedExtra = (extra: string) => /\b(VIRTUAL|STORED|PERSISTENT) GENERATED\b/i.test(extra);

export function typeOf(types: Map<string, ColumnType>, ref: RelationRef, column: string): ColumnType {
  const t = types.get(column);
  if (!t) throw new SourceObjectNotFoundError(`column ${quoteIdent(column)} does not exist in ${qualifiedName(ref.schema, ref.table)}`);
  return t;
}

const isBit = (t: ColumnType) => t.dataType === 'bit';

/** The select expression of a column: bits as their integer, geometries as WKT, floats widened to double (exact digits). */
export function selectExpr(column: string, type: ColumnType, qualifier = ''): string {
  const col = `${qualifier}${quoteIdent(column)}`;
  if (isBit(type)) return `cast(${col} as unsigned)`;
  if (isGeometryType(type.dataType)) return `ST_AsText(${col})`;
  if (type.family === 'real') return `(${col} + 0e0)`;
  return col;
}

/** The shortest decimal text that reads back as the same 32-bit float. */
export function shortestFloat(text: string): string {
  const d = Number(text);
  if (!Number.isFinite(d)) return text;
  const f = Math.fround(d);
  for (let p = 1; p <= 9; p++) {
    const s = Number(f.toPrecision(p));
    if (Math.fround(s) === f) return String(s);
  }
  return String(f);
}

/** The server's text of a value (bytea: `\x` + hex; float: shortest exact), not yet normalised. */
function textOf(raw: Buffer, type: ColumnType): string {
  if (type.family === 'bytea') return `\\x${raw.toString('hex')}`;
  const text = raw.toString('utf8');
  if (type.family === 'real') return shortestFloat(text);
  return text;
}

/** The canonical text of a stored value (row-text.ts), from its raw bytes. */
export function canonicalOf(raw: Buffer | null, type: ColumnType): string | null {
  if (raw === null) return null;
  return canonicalValueText(textOf(raw, type), type.family);
}

/** The canonical key text of a stored value. */
export function keyTextOf(raw: Buffer | null, type: ColumnType): string | null {
  if (raw === null) return null;
  return canonicalKeyText(textOf(raw, type), type.family);
}

const ZERO_IN_DATE = /^\d{4}-(00-|\d{2}-00)/;

/**
 * The driver value of a stored value (reads.ts). A date or timestamp that is no calendar date
 * (a zero date `0000-00-00`, `2024-00-10`, kept by servers without NO_ZERO_DATE) stays the
 * server's text: the converters cannot read it as a date and quarantine the row, naming it.
 */
export function driverValueOf(raw: Buffer | null, type: ColumnType): unknown {
  if (raw === null) return null;
  if (type.family === 'bytea') return raw;
  const text = textOf(raw, type);
  switch (type.family) {
    case 'smallint':
    case 'integer':
    case 'real':
    case 'double':
      return Number(text);
    case 'boolean':
      return Number(text) !== 0;
    case 'date':
    case 'timestamp':
    case 'timestamptz': {
      if (ZERO_IN_DATE.test(text)) return text;
      return parseTimestampText(text) ?? text;
    }
    case 'json':
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    default:
      return text;
  }
}

/** A timestamp text (canonical ISO or the server's) as the server's literal form `YYYY-MM-DD HH:MM:SS[.ffffff]`, UTC; null when it is not one. */
export function serverTimestampText(text: string, withZone: boolean): string | null {
  const canonical = canonicalKeyText(text, withZone ? 'timestamptz' : 'timestamp');
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}(?:\.\d+)?)Z?$/.exec(canonical ?? '');
  return m ? `${m[1]} ${m[2]}` : null;
}

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * A constant of the column's type, from a canonical text: what key comparisons bind. Throws
 * RangeError for a text the family cannot mean (a key is never free text for an integer).
 */
export function constantSql(text: string, type: ColumnType): string {
  const fail = () => new RangeError(`${JSON.stringify(text.slice(0, 60))} is not a valid ${type.family} for column ${type.name}`);
  switch (type.family) {
    case 'smallint':
    case 'integer':
    case 'bigint':
      if (!INTEGER.test(text.trim())) throw fail();
      return text.trim();
    case 'numeric':
    case 'real':
    case 'double':
      if (!DECIMAL.test(text.trim())) throw fail();
      return text.trim();
    case 'boolean': {
      const t = canonicalKeyText(text, 'boolean');
      if (t === 'true') return '1';
      if (t === 'false') return '0';
      if (INTEGER.test(text.trim())) return text.trim();
      throw fail();
    }
    case 'date':
      return `cast(${literal(text)} as date)`;
    case 'timestamp':
    case 'timestamptz': {
      const t = serverTimestampText(text, type.family === 'timestamptz');
      if (t === null) throw fail();
      return `cast(${literal(t)} as datetime(6))`;
    }
    case 'time':
      return `cast(${literal(text)} as time(6))`;
    case 'bytea': {
      const m = /^\\x((?:[0-9a-fA-F]{2})*)$/.exec(text);
      if (!m) throw fail();
      return literal(Buffer.from(m[1] as string, 'hex'));
    }
    default:
      if (isBit(type)) {
        if (!INTEGER.test(text.trim())) throw fail();
        return text.trim();
      }
      if (isGeometryType(type.dataType)) return `ST_GeomFromText(${literal(text)})`;
      return literal(text);
  }
}

/** `expr` in the column's character set and collation (text families), so comparing it with the column is the column's own equality. */
export function collated(expr: string, type: ColumnType): string {
  if (!type.charset || !type.collation || type.family === 'bytea') return expr;
  return `convert(${expr} using ${safeName(type.charset)}) collate ${safeName(type.collation)}`;
}

/** `lhs > rhs` (or `=`, `>=`) for one column against a constant. */
export const compare = (lhs: string, op: '=' | '>' | '>=', constant: string, type: ColumnType) => `${lhs} ${op} ${collated(constant, type)}`;

/** The keyset condition `(c1, c2, ...) > (v1, v2, ...)` spelled out (a row-value comparison is not served by every server's index range scan). */
export function tupleAfter(columns: Array<{ sql: string; constant: string; type: ColumnType }>): string {
  const parts: string[] = [];
  for (let i = 0; i < columns.length; i++) {
    const eq = columns.slice(0, i).map((c) => compare(c.sql, '=', c.constant, c.type));
    const c = columns[i] as (typeof columns)[number];
    parts.push([...eq, compare(c.sql, '>', c.constant, c.type)].join(' and '));
  }
  const first = columns[0] as (typeof columns)[number];
  return `${compare(first.sql, '>=', first.constant, first.type)} and (${parts.map((p) => `(${p})`).join(' or ')})`;
}

export interface RawRow {
  row: Record<string, unknown>;
  key: string[];
  watermark: string | null;
  hash?: string;
}

/** Builds the select list plus aliases for the position texts, chosen to never clash with a column. */
export class Query {
  readonly rel: string;
  /** A table alias to qualify columns with (`r.`), for statements that join other row sources. */
  qualifier = '';
  readonly prefix: string;
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
    while ([...types.keys()].some((c) => c.startsWith(prefix))) prefix = `_${prefix}`;
    this.prefix = prefix;
    for (const c of [...columns, ...keyColumns, ...this.hashColumns, ...(cursorColumn ? [cursorColumn] : [])]) typeOf(types, ref, c);
  }

  alias = (name: string) => quoteIdent(`${this.prefix}${name}`);
  type = (column: string) => typeOf(this.types, this.ref, column);
  col = (c: string) => `${this.qualifier}${quoteIdent(c)}`;

  select(): string {
    const cols = this.wanted.map((c, i) => `${selectExpr(c, this.type(c), this.qualifier)} as ${this.alias(`c${i}`)}`);
    const keys = this.keyColumns.map((k, i) => `${selectExpr(k, this.type(k), this.qualifier)} as ${this.alias(`k${i}`)}`);
    const cursor = this.cursorColumn ? [`${selectExpr(this.cursorColumn, this.type(this.cursorColumn), this.qualifier)} as ${this.alias('w')}`] : [];
    const hashes = this.hashColumns.map((h, i) => `${selectExpr(h, this.type(h), this.qualifier)} as ${this.alias(`h${i}`)}`);
    return [...cols, ...cursor, ...keys, ...hashes].join(', ') || '1';
  }

  keyList = () => this.keyColumns.map(this.col).join(', ');

  /** Canonical key texts of a position, checked against the key columns. */
  keyTexts(values: readonly unknown[]): string[] {
    if (values.length !== this.keyColumns.length) throw new RangeError(`expected ${this.keyColumns.length} key values, got ${values.length}`);
    return values.map((v, i) => {
      const text = canonicalKeyText(v, this.type(this.keyColumns[i] as string).family);
      if (text === null) throw new RangeError(`key column ${this.keyColumns[i]} cannot be NULL in a position`);
      return text;
    });
  }

  /** `(k1, k2) > (v1, v2)` for canonical key texts. */
  keyAfter(texts: string[], leading: Array<{ sql: string; constant: string; type: ColumnType }> = []): string {
    return tupleAfter([
      ...leading,
      ...this.keyColumns.map((k, i) => ({ sql: this.col(k), constant: constantSql(texts[i] as string, this.type(k)), type: this.type(k) })),
    ]);
  }

  /** `k1 = v1 and k2 = v2` for canonical key texts. */
  keyEquals(texts: string[]): string {
    return this.keyColumns.map((k, i) => compare(this.col(k), '=', constantSql(texts[i] as string, this.type(k)), this.type(k))).join(' and ');
  }

  hashOf(r: Record<string, Buffer | null>): string {
    const texts = this.hashColumns.map((h, i) => canonicalOf(r[`${this.prefix}h${i}`] ?? null, this.type(h)));
    return sourceRowHash(this.hashColumns, texts);
  }

  toRaw(r: Record<string, Buffer | null>): RawRow {
    const canonical = this.options.canonical === true;
    const raw: RawRow = {
      row: Object.fromEntries(
        this.wanted.map((c, i) => {
          const value = r[`${this.prefix}c${i}`] ?? null;
          return [c, canonical ? canonicalOf(value, this.type(c)) : driverValueOf(value, this.type(c))];
        }),
      ),
      key: this.keyColumns.map((k, i) => keyTextOf(r[`${this.prefix}k${i}`] ?? null, this.type(k)) as string),
      watermark: this.cursorColumn ? (r[`${this.prefix}w`]?.toString('utf8') ?? null) : null,
    };
    if (this.hashColumns.length) raw.hash = this.hashOf(r);
    return raw;
  }

  async run(db: Runner, sql: string): Promise<RawRow[]> {
    return (await rawRows(db, sql)).map((r) => this.toRaw(r));
  }
}
