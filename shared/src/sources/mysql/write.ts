import type mysql from 'mysql2/promise';
import { SourceNotWritableError } from '../errors.ts';
import { canonicalValueText } from '../row-text.ts';
import { countOutcomes, type ChangeOutcome, type CurrentRow, type WriteBatch, type WriteResult } from '../writes.ts';
import { quoteIdent } from './ident.ts';
import type { Flavor } from './pool.ts';
import { canonicalOf, collated, columnTypes, constantSql, Query, rawRows, selectExpr, typeOf, type ColumnType, type RawRow, type Runner } from './query.ts';
import { checkWritable } from './writable.ts';
import { isRowError, rowErrorReason } from './write-errors.ts';
import { checkBatch, dropRepeats, isolateRows, namedColumns, opsOf, prepareAll, type RowErrors } from '../write-batch.ts';
import { prepareChange, sameValue, writeLiteral, writeSql, type PreparedChange } from './write-prepare.ts';

/*
 * applyChanges for MySQL and MariaDB (writes.ts says what it promises). The steps:
 * 1. the catalog: column types, and whether the table may be written at all (writable.ts: a
 *    view, a MyISAM/Aria/MEMORY table, no unique key, a read-only server, a privilege);
 * 2. each change checked and turned into literals (write-prepare.ts);
 * 3. in one transaction on one connection: the rows locked and read in one statement (a
 *    derived table of the keys joined to the table, SELECT ... FOR UPDATE: existing rows are
 *    locked, absent keys' gaps too, so no row appears before an insert); each change decided
 *    against its locked row (conflict, already applied, or to write); then one statement per
 *    operation and column set: `DELETE r FROM t r JOIN (keys) u`, `UPDATE t r JOIN (keys and
 *    values) u SET ...` (never INSERT ... ON DUPLICATE KEY UPDATE, which would also hit rows
 *    of other unique keys), `INSERT INTO t (...) VALUES (...), (...)`; each in a savepoint;
 *    finally one read of the written rows' version and hash when the batch names them.
 * A statement that fails because of some row (a constraint, a value the column cannot hold, a
 * trigger's SIGNAL) is split in halves, recursively, until the rows at fault are alone: they
 * are rejected with the server's reason and the rest is written.
 */

export interface WriteContext {
  pool: mysql.Pool;
  flavor: () => Promise<Flavor>;
}

const ROW_ERRORS: RowErrors = { isRowError, reason: rowErrorReason };

const ORDER: Record<PreparedChange['op'], number> = { delete: 0, update: 1, insert: 2 };

type Locked = { raw: RawRow; texts: Map<string, string | null> };

class Statements {
  count = 0;
  readonly rel: string;
  private readonly prefix: string;
  private readonly hashColumns: string[];

  constructor(
    private readonly conn: Runner,
    readonly batch: WriteBatch,
    readonly types: Map<string, ColumnType>,
  ) {
    this.rel = `${quoteIdent(batch.schema)}.${quoteIdent(batch.table)}`;
    this.hashColumns = [...new Set(batch.hashColumns ?? [])];
    let prefix = '__sb_';
    while ([...types.keys()].some((c) => c.startsWith(prefix))) prefix = `_${prefix}`;
    this.prefix = prefix;
  }

  alias = (name: string) => quoteIdent(`${this.prefix}${name}`);
  type = (column: string) => typeOf(this.types, this.batch, column);

  async run(sql: string): Promise<Array<Record<string, Buffer | null>>> {
    this.count++;
    return rawRows(this.conn, sql);
  }

  /** The changes as a derived table `u`: position `i`, key constants `p0..`, and the values of `columns` as `v0..`. */
  derived(changes: readonly PreparedChange[], columns: readonly string[] = []): string {
    const selects = changes.map((c) => {
      const keys = this.batch.keyColumns.map((k, j) => `${constantSql(c.key[j] as string, this.type(k))} as ${this.alias(`p${j}`)}`);
      const values = columns.map((col, j) => {
        const at = c.columns.indexOf(col);
        return `${writeLiteral(at < 0 ? null : (c.values[at] ?? null))} as ${this.alias(`v${j}`)}`;
      });
      return `select ${[`${c.index} as ${this.alias('i')}`, ...keys, ...values].join(', ')}`;
    });
    return `(${selects.join(' union all ')}) as u`;
  }

  match = () => this.batch.keyColumns.map((k, j) => `r.${quoteIdent(k)} = ${collated(`u.${this.alias(`p${j}`)}`, this.type(k))}`).join(' and ');

  query(readColumns: string[]): Query {
    const q = new Query(this.batch, this.types, readColumns, this.batch.keyColumns, this.batch.versionColumn, { hashColumns: this.hashColumns });
    q.qualifier = 'r.';
    return q;
  }

