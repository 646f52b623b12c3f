import type postgres from 'postgres';
import {
  checkLimit,
  type CountAfterParams,
  type CountParams,
  type CursorParams,
  type KeyPage,
  type KeysPresentParams,
  type KeysRead,
  type ReadByKeyParams,
  type ReadByKeysParams,
  type ReadByWatermarkParams,
  type WatermarkPage,
} from '../reads.ts';
import { qualifiedName, quoteIdent } from './ident.ts';
import { Query, columnTypes, keyTexts, type RawRow } from './query.ts';

/*
 * Row readers (reads.ts describes what they take and give). Identifiers come from
 * introspection and are always quoted; values are always bind parameters (see query.ts).
 * Positions (watermark and key) are PostgreSQL's own `::text` of the row's values, selected
 * next to the row, so they survive JSON, the meta-store and Temporal without loss.
 */

type Sql = postgres.Sql | postgres.TransactionSql;

const withHashes = <T extends object>(page: T, rows: RawRow[], p: { hashColumns?: string[] }): T =>
  p.hashColumns?.length ? { ...page, hashes: rows.map((r) => r.hash as string) } : page;

/** Full-scan strategy: keyset pagination over the key, `(k1, k2) > ($1, $2) order by k1, k2`. */
export async function readByKey(sql: Sql, p: ReadByKeyParams): Promise<KeyPage> {
  const limit = checkLimit(p.limit);
  const q = new Query(p, await columnTypes(sql, p), p.columns, p.keyColumns, undefined, p);
  let where = '';
  if (p.afterKey) {
    const texts = keyTexts(p.afterKey, p.keyColumns, q.types, p);
    where = `where (${q.keyList()}) > (${texts.map((t, i) => q.param(t, p.keyColumns[i] as string)).join(', ')})`;
  }
  const rows = await q.run(sql, `select ${q.select()} from ${q.rel} ${where} order by ${q.keyList()} limit ${q.limit(limit)}`);
  const page = { rows: rows.map((r) => r.row), keys: rows.map((r) => r.key), lastKey: rows.at(-1)?.key ?? null, hasMore: rows.length === limit };
  return withHashes(page, rows, p);
}

/** One text[] parameter per key column, each cast to the column's type (`$1::text[]::t1[]`). */
function keyArrays(q: Query, keyColumns: string[], keys: readonly unknown[][]): string[] {
  const texts = keys.map((k) => keyTexts(k, keyColumns, q.types, q.ref));
  return keyColumns.map((k, i) =>
    q.arrayParam(
      texts.map((t) => t[i] as string),
      k,
    ),
  );
}

/**
 * Re-reads specific rows in one query: `(k1, k2) in (select * from unnest($1::text[]::t1[], ...))`.
 * Keys are cast to each key column's own type, so composite keys of mixed types (bigint, uuid,
 * date, text) match by value. Rows come back in key order, each with the canonical text of its
 * key; keys not found are simply absent (deleted rows).
 */
export async function readByKeys(sql: Sql, p: ReadByKeysParams): Promise<KeysRead> {
  if (p.keyColumns.length === 0) throw new RangeError('readByKeys needs at least one key column');
  if (p.keys.length === 0) return p.hashColumns?.length ? { rows: [], keys: [], hashes: [] } : { rows: [], keys: [] };
  const q = new Query(p, await columnTypes(sql, p), p.columns, p.keyColumns, undefined, p);
  const arrays = keyArrays(q, p.keyColumns, p.keys);
  const rows = await q.run(
    sql,
    `select ${q.select()} from ${q.rel} where (${q.keyList()}) in (select * from unnest(${arrays.join(', ')})) order by ${q.keyList()}`,
  );
  return withHashes({ rows: rows.map((r) => r.row), keys: rows.map((r) => r.key) }, rows, p);
}

/**
 * Which of these keys still have a row: the positions (indexes into `keys`) found. Each
 * key is compared with the column's own equality (`(k1, k2) = ($1::t1, $2::t2)`), so the
 * answer does not depend on how a key was printed: a key absent from the result is positive
 * evidence that its row is gone. One query per call, however many keys.
 */
export async function keysPresent(sql: Sql, p: KeysPresentParams): Promise<Set<number>> {
  if (p.keyColumns.length === 0) throw new RangeError('keysPresent needs at least one key column');
  if (p.keys.length === 0) return new Set();
  const q = new Query(p, await columnTypes(sql, p), [], p.keyColumns);
  const arrays = keyArrays(q, p.keyColumns, p.keys);
  const names = p.keyColumns.map((_, i) => q.alias(`p${i}`));
  // A marked row is gone: false (or NULL) is the only unmarked boolean, NULL the only unmarked date.
  const live = p.softDeleteColumn ? ` and coalesce(r.${quoteIdent(p.softDeleteColumn)}::text, 'false') = 'false'` : '';
  const rows = await sql.unsafe<{ ord: string }[]>(
    `select u.${q.alias('ord')}::text as ord from unnest(${arrays.join(', ')}) with ordinality as u(${names.join(', ')}, ${q.alias('ord')})
     where exists (select 1 from ${q.rel} r where (${p.keyColumns.map((k) => `r.${quoteIdent(k)}`).join(', ')}) = (${names.map((n) => `u.${n}`).join(', ')})${live})`,
    q.params as never[],
  );
  return new Set(rows.map((r) => Number(r.ord) - 1));
}

