import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSourceKey, decodeSourceKey } from '../../../src/mapping/keys.ts';
import { quoteIdent } from '../../../src/sources/postgres/ident.ts';
import { SourceObjectNotFoundError } from '../../../src/sources/errors.ts';
import { createSourceDb, type SourceDb } from '../source-db.ts';

let src: SourceDb;
const EVIL = `x"; drop table victims; --`;
const items = { schema: 'public', table: 'Order Items' };

beforeAll(async () => {
  src = await createSourceDb('sb_readkeys');
  await src.sql.unsafe(`
    create table victims (id int);
    create table "Order Items" ("Order ID" bigint not null, "select" text not null, line uuid not null, "__sb_k0" text, qty int,
      primary key ("Order ID", "select"));
    insert into "Order Items"
      select (i % 4) * 2305843009213693952 + i, chr(64 + i % 3) || '''' || i, md5(i::text)::uuid, 'clash' || i, i
      from generate_series(1, 30) i;
    create table ${quoteIdent(EVIL)} (${quoteIdent('a"b')} int primary key, v text);
    insert into ${quoteIdent(EVIL)} values (1, 'one'), (2, 'two');
    create table stamps (at timestamptz not null, day date not null, n numeric not null, v text, primary key (at, day, n));
    insert into stamps values ('2024-05-01 12:00:00.000001+00', '2024-05-01', 1.50, 'x'), ('2024-05-01 12:00:00.000002+00', '2024-05-01', 2, 'y');
  `);
});

afterAll(async () => {
  await src.close();
});

describe('readByKey (full scan)', () => {
  it('pages a composite key with quoted identifiers, every row once, in key order', async () => {
    const seen: string[][] = [];
    let afterKey: unknown[] | null = null;
    for (;;) {
      const page = await src.session.readByKey({
        ...items,
        columns: ['Order ID', 'select', 'qty', '__sb_k0'],
        keyColumns: ['Order ID', 'select'],
        afterKey,
        limit: 7,
      });
      seen.push(...page.keys);
      // The position survives the ledger's encoding: encoded, stored, decoded.
      afterKey = page.lastKey ? decodeSourceKey(encodeSourceKey(page.lastKey)) : afterKey;
      if (!page.hasMore) break;
    }
    expect(seen).toHaveLength(30);
    const sorted = [...seen].sort((a, b) => (BigInt(a[0] as string) < BigInt(b[0] as string) ? -1 : BigInt(a[0] as string) > BigInt(b[0] as string) ? 1 : 0));
    expect(seen.map((k) => k[0])).toEqual(sorted.map((k) => k[0]));
    // Key values beyond 2^53 keep every digit.
    expect(seen.some((k) => BigInt(k[0] as string) > 2n ** 62n)).toBe(true);
  });

  it('returns the requested columns only, even when a column is named like an internal alias', async () => {
    const page = await src.session.readByKey({ ...items, columns: ['__sb_k0', 'qty'], keyColumns: ['Order ID', 'select'], afterKey: null, limit: 1 });
    expect(Object.keys(page.rows[0] ?? {})).toEqual(['__sb_k0', 'qty']);
    expect(page.rows[0]?.__sb_k0).toMatch(/^clash\d+$/);
  });
});

