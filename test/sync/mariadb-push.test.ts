import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson, listItems, provision, registerSourceAndConnection, runPush, type EmulatorItem } from '../harness/sync.ts';

/*
 * MariaDB through the same path as PostgreSQL: registered through the HTTP API (engine
 * mariadb), introspected, mappings proposed and saved, the list provisioned, rows pushed by
 * Temporal workers through the Graph emulator. Every MySQL/MariaDB type the mapping documents
 * (shared/src/mapping/TYPE-MAPPING.md) is in the table; a zero date cannot be converted and is
 * quarantined with its reason while the other rows go on.
 */

const ADMIN_URL = process.env.TEST_MYSQL_ADMIN_URL ?? 'mysql://root@127.0.0.1:3306/';

interface Proposal {
  items: Array<{ sourceColumn: string; targetColumn: string; targetType: string }>;
  issues: unknown[];
}

describe('push sync from MariaDB end to end (HTTP API -> Temporal -> MariaDB -> Graph emulator)', () => {
  let stack: TestStack;
  let admin: mysql.Connection;
  let dbName: string;
  let definitionId: string;
  let listId: string;
  let column: (source: string) => string;

  beforeAll(async () => {
    dbName = `sb_maria_${randomBytes(5).toString('hex')}`;
    const url = new URL(ADMIN_URL);
    admin = await mysql.createConnection({
      host: url.hostname,
      port: Number(url.port || 3306),
      user: decodeURIComponent(url.username) || 'root',
      password: url.password ? decodeURIComponent(url.password) : '',
      multipleStatements: true,
      charset: 'utf8mb4_general_ci',
    });
    // The zero date needs a permissive sql_mode for this session only; SyncBridge's own sessions are strict.
    await admin.query(`
      create database \`${dbName}\` character set utf8mb4 collate utf8mb4_unicode_ci;
      use \`${dbName}\`;
      set session sql_mode = '', time_zone = '+00:00';
      create table inventory (
        id bigint unsigned not null primary key,
        code varchar(40) not null,
        flag tinyint(1) not null default 0,
        bitflag bit(1),
        created datetime(6),
        updated_at timestamp(6) not null default current_timestamp(6),
        price decimal(30,10),
        big_unsigned bigint unsigned,
        status enum('new', 'paid', 'shipped'),
        tags set('red', 'green', 'blue'),
        meta json,
        yr year,
        raw varbinary(16),
        blobby blob,
        padded char(5),
        note text,
        latin varchar(40) character set latin1,
        due date,
        doubled decimal(31,10) as (price * 2) stored,
        key (updated_at)
      ) engine = InnoDB;
      insert into inventory (id, code, flag, bitflag, created, updated_at, price, big_unsigned, status, tags, meta, yr, raw, blobby, padded, note, latin, due) values
        (1, 'A-1', 1, b'1', '2024-03-10 02:30:00.123456', '2025-01-01 00:00:01.000001', 12345678901234567890.0123456789, 18446744073709551615,
         'paid', 'red,blue', '{"a": [1, 2], "b": "ü"}', 2024, x'00ff10', x'deadbeef', 'ab', 'Line one\nLine two 😀', 'Café', '2024-02-29'),
        (2, 'B-2', 0, b'0', '1970-01-01 00:00:00', '2025-01-01 00:00:01.000002', -0.0000000001, 9007199254740993,
         'new', '', '[]', 1901, x'', x'', '', '', '', '1900-01-01'),
        (3, 'C-3', 0, null, null, '2025-01-01 00:00:01.000002', null, null, null, null, null, null, null, null, null, null, null, null),
        (4, 'Z-4', 1, b'1', '2024-01-01 00:00:00', '2025-01-01 00:00:02', 1, 1, 'shipped', 'green', '{}', 2000, x'01', x'01', 'z', 'zero', 'z', '0000-00-00');
      create table legacy_log (id int primary key, msg text) engine = MyISAM;
      create table loose (a int, b text) engine = InnoDB;
      create view inventory_codes as select id, code from inventory;
    `);
    stack = await startTestStack({ worker: true, emulator: true });
    const reg = await registerSourceAndConnection(stack, { url: `${ADMIN_URL.replace(/\/?$/, '/')}${dbName}`, name: dbName, engine: 'mariadb' }, 'maria');
    const def = await apiJson(
      stack,
      '/v1/sync-definitions',
      {
        method: 'POST',
        json: {
          appId: reg.appId,
          name: 'inventory',
          sourceInstanceId: reg.instanceId,
          sourceSchema: dbName,
          sourceTable: 'inventory',
          keyStrategy: 'pk',
          keyColumns: ['id'],
          cursorStrategy: 'updated_at',
          cursorColumn: 'updated_at',
        },
      },
      201,
    );
    definitionId = def.id;
    await apiJson(
      stack,
      `/v1/sync-definitions/${definitionId}/targets`,
      { method: 'POST', json: { connectionId: reg.connectionId, siteId: reg.siteId, listDisplayName: 'Inventory', isDefault: true } },
      201,
    );
  });

  afterAll(async () => {
    await stack?.close();
    await admin?.query(`drop database if exists \`${dbName}\``);
    await admin?.end();
  });

  it('registers and introspects the MariaDB instance through the API, with the types as families', async () => {
    const schema = await apiJson<{
      engine: string;
      serverVersion: string;
      tables: Array<{ name: string; columns: Array<{ name: string; typeFamily: string; generated?: boolean }> }>;
    }>(
      stack,
      `/v1/database-instances/${(await apiJson<{ sourceInstanceId: string | null; databaseId: string }>(stack, `/v1/sync-definitions/${definitionId}`)).sourceInstanceId}/schema?schema=${dbName}`,
    );
    expect(schema.engine).toBe('mariadb');
    expect(schema.serverVersion).toMatch(/MariaDB/);
    const cols = new Map(schema.tables.find((t) => t.name === 'inventory')!.columns.map((c) => [c.name, c]));
    expect(Object.fromEntries([...cols].map(([n, c]) => [n, c.typeFamily]))).toMatchObject({
      id: 'bigint',
      flag: 'boolean',
      bitflag: 'boolean',
      created: 'timestamp',
      updated_at: 'timestamptz',
      price: 'numeric',
      big_unsigned: 'bigint',
      status: 'enum',
      meta: 'json',
      raw: 'bytea',
      note: 'text',
      due: 'date',
    });
    expect(cols.get('doubled')?.generated).toBe(true);
    // Where MariaDB tables differ, the schema says so.
    type Described = { name: string; readOnly: boolean; notes: Array<{ code: string; message: string }> };
    const described = new Map((schema.tables as unknown as Described[]).map((t) => [t.name, t]));
    expect(described.get('inventory')).toMatchObject({ readOnly: false, notes: [] });
    expect(described.get('legacy_log')).toMatchObject({ readOnly: true, notes: [{ code: 'non_transactional', message: expect.stringContaining('MyISAM') }] });
    expect(described.get('loose')!.notes.map((n) => n.code)).toEqual(['no_usable_key']);
    expect(described.get('inventory_codes')).toMatchObject({ readOnly: true });
    expect(described.get('inventory_codes')!.notes.map((n) => n.code)).toContain('read_only');
  });

  it('proposes a mapping for every column, saves it, and provisions the list', async () => {
    const proposal = await apiJson<Proposal>(stack, `/v1/sync-definitions/${definitionId}/field-mappings/propose`, { method: 'POST' });
    expect(proposal.issues).toEqual([]);
    const sources = proposal.items.map((i) => i.sourceColumn);
    expect(sources).toEqual(
      expect.arrayContaining(['code', 'flag', 'price', 'big_unsigned', 'status', 'tags', 'meta', 'yr', 'note', 'latin', 'due', 'updated_at']),
    );
    // Values past 2^53 and decimals with more digits than a list number keeps would be quarantined as numbers (as for PostgreSQL): keep them as text.
    const mappings = proposal.items.map((m) => (['id', 'big_unsigned', 'price', 'doubled'].includes(m.sourceColumn) ? { ...m, targetType: 'text' } : m));
    await apiJson(stack, `/v1/sync-definitions/${definitionId}/field-mappings`, { method: 'PUT', json: { mappings } });
    const map = new Map(proposal.items.map((m) => [m.sourceColumn, m]));
    column = (s) => map.get(s)!.targetColumn;
    expect(map.get('flag')!.targetType).toBe('boolean');
    expect(map.get('status')!.targetType).toBe('choice');
    expect(map.get('note')!.targetType).toBe('note');
    const run = await provision(stack, definitionId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    const targets = await apiJson<{ items: Array<{ listId: string }> }>(stack, `/v1/sync-definitions/${definitionId}/targets`);
    listId = targets.items[0]!.listId;
    expect(listId).toBeTruthy();
  });

  it('pushes the rows as the mapping documents, and quarantines the zero date with its reason', async () => {
    const run = await runPush(stack, definitionId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    const quarantine = await apiJson<{ items: Array<{ sourceKey: string; reason: string }> }>(stack, `/v1/sync-definitions/${definitionId}/quarantine`);
    expect(run.counts, JSON.stringify(quarantine.items)).toMatchObject({ read: 4, created: 3, quarantined: 1 });
    const items = new Map((await listItems(stack, listId)).map((i: EmulatorItem) => [i.fields[column('code')], i.fields]));
    expect([...items.keys()].sort()).toEqual(['A-1', 'B-2', 'C-3']);
    const a = items.get('A-1')!;
    expect(a[column('flag')]).toBe(true);
    expect(a[column('status')]).toBe('paid');
    expect(a[column('note')]).toBe('Line one\nLine two 😀');
    expect(a[column('latin')]).toBe('Café');
    expect(a[column('padded')]).toBe('ab');
    expect(String(a[column('due')])).toMatch(/^2024-02-29/);
    expect(String(a[column('created')])).toMatch(/^2024-03-10T02:30:00(\.123)?/);
    // Mapped to text, integers beyond 2^53 and exact decimals keep every digit.
    expect(String(a[column('big_unsigned')])).toBe('18446744073709551615');
    expect(a[column('price')]).toBe('12345678901234567890.0123456789');
    // The generated column is read like any other.
    expect(a[column('doubled')]).toBe('24691357802469135780.0246913578');
    const b = items.get('B-2')!;
    expect(b[column('flag')]).toBe(false);
    expect(String(b[column('big_unsigned')])).toBe('9007199254740993');
    const c = items.get('C-3')!;
    expect(c[column('status')] ?? null).toBeNull();

    expect(quarantine.items).toHaveLength(1);
    expect(quarantine.items[0]!.reason).toMatch(/0000-00-00/);
  });

  it('pushes changes incrementally by the timestamp watermark, and deletes', async () => {
    await admin.query(`
      update \`${dbName}\`.inventory set code = 'A-1 renamed', updated_at = '2025-01-02 00:00:00.000001' where id = 1;
      update \`${dbName}\`.inventory set due = '2024-12-31', updated_at = '2025-01-02 00:00:00.000002' where id = 4;
      delete from \`${dbName}\`.inventory where id = 2;
      insert into \`${dbName}\`.inventory (id, code, updated_at) values (18446744073709551615, 'MAX', '2025-01-02 00:00:00.000003');
    `);
    const run = await runPush(stack, definitionId);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    const quarantined = await apiJson<{ items: unknown[] }>(stack, `/v1/sync-definitions/${definitionId}/quarantine`);
    expect(run.counts, JSON.stringify(quarantined.items)).toMatchObject({ created: 2, updated: 1, deleted: 1, quarantined: 0 });
    const codes = (await listItems(stack, listId)).map((i) => i.fields[column('code')]).sort();
    expect(codes).toEqual(['A-1 renamed', 'C-3', 'MAX', 'Z-4']);
    // The fixed row left quarantine.
    const quarantine = await apiJson<{ items: unknown[] }>(stack, `/v1/sync-definitions/${definitionId}/quarantine`);
    expect(quarantine.items).toEqual([]);
  });
});
