import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceNotWritableError } from '../../../src/sources/errors.ts';
import type { WriteBatch } from '../../../src/sources/writes.ts';
import { mariadbFixtureFactory } from '../contract/mariadb.ts';
import type { EngineFixture } from '../contract/fixture.ts';

/* applyChanges on MariaDB: multi-row statements, checks, rows at fault isolated, refusals. */

let fx: EngineFixture;

beforeAll(async () => {
  fx = await mariadbFixtureFactory.open('mysql_write');
  await fx.exec(`
    create table items (
      id bigint unsigned primary key, code varchar(20) not null, qty int, price decimal(12,2), at datetime(6),
      latin varchar(40) character set latin1, doubled bigint as (qty * 2) virtual,
      version int not null default 1, unique key items_code (code)
    ) engine=InnoDB;
    create table legacy (id int primary key, v text) engine=MyISAM;
    create table nokey (id int, v text) engine=InnoDB;
    create view items_view as select id, code from items;
    create table ci (name varchar(20) collate utf8mb4_general_ci primary key, v int) engine=InnoDB;
  `);
});

afterAll(async () => {
  await fx?.close();
});

const batch = (changes: WriteBatch['changes'], extra: Partial<WriteBatch> = {}): WriteBatch => ({
  schema: fx.schema,
  table: 'items',
  keyColumns: ['id'],
  changes,
  ...extra,
});

async function rows() {
  const page = await fx.session.readByKey({
    schema: fx.schema,
    table: 'items',
    columns: ['id', 'code', 'qty', 'price', 'at', 'latin', 'doubled'],
    keyColumns: ['id'],
    afterKey: null,
    limit: 100,
    canonical: true,
  });
  return page.rows;
}

