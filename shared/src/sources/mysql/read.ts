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
import { literal, quoteIdent } from './ident.ts';
import type { Flavor } from './pool.ts';
import { collated, columnTypes, constantSql, plainRows, Query, rawRows, serverTimestampText, type RawRow, type Runner } from './query.ts';

/*
 * Row readers (reads.ts describes what they take and give). Identifiers come from
 * introspection and are always quoted; constants are literals of the column's type (query.ts).
 * Order and comparisons are the key columns' own (their collation for text), which is the
 * order of the unique index that makes them a key. A case-insensitive collation makes 'a' and
 * 'A' equal: the unique index allows only one of them, so keys still name one row each.
 */

export interface ReadContext {
  db: Runner;
  flavor: () => Promise<Flavor>;
}

const withHashes = <T extends object>(page: T, rows: RawRow[], p: { hashColumns?: string[] }): T =>
  p.hashColumns?.length ? { ...page, hashes: rows.map((r) => r.hash as string) } : page;

const types = async (ctx: ReadContext, p: { schema: string; table: string }) => columnTypes(ctx.db, p, await ctx.flavor());

/** Full scan in key order: keyset pagination `(k1, k2) > (v1, v2) order by k1, k2`. */
export async function readByKey(ctx: ReadContext, p: ReadByKeyParams): Promise<KeyPage> {
  const limit = checkLimit(p.limit);
  const q = new Query(p, await types(ctx, p), p.columns, p.keyColumns, undefined, p);
  const where = p.afterKey ? `where ${q.keyAfter(q.keyTexts(p.afterKey))}` : '';
  const rows = await q.run(ctx.db, `select ${q.select()} from ${q.rel} ${where} order by ${q.keyList()} limit ${limit}`);
  const page = { rows: rows.map((r) => r.row), keys: rows.map((r) => r.key), lastKey: rows.at(-1)?.key ?? null, hasMore: rows.length === limit };
  return withHashes(page, rows, p);
}

/** Specific rows by key in one statement (`(k1 = v1 and k2 = v2) or ...`); rows in key order, keys without a row absent. */
export async function readByKeys(ctx: ReadContext, p: ReadByKeysParams): Promise<KeysRead> {
  if (p.keyColumns.length === 0) throw new RangeError('readByKeys needs at least one key column');
  if (p.keys.length === 0) return p.hashColumns?.length ? { rows: [], keys: [], hashes: [] } : { rows: [], keys: [] };
  const q = new Query(p, await types(ctx, p), p.columns, p.keyColumns, undefined, p);
  const where =
    p.keyColumns.length === 1
      ? `${q.col(p.keyColumns[0] as string)} in (${p.keys.map((k) => collated(constantSql(q.keyTexts(k)[0] as string, q.type(p.keyColumns[0] as string)), q.type(p.keyColumns[0] as string))).join(', ')})`
      : p.keys.map((k) => `(${q.keyEquals(q.keyTexts(k))})`).join(' or ');
  const rows = await q.run(ctx.db, `select ${q.select()} from ${q.rel} where ${where} order by ${q.keyList()}`);
  return withHashes({ rows: rows.map((r) => r.row), keys: rows.map((r) => r.key) }, rows, p);
}

/**
 * The keys as a derived table `u` (one `select` per key, `union all`): `i` its position, `p0..`
 * the key constants in the columns' types. `match` is the join condition with a table `r`.
 */
export function keyTable(q: Query, keys: string[][], alias = 'u'): { from: string; match: (r: string) => string; index: string } {
  const i = q.alias('i');
  const selects = keys.map(
    (k, n) => `select ${n} as ${i}, ${q.keyColumns.map((c, j) => `${constantSql(k[j] as string, q.type(c))} as ${q.alias(`p${j}`)}`).join(', ')}`,
  );
  return {
    from: `(${selects.join(' union all ')}) as ${alias}`,
    match: (r) => q.keyColumns.map((c, j) => `${r}.${quoteIdent(c)} = ${collated(`${alias}.${q.alias(`p${j}`)}`, q.type(c))}`).join(' and '),
    index: `${alias}.${i}`,
  };
}

/**
 * Which of these keys still have a row, by the columns' own equality (a key text printed
 * differently, or differing only in case under a case-insensitive collation, still finds its
 * row): positions into `keys`. One statement whatever the number of keys.
 */
export async function keysPresent(ctx: ReadContext, p: KeysPresentParams): Promise<Set<number>> {
  if (p.keyColumns.length === 0) throw new RangeError('keysPresent needs at least one key column');
  if (p.keys.length === 0) return new Set();
  const q = new Query(p, await types(ctx, p), [], p.keyColumns);
  const u = keyTable(
    q,
    p.keys.map((k) => q.keyTexts(k)),
  );
  // A marked row is gone: 0 (or NULL) is the only unmarked boolean (tinyint), NULL the only unmarked date.
  const live = p.softDeleteColumn ? ` and coalesce(cast(${'r.' + q.col(p.softDeleteColumn)} as char), '0') = '0'` : '';
  const rows = await plainRows<{ i: number | string }>(
    ctx.db,
    `select ${u.index} as i from ${u.from} where exists (select 1 from ${q.rel} r where ${u.match('r')}${live})`,
  );
  return new Set(rows.map((r) => Number(r.i)));
}

