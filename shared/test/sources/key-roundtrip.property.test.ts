import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSourceKey, encodeSourceKey } from '../../src/mapping/keys.ts';
import { createSourceDb, type SourceDb } from './source-db.ts';

/*
 * Through the connector's session (the interface every engine implements), PostgreSQL's types.
 * Keys must be lossless (a key that loses precision makes the delete sweep remove live
 * items). For every keyable type, and composites of them: random values, including ones
 * that differ only beyond millisecond precision, numerics beyond double precision and
 * bigints beyond 2^53, are inserted into a real table; then for every row
 * row -> key -> encoded -> decoded -> read by keys returns exactly that row, the key is
 * found present, and no two rows share an encoded key.
 */

const SEED = Number(process.env.KEY_PROPERTY_SEED ?? 20261130);
const RUNS = Number(process.env.KEY_PROPERTY_RUNS ?? 25);

const pad = (n: number | bigint, w = 2) => String(n).padStart(w, '0');
/** PostgreSQL text cannot hold NUL. */
const NUL = String.fromCharCode(0);
const MIN_MS = new Date('0001-01-01T00:00:00Z').getTime();
const MAX_MS = new Date('9999-12-31T23:59:59Z').getTime();

/** A timestamp with microseconds as text; clusters of values share the millisecond. */
const micros = fc.tuple(fc.integer({ min: MIN_MS, max: MAX_MS }), fc.integer({ min: 0, max: 999 }), fc.constantFrom(0, 1, 2, 999));
const timestampText = (withZone: boolean) =>
  micros.chain(([ms, us, near]) =>
    fc.constantFrom('+00', '+05:30', '-08', 'Z').map((zone) => {
      const d = new Date(ms);
      const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}${pad(near === 0 ? us : near, 3)}`;
      return withZone ? `${base}${zone}` : base;
    }),
  );
const dateText = fc.oneof(
  fc.integer({ min: MIN_MS, max: MAX_MS }).map((ms) => new Date(ms).toISOString().slice(0, 10)),
  fc.constantFrom('0044-03-15 BC', 'infinity', '-infinity', '1900-01-01', '2000-02-29'),
);
const timeText = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 999_999 }))
  .map(([h, m, s, us]) => `${pad(h)}:${pad(m)}:${pad(s)}.${pad(us, 6)}`);
const numericText = fc.oneof(
  fc.tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: 0, max: 12 }), fc.constantFrom('', '0', '00')).map(([n, scale, zeros]) => {
    const digits = (n < 0n ? -n : n).toString().padStart(scale + 1, '0');
    const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}${zeros}` : digits;
    return n < 0n ? `-${text}` : text;
  }),
  fc.constantFrom('NaN', '0.1', '0.10', '9007199254740993', '-0'),
);
const safeText = (maxLength: number) => fc.string({ unit: 'binary', maxLength }).map((s) => s.replaceAll(NUL, ''));
const hexBytes = fc.uint8Array({ maxLength: 16 }).map((b) => `\\x${Buffer.from(b).toString('hex')}`);

interface KeyType {
  name: string;
  /** Column type in DDL. */
  sql: string;
  values: fc.Arbitrary<string>;
}

