import type postgres from 'postgres';
import { decodeSourceKey, encodeSourceKey } from '@syncbridge/shared/mapping';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestStack } from '../harness/stack.ts';
import { startSyncFixture, type SyncFixture } from '../harness/sync-fixture.ts';
import { apiJson, defineSync, listItems, runPush, type EmulatorItem } from '../harness/sync.ts';

/*
 * Issue 14, recovery for users already hit: version 0.1 keyed timestamps with milliseconds
 * only (PostgreSQL's text of a truncated JS Date) and char(n) with its blanks, and its sweep
 * deleted live items. The state it left is rebuilt here as it was: items and ledger entries
 * under the old keys for the rows that survived, none for the rows whose items it deleted,
 * a stale entry for a row really deleted, and a cursor from the old version. The next run
 * must re-create what was lost, re-key what survived, and leave exactly one item per row.
 */

const keyOf = (i: EmulatorItem) => i.fields.SyncBridgeKey as string;

describe('recovery from the 0.1 key format (HTTP API -> Temporal -> PostgreSQL -> Graph emulator)', () => {
  let fx: SyncFixture;
  let stack: TestStack;
  let sql: postgres.Sql;
  let reg: SyncFixture['reg'];

  beforeAll(async () => {
    fx = await startSyncFixture(
      'sb_recover',
      `
      create table payment (payment_id integer not null, payment_date timestamptz not null, amount numeric(8,2) not null,
        last_update timestamptz not null default '2024-01-01 00:00:00+00', primary key (payment_date, payment_id));
      insert into payment (payment_id, payment_date, amount)
        select g, timestamptz '2022-01-01 00:00:00+00' + g * interval '37 minutes 12.90327 seconds', 10 from generate_series(1, 200) g;
      -- two rows in the same millisecond: 0.1 gave them one key, so one item
      insert into payment (payment_id, payment_date, amount) values (5001, '2022-06-01 10:00:00.123001+00', 1), (5001, '2022-06-01 10:00:00.123002+00', 2);
      create table code (code char(6) primary key, label text not null);
      insert into code select 'c' || g, 'label ' || g from generate_series(1, 40) g;
    `,
    );
    ({ stack, sql, reg } = fx);
  });
  afterAll(() => fx?.close());

  /** Puts items and ledger entries in the list and the meta-store the way 0.1 left them. */
  async function seedLegacyState(definitionId: string, listId: string, entries: Array<{ legacyKey: string; fields: Record<string, unknown> }>) {
    const res = await fetch(`${stack.emulator!.adminUrl}/lists/${listId}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        items: entries.map((e) => ({
          fields: { SyncBridgeKey: e.legacyKey, Title: 'Sun Jan 23 2022 13:03:52 GMT+0000 (Coordinated Universal Time)', ...e.fields },
        })),
      }),
    });
    expect(res.status).toBeLessThan(300);
    const { ids } = (await res.json()) as { ids: string[] };
    const [target] = await stack.store.sql<Array<{ id: string }>>`select id from sync_targets where definition_id = ${definitionId}`;
    for (const [i, e] of entries.entries()) {
      await stack.store.sql`insert into sync_ledger (definition_id, source_key, target_id, list_item_id, content_hash, provenance)
        values (${definitionId}, ${e.legacyKey}, ${target!.id}, ${ids[i]!}, 'written-by-0.1', 'push')`;
    }
    // The cursor 0.1 kept: its fingerprint did not know the key encoding.
    await stack.store.sql`insert into sync_cursors (definition_id, kind, value)
      values (${definitionId}, 'source_watermark', ${JSON.stringify({ watermark: '2024-01-01 00:00:00+00', key: null, mappingFingerprint: 'fingerprint-of-0.1' })}::jsonb)`;
  }

  it('re-creates the items the faulty sweep deleted, re-keys the survivors, removes real deletions, duplicates nothing', async () => {
    const { definitionId, listId } = await defineSync(stack, reg, {
      name: 'payments',
      table: 'payment',
      keyStrategy: 'pk',
      keyColumns: ['payment_date', 'payment_id'],
      cursorColumn: 'last_update',
    });
    // 0.1's key text for these timestamps, computed by PostgreSQL: milliseconds, PostgreSQL's own format.
    const rows = await sql<Array<{ payment_id: number; legacy: string }>>`
      select payment_id, regexp_replace(to_char(payment_date at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'), '\\.?0+$', '') || '+00' as legacy from payment`;
    const legacyKeys = new Map<string, number>();
    for (const r of rows) legacyKeys.set(encodeSourceKey([r.legacy, String(r.payment_id)]), r.payment_id);
    expect(legacyKeys.size).toBe(rows.length - 1); // the two rows of one millisecond shared a key
    // Every fifth row lost its item to the faulty sweep; a row deleted at the source left a stale item.
    const survivors = [...legacyKeys].filter(([, id]) => id % 5 !== 0).map(([legacyKey]) => ({ legacyKey, fields: {} }));
    const stale = encodeSourceKey(['2021-12-31 23:59:59.5+00', '999999']);
    await seedLegacyState(definitionId, listId, [...survivors, { legacyKey: stale, fields: {} }]);

    const run = await runPush(stack, definitionId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    const lost = rows.length - survivors.length;
    expect(run.counts).toMatchObject({ read: rows.length, updated: survivors.length, created: lost, deleted: 1 });

    const items = await listItems(stack, listId);
    expect(items).toHaveLength(rows.length);
    const keys = items.map(keyOf);
    expect(new Set(keys).size).toBe(rows.length);
    for (const k of keys) expect(decodeSourceKey(k)[0]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect(keys).not.toContain(stale);
    expect(items.every((i) => !String(i.fields.Title).includes('GMT'))).toBe(true);
    const ledger = await stack.store.sql<Array<{ source_key: string }>>`select source_key from sync_ledger where definition_id = ${definitionId}`;
    expect(new Set(ledger.map((l) => l.source_key))).toEqual(new Set(keys));
    const rekeyed = await stack.store.sql<
      Array<{ n: number }>
    >`select count(*)::int as n from ledger_events where definition_id = ${definitionId} and detail ? 'rekeyedFrom'`;
    expect(rekeyed[0]!.n).toBe(survivors.length);

    const quiet = await runPush(stack, definitionId, { fullResync: true });
    expect(quiet.counts).toMatchObject({ read: rows.length, created: 0, updated: 0, deleted: 0 });
  });

  it('re-keys char(n) items that 0.1 keyed with their blanks, without re-creating them', async () => {
    const { definitionId, listId } = await defineSync(stack, reg, { name: 'codes', table: 'code', keyStrategy: 'pk', keyColumns: ['code'] });
    const codes = await sql<Array<{ code: string }>>`select code::text as code from code`;
    await seedLegacyState(
      definitionId,
      listId,
      codes.map((c) => ({ legacyKey: encodeSourceKey([c.code.padEnd(6, ' ')]), fields: {} })),
    );
    const run = await runPush(stack, definitionId);
    expect(run.counts).toMatchObject({ updated: 40, created: 0, deleted: 0 });
    const items = await listItems(stack, listId);
    expect(items).toHaveLength(40);
    expect(new Set(items.map((i) => decodeSourceKey(keyOf(i))[0]))).toEqual(new Set(codes.map((c) => c.code)));
  });

  it('moves the legacy entry of a row it cannot write now to the lossless key, without a Graph write; the fixed row updates that item', async () => {
    // m1 writes as usual; m2's body is longer than its note column takes (quarantined now); m3's legacy entry lost its
    // list (the target's removal cleared target_id), so m3 is created and its entry taken over.
    await sql`create table memo (code char(8) primary key, body text not null)`;
    await sql`insert into memo values ('m1', 'short'), ('m2', ${'x'.repeat(64_000)}), ('m3', 'short too')`;
    const { definitionId, listId } = await defineSync(stack, reg, { name: 'memos', table: 'memo', keyStrategy: 'pk', keyColumns: ['code'] });
    const lossless = (code: string) => encodeSourceKey([code]);
    const legacy = (code: string) => encodeSourceKey([code.padEnd(8, ' ')]);
    await seedLegacyState(definitionId, listId, [
      { legacyKey: legacy('m1'), fields: {} },
      { legacyKey: legacy('m2'), fields: {} },
    ]);
    await stack.store.sql`insert into sync_ledger (definition_id, source_key, target_id, list_item_id, content_hash, provenance)
      values (${definitionId}, ${legacy('m3')}, null, '424242', 'written-by-0.1', 'push')`;
    const seeded = await listItems(stack, listId);
    const m2Item = seeded.find((i) => keyOf(i) === legacy('m2'))!;
    const [target] = await stack.store.sql<Array<{ id: string }>>`select id from sync_targets where definition_id = ${definitionId}`;
    const ledger = async () =>
      new Map(
        (
          await stack.store.sql<Array<{ source_key: string; target_id: string | null; list_item_id: string | null; content_hash: string }>>`
            select source_key, target_id, list_item_id, content_hash from sync_ledger where definition_id = ${definitionId}`
        ).map((e) => [e.source_key, e]),
      );
    const quarantine = async () =>
      (await apiJson<{ items: Array<{ sourceKey: string; reason: string }> }>(stack, `/v1/sync-definitions/${definitionId}/quarantine`)).items;

    const run = await runPush(stack, definitionId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    expect(run.counts).toMatchObject({ read: 3, updated: 1, created: 1, quarantined: 1, deleted: 0 });
    const after = await ledger();
    expect([...after.keys()].sort()).toEqual([lossless('m1'), lossless('m2'), lossless('m3')].sort());
    // m2's entry moved to the lossless key as it was: same list item, and the hash 0.1 wrote (nothing was written).
    expect(after.get(lossless('m2'))).toMatchObject({ target_id: target!.id, list_item_id: m2Item.id, content_hash: 'written-by-0.1' });
    // Its item untouched (eTag, modification time, the legacy key it carries), none created or deleted for it.
    const items = await listItems(stack, listId);
    expect(items).toHaveLength(3);
    expect(items.find((i) => i.id === m2Item.id)).toEqual(m2Item);
    expect(items.filter((i) => [legacy('m2'), lossless('m2')].includes(keyOf(i)))).toEqual([m2Item]);
    expect(await quarantine()).toEqual([
      expect.objectContaining({
        sourceKey: lossless('m2'),
        reason: expect.stringMatching(/body: value is 64000 characters long, the note column \w+ allows 63999$/),
        detail: { column: 'body' },
      }),
    ]);
    // m3: created, its entry (taken over from the legacy key) points at the new item.
    const m3Item = items.find((i) => keyOf(i) === lossless('m3'))!;
    expect(after.get(lossless('m3'))).toMatchObject({ target_id: target!.id, list_item_id: m3Item.id });
    expect(items.find((i) => i.id === seeded.find((s) => keyOf(s) === legacy('m1'))!.id)!.fields.SyncBridgeKey).toBe(lossless('m1'));

    // Fixed at the source, m2 is written to the item its entry kept, under its lossless key; its quarantine entry is resolved.
    await sql`update memo set body = 'fixed' where code = 'm2'`;
    const fixed = await runPush(stack, definitionId);
    expect(fixed.status, JSON.stringify(fixed.errors)).toBe('succeeded');
    expect(fixed.counts).toMatchObject({ read: 3, updated: 1, created: 0, deleted: 0 });
    expect(fixed.counts.quarantined ?? 0).toBe(0);
    const final = await listItems(stack, listId);
    expect(final).toHaveLength(3);
    expect(keyOf(final.find((i) => i.id === m2Item.id)!)).toBe(lossless('m2'));
    expect((await ledger()).get(lossless('m2'))).toMatchObject({ list_item_id: m2Item.id });
    expect(await quarantine()).toEqual([]);
  });

  it('gives two rows that shared a legacy key one item each when they fall on two pages written back to back', async () => {
    // Key order puts the two rows of one millisecond 25th and 26th: the last row of the first page (25 rows) and the
    // first of the second, which is planned while the first is written. The second may plan only after the first
    // has taken the legacy entry over (activities/src/push/pipeline.ts), else both would take it and share one item.
    await sql`create table pay_edge (payment_id integer not null, payment_date timestamptz not null, amount numeric(8,2) not null,
      primary key (payment_date, payment_id))`;
    await sql`insert into pay_edge select g, timestamptz '2022-01-01 00:00:00+00' + g * interval '1 second', 1 from generate_series(1, 24) g`;
    await sql`insert into pay_edge values (7001, '2022-02-01 10:00:00.123001+00', 2), (7001, '2022-02-01 10:00:00.123002+00', 3)`;
    await sql`insert into pay_edge select g, timestamptz '2022-03-01 00:00:00+00' + g * interval '1 second', 4 from generate_series(100, 149) g`;
    const { definitionId, listId } = await defineSync(stack, reg, {
      name: 'pay_edge',
      table: 'pay_edge',
      keyStrategy: 'pk',
      keyColumns: ['payment_date', 'payment_id'],
    });
    const [shared] = await sql<Array<{ legacy: string }>>`
      select distinct regexp_replace(to_char(payment_date at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'), '\.?0+$', '') || '+00' as legacy
      from pay_edge where payment_id = 7001`;
    await seedLegacyState(definitionId, listId, [{ legacyKey: encodeSourceKey([shared!.legacy, '7001']), fields: {} }]);

    const run = await runPush(stack, definitionId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    // One row takes the legacy item over, the other gets an item of its own.
    expect(run.counts).toMatchObject({ read: 76, updated: 1, created: 75, deleted: 0 });
    const items = await listItems(stack, listId);
    expect(items).toHaveLength(76);
    expect(new Set(items.map(keyOf)).size).toBe(76);
    const ledger = await stack.store.sql<Array<{ list_item_id: string }>>`select list_item_id from sync_ledger where definition_id = ${definitionId}`;
    expect(ledger).toHaveLength(76);
    expect(new Set(ledger.map((l) => l.list_item_id)).size).toBe(76);
  });
});