const TIMEOUT_ERRORS = new Set([1969, 3024]); // ER_STATEMENT_TIMEOUT (MariaDB), ER_QUERY_TIMEOUT (MySQL)

/** How many rows a run has ahead of it, or null when counting takes longer than `timeoutMs`. */
export async function countRowsAfter(ctx: ReadContext, p: CountAfterParams): Promise<number | null> {
  const flavor = await ctx.flavor();
  const q = new Query(p, await columnTypes(ctx.db, p, flavor), [], [], p.cursorColumn ?? undefined);
  const where =
    p.cursorColumn && p.watermark !== null
      ? `where ${q.col(p.cursorColumn)} > ${collated(constantSql(p.watermark, q.type(p.cursorColumn)), q.type(p.cursorColumn))}`
      : '';
  const ms = Math.max(1, Math.round(p.timeoutMs));
  const sql =
    flavor === 'mariadb'
      ? `set statement max_statement_time = ${(ms / 1000).toFixed(3)} for select count(*) as n from ${q.rel} ${where}`
      : `select /*+ MAX_EXECUTION_TIME(${ms}) */ count(*) as n from ${q.rel} ${where}`;
  try {
    const [row] = await plainRows<{ n: string | number }>(ctx.db, sql);
    return Number(row?.n ?? 0);
  } catch (err) {
    if (TIMEOUT_ERRORS.has((err as { errno?: number }).errno ?? 0)) return null;
    throw err;
  }
}

/** Exact row count. */
export async function countRows(ctx: ReadContext, p: CountParams): Promise<number> {
  const q = new Query(p, await types(ctx, p), [], []);
  const [row] = await plainRows<{ n: string | number }>(ctx.db, `select count(*) as n from ${q.rel}`);
  return Number(row?.n ?? 0);
}

/**
 * Incremental read in keyset order `(cursor, k1, k2, ...)`: rows sharing a cursor value are
 * never skipped at a page boundary. NULL cursors come first (as MySQL sorts them), in key
 * order, then the non-NULL values; as on PostgreSQL a NULL cursor is read once per stream start.
 */
export async function readByWatermark(ctx: ReadContext, p: ReadByWatermarkParams): Promise<WatermarkPage> {
  const limit = checkLimit(p.limit);
  const columnMap = await types(ctx, p);
  const query = () => new Query(p, columnMap, p.columns, p.keyColumns, p.cursorColumn, p);
  const rows: RawRow[] = [];
  const start = p.after;
  const q = query();
  const cursor = q.col(p.cursorColumn);
  const cursorType = q.type(p.cursorColumn);
  if (start === null || start.watermark === null) {
    let where = `${cursor} is null`;
    if (start?.key?.length) where += ` and ${q.keyAfter(q.keyTexts(start.key))}`;
    rows.push(...(await q.run(ctx.db, `select ${q.select()} from ${q.rel} where ${where} order by ${q.keyList()} limit ${limit}`)));
    if (rows.length < limit) {
      rows.push(
        ...(await q.run(
          ctx.db,
          `select ${q.select()} from ${q.rel} where ${cursor} is not null order by ${cursor}, ${q.keyList()} limit ${limit - rows.length}`,
        )),
      );
    }
  } else {
    const w = constantSql(start.watermark, cursorType);
    const where = start.key?.length
      ? q.keyAfter(q.keyTexts(start.key), [{ sql: cursor, constant: w, type: cursorType }])
      : `${cursor} > ${collated(w, cursorType)}`;
    rows.push(...(await q.run(ctx.db, `select ${q.select()} from ${q.rel} where ${where} order by ${cursor}, ${q.keyList()} limit ${limit}`)));
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

/** The highest cursor value as the server's exact text (datetime(6): every microsecond digit); null for an empty table or all-NULL cursors. */
export async function maxWatermark(ctx: ReadContext, p: CursorParams): Promise<string | null> {
  const q = new Query(p, await types(ctx, p), [], [], p.cursorColumn);
  const [row] = await rawRows(ctx.db, `select max(${q.col(p.cursorColumn)}) as w from ${q.rel}`);
  return row?.w ? row.w.toString('utf8') : null;
}

/**
 * Moves a watermark back by an overlap window, computed by the server in the column's type:
 * datetime/timestamp by `seconds` (to the microsecond), dates by whole days (rounded up);
 * integer cursors unchanged.
 */
export async function rewindWatermark(ctx: ReadContext, p: CursorParams, watermark: string | null, seconds: number): Promise<string | null> {
  if (watermark === null || seconds <= 0) return watermark;
  const q = new Query(p, await types(ctx, p), [], [], p.cursorColumn);
  const family = q.type(p.cursorColumn).family;
  let sql: string;
  if (family === 'timestamp' || family === 'timestamptz') {
    const text = serverTimestampText(watermark, family === 'timestamptz');
    if (text === null) return watermark;
    sql = `select cast(${literal(text)} as datetime(6)) - interval ${Math.round(seconds * 1_000_000)} microsecond as w`;
  } else if (family === 'date') {
    sql = `select cast(${literal(watermark)} as date) - interval ${Math.ceil(seconds / 86_400)} day as w`;
  } else {
    return watermark;
  }
  const [row] = await rawRows(ctx.db, sql);
  return row?.w ? row.w.toString('utf8') : watermark;
}