describe('MariaDB applyChanges', () => {
  it('inserts, updates and deletes with a few multi-row statements, unsigned bigints exact both ways', async () => {
    const inserts = Array.from({ length: 50 }, (_, i) => ({
      op: 'insert' as const,
      key: [String(18446744073709551615n - BigInt(i))],
      values: { code: `c${i}`, qty: i, price: '1.50', at: '2024-01-01T10:00:00.123456Z', latin: 'Façade' },
    }));
    const result = await fx.session.applyChanges(batch(inserts));
    expect(result.counts).toEqual({ applied: 50, conflict: 0, rejected: 0 });
    // column types + writability, lock, one insert, no state read (no version/hash columns)
    expect(result.statements).toBeLessThanOrEqual(4);
    const stored = await rows();
    expect(stored[0]).toMatchObject({
      id: '18446744073709551566',
      code: 'c49',
      price: '1.50',
      at: '2024-01-01T10:00:00.123456',
      latin: 'Façade',
      doubled: '98',
    });
    expect(stored.at(-1)).toMatchObject({ id: '18446744073709551615' });

    const updates = Array.from({ length: 20 }, (_, i) => ({
      op: 'update' as const,
      key: [String(18446744073709551615n - BigInt(i))],
      values: { qty: 1000 + i },
    }));
    const deletes = Array.from({ length: 10 }, (_, i) => ({ op: 'delete' as const, key: [String(18446744073709551615n - BigInt(40 + i))] }));
    const second = await fx.session.applyChanges(batch([...updates, ...deletes]));
    expect(second.counts).toEqual({ applied: 30, conflict: 0, rejected: 0 });
    expect(second.statements).toBeLessThanOrEqual(5);
    const after = await fx.session.readByKeys({
      schema: fx.schema,
      table: 'items',
      columns: ['qty'],
      keyColumns: ['id'],
      keys: [['18446744073709551615'], ['18446744073709551566']],
    });
    expect(after.rows).toEqual([{ qty: 1000 }]);
  });

  it('rejects the row a unique key refuses and writes the others, with few statements', async () => {
    const changes = Array.from({ length: 16 }, (_, i) => ({
      op: 'insert' as const,
      key: [String(1000 + i)],
      values: { code: i === 11 ? 'c0' : `n${i}`, qty: i },
    }));
    const result = await fx.session.applyChanges(batch(changes));
    expect(result.counts).toEqual({ applied: 15, conflict: 0, rejected: 1 });
    expect(result.outcomes[11]).toEqual({ status: 'rejected', reason: 'unique key "items_code": another row already has this value' });
    // 2 catalog + lock + 1 failed insert + 2 per halving level (16 → 8 → 4 → 2 → 1): about 2 log2(n), never one per row
    expect(result.statements).toBeLessThanOrEqual(12);
  });

  it('checks versions and row hashes, reports conflicts with the current row, and notices retried changes', async () => {
    const read = await fx.session.readByKeys({
      schema: fx.schema,
      table: 'items',
      columns: ['qty'],
      keyColumns: ['id'],
      keys: [['1000'], ['1001']],
      hashColumns: ['qty', 'code'],
    });
    const [h0, h1] = read.hashes as string[];
    const result = await fx.session.applyChanges(
      batch(
        [
          { op: 'update', key: ['1000'], values: { qty: 7 }, expected: { rowHash: h0 as string } },
          { op: 'update', key: ['1001'], values: { qty: 8 }, expected: { rowHash: 'stale' } },
          { op: 'update', key: ['1002'], values: { qty: 9 }, expected: { version: '1' } },
          { op: 'update', key: ['1003'], values: { qty: 9 }, expected: { version: '2' } },
          { op: 'update', key: ['999999'], values: { qty: 1 } },
          { op: 'insert', key: ['1004'], values: { code: 'n4', qty: 4 } },
          { op: 'delete', key: ['424242'] },
        ],
        { hashColumns: ['qty', 'code'], versionColumn: 'version' },
      ),
    );
    expect(result.outcomes[0]).toMatchObject({ status: 'applied', version: '1' });
    expect((result.outcomes[0] as { rowHash?: string }).rowHash).not.toBe(h0);
    expect(result.outcomes[1]).toMatchObject({ status: 'conflict', current: { key: ['1001'], rowHash: h1, version: '1' } });
    expect(result.outcomes[2]).toMatchObject({ status: 'applied' });
    expect(result.outcomes[3]).toMatchObject({ status: 'conflict' });
    expect(result.outcomes[4]).toEqual({ status: 'conflict', current: null });
    expect(result.outcomes[5]).toMatchObject({ status: 'applied', alreadyApplied: true });
    expect(result.outcomes[6]).toEqual({ status: 'applied', alreadyApplied: true });
  });

  it('never writes a generated column and rejects bad values before any SQL', async () => {
    const result = await fx.session.applyChanges(
      batch([
        { op: 'update', key: ['1000'], values: { doubled: 5 } },
        { op: 'update', key: ['1000'], values: { qty: 'many' } },
        { op: 'update', key: ['1005'], values: { at: 'infinity' } },
        { op: 'update', key: ['1006'], values: { latin: 'emoji 😀' } },
      ]),
    );
    expect(result.outcomes[0]).toEqual({ status: 'rejected', reason: 'column "doubled" is generated (GENERATED ALWAYS AS ...): it cannot be written' });
    expect(result.outcomes[1]).toMatchObject({ status: 'rejected', reason: expect.stringContaining('column "qty"') });
    expect(result.outcomes[2]).toMatchObject({ status: 'rejected', reason: expect.stringContaining('no infinity') });
    // A latin1 column cannot hold an emoji: the server refuses it (strict mode), the row alone is rejected.
    expect(result.outcomes[3]).toMatchObject({ status: 'rejected' });
  });

  it('round-trips latin1 text exactly', async () => {
    const text = 'Ærøskøbing ½ § ÿ';
    const result = await fx.session.applyChanges(batch([{ op: 'update', key: ['1007'], values: { latin: text } }]));
    expect(result.counts.applied).toBe(1);
    const read = await fx.session.readByKeys({ schema: fx.schema, table: 'items', columns: ['latin'], keyColumns: ['id'], keys: [['1007']] });
    expect(read.rows).toEqual([{ latin: text }]);
  });

  it('matches keys by the column collation (case-insensitive): one row, one change', async () => {
    await fx.exec(`insert into ci values ('Alpha', 1)`);
    const result = await fx.session.applyChanges({
      schema: fx.schema,
      table: 'ci',
      keyColumns: ['name'],
      changes: [{ op: 'update', key: ['ALPHA'], values: { v: 2 } }],
    });
    expect(result.counts.applied).toBe(1);
    const present = await fx.session.keysPresent({ schema: fx.schema, table: 'ci', keyColumns: ['name'], keys: [['alpha'], ['beta']] });
    expect([...present]).toEqual([0]);
  });

  it('refuses MyISAM tables, views and tables without a key, naming why', async () => {
    await expect(fx.session.checkWritable({ schema: fx.schema, table: 'legacy', keyColumns: ['id'] })).resolves.toEqual({
      writable: false,
      reason: expect.stringMatching(/uses the MyISAM storage engine, which has no transactions/),
    });
    await expect(
      fx.session.applyChanges({ schema: fx.schema, table: 'legacy', keyColumns: ['id'], changes: [{ op: 'insert', key: ['1'], values: { v: 'x' } }] }),
    ).rejects.toThrow(SourceNotWritableError);
    await expect(fx.session.checkWritable({ schema: fx.schema, table: 'items_view', keyColumns: ['id'] })).resolves.toMatchObject({
      writable: false,
      reason: expect.stringContaining('a view'),
    });
    await expect(fx.session.checkWritable({ schema: fx.schema, table: 'nokey', keyColumns: ['id'] })).resolves.toMatchObject({
      writable: false,
      reason: expect.stringContaining('not a unique key'),
    });
    await expect(fx.session.checkWritable({ schema: fx.schema, table: 'items', keyColumns: ['id'] })).resolves.toEqual({ writable: true });
  });
});