const TYPES: KeyType[] = [
  { name: 'smallint', sql: 'smallint', values: fc.integer({ min: -32768, max: 32767 }).map(String) },
  { name: 'integer', sql: 'integer', values: fc.integer().map(String) },
  { name: 'bigint', sql: 'bigint', values: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String) },
  { name: 'numeric', sql: 'numeric', values: numericText },
  { name: 'text', sql: 'text', values: safeText(12) },
  { name: 'varchar', sql: 'varchar(20)', values: safeText(20) },
  { name: 'char', sql: 'char(8)', values: fc.string({ maxLength: 6 }).map((s) => `${s.replaceAll(NUL, '')}  `.slice(0, 8)) },
  { name: 'citext', sql: 'citext', values: fc.string({ maxLength: 8 }).map((s) => s.replaceAll(NUL, '')) },
  { name: 'uuid', sql: 'uuid', values: fc.uuid().map((u) => (u.charCodeAt(0) % 2 ? u.toUpperCase() : u)) },
  { name: 'bytea', sql: 'bytea', values: hexBytes },
  { name: 'boolean', sql: 'boolean', values: fc.constantFrom('true', 'false') },
  { name: 'date', sql: 'date', values: dateText },
  { name: 'timestamp', sql: 'timestamp', values: fc.oneof(timestampText(false), fc.constantFrom('infinity', '2020-01-01 00:00:00')) },
  { name: 'timestamptz', sql: 'timestamptz', values: timestampText(true) },
  { name: 'time', sql: 'time', values: timeText },
  { name: 'timetz', sql: 'timetz', values: fc.tuple(timeText, fc.constantFrom('+00', '+05:30', '-08')).map(([t, z]) => `${t}${z}`) },
  {
    name: 'interval',
    sql: 'interval',
    values: fc.tuple(fc.integer({ min: -400, max: 400 }), fc.integer({ min: 0, max: 86_399_999 })).map(([d, ms]) => `${d} days ${ms / 1000} seconds`),
  },
  { name: 'enum', sql: 'mood', values: fc.constantFrom('sad', 'ok', 'Happy Days', "o'clock", 'naïve ✓') },
  { name: 'domain_text', sql: 'short_code', values: safeText(10) },
  { name: 'domain_ts', sql: 'event_time', values: timestampText(true) },
  { name: 'domain_int', sql: 'positive_int', values: fc.integer({ min: 1 }).map(String) },
];

const COMPOSITES: KeyType[][] = [
  [TYPES.find((t) => t.name === 'timestamptz')!, TYPES.find((t) => t.name === 'integer')!],
  [TYPES.find((t) => t.name === 'char')!, TYPES.find((t) => t.name === 'numeric')!, TYPES.find((t) => t.name === 'uuid')!],
  [TYPES.find((t) => t.name === 'timestamp')!, TYPES.find((t) => t.name === 'text')!],
  [TYPES.find((t) => t.name === 'date')!, TYPES.find((t) => t.name === 'bigint')!, TYPES.find((t) => t.name === 'bytea')!],
];

let src: SourceDb;

beforeAll(async () => {
  src = await createSourceDb('sb_keyprop');
  await src.sql.unsafe(`
    create extension if not exists citext;
    create type mood as enum ('sad', 'ok', 'Happy Days', 'o''clock', 'naïve ✓');
    create domain short_code as varchar(10);
    create domain event_time as timestamptz;
    create domain positive_int as integer check (value > 0);
  `);
});

afterAll(async () => {
  await src?.close();
});

/** Creates the table, inserts the generated keys (duplicates by the type's own equality are dropped). */
async function loadTable(table: string, types: KeyType[], rows: string[][]): Promise<void> {
  const cols = types.map((t, i) => `k${i} ${t.sql} not null`).join(', ');
  await src.sql.unsafe(
    `drop table if exists ${table}; create table ${table} (${cols}, payload int not null, at timestamptz not null, primary key (${types.map((_, i) => `k${i}`).join(', ')}))`,
  );
  const arrays = types.map((t, i) => `$${i + 1}::text[]::${t.sql}[]`);
  const params = [...types.map((_, i) => rows.map((r) => r[i] as string)), rows.map((_, j) => j)];
  await src.sql.unsafe(
    `insert into ${table} select u.*, '2024-01-01 00:00:00.000001+00'::timestamptz + (u.payload % 3) * interval '1 microsecond'
     from unnest(${arrays.join(', ')}, $${types.length + 1}::int[]) u(${types.map((_, i) => `k${i}`).join(', ')}, payload) on conflict do nothing`,
    params as never[],
  );
}

