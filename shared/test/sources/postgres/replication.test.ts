import { randomUUID } from 'node:crypto';
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  advanceSlot,
  compareLsn,
  dropReplication,
  ensureReplication,
  lsnDiffBytes,
  peekChanges,
  replicationNames,
  replicationProblems,
  ReplicationSlotBusyError,
  slotStatus,
  type ReplicationNames,
} from '../../../src/sources/postgres/index.ts';
import { createSourceDb, type SourceDb } from '../source-db.ts';

/*
 * Needs a server with wal_level = logical. Slots are cluster-wide and keep WAL: every test drops
 * the slots it made (afterEach), and afterAll drops any left in this database before the database.
 */
const ADMIN_URL = process.env.TEST_REPLICATION_DATABASE_ADMIN_URL ?? process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let src: SourceDb;
let made: ReplicationNames[] = [];

/** Fresh slot/publication names for one test, dropped after it. */
function newNames(): ReplicationNames {
  const names = replicationNames(randomUUID());
  made.push(names);
  return names;
}

let tableCount = 0;
/** A fresh table (name with a space and a quote, to exercise quoting) created by `ddl(quotedName)`. */
async function newTable(ddl: (rel: string) => string): Promise<{ schema: string; name: string; rel: string }> {
  const name = `T ${++tableCount}"x`;
  const rel = `public."${name.replace(/"/g, '""')}"`;
  await src.sql.unsafe(ddl(rel));
  return { schema: 'public', name, rel };
}

const peekAll = (names: ReplicationNames, table: { schema: string; name: string }, keys: string[], afterLsn: string | null = null) =>
  peekChanges(src.sql, names, table, keys, { afterLsn, maxChanges: 100_000 });

beforeAll(async () => {
  src = await createSourceDb('sb_repl', { adminUrl: ADMIN_URL });
});

afterEach(async () => {
  for (const names of made) await dropReplication(src.sql, names);
  made = [];
});

afterAll(async () => {
  if (!src) return;
  await src.sql.unsafe(`select pg_drop_replication_slot(slot_name) from pg_replication_slots where database = current_database() and not active`);
  await src.close();
});

describe('names and LSNs', () => {
  it('derives slot names from definition ids and compares LSNs numerically', () => {
    expect(replicationNames('0F8fAD5b-D9cB-469f-a165-70867728950E')).toEqual({
      slot: 'syncbridge_0f8fad5bd9cb469fa16570867728950e',
      publication: 'syncbridge_0f8fad5bd9cb469fa16570867728950e',
    });
    expect(() => replicationNames('a b')).toThrow(RangeError);
    expect(compareLsn('0/FF', '0/100')).toBe(-1);
    expect(compareLsn('1/0', '0/FFFFFFFF')).toBe(1);
    expect(compareLsn('A/1b', 'a/1B')).toBe(0);
    expect(lsnDiffBytes('1/10', '0/FFFFFFF0')).toBe(0x20);
    expect(lsnDiffBytes('0/10', '0/20')).toBe(-16);
    expect(() => compareLsn('nope', '0/1')).toThrow(RangeError);
  });
});