describe('readByKeys', () => {
  it('re-reads specific rows by composite key of mixed types in one query', async () => {
    const all = await src.session.readByKey({ ...items, columns: ['qty'], keyColumns: ['Order ID', 'select'], afterKey: null, limit: 100 });
    const wanted = [all.keys[3], all.keys[17], all.keys[29]] as string[][];
    // Keys may come as strings, numbers or bigints; missing keys are simply absent.
    const res = await src.session.readByKeys({
      ...items,
      columns: ['Order ID', 'select', 'qty'],
      keyColumns: ['Order ID', 'select'],
      keys: [[BigInt(wanted[2]?.[0] as string), wanted[2]?.[1]], wanted[0] as string[], [wanted[1]?.[0], wanted[1]?.[1]], ['1', 'nope']],
    });
    expect(res.keys).toEqual([...wanted].sort((a, b) => (BigInt(a[0] as string) < BigInt(b[0] as string) ? -1 : 1)));
    expect(res.rows.map((r) => r['Order ID'])).toEqual(res.keys.map((k) => k[0]));
  });

  it('matches uuid keys case-insensitively and numeric/timestamp keys exactly', async () => {
    const [row] = await src.sql.unsafe<{ line: string }[]>(`select line::text as line from "Order Items" limit 1`);
    const byUuid = await src.session.readByKeys({ ...items, columns: ['qty'], keyColumns: ['line'], keys: [[row?.line.toUpperCase()]] });
    expect(byUuid.keys).toEqual([[row?.line]]);
    const stamps = { schema: 'public', table: 'stamps', columns: ['v'], keyColumns: ['at', 'day', 'n'] };
    const exact = await src.session.readByKeys({
      ...stamps,
      keys: [
        ['2024-05-01 12:00:00.000002+00', '2024-05-01', 2],
        ['2024-05-01 12:00:00.000001+00', new Date('2024-05-01T00:00:00Z'), '1.5'],
      ],
    });
    expect(exact.rows).toEqual([{ v: 'x' }, { v: 'y' }]);
    expect(await src.session.readByKeys({ ...stamps, keys: [['2024-05-01 12:00:00.000001+00', '2024-05-01', '1.50']] })).toMatchObject({ rows: [{ v: 'x' }] });
    // numeric keys are canonical (1.50 -> 1.5), timestamps are ISO 8601 UTC and keep microseconds.
    expect(exact.keys).toEqual([
      ['2024-05-01T12:00:00.000001Z', '2024-05-01', '1.5'],
      ['2024-05-01T12:00:00.000002Z', '2024-05-01', '2'],
    ]);
    const off = await src.session.readByKeys({ ...stamps, keys: [['2024-05-01 12:00:00.000003+00', '2024-05-01', 2]] });
    expect(off.rows).toEqual([]);
  });

  it('returns nothing for no keys and refuses keys of the wrong width', async () => {
    expect(await src.session.readByKeys({ ...items, columns: ['qty'], keyColumns: ['Order ID', 'select'], keys: [] })).toEqual({ rows: [], keys: [] });
    await expect(src.session.readByKeys({ ...items, columns: ['qty'], keyColumns: ['Order ID', 'select'], keys: [['1']] })).rejects.toThrow(RangeError);
  });
});

describe('identifiers and values are never spliced into SQL', () => {
  it('reads a table whose name looks like SQL injection, and the victim table survives', async () => {
    const ref = { schema: 'public', table: EVIL };
    const page = await src.session.readByKey({ ...ref, columns: ['a"b', 'v'], keyColumns: ['a"b'], afterKey: null, limit: 10 });
    expect(page.rows).toEqual([
      { 'a"b': 1, v: 'one' },
      { 'a"b': 2, v: 'two' },
    ]);
    const byKey = await src.session.readByKeys({ ...ref, columns: ['v'], keyColumns: ['a"b'], keys: [[2]] });
    expect(byKey.rows).toEqual([{ v: 'two' }]);
    expect(await src.session.countRows(ref)).toBe(2);
    expect(await src.session.countRows({ schema: 'public', table: 'victims' })).toBe(0);
  });

  it('treats key values with quotes as data', async () => {
    const res = await src.session.readByKeys({ ...items, columns: ['qty'], keyColumns: ['Order ID', 'select'], keys: [['1', "' or '1'='1"]] });
    expect(res.rows).toEqual([]);
  });

  it('reports unknown relations and columns with a typed error', async () => {
    await expect(src.session.countRows({ schema: 'public', table: 'nope' })).rejects.toBeInstanceOf(SourceObjectNotFoundError);
    await expect(src.session.readByKey({ ...items, columns: ['missing'], keyColumns: ['Order ID'], afterKey: null, limit: 1 })).rejects.toThrow(
      /"missing" does not exist/,
    );
  });
});