  /** Locks the changes' rows and reads them: driver values over `readColumns`, version, hash, and the canonical text of each column in `compare`. */
  async lock(changes: readonly PreparedChange[], readColumns: string[], compare: readonly string[]): Promise<Map<number, Locked>> {
    const q = this.query(readColumns);
    const texts = compare.map((c, j) => `${selectExpr(c, this.type(c), 'r.')} as ${this.alias(`t${j}`)}`);
    const rows = await this.run(
      `select u.${this.alias('i')} as ${this.alias('i')}, ${[q.select(), ...texts].join(', ')} from ${this.derived(changes)} join ${this.rel} r on ${this.match()} order by ${q.keyList()} for update`,
    );
    return new Map(
      rows.map((r) => [
        Number(r[`${this.prefix}i`]?.toString('utf8')),
        {
          raw: q.toRaw(r),
          texts: new Map(compare.map((c, j) => [c, canonicalOf(r[`${this.prefix}t${j}`] ?? null, this.type(c))])),
        },
      ]),
    );
  }

  async insert(changes: readonly PreparedChange[]): Promise<number[]> {
    const columns = (changes[0] as PreparedChange).columns;
    const target = [...this.batch.keyColumns, ...columns];
    const rows = changes.map(
      (c) =>
        `(${[
          ...c.keyValues.map((v, j) => writeSql(writeLiteral(v), this.type(this.batch.keyColumns[j] as string))),
          ...c.values.map((v, j) => writeSql(writeLiteral(v), this.type(columns[j] as string))),
        ].join(', ')})`,
    );
    await this.run(`insert into ${this.rel} (${target.map(quoteIdent).join(', ')}) values ${rows.join(', ')}`);
    return changes.map((c) => c.index);
  }

  async update(changes: readonly PreparedChange[]): Promise<number[]> {
    const columns = (changes[0] as PreparedChange).columns;
    const set = columns.map((c, j) => `r.${quoteIdent(c)} = ${writeSql(`u.${this.alias(`v${j}`)}`, this.type(c))}`).join(', ');
    await this.run(`update ${this.rel} r join ${this.derived(changes, columns)} on ${this.match()} set ${set}`);
    return changes.map((c) => c.index);
  }

  async delete(changes: readonly PreparedChange[]): Promise<number[]> {
    await this.run(`delete r from ${this.rel} r join ${this.derived(changes)} on ${this.match()}`);
    return changes.map((c) => c.index);
  }

  /** The version and row hash of written rows, by change position. */
  async states(changes: readonly PreparedChange[]): Promise<Map<number, { version?: string | null; rowHash?: string }>> {
    const out = new Map<number, { version?: string | null; rowHash?: string }>();
    if (changes.length === 0 || (!this.batch.versionColumn && this.hashColumns.length === 0)) return out;
    const q = this.query([]);
    const rows = await this.run(
      `select u.${this.alias('i')} as ${this.alias('i')}, ${q.select()} from ${this.derived(changes)} join ${this.rel} r on ${this.match()}`,
    );
    for (const r of rows) {
      const raw = q.toRaw(r);
      out.set(Number(r[`${this.prefix}i`]?.toString('utf8')), stateOf(raw, this.batch, this.types));
    }
    return out;
  }
}

function stateOf(raw: RawRow, batch: WriteBatch, types: Map<string, ColumnType>): { version?: string | null; rowHash?: string } {
  return {
    ...(batch.versionColumn ? { version: versionText(raw.watermark, typeOf(types, batch, batch.versionColumn)) } : {}),
    ...(batch.hashColumns?.length && raw.hash !== undefined ? { rowHash: raw.hash } : {}),
  };
}

const versionText = (text: string | null, type: ColumnType) => canonicalValueText(text, type.family);

function currentRow(raw: RawRow, batch: WriteBatch, types: Map<string, ColumnType>): CurrentRow {
  return { key: raw.key, values: raw.row, ...stateOf(raw, batch, types) };
}

function passes(c: PreparedChange, current: CurrentRow, versionType: ColumnType | undefined): boolean {
  const e = c.expected;
  if (!e || 'absent' in e) return true;
  if ('version' in e) {
    const expected = e.version === null || e.version === undefined ? null : canonicalValueText(String(e.version), versionType?.family ?? 'other');
    return expected === (current.version ?? null);
  }
  return current.rowHash === e.rowHash;
}

