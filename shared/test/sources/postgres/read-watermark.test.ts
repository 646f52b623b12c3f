import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadByWatermarkParams, WatermarkPage } from '../../../src/sources/reads.ts';
import { createSourceDb, type SourceDb } from '../source-db.ts';

let src: SourceDb;

beforeAll(async () => {
  src = await createSourceDb('sb_watermark');
  // 3 rows with NULL cursor, 10 rows sharing one timestamp, 10 sharing another, and rows 1 µs apart.
  await src.sql.unsafe(`
    create table events (tenant text not null, id int not null, updated_at timestamptz, payload text, primary key (tenant, id));
    insert into events select 't' || (i % 3), i, null, 'null-' || i from generate_series(1, 3) i;
    insert into events select 't' || (i % 3), i, '2024-03-01 10:00:00.123456+00', 'a' from generate_series(10, 19) i;
    insert into events select 't' || (i % 3), i, '2024-03-01 10:00:00.123457+00', 'b' from generate_series(20, 29) i;
    insert into events values ('t0', 30, '2024-03-01 10:00:00.000001+00', 'c'), ('t0', 31, '2024-03-01 10:00:00.000002+00', 'd');
    create table versions (id bigint primary key, version bigint not null, name text);
    insert into versions select i, (i % 4) * 10, 'n' || i from generate_series(1, 12) i;
    create table daily (code text primary key, day date, at timestamp);
    insert into daily values ('a', '2024-01-02', '2024-01-02 23:59:59.999999'), ('b', '2024-01-01', '2024-01-01 00:00:00'), ('c', '2024-01-02', null);
  `);
});

afterAll(async () => {
  await src.close();
});

const base: Omit<ReadByWatermarkParams, 'after' | 'limit'> = {
  schema: 'public',
  table: 'events',
  columns: ['tenant', 'id', 'updated_at', 'payload'],
  cursorColumn: 'updated_at',
  keyColumns: ['tenant', 'id'],
};

/** Reads a whole stream page by page, resuming from each page's `last` as a worker would after a restart. */
async function readAll(p: Omit<ReadByWatermarkParams, 'after' | 'limit'>, limit: number, after: ReadByWatermarkParams['after'] = null) {
  const pages: WatermarkPage[] = [];
  for (;;) {
    // The position goes through JSON, as it does through the meta-store and Temporal.
    const resume = after === null ? null : JSON.parse(JSON.stringify(after));
    const page = await src.session.readByWatermark({ ...p, after: resume, limit });
    pages.push(page);
    if (page.last) after = page.last;
    if (!page.hasMore) return { pages, last: after, rows: pages.flatMap((pg) => pg.rows), keys: pages.flatMap((pg) => pg.keys) };
  }
}