async function checkRoundTrip(table: string, types: KeyType[]): Promise<void> {
  const keyColumns = types.map((_, i) => `k${i}`);
  const ref = { schema: 'public', table };
  const { rows, keys } = await src.session.readByKey({ ...ref, columns: ['payload'], keyColumns, afterKey: null, limit: 50_000 });
  const [{ n }] = (await src.sql.unsafe(`select count(*)::int as n from ${table}`)) as unknown as [{ n: number }];
  expect(rows).toHaveLength(n);

  // No two rows share a key (encoded as stored in the ledger and the list).
  const encoded = keys.map((k) => encodeSourceKey(k));
  expect(new Set(encoded).size).toBe(encoded.length);

  // Every key, through the ledger's encoding, reads back exactly its own row.
  const decoded = encoded.map((e) => decodeSourceKey(e) as string[]);
  const back = await src.session.readByKeys({ ...ref, columns: ['payload'], keyColumns, keys: decoded });
  expect(back.rows.map((r) => r.payload).sort()).toEqual(rows.map((r) => r.payload).sort());
  const backByKey = new Map(back.keys.map((k, i) => [encodeSourceKey(k), back.rows[i]!.payload]));
  encoded.forEach((e, i) => expect(backByKey.get(e), `key ${e}`).toBe(rows[i]!.payload));
  expect([...(await src.session.keysPresent({ ...ref, keyColumns, keys: decoded }))].sort((a, b) => a - b)).toEqual(decoded.map((_, i) => i));

  // The watermark reader yields the same keys (one canonical form per value, whatever the reader).
  const byWatermark = await src.session.readByWatermark({ ...ref, columns: ['payload'], cursorColumn: 'at', keyColumns, after: null, limit: 50_000 });
  expect(new Set(byWatermark.keys.map((k) => encodeSourceKey(k)))).toEqual(new Set(encoded));

  // A deleted row is reported gone, and only it.
  if (rows.length > 1) {
    await src.sql.unsafe(`delete from ${table} where payload = $1`, [rows[0]!.payload as number]);
    const present = await src.session.keysPresent({ ...ref, keyColumns, keys: decoded });
    expect(present.has(0)).toBe(false);
    expect(present.size).toBe(decoded.length - 1);
  }
}

describe('lossless keys: row -> key -> read by key for every keyable type (real PostgreSQL)', () => {
  it.each(TYPES.map((t) => [t.name, t] as const))('%s', async (name, type) => {
    await fc.assert(
      fc.asyncProperty(fc.array(type.values, { minLength: 1, maxLength: 30 }), async (values) => {
        await loadTable(
          `k_${name}`,
          [type],
          values.map((v) => [v]),
        );
        await checkRoundTrip(`k_${name}`, [type]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it.each(COMPOSITES.map((c) => [c.map((t) => t.name).join('+'), c] as const))('composite %s', async (_name, types) => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(...types.map((t) => t.values)), { minLength: 1, maxLength: 30 }), async (rows) => {
        await loadTable('k_composite', types, rows);
        await checkRoundTrip('k_composite', types);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('keys of timestamps that differ only in microseconds are distinct and ISO 8601', async () => {
    const ts = TYPES.find((t) => t.name === 'timestamptz')!;
    await loadTable(
      'k_micro',
      [ts],
      [['2022-02-16 09:12:58.90327+00'], ['2022-02-16 09:12:58.903+00'], ['2022-02-16 09:12:58.903001+00'], ['2022-02-16 14:42:58.90327+05:30']],
    );
    const { keys } = await src.session.readByKey({ schema: 'public', table: 'k_micro', columns: [], keyColumns: ['k0'], afterKey: null, limit: 10 });
    expect(keys.map((k) => k[0])).toEqual(['2022-02-16T09:12:58.903Z', '2022-02-16T09:12:58.903001Z', '2022-02-16T09:12:58.90327Z']);
  });
});

describe('watermark cursors keep microseconds', () => {
  it('pages through rows whose cursors differ only in microseconds, each row exactly once', async () => {
    await src.sql.unsafe(`
      drop table if exists wm; create table wm (id int primary key, at timestamptz not null);
      insert into wm select g, '2024-01-01 00:00:00+00'::timestamptz + (g / 4) * interval '1 microsecond' from generate_series(1, 103) g;`);
    const seen: number[] = [];
    let after: { watermark: string | null; key: string[] | null } | null = null;
    for (let page = 0; page < 200; page++) {
      const p = await src.session.readByWatermark({ schema: 'public', table: 'wm', columns: ['id'], cursorColumn: 'at', keyColumns: ['id'], after, limit: 3 });
      seen.push(...p.rows.map((r) => r.id as number));
      if (!p.hasMore) break;
      // The position survives JSON (the meta-store) unchanged.
      after = JSON.parse(JSON.stringify(p.last)) as typeof after;
    }
    expect(seen).toHaveLength(103);
    expect(new Set(seen).size).toBe(103);
  });
});