export async function applyChanges(ctx: WriteContext, batch: WriteBatch): Promise<WriteResult> {
  checkBatch(batch);
  const flavor = await ctx.flavor();
  const types = await columnTypes(ctx.pool, batch, flavor);
  for (const c of namedColumns(batch)) typeOf(types, batch, c);
  const ops = opsOf(batch);
  const writable = await checkWritable(ctx.pool, flavor, { schema: batch.schema, table: batch.table, keyColumns: batch.keyColumns, ops });
  if (!writable.writable) throw new SourceNotWritableError(writable.reason);

  const sheet = prepareAll(batch, (change, index) => prepareChange(change, index, batch, types, batch));
  const { outcomes, reject } = sheet;
  let live = sheet.live;
  live = dropRepeats(live, (c) => JSON.stringify(c.key), reject);

  let count = 0;
  if (live.length > 0) {
    const conn = await ctx.pool.getConnection();
    const statements = new Statements(conn, batch, types);
    try {
      await conn.query('start transaction');
      await writeLocked(conn, statements, live, outcomes, reject, types);
      await conn.query('commit');
    } catch (err) {
      await conn.query('rollback').catch(() => conn.destroy());
      throw err;
    } finally {
      count = statements.count;
      conn.release();
    }
  }
  const done = outcomes.map((o) => o ?? { status: 'rejected' as const, reason: 'not processed' });
  // Two catalog statements (column types, writability) come before the batch's own.
  return { outcomes: done, counts: countOutcomes(done), statements: count + 2 };
}

async function writeLocked(
  conn: mysql.PoolConnection,
  statements: Statements,
  changes: PreparedChange[],
  outcomes: Array<ChangeOutcome | undefined>,
  reject: (c: { index: number }, reason: string) => void,
  types: Map<string, ColumnType>,
): Promise<void> {
  const { batch } = statements;
  const valueColumns = [...new Set(changes.flatMap((c) => c.columns))].sort();
  const readColumns = [...new Set([...batch.keyColumns, ...valueColumns, ...(batch.versionColumn ? [batch.versionColumn] : []), ...(batch.hashColumns ?? [])])];
  const locked = await statements.lock(changes, readColumns, valueColumns);
  // Two keys may find one row where the collation's equality is looser than the text (case-insensitive).
  changes = dropRepeats(changes, (c) => (locked.has(c.index) ? JSON.stringify(locked.get(c.index)?.raw.key) : undefined), reject);

  const versionType = batch.versionColumn ? typeOf(types, batch, batch.versionColumn) : undefined;
  const groups = new Map<string, PreparedChange[]>();
  for (const c of changes) {
    const decided = decide(c, locked.get(c.index), versionType, batch, types, statements);
    if (decided) outcomes[c.index] = decided;
    else {
      const group = `${ORDER[c.op]}|${c.op}|${JSON.stringify(c.columns)}`;
      groups.set(group, [...(groups.get(group) ?? []), c]);
    }
  }
  const savepoint = async <X>(fn: (conn: undefined) => Promise<X>): Promise<X> => {
    await conn.query('savepoint sb_write');
    try {
      const out = await fn(undefined);
      await conn.query('release savepoint sb_write');
      return out;
    } catch (err) {
      await conn.query('rollback to savepoint sb_write');
      throw err;
    }
  };
  const written: PreparedChange[] = [];
  for (const group of [...groups.keys()].sort()) {
    const items = groups.get(group) as PreparedChange[];
    const op = (items[0] as PreparedChange).op;
    const done = await isolateRows<PreparedChange, number, undefined>(
      items,
      (part) => (op === 'insert' ? statements.insert(part) : op === 'update' ? statements.update(part) : statements.delete(part)),
      reject,
      ROW_ERRORS,
      savepoint,
    );
    const ok = new Set(done);
    for (const c of items) {
      if (!ok.has(c.index)) continue;
      outcomes[c.index] = { status: 'applied' };
      if (op !== 'delete') written.push(c);
    }
  }
  const states = await statements.states(written);
  for (const c of written) {
    const state = states.get(c.index);
    if (state) outcomes[c.index] = { status: 'applied', ...state };
  }
}

function decide(
  c: PreparedChange,
  row: Locked | undefined,
  versionType: ColumnType | undefined,
  batch: WriteBatch,
  types: Map<string, ColumnType>,
  statements: Statements,
): ChangeOutcome | undefined {
  if (!row) {
    if (c.op === 'delete') return { status: 'applied', alreadyApplied: true };
    if (c.op === 'update') return { status: 'conflict', current: null };
    return undefined;
  }
  const current = currentRow(row.raw, batch, types);
  const same = c.op !== 'delete' && c.columns.every((col, j) => sameValue(row.texts.get(col) ?? null, c.values[j] ?? null, statements.type(col)));
  const already: ChangeOutcome = { status: 'applied', alreadyApplied: true, ...stateOf(row.raw, batch, types) };
  if (c.op === 'insert') return same ? already : { status: 'conflict', current };
  if (!passes(c, current, versionType)) return same ? already : { status: 'conflict', current };
  return same ? already : undefined;
}
