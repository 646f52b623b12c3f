import type postgres from 'postgres';
import type { RelationRef } from '../reads.ts';
import { canonicalValueText, sourceRowHash } from '../row-text.ts';
import type { WriteBatch } from '../writes.ts';
import { qualifiedName, quoteIdent } from './ident.ts';
import { canonicalTextOf, Query, typeOf, type ColumnType, type RawRow } from './query.ts';
import type { PreparedChange } from './write-prepare.ts';

/*
 * The write path's statements. Each binds one text[] per key and value column plus the
 * changes' batch positions (int4[]), unnests them into rows `u`, and casts each text to its
 * column's own type in SQL: any number of rows, a fixed number of parameters.
 */

type Sql = postgres.Sql | postgres.TransactionSql;

/** What a statement returned for one change: its batch position and, after a write, the version and row hash. */
export interface Written {
  index: number;
  version?: string | null;
  rowHash?: string;
}

export class WriteStatements {
  readonly rel: string;
  private readonly prefix: string;
  private readonly hashColumns: string[];
  /** SQL statements sent so far (for WriteResult.statements). */
  count = 0;

  constructor(
    readonly ref: RelationRef,
    readonly types: Map<string, ColumnType>,
    readonly batch: WriteBatch,
  ) {
    this.rel = `${qualifiedName(ref.schema, ref.table)} as r`;
    this.hashColumns = [...new Set(batch.hashColumns ?? [])];
    let prefix = '__sb_';
    while ([...types.keys()].some((c) => c.startsWith(prefix))) prefix = `_${prefix}`;
    this.prefix = prefix;
  }

  private alias = (name: string) => quoteIdent(`${this.prefix}${name}`);
  /** Reserved keys go into GENERATED ALWAYS identity keys too (WriteBatch.reservedKeys). */
  private overriding = () =>
    this.batch.reservedKeys && this.batch.keyColumns.some((k) => typeOf(this.types, this.ref, k).identity === 'always') ? 'overriding system value ' : '';
  private cast = (column: string) => typeOf(this.types, this.ref, column).castType;
  private keyMatch = () =>
    `(${this.batch.keyColumns.map((k) => `r.${quoteIdent(k)}`).join(', ')}) = (${this.batch.keyColumns.map((k, i) => `u.${this.alias(`k${i}`)}::${this.cast(k)}`).join(', ')})`;

  /** `unnest($1::text[], ...) as u(k0, ..., v0, ..., i)` over the changes, with `columns` as the value columns. */
  private unnest(changes: readonly PreparedChange[], columns: readonly string[], params: unknown[]): string {
    const arrays: string[] = [];
    const names: string[] = [];
    const bind = (values: unknown[], type: string, name: string) => {
      params.push(values);
      arrays.push(`$${params.length}::${type}[]`);
      names.push(this.alias(name));
    };
    this.batch.keyColumns.forEach((_, i) =>
      bind(
        changes.map((c) => c.key[i] as string),
        'text',
        `k${i}`,
      ),
    );
    columns.forEach((column, j) =>
      bind(
        changes.map((c) => {
          const at = c.columns.indexOf(column);
          return at < 0 ? null : (c.texts[at] ?? null);
        }),
        'text',
        `v${j}`,
      ),
    );
    bind(
      changes.map((c) => c.index),
      'int4',
      'i',
    );
    return `unnest(${arrays.join(', ')}) as u(${names.join(', ')})`;
  }

  private returningState(): string {
    const version = this.batch.versionColumn ? [`r.${quoteIdent(this.batch.versionColumn)}::text as ${this.alias('w')}`] : [];
    const hashes = this.hashColumns.map((h, i) => `r.${quoteIdent(h)}::text as ${this.alias(`h${i}`)}`);
    return [...version, ...hashes].join(', ');
  }

  /** The version and row hash of a returned row, as outcomes carry them. */
  stateOf(r: Record<string, unknown>): Omit<Written, 'index'> {
    const out: Omit<Written, 'index'> = {};
    const v = this.batch.versionColumn;
    if (v) out.version = canonicalValueText((r[`${this.prefix}w`] as string | null) ?? null, typeOf(this.types, this.ref, v).family);
    if (this.hashColumns.length) {
      const texts = this.hashColumns.map((h, i) => canonicalTextOf((r[`${this.prefix}h${i}`] as string | null) ?? null, typeOf(this.types, this.ref, h)));
      out.rowHash = sourceRowHash(this.hashColumns, texts);
    }
    return out;
  }

  private async run(sql: Sql, text: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    this.count++;
    return sql.unsafe(text, params as never[]);
  }

  /**
   * Casts every key and value to its column's type and prints it back: a value the type refuses
   * fails here, before the transaction; the texts are what the database would store, to compare
   * with the locked rows.
   */
  async casts(
    sql: Sql,
    changes: readonly PreparedChange[],
    columns: readonly string[],
  ): Promise<Map<number, { key: string[]; values: Map<string, string | null> }>> {
    const params: unknown[] = [];
    const from = this.unnest(changes, columns, params);
    const keys = this.batch.keyColumns.map((k, i) => `(u.${this.alias(`k${i}`)}::${this.cast(k)})::text as ${this.alias(`k${i}`)}`);
    const values = columns.map((c, j) => `(u.${this.alias(`v${j}`)}::${this.cast(c)})::text as ${this.alias(`v${j}`)}`);
    const rows = await this.run(sql, `select ${[`u.${this.alias('i')} as ${this.alias('i')}`, ...keys, ...values].join(', ')} from ${from}`, params);
    return new Map(
      rows.map((r) => [
        r[`${this.prefix}i`] as number,
        {
          key: this.batch.keyColumns.map((_, i) => r[`${this.prefix}k${i}`] as string),
          values: new Map(columns.map((c, j) => [c, (r[`${this.prefix}v${j}`] as string | null) ?? null])),
        },
      ]),
    );
  }

