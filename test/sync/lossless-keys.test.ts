import type postgres from 'postgres';
import { decodeSourceKey } from '@syncbridge/shared/mapping';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestStack } from '../harness/stack.ts';
import { startSyncFixture, type SyncFixture } from '../harness/sync-fixture.ts';
import { defineSync, listItems, runPush, type EmulatorItem } from '../harness/sync.ts';

/*
 * Issue 14: keys that hold timestamps with microseconds (or padded char(n)) must never make
 * the delete sweep remove live items. A partitioned table keyed (timestamptz, integer), a table
 * keyed by a single timestamptz whose values differ only in microseconds, and a char(n) key:
 * first push, sweep, incremental run, full pass: nothing deleted, list == table, one key per row.
 */

const keyOf = (i: EmulatorItem) => i.fields.SyncBridgeKey as string;

describe('lossless keys end to end (HTTP API -> Temporal -> PostgreSQL -> Graph emulator)', () => {
  let fx: SyncFixture;
  let stack: TestStack;
  let sql: postgres.Sql;
  let reg: SyncFixture['reg'];

  /** The table's keys as the source prints them, to compare with what the list holds. */
  async function expectListEqualsTable(listId: string, keySql: string, count: number) {
    const items = await listItems(stack, listId);
    const keys = items.map(keyOf);
    expect(new Set(keys).size, 'no key is shared by two items').toBe(keys.length);
    expect(items).toHaveLength(count);
    const rows = await sql.unsafe<Array<{ k: string[] }>>(keySql);
    const fromList = new Set(keys.map((k) => JSON.stringify(decodeSourceKey(k))));
    const fromTable = new Set(rows.map((r) => JSON.stringify(r.k)));
    expect(fromList).toEqual(fromTable);
    return items;
  }

  beforeAll(async () => {
    fx = await startSyncFixture(
      'sb_lossless',
      `
      set timezone = 'UTC';
      create table payment (
        payment_id integer not null,
        payment_date timestamptz not null,
        amount numeric(8,2) not null,
        last_update timestamptz not null,
        primary key (payment_date, payment_id)
      ) partition by range (payment_date);
      create table payment_p2022_01 partition of payment for values from ('2022-01-01') to ('2022-02-01');
      create table payment_p2022_02 partition of payment for values from ('2022-02-01') to ('2022-03-01');
      create table payment_default partition of payment default;
      insert into payment
        select g, timestamptz '2022-01-01 00:00:00+00' + g * interval '37 minutes 12.90327 seconds', (g % 50) + 0.99,
               timestamptz '2022-03-01 00:00:00+00' + g * interval '1.000001 seconds'
        from generate_series(1, 2400) g;

      create table reading (at timestamptz primary key, value integer not null, last_update timestamptz not null default now());
      insert into reading
        select timestamptz '2022-02-16 09:12:58.903+00' + g * interval '1 microsecond', g, timestamptz '2024-01-01 00:00:00+00'
        from generate_series(0, 299) g;

      create table code (code char(6) primary key, label text not null);
      insert into code select lpad(g::text, 3, 'x'), 'label ' || g from generate_series(1, 150) g;
    `,
    );
    ({ stack, sql, reg } = fx);
  });
  afterAll(() => fx?.close());

  it('pushes a partitioned table keyed (timestamptz with microseconds, integer): sweep and incremental runs delete nothing', async () => {
    const { definitionId, listId } = await defineSync(stack, reg, {
      name: 'payments',
      table: 'payment',
      keyStrategy: 'pk',
      keyColumns: ['payment_date', 'payment_id'],
      cursorColumn: 'last_update',
      batchSize: 500,
    });
    const keySql = `select array[to_char(payment_date at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') , payment_id::text] as k from payment`;
    const first = await runPush(stack, definitionId);
    expect(first.status, JSON.stringify(first.errors)).toBe('succeeded');
    expect(first.counts).toMatchObject({ created: 2400, deleted: 0, quarantined: 0 });
    // ISO 8601 with every fractional digit; trailing zeros are trimmed, as to_char does not.
    const norm = (s: string) => `${s.replace(/\.?0+$/, '')}Z`;
    const items = await listItems(stack, listId);
    const expected = new Set((await sql.unsafe<Array<{ k: string[] }>>(keySql)).map((r) => JSON.stringify([norm(r.k[0]!), r.k[1]])));
    expect(new Set(items.map((i) => JSON.stringify(decodeSourceKey(keyOf(i)))))).toEqual(expected);
    expect(new Set(items.map(keyOf)).size).toBe(2400);
    // Title is the readable canonical key, never JavaScript's Date.toString().
    const sample = items.find((i) => (decodeSourceKey(keyOf(i))[1] as string) === '1')!;
    expect(sample.fields.Title).toBe('2022-01-01T00:37:12.90327Z / 1');

    await sql`update payment set amount = amount + 1, last_update = now() where payment_id in (5, 1500)`;
    const incremental = await runPush(stack, definitionId);
    expect(incremental.counts).toMatchObject({ updated: 2, deleted: 0, created: 0 });
    const full = await runPush(stack, definitionId, { fullResync: true });
    expect(full.counts).toMatchObject({ read: 2400, updated: 0, created: 0, deleted: 0 });
    expect(await listItems(stack, listId)).toHaveLength(2400);

    // A real delete at the source is still found, through the lossless key.
    await sql`delete from payment where payment_id = 77`;
    const afterDelete = await runPush(stack, definitionId);
    expect(afterDelete.counts).toMatchObject({ deleted: 1 });
    expect(await listItems(stack, listId)).toHaveLength(2399);
  });

  it('keeps rows whose single timestamptz key differs only in microseconds apart', async () => {
    const { definitionId, listId } = await defineSync(stack, reg, {
      name: 'readings',
      table: 'reading',
      keyStrategy: 'pk',
      keyColumns: ['at'],
      cursorColumn: 'last_update',
      batchSize: 100,
    });
    const first = await runPush(stack, definitionId);
    expect(first.counts).toMatchObject({ read: 300, created: 300, deleted: 0 });
    const keySql = `select array[to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || 'Z'] as k from reading`;
    const items = await listItems(stack, listId);
    expect(new Set(items.map(keyOf)).size).toBe(300);
    const strip = (k: string) => k.replace(/\.?0+Z$/, 'Z');
    expect(new Set(items.map((i) => decodeSourceKey(keyOf(i))[0]))).toEqual(
      new Set((await sql.unsafe<Array<{ k: string[] }>>(keySql)).map((r) => strip(r.k[0]!))),
    );
    const again = await runPush(stack, definitionId, { fullResync: true });
    expect(again.counts).toMatchObject({ read: 300, deleted: 0, created: 0, updated: 0 });
    expect(await listItems(stack, listId)).toHaveLength(300);
  });

  it('keys char(n) rows by their value, not their padding: the sweep deletes nothing', async () => {
    const { definitionId, listId } = await defineSync(stack, reg, { name: 'codes', table: 'code', keyStrategy: 'pk', keyColumns: ['code'], batchSize: 100 });
    const first = await runPush(stack, definitionId);
    expect(first.counts).toMatchObject({ created: 150, deleted: 0 });
    const second = await runPush(stack, definitionId);
    expect(second.counts).toMatchObject({ read: 150, unchanged: 150, deleted: 0 });
    await expectListEqualsTable(listId, `select array[code::text] as k from code`, 150);
  });
});