describe('readByWatermark', () => {
  it('reads every row exactly once across pages that split groups of equal timestamps', async () => {
    for (const limit of [1, 3, 4, 7, 100]) {
      const { rows, keys } = await readAll(base, limit);
      expect(rows).toHaveLength(25);
      expect(new Set(keys.map((k) => k.join('/'))).size).toBe(25);
    }
  });

  it('orders NULL cursors first (by key), then by (cursor, key)', async () => {
    const { keys, pages } = await readAll(base, 4);
    const watermarks = pages.flatMap((p) => p.watermarks);
    expect(keys.slice(0, 3)).toEqual([
      ['t0', '3'],
      ['t1', '1'],
      ['t2', '2'],
    ]);
    expect(watermarks.slice(0, 3)).toEqual([null, null, null]);
    expect(watermarks.slice(3, 5)).toEqual(['2024-03-01 10:00:00.000001+00', '2024-03-01 10:00:00.000002+00']);
    expect(keys.slice(5, 8)).toEqual([
      ['t0', '12'],
      ['t0', '15'],
      ['t0', '18'],
    ]);
    // Keys within one timestamp are in key order (text "t0" < "t1", then id numerically).
    const sameStamp = keys.slice(5, 15).map((k) => k.join('/'));
    expect(sameStamp).toEqual([...sameStamp].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })));
  });

  it('keeps microseconds in the watermark and resumes exactly after it', async () => {
    const first = await src.session.readByWatermark({ ...base, after: { watermark: '2024-03-01 10:00:00.000001+00', key: [] }, limit: 1 });
    expect(first.rows[0]).toMatchObject({ id: 31, payload: 'd' });
    expect(first.last).toEqual({ watermark: '2024-03-01 10:00:00.000002+00', key: ['t0', '31'] });
    // Driver values stay raw: a timestamptz is a Date (milliseconds), the position is exact text.
    expect(first.rows[0]?.updated_at).toEqual(new Date('2024-03-01T10:00:00.000Z'));
    // key null (a rewound position) means the same as key []: every row past the watermark.
    const rewound = await src.session.readByWatermark({ ...base, after: { watermark: '2024-03-01 10:00:00.000001+00', key: null }, limit: 1 });
    expect(rewound.last).toEqual(first.last);
    const next = await src.session.readByWatermark({ ...base, after: first.last, limit: 100 });
    expect(next.rows).toHaveLength(20);
    expect(next.watermarks.every((w) => w === '2024-03-01 10:00:00.123456+00' || w === '2024-03-01 10:00:00.123457+00')).toBe(true);
  });

  it('picks up rows changed after the stream caught up, and nothing else', async () => {
    const { last } = await readAll(base, 10);
    expect(await src.session.readByWatermark({ ...base, after: last, limit: 10 })).toMatchObject({ rows: [], last: null, hasMore: false });
    await src.sql.unsafe(`update events set updated_at = '2024-03-02 00:00:00+00', payload = 'changed' where tenant = 't1' and id = 1`);
    const page = await src.session.readByWatermark({ ...base, after: last, limit: 10 });
    expect(page.rows).toEqual([{ tenant: 't1', id: 1, updated_at: new Date('2024-03-02T00:00:00Z'), payload: 'changed' }]);
    expect(await src.session.maxWatermark({ schema: 'public', table: 'events', cursorColumn: 'updated_at' })).toBe('2024-03-02 00:00:00+00');
  });

  it('rewinds a timestamp watermark by an overlap window in PostgreSQL arithmetic', async () => {
    const ref = { schema: 'public', table: 'events', cursorColumn: 'updated_at' };
    expect(await src.session.rewindWatermark(ref, '2024-03-01 10:00:05.000001+00', 5)).toBe('2024-03-01 10:00:00.000001+00');
    expect(await src.session.rewindWatermark(ref, null, 5)).toBeNull();
    expect(await src.session.rewindWatermark({ ...ref, table: 'daily', cursorColumn: 'day' }, '2024-01-02', 5)).toBe('2024-01-01');
    expect(await src.session.rewindWatermark({ ...ref, table: 'versions', cursorColumn: 'version' }, '30', 5)).toBe('30');
  });

  it('works with an integer version cursor and a bigint key', async () => {
    const p = { schema: 'public', table: 'versions', columns: ['id', 'version'], cursorColumn: 'version', keyColumns: ['id'] };
    const { rows, keys } = await readAll(p, 5);
    expect(rows).toHaveLength(12);
    // int8 arrives as a string from the driver; the version order decides, the id breaks ties.
    expect(keys.map((k) => k[0])).toEqual(['4', '8', '12', '1', '5', '9', '2', '6', '10', '3', '7', '11']);
    const tail = await src.session.readByWatermark({ ...p, after: { watermark: '20', key: ['6'] }, limit: 100 });
    expect(tail.keys).toEqual([['10'], ['3'], ['7'], ['11']]);
  });

  it('works with date and timestamp-without-time-zone cursors', async () => {
    const byDay = await readAll({ schema: 'public', table: 'daily', columns: ['code', 'day'], cursorColumn: 'day', keyColumns: ['code'] }, 1);
    expect(byDay.keys).toEqual([['b'], ['a'], ['c']]);
    expect(byDay.last).toEqual({ watermark: '2024-01-02', key: ['c'] });
    const byTs = await readAll({ schema: 'public', table: 'daily', columns: ['code', 'at'], cursorColumn: 'at', keyColumns: ['code'] }, 2);
    expect(byTs.keys).toEqual([['c'], ['b'], ['a']]);
    expect(byTs.pages.flatMap((p) => p.watermarks)).toEqual([null, '2024-01-01 00:00:00', '2024-01-02 23:59:59.999999']);
    // timestamp without time zone is read as UTC whatever the worker's time zone.
    expect(byTs.rows[2]?.at).toEqual(new Date('2024-01-02T23:59:59.999Z'));
  });

  it('refuses unknown columns and bad limits before querying rows', async () => {
    await expect(src.session.readByWatermark({ ...base, cursorColumn: 'nope', after: null, limit: 1 })).rejects.toThrow(/column "nope" does not exist/);
    await expect(src.session.readByWatermark({ ...base, table: 'missing', after: null, limit: 1 })).rejects.toThrow(/does not exist/);
    await expect(src.session.readByWatermark({ ...base, after: null, limit: 0 })).rejects.toThrow(RangeError);
  });
});
