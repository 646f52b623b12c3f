import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertRow } from '../../../src/mapping/convert.ts';
import { proposeDefaultMappings } from '../../../src/mapping/defaults.ts';
import { findTable } from '../../../src/sources/find-table.ts';
import { identifierProblem } from '../../../src/sources/identifiers.ts';
import { mysqlConnector } from '../../../src/sources/mysql/index.ts';
import type { IntrospectedTable } from '../../../src/sources/types.ts';
import { mariadbFixtureFactory } from '../contract/mariadb.ts';
import type { EngineFixture } from '../contract/fixture.ts';

/*
 * MariaDB specifics: type families, keys and storage engines as introspection reports them,
 * identifier rules, and values read exactly (driver values and canonical texts).
 */

let fx: EngineFixture;
let table: IntrospectedTable;

beforeAll(async () => {
  fx = await mariadbFixtureFactory.open('mysql_introspect');
  await fx.exec(fx.everyType.ddl('every_type'));
  await fx.exec(fx.everyType.seed('every_type'));
  await fx.exec(`
    create table parent (id bigint unsigned primary key, code varchar(20) not null, unique key parent_code (code)) engine=InnoDB;
    create table child (
      id int auto_increment primary key, parent_id bigint unsigned, a int, b varchar(10),
      constraint child_parent foreign key (parent_id) references parent (id) on delete cascade on update set null,
      unique key child_ab (a, b desc), key child_b (b(4))
    ) engine=InnoDB;
    create table legacy (id int primary key, v text) engine=MyISAM;
    create table mem (id int primary key) engine=MEMORY;
    create table aria (id int primary key) engine=Aria transactional=1;
    create view child_view as select id, a from child;
    create table zero_dates (id int primary key, d date, dt datetime) engine=InnoDB;
    set session sql_mode = '';
    insert into zero_dates values (1, '0000-00-00', '0000-00-00 00:00:00'), (2, '2024-00-10', '2024-01-00 10:00:00'), (3, '2024-05-06', '2024-05-06 07:08:09');
  `);
  table = findTable(await fx.session.introspect({ schema: fx.schema }), fx.schema, 'every_type') as IntrospectedTable;
});

afterAll(async () => {
  await fx?.close();
});

describe('MariaDB introspection', () => {
  it('reports the server and the engine', async () => {
    const { serverVersion } = await fx.session.checkConnection();
    expect(serverVersion).toMatch(/^MariaDB \d+\.\d+\.\d+$/);
    const snapshot = await fx.session.introspect({ schema: fx.schema, table: 'every_type' });
    expect(snapshot.engine).toBe('mariadb');
    expect(snapshot.tables.map((t) => t.name)).toEqual(['every_type']);
  });

  it('maps every type to its family', () => {
    const families = Object.fromEntries(table.columns.map((c) => [c.name, c.typeFamily]));
    expect(families).toEqual(fx.everyType.families);
    const col = (name: string) => table.columns.find((c) => c.name === name);
    expect(col('status')?.enumValues).toEqual(['new', 'paid', 'shipped']);
    expect(col('doc')?.dataType).toBe('json');
    expect(col('doubled')?.generated).toBe(true);
    expect(col('ubig')?.dataType).toBe('bigint(20) unsigned');
    expect(col('amount')).toMatchObject({ numericPrecision: 30, numericScale: 10 });
    expect(col('code')?.maxLength).toBe(5);
    expect(table.storage).toEqual({ engine: 'InnoDB', transactional: true });
    expect(table.primaryKey).toEqual({ name: 'PRIMARY', columns: ['id'] });
  });

  it('reports keys, foreign keys, indexes, storage engines and views', async () => {
    const snapshot = await fx.session.introspect({ schema: fx.schema });
    const child = findTable(snapshot, fx.schema, 'child') as IntrospectedTable;
    expect(child.columns.find((c) => c.name === 'id')?.identity).toBe('by_default');
    expect(child.uniqueKeys).toEqual([
      { name: 'PRIMARY', columns: ['id'], source: 'primary_key' },
      { name: 'child_ab', columns: ['a', 'b'], source: 'unique_constraint' },
    ]);
    expect(child.foreignKeys).toEqual([
      {
        name: 'child_parent',
        columns: ['parent_id'],
        referencedSchema: fx.schema,
        referencedTable: 'parent',
        referencedColumns: ['id'],
        onUpdate: 'set_null',
        onDelete: 'cascade',
      },
    ]);
    const prefix = child.indexes.find((i) => i.name === 'child_b');
    expect(prefix).toMatchObject({ columns: ['b'], unique: false, primary: false });
    expect(prefix?.definition).toBe(`CREATE INDEX \`child_b\` ON \`${fx.schema}\`.\`child\` (\`b\`(4)) USING BTREE`);
    expect(child.indexes.find((i) => i.name === 'child_ab')?.definition).toContain('`b` DESC');
    expect(findTable(snapshot, fx.schema, 'legacy')?.storage).toEqual({ engine: 'MyISAM', transactional: false });
    expect(findTable(snapshot, fx.schema, 'mem')?.storage).toEqual({ engine: 'MEMORY', transactional: false });
    expect(findTable(snapshot, fx.schema, 'aria')?.storage).toEqual({ engine: 'Aria', transactional: false });
    const view = findTable(snapshot, fx.schema, 'child_view') as IntrospectedTable;
    expect(view.kind).toBe('view');
    expect(view.storage).toBeUndefined();
    expect(view.rowEstimate).toEqual({ rows: null, source: 'none' });
    expect(findTable(snapshot, fx.schema, 'parent')?.rowEstimate.source).toBe('statistics');
    expect(snapshot.tables.some((t) => ['mysql', 'sys', 'information_schema', 'performance_schema'].includes(t.schema))).toBe(false);
  });
});

