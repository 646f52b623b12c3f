import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { mysqlConnector } from '../../../src/sources/mysql/index.ts';
import { quoteIdent } from '../../../src/sources/mysql/ident.ts';
import type { SourceConnectionParams } from '../../../src/sources/types.ts';
import type { ContractColumnKind, ContractTable, EngineFixture, EngineFixtureFactory, EveryTypeTable } from './fixture.ts';

/*
 * The MariaDB fixture of the connector contract suite: a throw-away database on the server of
 * TEST_MYSQL_ADMIN_URL (default mysql://root@127.0.0.1:3306/), the MySQL connector's session on
 * it, and MariaDB's DDL. Dropped on close.
 */

const ADMIN_URL = process.env.TEST_MYSQL_ADMIN_URL ?? 'mysql://root@127.0.0.1:3306/';

const KIND_TYPES: Record<ContractColumnKind, string> = {
  int: 'int',
  bigint: 'bigint',
  text_key: 'varchar(191) character set utf8mb4 collate utf8mb4_bin',
  text: 'text character set utf8mb4',
  timestamp6: 'datetime(6)',
  date: 'date',
  decimal: 'decimal(18,4)',
  boolean: 'tinyint(1)',
};

/** Connection parameters of the admin URL, for database `databaseName`. */
export function mariadbParams(databaseName: string, url = ADMIN_URL): SourceConnectionParams {
  const u = new URL(url);
  return {
    engine: 'mariadb',
    host: u.hostname,
    port: Number(u.port || 3306),
    databaseName,
    username: decodeURIComponent(u.username || 'root'),
    password: u.password ? decodeURIComponent(u.password) : null,
    sslMode: 'disable',
  };
}

/** An admin connection (several statements per call allowed), optionally inside `database`. */
export function adminConnection(database?: string): Promise<mysql.Connection> {
  const p = mariadbParams(database ?? '');
  return mysql.createConnection({
    host: p.host,
    port: p.port,
    user: p.username,
    password: p.password ?? undefined,
    ...(database ? { database } : {}),
    multipleStatements: true,
    charset: 'utf8mb4_general_ci',
    timezone: 'Z',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
}

const everyType: EveryTypeTable = {
  ddl: (name) => `create table ${quoteIdent(name)} (
    id int primary key,
    flag tinyint(1), bit1 bit(1), small smallint, medium mediumint, uint int unsigned, ubig bigint unsigned, sbig bigint,
    amount decimal(30,10), f float, d double,
    dt6 datetime(6), ts6 timestamp(6) null default null, day date, t6 time(6), yr year,
    code char(5), note text character set utf8mb4 collate utf8mb4_unicode_ci, latin varchar(40) character set latin1 collate latin1_swedish_ci,
    status enum('new','paid','shipped'), tags set('a','b','c'), doc json,
    bin4 binary(4), vbin varbinary(16), blb blob, u uuid,
    doubled int generated always as (id * 2) virtual
  ) engine=InnoDB default charset=utf8mb4`,
  seed: (name) => `insert into ${quoteIdent(name)}
    (id, flag, bit1, small, medium, uint, ubig, sbig, amount, f, d, dt6, ts6, day, t6, yr, code, note, latin, status, tags, doc, bin4, vbin, blb, u) values
    (1, 1, b'1', -32768, 8388607, 4294967295, 18446744073709551615, -9223372036854775808, 12345678901234567890.0123456789, 0.25, 3.141592653589793,
     '2024-03-10 02:30:00.654321', '2024-03-10 02:30:00.000001', '2024-02-29', '08:30:00.123456', 2024, 'ab', 'Grüße 😀\\nzweite Zeile', 'Façade déjà vu',
     'paid', 'a,c', '{"b": 1, "a": [true, null, 9007199254740993]}', X'00ff1000', X'deadbeef', X'0102', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'),
    (2, 0, b'0', 0, -8388608, 0, 0, 9223372036854775807, -0.0000000001, -1.5, -2.5e-300,
     '1970-01-01 00:00:00', '1970-01-01 00:00:01', '1000-01-01', '-838:59:59', 1901, 'abcde', '', '',
     'new', '', '[]', X'00000000', X'', X'', '00000000-0000-0000-0000-000000000000'),
    (3, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null)`,
  keyColumns: ['id'],
  readOnlyColumns: ['doubled'],
  families: {
    id: 'integer',
    flag: 'boolean',
    bit1: 'boolean',
    small: 'smallint',
    medium: 'integer',
    uint: 'bigint',
    ubig: 'bigint',
    sbig: 'bigint',
    amount: 'numeric',
    f: 'real',
    d: 'double',
    dt6: 'timestamp',
    ts6: 'timestamptz',
    day: 'date',
    t6: 'time',
    yr: 'integer',
    code: 'text',
    note: 'text',
    latin: 'text',
    status: 'enum',
    tags: 'text',
    doc: 'json',
    bin4: 'bytea',
    vbin: 'bytea',
    blb: 'bytea',
    u: 'uuid',
    doubled: 'integer',
  },
};

function createTable(table: ContractTable): string {
  const columns = table.columns.map((c) => `${quoteIdent(c.name)} ${KIND_TYPES[c.kind]}${c.nullable === false ? ' not null' : ''}`);
  const constraints = [
    ...(table.primaryKey ? [`primary key (${table.primaryKey.map(quoteIdent).join(', ')})`] : []),
    ...(table.unique ?? []).map((u) => `unique (${u.map(quoteIdent).join(', ')})`),
    ...(table.indexes ?? []).map((i) => `index (${i.map(quoteIdent).join(', ')})`),
  ];
  return `create table ${quoteIdent(table.name)} (${[...columns, ...constraints].join(', ')}) engine=InnoDB default charset=utf8mb4`;
}

export const mariadbFixtureFactory: EngineFixtureFactory = {
  label: 'MariaDB',
  async open(prefix: string): Promise<EngineFixture> {
    const database = `sb_${prefix.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40)}_${randomBytes(4).toString('hex')}`;
    const admin = await adminConnection();
    await admin.query(`create database ${quoteIdent(database)} character set utf8mb4 collate utf8mb4_general_ci`);
    const conn = await adminConnection(database);
    const params = mariadbParams(database);
    const session = mysqlConnector.openSession(params, { maxConnections: 2 });
    return {
      label: 'MariaDB',
      params,
      schema: database,
      session,
      async exec(sql) {
        await conn.query(sql);
      },
      quote: quoteIdent,
      createTable,
      async insertRows(table, columns, rows) {
        for (let at = 0; at < rows.length; at += 1000) {
          const part = rows.slice(at, at + 1000);
          const placeholders = part.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ');
          await conn.query(`insert into ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) values ${placeholders}`, part.flat());
        }
      },
      createView: (view, table) => `create view ${quoteIdent(view)} as select * from ${quoteIdent(table)}`,
      everyType,
      generatedKeys: {
        sequence: (name) =>
          `create sequence ${quoteIdent(`${name}_seq`)}; create table ${quoteIdent(name)} (id bigint primary key default (next value for ${quoteIdent(`${name}_seq`)}), v text)`,
        counter: (name) => `create table ${quoteIdent(name)} (id bigint primary key auto_increment, v text)`,
      },
      nonTransactionalTable: {
        ddl: (name) => `create table ${quoteIdent(name)} (id int primary key, v text) engine=MyISAM`,
        reason: /MyISAM storage engine/,
      },
      async close() {
        await session.close();
        await conn.end().catch(() => {});
        await admin.query(`drop database if exists ${quoteIdent(database)}`);
        await admin.end();
      },
    };
  },
};
