import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSourceKey, encodeSourceKey } from '../../../src/mapping/keys.ts';
import { cursorIndexed, readOnlyReason, tableNotes } from '../../../src/sources/capabilities.ts';
import { SourceNotWritableError, SourceObjectNotFoundError } from '../../../src/sources/errors.ts';
import { findTable } from '../../../src/sources/find-table.ts';
import { newKeySourceOf } from '../../../src/sources/new-keys.ts';
import type { ReadByWatermarkParams, WatermarkPage } from '../../../src/sources/reads.ts';
import type { IntrospectedTable, SchemaSnapshot } from '../../../src/sources/types.ts';
import type { RowChange, WriteBatch } from '../../../src/sources/writes.ts';
import type { ContractTable, EngineFixture } from './fixture.ts';
import { CONTRACT_FIXTURES } from './fixtures.ts';

/*
 * The connector contract: what every source engine does the same way, run against each engine
 * on a real server (fixtures.ts). Scenarios name neutral column kinds; each engine's fixture
 * declares them in its own types. Engine-specific behaviour has its own tests beside this suite.
 */

const T1 = '2024-03-01 10:00:00.123456';
const T2 = '2024-03-01 10:00:00.123457';
const TEXT_KEYS = ['a', 'A', 'b', 'ä', 'Ä', '日本', '😀', "o'k", 'x"; drop table victims; --', 'Z z', '0010', '10'];

const TABLES: ContractTable[] = [
  {
    name: 'keys_single',
    columns: [
      { name: 'id', kind: 'bigint', nullable: false },
      { name: 'v', kind: 'text' },
    ],
    primaryKey: ['id'],
  },
  {
    name: 'Order Items',
    columns: [
      { name: 'Order ID', kind: 'text_key', nullable: false },
      { name: 'select', kind: 'int', nullable: false },
      { name: 'qty', kind: 'int' },
    ],
    primaryKey: ['Order ID', 'select'],
  },
  {
    name: 'keys_unique',
    columns: [
      { name: 'id', kind: 'bigint', nullable: false },
      { name: 'code', kind: 'text_key', nullable: false },
      { name: 'v', kind: 'text' },
    ],
    primaryKey: ['id'],
    unique: [['code']],
  },
  {
    name: 'events',
    columns: [
      { name: 'tenant', kind: 'text_key', nullable: false },
      { name: 'id', kind: 'int', nullable: false },
      { name: 'updated_at', kind: 'timestamp6' },
      { name: 'payload', kind: 'text' },
    ],
    primaryKey: ['tenant', 'id'],
    indexes: [['updated_at']],
  },
  {
    name: 'writes',
    columns: [
      { name: 'id', kind: 'int', nullable: false },
      { name: 'name', kind: 'text_key', nullable: false },
      { name: 'version', kind: 'int', nullable: false },
      { name: 'amount', kind: 'decimal' },
      { name: 'changed', kind: 'timestamp6' },
      { name: 'active', kind: 'boolean' },
      { name: 'day', kind: 'date' },
    ],
    primaryKey: ['id'],
    unique: [['name']],
  },
  {
    name: 'nokey',
    columns: [
      { name: 'a', kind: 'int' },
      { name: 'b', kind: 'text' },
    ],
  },
  {
    name: 'marks',
    columns: [
      { name: 'id', kind: 'int', nullable: false },
      { name: 'flag', kind: 'boolean' },
      { name: 'gone', kind: 'date' },
    ],
    primaryKey: ['id'],
  },
];

const EVENT_COUNT = 3 + 200 + 200 + 5;
const WRITE_COLUMNS = ['id', 'name', 'version', 'amount', 'changed', 'active', 'day'];

/** Microseconds since the epoch of a watermark text ('YYYY-MM-DD HH:MM:SS[.ffffff]', an optional zone or ISO 'T'), for ordering checks. */
function micros(w: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?/.exec(w);
  if (!m) throw new Error(`not a timestamp watermark: ${w}`);
  const seconds = BigInt(Date.parse(`${m[1]}T${m[2]}Z`) / 1000);
  return seconds * 1_000_000n + BigInt((m[3] ?? '').padEnd(6, '0') || '0');
}