describe('setup', () => {
  it('creates slot and publication once, then is idempotent; dropReplication removes both', async () => {
    const t = await newTable((rel) => `create table ${rel} (id int primary key, v text)`);
    const other = await newTable((rel) => `create table ${rel} (id int primary key)`);
    const names = newNames();
    expect(await replicationProblems(src.sql, t, ['id'])).toEqual([]);
    const first = await ensureReplication(src.sql, names, t, ['id']);
    expect(first).toMatchObject({ slotCreated: true, publicationCreated: true });
    expect(first.slotLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(await ensureReplication(src.sql, names, t, ['id'])).toEqual({ slotCreated: false, publicationCreated: false, slotLsn: null });
    const status = await slotStatus(src.sql, names);
    expect(status).toMatchObject({ exists: true, active: false, walStatus: 'reserved', publicationExists: true });
    const published = await src.sql.unsafe(`select schemaname, tablename from pg_publication_tables where pubname = $1`, [names.publication]);
    expect(published.map((r) => [r.schemaname, r.tablename])).toEqual([['public', t.name]]);
    const [slot] = await src.sql.unsafe(`select plugin, database = current_database() as here from pg_replication_slots where slot_name = $1`, [names.slot]);
    expect(slot).toEqual({ plugin: 'pgoutput', here: true });

    // A publication of the name that covers other tables is redefined, and the slot made anew with it.
    await src.sql.unsafe(`alter publication "${names.publication}" set table ${other.rel}`);
    expect(await ensureReplication(src.sql, names, t, ['id'])).toMatchObject({ slotCreated: true, publicationCreated: true });
    const again = await src.sql.unsafe(`select tablename from pg_publication_tables where pubname = $1`, [names.publication]);
    expect(again.map((r) => r.tablename)).toEqual([t.name]);

    await dropReplication(src.sql, names);
    expect(await slotStatus(src.sql, names)).toMatchObject({ exists: false, active: false, confirmedLsn: null, lagBytes: 0, publicationExists: false });
    await dropReplication(src.sql, names); // nothing left: a no-op
  });

  it('reports a replica identity that does not cover the key, and accepts FULL or USING INDEX on the key', async () => {
    const t = await newTable((rel) => `create table ${rel} (id int primary key, code text not null unique, v text)`);
    const names = newNames();
    const problems = await replicationProblems(src.sql, t, ['code']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/replica identity on \("id"\).*does not cover the key columns \("code"\).*REPLICA IDENTITY FULL/);
    await expect(ensureReplication(src.sql, names, t, ['code'])).rejects.toThrow(/REPLICA IDENTITY/);
    expect((await slotStatus(src.sql, names)).exists).toBe(false);

    const index = `${t.name}_code_key`.replace(/"/g, '""');
    await src.sql.unsafe(`alter table ${t.rel} replica identity using index "${index}"`);
    expect(await replicationProblems(src.sql, t, ['code'])).toEqual([]);
    await src.sql.unsafe(`alter table ${t.rel} replica identity full`);
    expect(await replicationProblems(src.sql, t, ['code'])).toEqual([]);

    const noPk = await newTable((rel) => `create table ${rel} (a int, b int)`);
    expect(await replicationProblems(src.sql, noPk, ['a'])).toEqual([expect.stringMatching(/has no primary key/)]);
    expect(await replicationProblems(src.sql, { schema: 'public', name: 'missing' }, ['a'])).toEqual([expect.stringMatching(/does not exist/)]);
    expect(await replicationProblems(src.sql, t, ['nope'])).toEqual([expect.stringMatching(/"nope" do not exist/)]);
  });

  it('reports a role that may not create replication slots', async () => {
    const role = `sb_norepl_${randomUUID().slice(0, 8)}`;
    await src.sql.unsafe(`create role ${role} login`);
    const t = await newTable((rel) => `create table ${rel} (id int primary key)`);
    const url = new URL(src.db.url);
    url.username = role;
    const plain = postgres(url.toString(), { max: 1, onnotice: () => {} });
    try {
      expect(await replicationProblems(plain, t, ['id'])).toEqual([expect.stringMatching(new RegExp(`role "${role}" may not create replication slots`))]);
    } finally {
      await plain.end();
      await src.sql.unsafe(`drop role ${role}`);
    }
  });
});

describe('peekChanges', () => {
  it('captures inserts, updates and deletes with the exact key texts of a composite key', async () => {
    const t = await newTable(
      (rel) => `create table ${rel} (at timestamp(6) not null, n numeric not null, "Name" text not null, v text, primary key (at, n, "Name"))`,
    );
    const keys = ['at', 'n', 'Name'];
    await src.sql.unsafe(`insert into ${t.rel} values ('2024-01-02 03:04:05.123456', 0.10, 'base', 'x')`);
    const names = newNames();
    await ensureReplication(src.sql, names, t, keys);
    await src.sql.unsafe(`
      insert into ${t.rel} values ('2024-02-29 23:59:59.999999', 12345678901234567890.000100, 'a ''quoted'' "name"', 'v');
      insert into ${t.rel} values ('1999-12-31 00:00:00.000001', -1.5e-20, '', null);
      update ${t.rel} set v = 'changed' where "Name" = 'base';
      delete from ${t.rel} where "Name" = '';`);
    const batch = await peekAll(names, t, keys);
    expect(batch.rowChanges).toBe(4);
    expect(batch.truncated).toBe(false);
    expect(batch.more).toBe(false);
    expect(batch.changes).toEqual([
      { op: 'upsert', key: ['2024-02-29 23:59:59.999999', '12345678901234567890.000100', 'a \'quoted\' "name"'] },
      { op: 'upsert', key: ['2024-01-02 03:04:05.123456', '0.10', 'base'] },
      { op: 'delete', key: ['1999-12-31 00:00:00.000001', '-0.000000000000000000015', ''] },
    ]);
    // The same texts as the server's own `::text` of the rows still there.
    const texts = await src.sql.unsafe(`select at::text, n::text, "Name"::text from ${t.rel} order by at`);
    expect(texts.map((r) => [r.at, r.n, r.Name])).toEqual(
      batch.changes
        .filter((c) => c.op === 'upsert')
        .map((c) => c.key)
        .sort((a, b) => (a[0] as string).localeCompare(b[0] as string)),
    );
    expect(compareLsn(batch.endLsn as string, (await slotStatus(src.sql, names)).confirmedLsn as string)).toBeGreaterThan(0);
    // Peeking does not consume.
    expect(await peekAll(names, t, keys)).toEqual(batch);
  });

  it('turns a key-changing update into a delete of the old key and an upsert of the new', async () => {
    const t = await newTable((rel) => `create table ${rel} (id bigint primary key, v text)`);
    await src.sql.unsafe(`insert into ${t.rel} values (1, 'a'), (2, 'b')`);
    const names = newNames();
    await ensureReplication(src.sql, names, t, ['id']);
    await src.sql.unsafe(`update ${t.rel} set id = 10 where id = 1`);
    await src.sql.unsafe(`update ${t.rel} set v = 'bb' where id = 2`);
    const batch = await peekAll(names, t, ['id']);
    expect(batch.changes).toEqual([
      { op: 'delete', key: ['1'] },
      { op: 'upsert', key: ['10'] },
      { op: 'upsert', key: ['2'] },
    ]);
    expect(batch.rowChanges).toBe(2);
  });

  it('keeps one net change per key, ordered by its last change, and ignores other tables', async () => {
    const t = await newTable((rel) => `create table ${rel} (id int primary key, v text)`);
    const other = await newTable((rel) => `create table ${rel} (id int primary key)`);
    const names = newNames();
    await ensureReplication(src.sql, names, t, ['id']);
    await src.sql.unsafe(`insert into ${t.rel} values (1, 'a'), (2, 'b'), (3, 'c')`);
    await src.sql.unsafe(`insert into ${other.rel} values (1), (2)`);
    await src.sql.unsafe(`delete from ${t.rel} where id = 1`);
    await src.sql.unsafe(`update ${t.rel} set v = 'x' where id = 2`);
    await src.sql.begin((tx) => tx.unsafe(`insert into ${t.rel} values (4, 'd'); delete from ${t.rel} where id = 4; delete from ${other.rel}`));
    const batch = await peekAll(names, t, ['id']);
    expect(batch.changes).toEqual([
      { op: 'upsert', key: ['3'] },
      { op: 'delete', key: ['1'] },
      { op: 'upsert', key: ['2'] },
      { op: 'delete', key: ['4'] },
    ]);
    expect(batch.rowChanges).toBe(7);
  });

  it('stops at maxChanges after whole transactions, and pages through them with advanceSlot', async () => {
    const t = await newTable((rel) => `create table ${rel} (a int, b text, v int, primary key (a, b))`);
    const names = newNames();
    await ensureReplication(src.sql, names, t, ['a', 'b']);
    for (let x = 0; x < 4; x++) await src.sql.unsafe(`insert into ${t.rel} select ${x}, 'k' || i, i from generate_series(1, 3) i`);
    const first = await peekChanges(src.sql, names, t, ['a', 'b'], { afterLsn: null, maxChanges: 2 });
    expect(first.more).toBe(true);
    expect(first.rowChanges).toBe(3); // the whole first transaction, though longer than maxChanges
    expect(first.changes.map((c) => c.key)).toEqual([
      ['0', 'k1'],
      ['0', 'k2'],
      ['0', 'k3'],
    ]);
    const seen = [...first.changes];
    let cursor = first.endLsn as string;
    await advanceSlot(src.sql, names, cursor);
    for (;;) {
      const batch = await peekChanges(src.sql, names, t, ['a', 'b'], { afterLsn: cursor, maxChanges: 7 });
      if (!batch.endLsn) break;
      expect(batch.rowChanges % 3).toBe(0);
      expect(compareLsn(batch.endLsn, cursor)).toBeGreaterThan(0);
      seen.push(...batch.changes);
      cursor = batch.endLsn;
      await advanceSlot(src.sql, names, cursor);
      if (!batch.more) break;
    }
    expect(seen).toHaveLength(12);
    expect(new Set(seen.map((c) => c.key.join('/'))).size).toBe(12);
    const after = await peekAll(names, t, ['a', 'b']);
    expect(after).toEqual({ changes: [], endLsn: null, rowChanges: 0, more: false, truncated: false });
  });

  it('skips transactions at or before afterLsn (applied, slot not yet advanced), and reports their end', async () => {
    const t = await newTable((rel) => `create table ${rel} (id int primary key)`);
    const names = newNames();
    await ensureReplication(src.sql, names, t, ['id']);
    await src.sql.unsafe(`insert into ${t.rel} values (1)`);
    await src.sql.unsafe(`insert into ${t.rel} values (2)`);
    const applied = await peekChanges(src.sql, names, t, ['id'], { afterLsn: null, maxChanges: 1 });
    expect(applied.changes).toEqual([{ op: 'upsert', key: ['1'] }]);
    // Crash here: the cursor was stored, the slot not advanced.
    const next = await peekAll(names, t, ['id'], applied.endLsn);
    expect(next.changes).toEqual([{ op: 'upsert', key: ['2'] }]);
    expect(next.rowChanges).toBe(1);
    const none = await peekAll(names, t, ['id'], next.endLsn);
    expect(none).toMatchObject({ changes: [], rowChanges: 0, endLsn: next.endLsn });
  });

  it('advanceSlot consumes, is a no-op for an older LSN, and slotStatus numbers move', async () => {
    const t = await newTable((rel) => `create table ${rel} (id int primary key, pad text)`);
    const names = newNames();
    await ensureReplication(src.sql, names, t, ['id']);
    const before = await slotStatus(src.sql, names);
    await src.sql.unsafe(`insert into ${t.rel} select i, repeat('x', 200) from generate_series(1, 2000) i`);
    const written = await slotStatus(src.sql, names);
    expect(written.lagBytes).toBeGreaterThan(before.lagBytes + 2000 * 200);
    expect(written.retainedBytes).toBeGreaterThan(before.retainedBytes + 2000 * 200);
    expect(written.retainedBytes).toBeGreaterThanOrEqual(written.lagBytes);
    expect(lsnDiffBytes(written.currentLsn, written.confirmedLsn as string)).toBe(written.lagBytes);

    const batch = await peekAll(names, t, ['id']);
    expect(batch.changes).toHaveLength(2000);
    await advanceSlot(src.sql, names, batch.endLsn as string);
    const advanced = await slotStatus(src.sql, names);
    expect(advanced.confirmedLsn).toBe(batch.endLsn);
    expect(advanced.lagBytes).toBeLessThan(written.lagBytes);
    expect(await peekAll(names, t, ['id'])).toMatchObject({ changes: [], endLsn: null, rowChanges: 0 });
    await advanceSlot(src.sql, names, before.confirmedLsn as string); // behind the slot: nothing happens
    expect((await slotStatus(src.sql, names)).confirmedLsn).toBe(batch.endLsn);
  });

  it('reports a TRUNCATE of the table', async () => {
    const t = await newTable((rel) => `create table ${rel} (id int primary key)`);
    const other = await newTable((rel) => `create table ${rel} (id int primary key)`);
    const names = newNames();
    await ensureReplication(src.sql, names, t, ['id']);
    await src.sql.unsafe(`truncate ${other.rel}`);
    expect((await peekAll(names, t, ['id'])).truncated).toBe(false);
    await src.sql.unsafe(`insert into ${t.rel} values (1)`);
    await src.sql.unsafe(`truncate ${t.rel}`);
    await src.sql.unsafe(`insert into ${t.rel} values (2)`);
    const batch = await peekAll(names, t, ['id']);
    expect(batch.truncated).toBe(true);
    expect(batch.changes).toEqual([
      { op: 'upsert', key: ['1'] },
      { op: 'upsert', key: ['2'] },
    ]);
  });

  it('throws when the replica identity no longer covers the key', async () => {
    const t = await newTable((rel) => `create table ${rel} (id int primary key, code text not null unique)`);
    await src.sql.unsafe(`alter table ${t.rel} replica identity full; insert into ${t.rel} values (1, 'a'), (2, 'b')`);
    const names = newNames();
    await ensureReplication(src.sql, names, t, ['code']);
    await src.sql.unsafe(`alter table ${t.rel} replica identity default; delete from ${t.rel} where id = 1`);
    await expect(peekAll(names, t, ['code'])).rejects.toThrow(/replica identity .*does not cover the key columns \("code"\)/);
  });

  it('captures a partitioned table through its root', async () => {
    const t = await newTable((rel) => `create table ${rel} (id int, day date, primary key (id, day)) partition by range (day)`);
    await src.sql.unsafe(`create table part_a partition of ${t.rel} for values from ('2024-01-01') to ('2024-07-01');
      create table part_b partition of ${t.rel} for values from ('2024-07-01') to ('2025-01-01')`);
    const names = newNames();
    await ensureReplication(src.sql, names, t, ['id', 'day']);
    await src.sql.unsafe(`insert into ${t.rel} values (1, '2024-02-01'), (2, '2024-08-01'); update ${t.rel} set day = '2024-09-01' where id = 1`);
    const batch = await peekAll(names, t, ['id', 'day']);
    expect(batch.changes).toEqual([
      { op: 'upsert', key: ['2', '2024-08-01'] },
      { op: 'delete', key: ['1', '2024-02-01'] },
      { op: 'upsert', key: ['1', '2024-09-01'] },
    ]);
  });
});

describe('a slot held by another session', () => {
  it('peek, advance and drop wait briefly, then throw ReplicationSlotBusyError; they succeed once it is released', async () => {
    const t = await newTable((rel) => `create table ${rel} (id int primary key)`);
    const names = newNames();
    await ensureReplication(src.sql, names, t, ['id']);
    await src.sql.unsafe(`insert into ${t.rel} values (1)`);
    const url = new URL(src.db.url);
    // A walsender streaming from the slot holds it for as long as it runs; it never acknowledges, so it consumes nothing.
    const holder = new LogicalReplicationService(
      { host: url.hostname, port: Number(url.port || 5432), user: decodeURIComponent(url.username), database: url.pathname.slice(1) },
      { acknowledge: { auto: false, timeoutSeconds: 0 } },
    );
    holder.on('error', () => {});
    const streaming = holder.subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: [names.publication] }), names.slot).catch(() => {});
    try {
      for (let i = 0; i < 100 && !(await slotStatus(src.sql, names)).active; i++) await new Promise((r) => setTimeout(r, 50));
      expect((await slotStatus(src.sql, names)).active).toBe(true);

      await expect(peekAll(names, t, ['id'])).rejects.toBeInstanceOf(ReplicationSlotBusyError);
      await expect(advanceSlot(src.sql, names, (await slotStatus(src.sql, names)).currentLsn)).rejects.toBeInstanceOf(ReplicationSlotBusyError);
      await expect(dropReplication(src.sql, names)).rejects.toThrow(/in use by another session/);

      // Released within the retries: the peek succeeds.
      const peek = peekAll(names, t, ['id']);
      setTimeout(() => void holder.stop(), 300);
      expect((await peek).changes).toEqual([{ op: 'upsert', key: ['1'] }]);
    } finally {
      await holder.destroy();
      await streaming;
    }
  }, 30_000);
});