  /**
   * Locks the changes' rows (in key order, so concurrent batches lock in the same order) and
   * reads them: the row as driver values over `readColumns`, its version and hash, its location
   * (ctid, to notice two changes of one row) and the text of every column in `compare`.
   */
  async lock(
    sql: Sql,
    changes: readonly PreparedChange[],
    readColumns: string[],
    compare: readonly string[],
  ): Promise<Map<number, { raw: RawRow; ctid: string; texts: Map<string, string | null> }>> {
    const q = new Query(this.ref, this.types, readColumns, this.batch.keyColumns, this.batch.versionColumn, { hashColumns: this.hashColumns });
    q.qualifier = 'r';
    const from = this.unnest(changes, [], q.params);
    const texts = compare.map((c, j) => `r.${quoteIdent(c)}::text as ${this.alias(`t${j}`)}`);
    const text = `select u.${this.alias('i')} as ${this.alias('i')}, r.ctid::text as ${this.alias('ctid')}, ${[q.select(), ...texts].join(', ')}
      from ${from} join ${this.rel} on ${this.keyMatch()} order by ${q.keyList()} for update of r`;
    const rows = await this.run(sql, text, q.params);
    return new Map(
      rows.map((r) => [
        r[`${this.prefix}i`] as number,
        {
          raw: q.toRaw(r),
          ctid: r[`${this.prefix}ctid`] as string,
          texts: new Map(compare.map((c, j) => [c, (r[`${this.prefix}t${j}`] as string | null) ?? null])),
        },
      ]),
    );
  }

  /** `update ... from unnest(...)`: one statement for changes that set the same columns. */
  async update(sql: Sql, changes: readonly PreparedChange[]): Promise<Written[]> {
    const columns = (changes[0] as PreparedChange).columns;
    const params: unknown[] = [];
    const from = this.unnest(changes, columns, params);
    const set = columns.map((c, j) => `${quoteIdent(c)} = u.${this.alias(`v${j}`)}::${this.cast(c)}`).join(', ');
    const returning = [`u.${this.alias('i')} as ${this.alias('i')}`, this.returningState()].filter(Boolean).join(', ');
    const rows = await this.run(sql, `update ${this.rel} set ${set} from ${from} where ${this.keyMatch()} returning ${returning}`, params);
    return rows.map((r) => ({ index: r[`${this.prefix}i`] as number, ...this.stateOf(r) }));
  }

  /** `delete ... using unnest(...)`. */
  async delete(sql: Sql, changes: readonly PreparedChange[]): Promise<Written[]> {
    const params: unknown[] = [];
    const from = this.unnest(changes, [], params);
    const rows = await this.run(
      sql,
      `delete from ${this.rel} using ${from} where ${this.keyMatch()} returning u.${this.alias('i')} as ${this.alias('i')}`,
      params,
    );
    return rows.map((r) => ({ index: r[`${this.prefix}i`] as number }));
  }

  /**
   * `insert ... select from unnest(...) on conflict do nothing`: a row that appeared since the
   * lock (or that another unique constraint refuses) is skipped, not an error. INSERT cannot
   * return its source rows, so inserted rows are matched to changes by their key's text.
   */
  async insert(sql: Sql, changes: readonly PreparedChange[], desiredKeys: Map<number, string[]>): Promise<Written[]> {
    const columns = (changes[0] as PreparedChange).columns;
    const params: unknown[] = [];
    const from = this.unnest(changes, columns, params);
    const target = [...this.batch.keyColumns, ...columns].map(quoteIdent).join(', ');
    const select = [
      ...this.batch.keyColumns.map((k, i) => `u.${this.alias(`k${i}`)}::${this.cast(k)}`),
      ...columns.map((c, j) => `u.${this.alias(`v${j}`)}::${this.cast(c)}`),
    ].join(', ');
    const keys = this.batch.keyColumns.map((k, i) => `r.${quoteIdent(k)}::text as ${this.alias(`k${i}`)}`);
    const returning = [...keys, this.returningState()].filter(Boolean).join(', ');
    const rows = await this.run(
      sql,
      `insert into ${this.rel} (${target}) ${this.overriding()}select ${select} from ${from} order by u.${this.alias('i')} on conflict do nothing returning ${returning}`,
      params,
    );
    const byKey = new Map(changes.map((c) => [JSON.stringify(desiredKeys.get(c.index)), c.index]));
    const out: Written[] = [];
    for (const r of rows) {
      const index = byKey.get(JSON.stringify(this.batch.keyColumns.map((_, i) => r[`${this.prefix}k${i}`] as string)));
      if (index !== undefined) out.push({ index, ...this.stateOf(r) });
    }
    return out;
  }
}