describe.each(CONTRACT_FIXTURES)('source connector contract: $label', (factory) => {
  let fx: EngineFixture;
  let snapshot: SchemaSnapshot;
  const table = (name: string) => findTable(snapshot, fx.schema, name) as IntrospectedTable;
  const ref = (name: string) => ({ schema: fx.schema, table: name });

  beforeAll(async () => {
    fx = await factory.open('sb_contract');
    for (const t of TABLES) await fx.exec(fx.createTable(t));
    await fx.exec(fx.createView('keys_view', 'keys_single'));
    for (const sql of [fx.everyType.ddl('every_type'), fx.everyType.ddl('every_type_copy'), fx.everyType.seed('every_type')]) await fx.exec(sql);
    await fx.insertRows(
      'keys_single',
      ['id', 'v'],
      ['-5', '0', '1', '2', '3', '9007199254740993', '4611686018427387904', '9223372036854775807'].map((id) => [id, `v${id}`]),
    );
    await fx.insertRows(
      'Order Items',
      ['Order ID', 'select', 'qty'],
      TEXT_KEYS.flatMap((k, i) => [1, 2, 10].map((line) => [k, line, i * line])),
    );
    await fx.insertRows(
      'keys_unique',
      ['id', 'code', 'v'],
      TEXT_KEYS.map((k, i) => [String(100 - i), k, `u${i}`]),
    );
    const events: Array<Array<string | number | null>> = [];
    for (let i = 1; i <= 3; i++) events.push([`t${i % 3}`, i, null, `null-${i}`]);
    for (let i = 10; i < 210; i++) events.push([`t${i % 3}`, i, T1, 'a']);
    for (let i = 210; i < 410; i++) events.push([`t${i % 3}`, i, T2, 'b']);
    for (let i = 0; i < 5; i++) events.push(['t0', 500 + i, `2024-03-01 10:00:00.00000${i + 1}`, 'c']);
    await fx.insertRows('events', ['tenant', 'id', 'updated_at', 'payload'], events);
    await fx.insertRows('nokey', ['a', 'b'], [[1, 'x']]);
    snapshot = await fx.session.introspect();
  });

  afterAll(async () => {
    await fx?.close();
  });

  describe('introspection', () => {
    it('reports tables, views, keys, unique keys, indexes and the engine', async () => {
      expect(snapshot.engine).toBe(fx.params.engine);
      expect(snapshot.serverVersion).toMatch(/\d+\.\d+/);
      expect(table('Order Items').primaryKey?.columns).toEqual(['Order ID', 'select']);
      expect(table('keys_unique').uniqueKeys?.map((k) => k.columns)).toEqual(expect.arrayContaining([['id'], ['code']]));
      expect(table('keys_view').kind).toBe('view');
      expect(table('events').columns.map((c) => c.name)).toEqual(['tenant', 'id', 'updated_at', 'payload']);
      expect(table('events').columns.find((c) => c.name === 'payload')?.nullable).toBe(true);
      expect(table('writes').columns.find((c) => c.name === 'name')?.nullable).toBe(false);
      expect(table('writes').columns.find((c) => c.name === 'amount')).toMatchObject({ typeFamily: 'numeric', numericPrecision: 18, numericScale: 4 });
      const every = table('every_type');
      for (const [column, family] of Object.entries(fx.everyType.families)) {
        expect({ column, family: every.columns.find((c) => c.name === column)?.typeFamily }).toEqual({ column, family });
      }
      for (const column of fx.everyType.readOnlyColumns.filter((c) => every.columns.find((x) => x.name === c)?.typeFamily !== 'other')) {
        expect(every.columns.find((c) => c.name === column)?.generated ?? column).toBeTruthy();
      }
    });

    it('says where engines and tables differ: read-only views, tables without a key, unindexed watermarks', () => {
      expect(readOnlyReason(table('keys_view'))).toMatch(/view/);
      expect(tableNotes(table('nokey')).map((n) => n.code)).toContain('no_usable_key');
      expect(tableNotes(table('events'))).toEqual([]);
      expect(cursorIndexed(table('events'), 'updated_at')).toBe(true);
      expect(cursorIndexed(table('writes'), 'changed')).toBe(false);
    });

    it('filters to one table', async () => {
      const one = await fx.session.introspect({ schema: fx.schema, table: 'events' });
      expect(one.tables.map((t) => t.name)).toEqual(['events']);
    });
  });

  describe('reads by key', () => {
    const strategies = [
      { name: 'single bigint key', table: 'keys_single', keyColumns: ['id'], columns: ['id', 'v'], rows: 8 },
      {
        name: 'composite key with unicode, mixed-case and hostile text',
        table: 'Order Items',
        keyColumns: ['Order ID', 'select'],
        columns: ['Order ID', 'select', 'qty'],
        rows: TEXT_KEYS.length * 3,
      },
      { name: 'unique key that is not the primary key', table: 'keys_unique', keyColumns: ['code'], columns: ['code', 'v'], rows: TEXT_KEYS.length },
    ];

    it.each(strategies)('$name: pages cover every row once, in one order, and keys find their rows again', async (s) => {
      const whole = await fx.session.readByKey({ ...ref(s.table), columns: s.columns, keyColumns: s.keyColumns, afterKey: null, limit: 1000 });
      expect(whole.rows).toHaveLength(s.rows);
      expect(new Set(whole.keys.map((k) => JSON.stringify(k))).size).toBe(s.rows);
      for (const limit of [1, 5]) {
        const seen: string[][] = [];
        let afterKey: unknown[] | null = null;
        for (let pages = 0; pages < 100; pages++) {
          const page = await fx.session.readByKey({ ...ref(s.table), columns: s.columns, keyColumns: s.keyColumns, afterKey, limit });
          seen.push(...page.keys);
          // The position survives the ledger's encoding, as it does between batches.
          if (page.lastKey) afterKey = decodeSourceKey(encodeSourceKey(page.lastKey));
          if (!page.hasMore) break;
        }
        expect(seen).toEqual(whole.keys);
      }
      // Every key, as text, finds its own row (and only it); a key without a row is absent.
      const wanted = [...whole.keys].reverse();
      const found = await fx.session.readByKeys({
        ...ref(s.table),
        columns: s.columns,
        keyColumns: s.keyColumns,
        keys: [...wanted, s.keyColumns.map(() => '999999')],
      });
      expect(found.keys).toEqual(whole.keys);
      expect(found.rows).toEqual(whole.rows);
      const present = await fx.session.keysPresent({
        ...ref(s.table),
        keyColumns: s.keyColumns,
        keys: [whole.keys[0] as string[], s.keyColumns.map(() => '999999')],
      });
      expect([...present]).toEqual([0]);
    });

    it('counts a row marked soft-deleted as gone: a true flag, or any date in a date mark', async () => {
      await fx.exec(`insert into marks (id, flag, gone) values (1, false, null), (2, true, null), (3, null, null), (4, false, '2024-01-01')`);
      const keys = [['1'], ['2'], ['3'], ['4'], ['5']];
      const all = await fx.session.keysPresent({ ...ref('marks'), keyColumns: ['id'], keys });
      expect([...all].sort()).toEqual([0, 1, 2, 3]);
      const byFlag = await fx.session.keysPresent({ ...ref('marks'), keyColumns: ['id'], keys, softDeleteColumn: 'flag' });
      expect([...byFlag].sort()).toEqual([0, 2, 3]);
      const byDate = await fx.session.keysPresent({ ...ref('marks'), keyColumns: ['id'], keys, softDeleteColumn: 'gone' });
      expect([...byDate].sort()).toEqual([0, 1, 2]);
    });

    it('keeps every digit of 64-bit keys', async () => {
      const page = await fx.session.readByKey({ ...ref('keys_single'), columns: ['id'], keyColumns: ['id'], afterKey: ['9007199254740992'], limit: 10 });
      expect(page.keys.map((k) => k[0])).toEqual(['9007199254740993', '4611686018427387904', '9223372036854775807']);
      expect(page.rows.map((r) => r.id)).toEqual(['9007199254740993', '4611686018427387904', '9223372036854775807']);
    });

    it('reads only the requested columns, refuses unknown relations and columns and bad limits', async () => {
      const page = await fx.session.readByKey({ ...ref('Order Items'), columns: ['qty'], keyColumns: ['Order ID', 'select'], afterKey: null, limit: 1 });
      expect(Object.keys(page.rows[0] ?? {})).toEqual(['qty']);
      await expect(fx.session.readByKey({ ...ref('missing'), columns: ['a'], keyColumns: ['a'], afterKey: null, limit: 1 })).rejects.toBeInstanceOf(
        SourceObjectNotFoundError,
      );
      await expect(fx.session.readByKey({ ...ref('keys_single'), columns: ['nope'], keyColumns: ['id'], afterKey: null, limit: 1 })).rejects.toBeInstanceOf(
        SourceObjectNotFoundError,
      );
      await expect(fx.session.readByKey({ ...ref('keys_single'), columns: ['id'], keyColumns: ['id'], afterKey: null, limit: 0 })).rejects.toThrow(RangeError);
    });

    it('counts rows', async () => {
      expect(await fx.session.countRows(ref('events'))).toBe(EVENT_COUNT);
      expect(await fx.session.countRowsAfter({ ...ref('events'), cursorColumn: 'updated_at', watermark: null, timeoutMs: 10_000 })).toBe(EVENT_COUNT);
    });
  });

  describe('reads by watermark', () => {
    const base: Omit<ReadByWatermarkParams, 'after' | 'limit'> = {
      schema: '',
      table: 'events',
      columns: ['tenant', 'id', 'updated_at', 'payload'],
      cursorColumn: 'updated_at',
      keyColumns: ['tenant', 'id'],
    };
    const params = () => ({ ...base, schema: fx.schema });

    async function readAll(limit: number, after: ReadByWatermarkParams['after'] = null) {
      const pages: WatermarkPage[] = [];
      for (let n = 0; n < 10_000; n++) {
        // The position goes through JSON, as it does through the meta-store and Temporal.
        const page = await fx.session.readByWatermark({ ...params(), after: after === null ? null : JSON.parse(JSON.stringify(after)), limit });
        pages.push(page);
        if (page.last) after = page.last;
        if (!page.hasMore) break;
      }
      return { last: after, keys: pages.flatMap((p) => p.keys), watermarks: pages.flatMap((p) => p.watermarks), rows: pages.flatMap((p) => p.rows) };
    }

    it('reads every row exactly once across pages that split groups of equal timestamps; NULL cursors first, then (cursor, key) order', async () => {
      const reference = await readAll(1000);
      expect(reference.keys).toHaveLength(EVENT_COUNT);
      expect(new Set(reference.keys.map((k) => k.join('/'))).size).toBe(EVENT_COUNT);
      expect(reference.watermarks.slice(0, 3)).toEqual([null, null, null]);
      const stamps = reference.watermarks.slice(3).map((w) => micros(w as string));
      expect(stamps.every((s, i) => i === 0 || (stamps[i - 1] as bigint) <= s)).toBe(true);
      expect(stamps[0]).toBe(micros('2024-03-01 10:00:00.000001'));
      expect(stamps.at(-1)).toBe(micros(T2));
      for (const limit of [1, 7, 199, 200]) {
        const paged = await readAll(limit);
        expect(paged.keys).toEqual(reference.keys);
      }
    });

    it('keeps microseconds: resuming after a watermark skips only rows at or before it', async () => {
      const { watermarks, keys } = await readAll(1000);
      const firstT1 = watermarks.findIndex((w) => w !== null && micros(w) === micros(T1));
      const before = watermarks[firstT1 - 1] as string;
      const page = await fx.session.readByWatermark({ ...params(), after: { watermark: before, key: null }, limit: 1000 });
      expect(page.keys).toEqual(keys.slice(firstT1));
      expect(page.rows.every((r) => r.payload === 'a' || r.payload === 'b')).toBe(true);
    });

    it('gives the maximum watermark, rewinds it by an overlap window, and picks up a changed row', async () => {
      const max = await fx.session.maxWatermark({ ...ref('events'), cursorColumn: 'updated_at' });
      expect(micros(max as string)).toBe(micros(T2));
      const rewound = await fx.session.rewindWatermark({ ...ref('events'), cursorColumn: 'updated_at' }, max, 1);
      expect(micros(rewound as string)).toBe(micros(T2) - 1_000_000n);
      expect(await fx.session.rewindWatermark({ ...ref('events'), cursorColumn: 'updated_at' }, null, 1)).toBeNull();
      // The overlap re-reads what the window holds (the last second: every timestamped row here), never the NULL-cursor rows.
      const overlap = await fx.session.readByWatermark({ ...params(), after: { watermark: rewound, key: null }, limit: 1000 });
      expect(overlap.keys).toHaveLength(405);
      const { last } = await readAll(50);
      expect(await fx.session.readByWatermark({ ...params(), after: last, limit: 10 })).toMatchObject({ rows: [], hasMore: false });
      const changed = await fx.session.applyChanges({
        ...ref('events'),
        keyColumns: ['tenant', 'id'],
        changes: [{ op: 'update', key: ['t1', '1'], values: { updated_at: '2024-03-02 00:00:00.000007', payload: 'changed' } }],
      });
      expect(changed.counts.applied).toBe(1);
      const page = await fx.session.readByWatermark({ ...params(), after: last, limit: 10 });
      expect(page.keys).toEqual([['t1', '1']]);
      expect(page.rows[0]).toMatchObject({ payload: 'changed' });
      expect(micros(page.watermarks[0] as string)).toBe(micros('2024-03-02 00:00:00.000007'));
      expect(await fx.session.countRowsAfter({ ...ref('events'), cursorColumn: 'updated_at', watermark: max, timeoutMs: 10_000 })).toBe(1);
    });
  });

  describe('write path', () => {
    const batch = (changes: RowChange[], extra: Partial<WriteBatch> = {}): WriteBatch => ({
      ...ref('writes'),
      keyColumns: ['id'],
      versionColumn: 'version',
      changes,
      ...extra,
    });
    const row = (id: number, over: Record<string, unknown> = {}) => ({
      id,
      name: `name-${id}`,
      version: 1,
      amount: '12.5000',
      changed: '2024-05-01T12:00:00.000001',
      active: id % 2 === 0,
      day: '2024-05-01',
      ...over,
    });
    const readWrites = async (ids: number[]) =>
      fx.session.readByKeys({
        ...ref('writes'),
        columns: WRITE_COLUMNS,
        keyColumns: ['id'],
        keys: ids.map((id) => [String(id)]),
        canonical: true,
        hashColumns: WRITE_COLUMNS,
      });

    it('inserts many rows with a few multi-row statements, and reads them back exactly', async () => {
      const ids = Array.from({ length: 1000 }, (_, i) => i + 1);
      const result = await fx.session.applyChanges(batch(ids.map((id) => ({ op: 'insert', key: [String(id)], values: row(id) }))));
      expect(result.counts).toEqual({ applied: 1000, conflict: 0, rejected: 0 });
      expect(result.statements).toBeLessThan(12);
      const back = await readWrites([7, 8]);
      expect(back.rows.map((r) => [r.name, r.version, r.active, r.day])).toEqual([
        ['name-7', '1', 'false', '2024-05-01'],
        ['name-8', '1', 'true', '2024-05-01'],
      ]);
      expect(back.rows.map((r) => r.changed)).toEqual(['2024-05-01T12:00:00.000001', '2024-05-01T12:00:00.000001']);
      expect(Number(back.rows[0]?.amount)).toBe(12.5);
    });

    it('applies an update whose version matches, and answers a stale one with the current row', async () => {
      const result = await fx.session.applyChanges(
        batch([
          { op: 'update', key: ['10'], values: { name: 'ten', version: 2 }, expected: { version: '1' } },
          { op: 'update', key: ['11'], values: { name: 'eleven', version: 2 }, expected: { version: '0' } },
          { op: 'update', key: ['999999'], values: { name: 'ghost' }, expected: { version: '1' } },
        ]),
      );
      expect(result.outcomes[0]).toMatchObject({ status: 'applied', version: '2' });
      expect(result.outcomes[1]).toMatchObject({ status: 'conflict', current: { key: ['11'], version: '1' } });
      expect(result.outcomes[2]).toEqual({ status: 'conflict', current: null });
      const back = await readWrites([10, 11]);
      expect(back.rows.map((r) => r.name)).toEqual(['ten', 'name-11']);
    });

    it('checks row hashes: a stale hash is a conflict, the right one applies; a retried batch is already applied', async () => {
      const [hash12, hash13] = (await readWrites([12, 13])).hashes as string[];
      const changes: RowChange[] = [
        { op: 'update', key: ['12'], values: { amount: '99.0001' }, expected: { rowHash: hash12 as string } },
        { op: 'delete', key: ['13'], expected: { rowHash: (hash13 as string).replace(/^./, (c) => (c === '0' ? '1' : '0')) } },
        { op: 'delete', key: ['14'] },
      ];
      const first = await fx.session.applyChanges(batch(changes, { hashColumns: WRITE_COLUMNS }));
      expect(first.outcomes.map((o) => o.status)).toEqual(['applied', 'conflict', 'applied']);
      expect(first.outcomes[0]).toMatchObject({ rowHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect((await readWrites([12])).hashes).toEqual([(first.outcomes[0] as { rowHash: string }).rowHash]);
      // The same batch again (a worker retried it): nothing changes, nothing conflicts.
      const again = await fx.session.applyChanges(batch([changes[0] as RowChange, changes[2] as RowChange], { hashColumns: WRITE_COLUMNS }));
      expect(again.outcomes).toEqual([expect.objectContaining({ status: 'applied', alreadyApplied: true }), { status: 'applied', alreadyApplied: true }]);
      expect((await readWrites([13, 14])).keys).toEqual([['13']]);
    });

    it('an insert over an existing key is a conflict with the row; expected absent on an update is refused', async () => {
      const result = await fx.session.applyChanges(
        batch([
          { op: 'insert', key: ['20'], values: row(20, { name: 'other' }) },
          { op: 'update', key: ['21'], values: { name: 'x' }, expected: { absent: true } },
        ]),
      );
      expect(result.outcomes[0]).toMatchObject({ status: 'conflict', current: { key: ['20'], version: '1' } });
      expect(result.outcomes[1]).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/absent/) });
    });

    it('rejects the rows the database refuses, with the reason, and writes the rest in the same batch', async () => {
      const result = await fx.session.applyChanges(
        batch([
          { op: 'insert', key: ['2001'], values: row(2001) },
          { op: 'insert', key: ['2002'], values: row(2002, { name: 'name-30' }) }, // another row's unique name
          { op: 'insert', key: ['2003'], values: row(2003, { version: 'abc' }) }, // not an integer
          { op: 'insert', key: ['2004'], values: row(2004, { version: null }) }, // NOT NULL
          { op: 'update', key: ['31'], values: { name: 'name-32' } }, // unique clash on update
          { op: 'update', key: ['33'], values: { amount: '1.25', version: 5 } },
          { op: 'insert', key: ['2005'], values: row(2005, { nope: 1 }) }, // unknown column
        ]),
      );
      expect(result.outcomes.map((o) => o.status)).toEqual(['applied', 'rejected', 'rejected', 'rejected', 'rejected', 'applied', 'rejected']);
      for (const i of [1, 2, 3, 4, 6]) expect((result.outcomes[i] as { reason: string }).reason.length).toBeGreaterThan(5);
      expect((result.outcomes[6] as { reason: string }).reason).toMatch(/nope/);
      const back = await readWrites([2001, 2002, 2003, 2004, 31, 33]);
      expect(back.keys).toEqual([['31'], ['33'], ['2001']]);
      expect(back.rows.map((r) => r.name)).toEqual(['name-31', 'name-33', 'name-2001']);
      expect(back.rows[1]?.version).toBe('5');
    });

    it('writes back every type the engine has: read, written to a copy, read again identical', async () => {
      const { keyColumns, readOnlyColumns } = fx.everyType;
      const columns = table('every_type').columns.map((c) => c.name);
      const writable = columns.filter((c) => !readOnlyColumns.includes(c));
      const read = (name: string) =>
        fx.session.readByKey({ ...ref(name), columns, keyColumns, afterKey: null, limit: 100, canonical: true, hashColumns: columns });
      const source = await read('every_type');
      expect(source.rows.length).toBeGreaterThanOrEqual(3);
      const result = await fx.session.applyChanges({
        ...ref('every_type_copy'),
        keyColumns,
        changes: source.rows.map((r, i) => ({
          op: 'insert',
          key: source.keys[i] as string[],
          values: Object.fromEntries(writable.map((c) => [c, r[c] as string | null])),
        })),
      });
      expect(result.outcomes.filter((o) => o.status !== 'applied')).toEqual([]);
      const copy = await read('every_type_copy');
      expect(copy.rows).toEqual(source.rows);
      expect(copy.hashes).toEqual(source.hashes);
      // Driver values read without error for every type (what push converts).
      const driver = await fx.session.readByKey({ ...ref('every_type'), columns, keyColumns, afterKey: null, limit: 100 });
      expect(driver.rows).toHaveLength(source.rows.length);
    });

    it('never writes a generated or read-only column', async () => {
      const column = fx.everyType.readOnlyColumns[0] as string;
      const result = await fx.session.applyChanges({
        ...ref('every_type_copy'),
        keyColumns: fx.everyType.keyColumns,
        changes: [{ op: 'update', key: ['1'], values: { [column]: '5' } }],
      });
      expect(result.outcomes[0]).toMatchObject({ status: 'rejected', reason: expect.stringContaining(column) });
    });

    it('reserves keys from the sequence of the key column before the rows are written; a key without one is refused', async () => {
      await fx.exec(fx.generatedKeys.sequence('seq_keys'));
      await fx.exec(fx.generatedKeys.counter('counter_keys'));
      const now = await fx.session.introspect();
      const seqTable = findTable(now, fx.schema, 'seq_keys') as IntrospectedTable;
      expect(newKeySourceOf(now.engine, seqTable, ['id'])).toEqual({ kind: 'sequence', column: 'id' });
      expect(newKeySourceOf(now.engine, seqTable, ['id', 'v'])).toMatchObject({ kind: 'none', problem: expect.stringContaining('single key column') });
      expect(newKeySourceOf(now.engine, seqTable, ['v'])).toMatchObject({ kind: 'none', problem: expect.stringContaining('no generator') });
      const counter = newKeySourceOf(now.engine, findTable(now, fx.schema, 'counter_keys') as IntrospectedTable, ['id']);
      expect(counter.kind).toBe('none');

      const keys = await fx.session.reserveKeys({ ...ref('seq_keys'), column: 'id', count: 3 });
      expect(keys).toHaveLength(3);
      expect(new Set(keys).size).toBe(3);
      expect(keys.map(Number)).toEqual([...keys.map(Number)].sort((a, b) => a - b));
      // The reserved keys are written as given; the sequence never hands them out again (a plain insert takes the next one).
      const written = await fx.session.applyChanges({
        ...ref('seq_keys'),
        keyColumns: ['id'],
        reservedKeys: true,
        changes: keys.map((k, i) => ({ op: 'insert' as const, key: [k], values: { v: `reserved ${i}` } })),
      });
      expect(written.counts).toEqual({ applied: 3, conflict: 0, rejected: 0 });
      await fx.exec(`insert into ${fx.quote('seq_keys')} (${fx.quote('v')}) values ('by the application')`);
      const read = await fx.session.readByKey({ ...ref('seq_keys'), columns: ['id', 'v'], keyColumns: ['id'], afterKey: null, limit: 10 });
      expect(read.rows.map((r) => r.v)).toEqual(['reserved 0', 'reserved 1', 'reserved 2', 'by the application']);
      const [more] = await fx.session.reserveKeys({ ...ref('seq_keys'), column: 'id', count: 1 });
      expect(Number(more)).toBeGreaterThan(Number(read.keys[3]![0]));

      await expect(fx.session.reserveKeys({ ...ref('counter_keys'), column: 'id', count: 1 })).rejects.toBeInstanceOf(RangeError);
      await expect(fx.session.reserveKeys({ ...ref('seq_keys'), column: 'v', count: 1 })).rejects.toBeInstanceOf(RangeError);
      await expect(fx.session.reserveKeys({ ...ref('seq_keys'), column: 'id', count: 0 })).rejects.toBeInstanceOf(RangeError);
    });

    it('refuses relations it cannot write, before writing anything', async () => {
      const view = await fx.session.checkWritable({ ...ref('keys_view'), keyColumns: ['id'] });
      expect(view).toMatchObject({ writable: false, reason: expect.stringMatching(/view/) });
      await expect(fx.session.applyChanges({ ...ref('keys_view'), keyColumns: ['id'], changes: [{ op: 'delete', key: ['1'] }] })).rejects.toBeInstanceOf(
        SourceNotWritableError,
      );
      expect(await fx.session.checkWritable({ ...ref('nokey'), keyColumns: ['a'] })).toMatchObject({ writable: false, reason: expect.stringMatching(/key/) });
      expect(await fx.session.checkWritable({ ...ref('writes'), keyColumns: ['id'] })).toEqual({ writable: true });
      expect(await fx.session.countRows(ref('keys_single'))).toBe(8);
      const odd = fx.nonTransactionalTable;
      if (odd) {
        await fx.exec(odd.ddl('plain_storage'));
        expect(await fx.session.checkWritable({ ...ref('plain_storage'), keyColumns: ['id'] })).toMatchObject({
          writable: false,
          reason: expect.stringMatching(odd.reason),
        });
        await expect(
          fx.session.applyChanges({ ...ref('plain_storage'), keyColumns: ['id'], changes: [{ op: 'insert', key: ['1'], values: { id: 1 } }] }),
        ).rejects.toBeInstanceOf(SourceNotWritableError);
      }
    });
  });
});
