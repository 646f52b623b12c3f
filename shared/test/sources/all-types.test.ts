import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { columnDefinitionsFor } from '../../src/mapping/columns.ts';
import { convertRow } from '../../src/mapping/convert.ts';
import { proposeDefaultMappings } from '../../src/mapping/defaults.ts';
import { contentHash } from '../../src/mapping/hash.ts';
import { validateMappings } from '../../src/mapping/validate.ts';
import { findTable } from '../../src/sources/find-table.ts';
import type { IntrospectedTable } from '../../src/sources/types.ts';
import { createSourceDb, type SourceDb } from './source-db.ts';

/*
 * End to end over every type family: a real table, introspected, default mappings proposed,
 * rows read through the reader (so values have the driver's own types), converted, and each
 * converted value checked exactly.
 */

let src: SourceDb;
let table: IntrospectedTable;

beforeAll(async () => {
  src = await createSourceDb('sb_alltypes');
  await src.sql.unsafe(`
    create type order_status as enum ('new', 'paid', 'shipped');
    create table every_type (
      id bigint primary key, code varchar(40), description text, long_label varchar(1000), country char(3),
      qty smallint, units integer, views bigint, amount numeric(12,2), ratio real, score double precision,
      active boolean, due date, local_at timestamp, created_at timestamptz, opens time, ref uuid,
      meta json, attrs jsonb, sizes int[], labels text[], big_ids bigint[], days date[],
      status order_status, blob bytea, duration interval, addr inet, "Order Date" date, "order" int, title text, "2fa" boolean
    );
    insert into every_type values (
      42, 'ORD-42', E'Line one\\nLine two', 'a label', 'DEU',
      7, -120, 9007199254740992, 1234.50, 0.25, 3.141592653589793,
      true, '2024-02-29', '2024-03-10 02:30:00.654321', '2024-03-10 02:30:00.5+01', '08:30:00', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
      '{"b": 1, "a": [true, null]}', '{"z": "ü", "a": {"y": 2, "x": 1.5}}', '{1,2,3}', '{"a b","c\\"d"}', '{9007199254740993}', '{2024-01-01}',
      'paid', '\\xdeadbeef', '1 day 02:03:04.5', '10.0.0.1', '1999-12-31', 5, 'T', false
    );
    insert into every_type (id) values (43);
    insert into every_type (id, views) values (44, 9007199254740993);
    insert into every_type (id, score) values (45, 'NaN');
    insert into every_type (id, created_at) values (46, 'infinity');
    insert into every_type (id, due) values (47, '1899-12-31');
  `);
  table = findTable(await src.session.introspect(), 'public', 'every_type') as IntrospectedTable;
});

afterAll(async () => {
  await src.close();
});

async function rows() {
  const mappings = proposeDefaultMappings(table);
  const page = await src.session.readByKey({
    schema: 'public',
    table: 'every_type',
    columns: table.columns.map((c) => c.name),
    keyColumns: ['id'],
    afterKey: null,
    limit: 100,
  });
  return { mappings, rows: page.rows };
}