describe('MariaDB identifiers', () => {
  const rules = mysqlConnector.identifiers;
  it('quotes with backticks, doubling inner ones', () => {
    expect(rules.quote('a`b')).toBe('`a``b`');
    expect(rules.quote('order')).toBe('`order`');
  });
  it('refuses NUL, a trailing space and names past 64 characters', () => {
    expect(() => rules.quote('a\u0000b')).toThrow(/NUL/);
    expect(() => rules.quote('name ')).toThrow(/space/);
    expect(identifierProblem(rules, 'MariaDB', 'x'.repeat(64))).toBeNull();
    expect(identifierProblem(rules, 'MariaDB', 'é'.repeat(64))).toBeNull();
    expect(identifierProblem(rules, 'MariaDB', 'x'.repeat(65))).toMatch(/65 characters long; MariaDB names are at most 64 characters/);
  });
});

describe('MariaDB values', () => {
  const read = (canonical: boolean) =>
    fx.session.readByKey({
      schema: fx.schema,
      table: 'every_type',
      columns: table.columns.map((c) => c.name),
      keyColumns: ['id'],
      afterKey: null,
      limit: 10,
      canonical,
    });

  it('reads driver values by family', async () => {
    const page = await read(false);
    const [one, two, empty] = page.rows as Array<Record<string, unknown>>;
    expect(one).toMatchObject({
      flag: true,
      bit1: true,
      small: -32768,
      medium: 8388607,
      uint: '4294967295',
      ubig: '18446744073709551615',
      sbig: '-9223372036854775808',
      amount: '12345678901234567890.0123456789',
      f: 0.25,
      d: 3.141592653589793,
      dt6: new Date('2024-03-10T02:30:00.654Z'),
      ts6: new Date('2024-03-10T02:30:00.000Z'),
      day: new Date('2024-02-29T00:00:00Z'),
      t6: '08:30:00.123456',
      yr: 2024,
      code: 'ab',
      note: 'Grüße 😀\nzweite Zeile',
      latin: 'Façade déjà vu',
      status: 'paid',
      tags: 'a,c',
      doc: { b: 1, a: [true, null, 9007199254740992] },
      bin4: Buffer.from('00ff1000', 'hex'),
      u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      doubled: 2,
    });
    expect(two).toMatchObject({
      flag: false,
      bit1: false,
      amount: '-0.0000000001',
      f: -1.5,
      d: -2.5e-300,
      t6: '-838:59:59.000000',
      vbin: Buffer.alloc(0),
      code: 'abcde',
    });
    expect(Object.values(empty as object).filter((v) => v !== null)).toEqual([3, 6]);
    expect(page.keys).toEqual([['1'], ['2'], ['3']]);
  });

  it('reads canonical texts', async () => {
    const page = await read(true);
    expect(page.rows[0]).toMatchObject({
      flag: 'true',
      bit1: 'true',
      ubig: '18446744073709551615',
      amount: '12345678901234567890.0123456789',
      f: '0.25',
      dt6: '2024-03-10T02:30:00.654321',
      ts6: '2024-03-10T02:30:00.000001Z',
      day: '2024-02-29',
      bin4: '\\x00ff1000',
      doc: '{"b": 1, "a": [true, null, 9007199254740993]}',
      u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    });
  });

  it('quarantines zero dates with a reason instead of failing the read', async () => {
    const zero = findTable(await fx.session.introspect({ schema: fx.schema, table: 'zero_dates' }), fx.schema, 'zero_dates') as IntrospectedTable;
    const page = await fx.session.readByKey({
      schema: fx.schema,
      table: 'zero_dates',
      columns: ['id', 'd', 'dt'],
      keyColumns: ['id'],
      afterKey: null,
      limit: 10,
    });
    const mappings = proposeDefaultMappings(zero);
    const results = page.rows.map((row) => convertRow(row, mappings, zero));
    expect(results[0]).toMatchObject({ ok: false, column: 'd', reason: 'd: "0000-00-00" is not a valid date' });
    expect(results[1]).toMatchObject({ ok: false, column: 'd', reason: 'd: "2024-00-10" is not a valid date' });
    expect(results[2]).toMatchObject({ ok: true });
    // Canonical texts keep the server's text.
    const canonical = await fx.session.readByKey({
      schema: fx.schema,
      table: 'zero_dates',
      columns: ['d'],
      keyColumns: ['id'],
      afterKey: null,
      limit: 10,
      canonical: true,
    });
    expect(canonical.rows[0]).toEqual({ d: '0000-00-00' });
  });
});
