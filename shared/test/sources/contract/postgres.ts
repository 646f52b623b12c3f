import postgres from 'postgres';
import { createTestDatabase } from '../../../../test/harness/database.ts';
import { postgresConnector } from '../../../src/sources/postgres/index.ts';
import { quoteIdent } from '../../../src/sources/postgres/ident.ts';
import { paramsOfUrl } from '../source-db.ts';
import type { ContractColumnKind, ContractTable, EngineFixture, EngineFixtureFactory } from './fixture.ts';

const TYPES: Record<ContractColumnKind, string> = {
  int: 'integer',
  bigint: 'bigint',
  text_key: 'text',
  text: 'text',
  timestamp6: 'timestamp(6)',
  date: 'date',
  decimal: 'numeric(18,4)',
  boolean: 'boolean',
};

function createTable(t: ContractTable): string {
  const q = quoteIdent;
  const parts = t.columns.map((c) => `${q(c.name)} ${TYPES[c.kind]}${c.nullable === false ? ' not null' : ''}`);
  if (t.primaryKey) parts.push(`primary key (${t.primaryKey.map(q).join(', ')})`);
  for (const u of t.unique ?? []) parts.push(`unique (${u.map(q).join(', ')})`);
  const indexes = (t.indexes ?? []).map((cols, i) => `create index ${q(`${t.name}_i${i}`)} on ${q(t.name)} (${cols.map(q).join(', ')});`);
  return [`create table ${q(t.name)} (${parts.join(', ')});`, ...indexes].join('\n');
}

/** Every PostgreSQL type family SyncBridge maps, with edge values. */
const everyType = {
  ddl: (name: string) => `
    do $$ begin create type contract_mood as enum ('sad', 'ok', 'happy'); exception when duplicate_object then null; end $$;
    do $$ begin create domain contract_code as varchar(12) check (value <> ''); exception when duplicate_object then null; end $$;
    create table ${quoteIdent(name)} (
      id bigint primary key, small smallint, num integer, big bigint, exact numeric(30,10), free_numeric numeric, r real, d double precision,
      flag boolean, day date, local_at timestamp(6), at timestamptz(6), clock time(6), ref uuid, doc json, docb jsonb,
      ints int[], words text[], mood contract_mood, moods contract_mood[], code contract_code, blob bytea, span interval,
      label varchar(40), padded char(5), note text, words_tsv tsvector generated always as (to_tsvector('simple', coalesce(note, ''))) stored,
      doubled bigint generated always as (num::bigint * 2) stored
    );`,
  seed: (name: string) => `
    insert into ${quoteIdent(name)} values
      (1, -32768, -2147483648, -9223372036854775808, 12345678901234567890.0123456789, 1.50, 3.4028235e38, 1.7976931348623157e308,
       true, '0001-01-01', '2024-03-10 02:30:00.000001', '2024-03-10 02:30:00.999999+00', '23:59:59.999999', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
       '{"b": 1, "a": [true, null]}', '{"z": "ü", "a": {"y": 2}}', '{1,NULL,3}', '{"a b","c\\"d",NULL}', 'happy', '{ok,sad}', 'C-1', '\\x00ff10',
       '1 day 02:03:04.5', 'Ünïcödé 😀', 'ab', E'line1\\nline2 a fat cat', default, default),
      (2, 32767, 2147483647, 9223372036854775807, -0.0000000001, 'NaN', '-Infinity', 'NaN',
       false, '9999-12-31', '1900-01-01 00:00:00', 'infinity', '00:00:00', null,
       'null', '[]', '{}', '{}', 'sad', '{}', 'Z', '\\x', '-1 mons', '', '     ', '', default, default),
      (3, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, default, default);`,
  keyColumns: ['id'],
  readOnlyColumns: ['doubled', 'words_tsv'],
  families: {
    small: 'smallint',
    num: 'integer',
    big: 'bigint',
    exact: 'numeric',
    flag: 'boolean',
    local_at: 'timestamp',
    at: 'timestamptz',
    ref: 'uuid',
    docb: 'jsonb',
    ints: 'array',
    mood: 'enum',
    blob: 'bytea',
  },
} satisfies EngineFixture['everyType'];

export const postgresFixture: EngineFixtureFactory = {
  label: 'PostgreSQL',
  async open(prefix) {
    const db = await createTestDatabase(prefix);
    const params = paramsOfUrl(db.url);
    const admin = postgres(db.url, { max: 1, onnotice: () => {} });
    const session = postgresConnector.openSession(params, { maxConnections: 2 });
    return {
      label: 'PostgreSQL',
      params,
      schema: 'public',
      session,
      async exec(text) {
        await admin.unsafe(text);
      },
      quote: quoteIdent,
      createTable,
      async insertRows(table, columns, rows) {
        // Through JSON, so every value reaches its column's own input function as text (a bound timestamp would go through a JS Date).
        const list = columns.map(quoteIdent).join(', ');
        for (let i = 0; i < rows.length; i += 1000) {
          const records = rows.slice(i, i + 1000).map((row) => Object.fromEntries(columns.map((c, j) => [c, row[j] === null ? null : String(row[j])])));
          await admin.unsafe(
            `insert into ${quoteIdent(table)} (${list}) select ${list} from json_populate_recordset(null::${quoteIdent(table)}, $1::text::json)`,
            [JSON.stringify(records)],
          );
        }
      },
      createView: (view, table) => `create view ${quoteIdent(view)} as select * from ${quoteIdent(table)};`,
      everyType,
      generatedKeys: {
        sequence: (name) => `create table ${quoteIdent(name)} (id bigserial primary key, v text);`,
        counter: (name) => `create table ${quoteIdent(name)} (id bigint primary key, v text);`,
      },
      nonTransactionalTable: null,
      async close() {
        await session.close();
        await admin.end({ timeout: 5 });
        await db.drop();
      },
    } satisfies EngineFixture;
  },
};