describe('every type family, from table to list fields', () => {
  it('introspects a family for every column', () => {
    expect(Object.fromEntries(table.columns.map((c) => [c.name, c.typeFamily]))).toEqual({
      id: 'bigint',
      code: 'text',
      description: 'text',
      long_label: 'text',
      country: 'text',
      qty: 'smallint',
      units: 'integer',
      views: 'bigint',
      amount: 'numeric',
      ratio: 'real',
      score: 'double',
      active: 'boolean',
      due: 'date',
      local_at: 'timestamp',
      created_at: 'timestamptz',
      opens: 'time',
      ref: 'uuid',
      meta: 'json',
      attrs: 'jsonb',
      sizes: 'array',
      labels: 'array',
      big_ids: 'array',
      days: 'array',
      status: 'enum',
      blob: 'bytea',
      duration: 'interval',
      addr: 'other',
      'Order Date': 'date',
      order: 'integer',
      title: 'text',
      '2fa': 'boolean',
    });
  });

  it('proposes valid default mappings with SharePoint-safe names', async () => {
    const { mappings } = await rows();
    expect(validateMappings(table, mappings)).toEqual([]);
    const by = Object.fromEntries(mappings.map((m) => [m.sourceColumn, `${m.targetColumn}:${m.targetType}:${m.direction}`]));
    expect(by).toMatchObject({
      id: 'id_2:number:push',
      code: 'code:text:both',
      description: 'description:note:both',
      long_label: 'long_label:note:both',
      country: 'country:text:both',
      views: 'views:number:both',
      amount: 'amount:number:both',
      due: 'due:dateTime:both',
      opens: 'opens:text:both',
      ref: 'ref:text:both',
      meta: 'meta:note:push',
      sizes: 'sizes:note:push',
      status: 'status:choice:both',
      blob: 'blob:note:push',
      duration: 'duration:text:push',
      addr: 'addr:note:push',
      'Order Date': 'Order_Date:dateTime:both',
      order: 'order_2:number:both',
      title: 'title_2:note:both',
      '2fa': 'c2fa:boolean:both',
    });
  });

  it('converts a realistic row to exact field values', async () => {
    const { mappings, rows: all } = await rows();
    const result = convertRow(all[0] as Record<string, unknown>, mappings, table);
    expect(result).toEqual({
      ok: true,
      fields: {
        id_2: 42,
        code: 'ORD-42',
        description: 'Line one\nLine two',
        long_label: 'a label',
        country: 'DEU',
        qty: 7,
        units: -120,
        views: 9007199254740992,
        amount: 1234.5,
        ratio: 0.25,
        score: 3.141592653589793,
        active: true,
        due: '2024-02-29T00:00:00Z', // a date is midnight UTC of the same day, never shifted
        local_at: '2024-03-10T02:30:00Z', // timestamp without time zone is taken as UTC; sub-seconds truncated
        created_at: '2024-03-10T01:30:00Z',
        opens: '08:30:00',
        ref: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        meta: '{"a":[true,null],"b":1}',
        attrs: '{"a":{"x":1.5,"y":2},"z":"ü"}',
        sizes: '[1,2,3]',
        labels: '["a b","c\\"d"]',
        big_ids: '[9007199254740993]',
        days: '["2024-01-01"]',
        status: 'paid',
        blob: '3q2+7w==',
        duration: 'P1DT2H3M4.5S',
        addr: '10.0.0.1',
        Order_Date: '1999-12-31T00:00:00Z',
        order_2: 5,
        title_2: 'T',
        c2fa: false,
      },
    });
    // The hash is stable for the same row and mapping.
    const again = convertRow(all[0] as Record<string, unknown>, mappings, table);
    expect(result.ok && again.ok && contentHash(result.fields) === contentHash(again.fields)).toBe(true);
  });

  it('clears every field for NULLs', async () => {
    const { mappings, rows: all } = await rows();
    const result = convertRow(all[1] as Record<string, unknown>, mappings, table);
    expect(result.ok).toBe(true);
    if (result.ok) expect(Object.entries(result.fields).filter(([k, v]) => k !== 'id_2' && v !== null)).toEqual([]);
  });

  it('quarantines values SharePoint cannot hold, naming column and reason', async () => {
    const { mappings, rows: all } = await rows();
    const failures = all.slice(2).map((r) => convertRow(r, mappings, table));
    expect(failures).toEqual([
      { ok: false, column: 'views', reason: expect.stringMatching(/^views: 9007199254740993 is beyond ±2\^53/) },
      { ok: false, column: 'score', reason: 'score: NaN cannot be stored in a SharePoint number column' },
      { ok: false, column: 'created_at', reason: 'created_at: value is not a valid date (infinity, or outside the JavaScript date range)' },
      { ok: false, column: 'due', reason: "due: 1899-12-31T00:00:00Z is outside SharePoint's date range (1900-01-01 to 8900-12-31)" },
    ]);
  });

  it('builds a Graph column definition per mapping', async () => {
    const { mappings } = await rows();
    const defs = Object.fromEntries(columnDefinitionsFor(mappings, table).map((d) => [d.name, d]));
    expect(defs.code).toEqual({ name: 'code', displayName: 'code', text: { allowMultipleLines: false, maxLength: 40 } });
    expect(defs.description).toMatchObject({ text: { allowMultipleLines: true, textType: 'plain' } });
    expect(defs.amount).toMatchObject({ number: { decimalPlaces: 'two' } });
    expect(defs.qty).toMatchObject({ number: { decimalPlaces: 'none' } });
    expect(defs.score).toMatchObject({ number: { decimalPlaces: 'automatic' } });
    expect(defs.due).toMatchObject({ dateTime: { format: 'dateOnly' } });
    expect(defs.created_at).toMatchObject({ dateTime: { format: 'dateTime' } });
    expect(defs.status).toMatchObject({ choice: { choices: ['new', 'paid', 'shipped'] } });
    expect(defs.active).toMatchObject({ boolean: {} });
    expect(defs.Order_Date).toMatchObject({ displayName: 'Order Date' });
  });
});