/** How many rows a run has ahead of it, or null when counting would take longer than `timeoutMs`. */
export async function countRowsAfter(sql: postgres.Sql, p: CountAfterParams): Promise<number | null> {
  const q = new Query(p, await columnTypes(sql, p), [], [], p.cursorColumn ?? undefined);
  const where = p.cursorColumn && p.watermark !== null ? `where ${q.cursorIdent()} > ${q.param(p.watermark, p.cursorColumn)}` : '';
  try {
    return await sql.begin('read only', async (tx) => {
      await tx.unsafe(`set local statement_timeout = ${Math.max(1, Math.round(p.timeoutMs))}`);
      const [row] = await tx.unsafe<{ n: string }[]>(`select count(*)::text as n from ${q.rel} ${where}`, q.params as never[]);
      return Number(row?.n ?? 0);
    });
  } catch (err) {
    if ((err as { code?: string }).code === '57014') return null; // statement_timeout
    throw err;
  }
}

/** Exact row count (count(*)); returned as a number, exact up to 2^53 rows. */
export async function countRows(sql: Sql, p: CountParams): Promise<number> {
  await columnTypes(sql, p); // clear error for a missing relation
  const [row] = await sql.unsafe<{ n: string }[]>(`select count(*)::text as n from ${qualifiedName(p.schema, p.table)}`);
  return Number(row?.n ?? 0);
}

/**
 * Incremental read in keyset order `(cursor, k1, k2, ...)`, with the row-value comparison
 * `(cursor, k1, k2) > ($1, $2, $3)`: rows sharing a cursor value are never skipped at a page
 * boundary, and an index on (cursor) or (cursor, key) serves the query.
 *
 * NULL cursors sort first (as the lowest value): a stream that starts from `after: null`
 * first reads the rows whose cursor is NULL, in key order, then continues with the non-NULL
 * cursor values. NULLs are not folded in with coalesce() because that would defeat the
 * cursor index on every incremental poll. Consequence: a row whose cursor stays NULL is read
 * once per stream start (initial load, re-baseline, full resync), never incrementally.
 */
export async function readByWatermark(sql: Sql, p: ReadByWatermarkParams): Promise<WatermarkPage> {
  const limit = checkLimit(p.limit);
  const types = await columnTypes(sql, p);
  const query = () => new Query(p, types, p.columns, p.keyColumns, p.cursorColumn, p);
  const rows: RawRow[] = [];
  const start = p.after;
  if (start === null || start.watermark === null) {
    const q = query();
    let where = `${q.cursorIdent()} is null`;
    if (start?.key?.length) {
      const texts = keyTexts(start.key, p.keyColumns, types, p);
      where += ` and (${q.keyList()}) > (${texts.map((t, i) => q.param(t, p.keyColumns[i] as string)).join(', ')})`;
    }
    rows.push(...(await q.run(sql, `select ${q.select()} from ${q.rel} where ${where} order by ${q.keyList()} limit ${q.limit(limit)}`)));
    if (rows.length < limit) {
      const q2 = query();
      const order = `${q2.cursorIdent()}, ${q2.keyList()}`;
      rows.push(
        ...(await q2.run(
          sql,
          `select ${q2.select()} from ${q2.rel} where ${q2.cursorIdent()} is not null order by ${order} limit ${q2.limit(limit - rows.length)}`,
        )),
      );
    }
  } else {
    const q = query();
    const cursor = q.cursorIdent();
    const w = q.param(start.watermark, p.cursorColumn);
    let where: string;
    if (!start.key?.length) {
      where = `${cursor} > ${w}`;
    } else {
      const texts = keyTexts(start.key, p.keyColumns, types, p);
      where = `(${cursor}, ${q.keyList()}) > (${w}, ${texts.map((t, i) => q.param(t, p.keyColumns[i] as string)).join(', ')})`;
    }
    rows.push(...(await q.run(sql, `select ${q.select()} from ${q.rel} where ${where} order by ${cursor}, ${q.keyList()} limit ${q.limit(limit)}`)));
  }
  const lastRow = rows.at(-1);
  const page = {
    rows: rows.map((r) => r.row),
    keys: rows.map((r) => r.key),
    watermarks: rows.map((r) => r.watermark),
    last: lastRow ? { watermark: lastRow.watermark, key: lastRow.key } : null,
    hasMore: rows.length === limit,
  };
  return withHashes(page, rows, p);
}

/** The highest cursor value as exact text (`max(cursor)::text`); null for an empty table or all-NULL cursors. */
export async function maxWatermark(sql: Sql, p: CursorParams): Promise<string | null> {
  const q = new Query(p, await columnTypes(sql, p), [], [], p.cursorColumn);
  const [row] = await sql.unsafe<{ w: string | null }[]>(`select max(${q.cursorIdent()})::text as w from ${q.rel}`);
  return row?.w ?? null;
}

/**
 * Moves a watermark back by an overlap window, computed by PostgreSQL in the column's own type:
 * timestamps by `seconds`, dates by whole days (rounded up). Integer version cursors have no
 * time scale and are returned unchanged. Use it to re-read rows committed late.
 */
export async function rewindWatermark(sql: Sql, p: CursorParams, watermark: string | null, seconds: number): Promise<string | null> {
  if (watermark === null || seconds <= 0) return watermark;
  const q = new Query(p, await columnTypes(sql, p), [], [], p.cursorColumn);
  const family = q.types.get(p.cursorColumn)?.family;
  let text: string;
  if (family === 'timestamp' || family === 'timestamptz') {
    text = `select (${q.param(watermark, p.cursorColumn)} - make_interval(secs => $2::float8))::text as w`;
    q.params.push(seconds);
  } else if (family === 'date') {
    text = `select (${q.param(watermark, p.cursorColumn)} - $2::int)::text as w`;
    q.params.push(Math.ceil(seconds / 86_400));
  } else {
    return watermark;
  }
  const [row] = await sql.unsafe<{ w: string }[]>(text, q.params as never[]);
  return row?.w ?? watermark;
}
