import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mariadbFixtureFactory } from '../contract/mariadb.ts';
import type { EngineFixture } from '../contract/fixture.ts';

/* Keyset reads on MariaDB: many equal timestamps, NULL cursors, overlap, positions, counts. */

let fx: EngineFixture;
const ROWS = 12_000;

beforeAll(async () => {
  fx = await mariadbFixtureFactory.open('mysql_read');
  await fx.exec(`create table events (id bigint unsigned not null, part varchar(10) collate utf8mb4_bin not null, at datetime(6) null, v text,
    primary key (id, part), key events_at (at, id, part)) engine=InnoDB`);
  // 100 distinct timestamps (120 rows each, so every page boundary falls inside a group), some NULL cursors, ids past 2^53.
  const rows: Array<Array<string | number | null>> = [];
  for (let i = 0; i < ROWS; i++) {
    const at =
      i % 97 === 0
        ? null
        : `2024-01-01 00:00:${String(Math.floor(i / 120) % 60).padStart(2, '0')}.${String((Math.floor(i / 120) * 7) % 1_000_000).padStart(6, '0')}`;
    rows.push([String(9007199254740993n + BigInt(i % 3000)), `p${Math.floor(i / 3000)}`, at, `row ${i}`]);
  }
  await fx.insertRows('events', ['id', 'part', 'at', 'v'], rows);
});

afterAll(async () => {
  await fx?.close();
});

const base = () => ({ schema: fx.schema, table: 'events', columns: ['id', 'part', 'v'], cursorColumn: 'at', keyColumns: ['id', 'part'] });

describe('MariaDB readByWatermark', () => {
  it(`reads ${ROWS} rows with many equal timestamps page by page, without loss or duplicates`, async () => {
    const seen = new Set<string>();
    let after: { watermark: string | null; key: string[] | null } | null = null;
    let pages = 0;
    let last: string | null = null;
    for (;;) {
      const page = await fx.session.readByWatermark({ ...base(), after, limit: 777 });
      pages++;
      for (const [i, key] of page.keys.entries()) {
        const id = key.join('/');
        expect(seen.has(id)).toBe(false);
        seen.add(id);
        const w = page.watermarks[i] ?? null;
        if (w !== null && last !== null) expect(w >= last).toBe(true);
        if (w !== null) last = w;
      }
      if (!page.hasMore || !page.last) break;
      after = page.last;
    }
    expect(seen.size).toBe(ROWS);
    expect(pages).toBe(Math.ceil(ROWS / 777));
    const max = await fx.session.maxWatermark({ schema: fx.schema, table: 'events', cursorColumn: 'at' });
    expect(max).toBe(last);
    expect(max).toMatch(/^2024-01-01 00:00:\d{2}\.\d{6}$/);
  });

  it('re-reads an overlap after rewindWatermark, and counts what is ahead', async () => {
    const max = (await fx.session.maxWatermark({ schema: fx.schema, table: 'events', cursorColumn: 'at' })) as string;
    const rewound = await fx.session.rewindWatermark({ schema: fx.schema, table: 'events', cursorColumn: 'at' }, max, 1.5);
    expect(rewound).not.toBe(max);
    const page = await fx.session.readByWatermark({ ...base(), after: { watermark: rewound, key: null }, limit: 50_000 });
    const counted = await fx.session.countRowsAfter({ schema: fx.schema, table: 'events', cursorColumn: 'at', watermark: rewound, timeoutMs: 5000 });
    expect(counted).toBe(page.rows.length);
    expect(page.rows.length).toBeGreaterThan(0);
    expect(page.watermarks.every((w) => w !== null && w > (rewound as string))).toBe(true);
    expect(await fx.session.countRows({ schema: fx.schema, table: 'events' })).toBe(ROWS);
    expect(await fx.session.rewindWatermark({ schema: fx.schema, table: 'events', cursorColumn: 'at' }, '2024-01-01 00:00:00.5', 1)).toBe(
      '2023-12-31 23:59:59.500000',
    );
  });

  it('reads by key, by keys in one statement, and tells which keys are present', async () => {
    const first = await fx.session.readByKey({ schema: fx.schema, table: 'events', columns: ['v'], keyColumns: ['id', 'part'], afterKey: null, limit: 3 });
    expect(first.keys).toEqual([
      ['9007199254740993', 'p0'],
      ['9007199254740993', 'p1'],
      ['9007199254740993', 'p2'],
    ]);
    const next = await fx.session.readByKey({
      schema: fx.schema,
      table: 'events',
      columns: ['v'],
      keyColumns: ['id', 'part'],
      afterKey: first.lastKey,
      limit: 2,
    });
    expect(next.keys).toEqual([
      ['9007199254740993', 'p3'],
      ['9007199254740994', 'p0'],
    ]);
    const keys = [
      ['9007199254740994', 'p0'],
      ['9007199254740993', 'P0'],
      ['9007199254740995', 'p1'],
    ];
    const read = await fx.session.readByKeys({ schema: fx.schema, table: 'events', columns: ['id'], keyColumns: ['id', 'part'], keys, hashColumns: ['v'] });
    expect(read.keys).toEqual([keys[0], keys[2]]);
    expect(read.rows).toEqual([{ id: '9007199254740994' }, { id: '9007199254740995' }]);
    expect(read.hashes).toHaveLength(2);
    expect([...(await fx.session.keysPresent({ schema: fx.schema, table: 'events', keyColumns: ['id', 'part'], keys }))].sort()).toEqual([0, 2]);
  });
});
