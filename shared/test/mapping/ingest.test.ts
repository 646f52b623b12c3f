import { describe, expect, it } from 'vitest';
import { convertRow } from '../../src/mapping/convert.ts';
import { ingestProblem, itemKey, itemToRow } from '../../src/mapping/ingest.ts';
import type { FieldMappingSpec } from '../../src/mapping/types.ts';
import type { IntrospectedColumn } from '../../src/sources/types.ts';
import { col, mapping, tableOf } from './fixtures.ts';

const both = (sourceColumn: string, targetType: FieldMappingSpec['targetType'], extra: Partial<FieldMappingSpec> = {}) =>
  mapping(sourceColumn, targetType, { direction: 'both', ...extra });

/** One list value of one column back: the whole result of itemToRow for a one-mapping table. */
function one(column: IntrospectedColumn, m: FieldMappingSpec, value: unknown) {
  const fields = value === undefined ? {} : { [m.targetColumn]: value };
  return itemToRow(fields, [m], tableOf([column]));
}

function ok(column: IntrospectedColumn, m: FieldMappingSpec, value: unknown): { driver: unknown; write: unknown } {
  const r = one(column, m, value);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(value)} to ingest, got: ${r.reason}`);
  return { driver: r.driver[column.name], write: r.write[column.name] };
}

function refused(column: IntrospectedColumn, m: FieldMappingSpec, value: unknown): string {
  const r = one(column, m, value);
  if (r.ok) throw new Error(`expected ${JSON.stringify(value)} to be refused, got ${JSON.stringify(r.driver)}`);
  expect(r.column).toBe(column.name);
  return r.reason;
}

describe('numbers back into integer, numeric and float columns', () => {
  const qty = col('qty', 'smallint', { dataType: 'smallint' });
  const units = col('units', 'integer');
  const views = col('views', 'bigint');
  const amount = col('amount', 'numeric', { dataType: 'numeric(12,2)', numericPrecision: 12, numericScale: 2 });
  const free = col('free', 'numeric');
  const ratio = col('ratio', 'real');
  const score = col('score', 'double');

  it('takes integers within the family range, as numbers (bigint: decimal text)', () => {
    expect(ok(qty, both('qty', 'number'), 7)).toEqual({ driver: 7, write: 7 });
    expect(ok(qty, both('qty', 'number'), -32768)).toEqual({ driver: -32768, write: -32768 });
    expect(ok(units, both('units', 'currency'), 2147483647)).toEqual({ driver: 2147483647, write: 2147483647 });
    expect(ok(views, both('views', 'number'), 9007199254740991)).toEqual({ driver: '9007199254740991', write: '9007199254740991' });
    expect(ok(views, both('views', 'number'), -0)).toEqual({ driver: '0', write: '0' });
  });

  it('refuses fractions and values out of range, saying which column and range', () => {
    expect(refused(qty, both('qty', 'number'), 1.5)).toBe('qty: 1.5 is not an integer, and qty is smallint');
    expect(refused(qty, both('qty', 'number'), 32768)).toBe('qty: 32768 is outside the range of qty (smallint: -32768 to 32767)');
    expect(refused(units, both('units', 'number'), 2 ** 31)).toBe('units: 2147483648 is outside the range of units (integer: -2147483648 to 2147483647)');
    expect(refused(views, both('views', 'number'), 2 ** 53)).toMatch(/^views: 9007199254740992 is beyond ±\(2\^53 - 1\)/);
    expect(refused(units, both('units', 'number'), '12')).toBe('units: the number field units holds "12", expected a number');
  });

  it('takes numerics as decimal text within the column scale, never rounding', () => {
    expect(ok(amount, both('amount', 'number'), 1234.5)).toEqual({ driver: '1234.5', write: '1234.5' });
    expect(ok(amount, both('amount', 'number'), 1e9)).toEqual({ driver: '1000000000', write: '1000000000' });
    expect(refused(amount, both('amount', 'number'), 12.345)).toBe('amount: 12.345 has 3 decimal places, amount (numeric(12,2)) keeps 2; it is not rounded');
    expect(refused(amount, both('amount', 'number'), 1e10)).toBe('amount: 10000000000 has 11 integer digits, amount (numeric(12,2)) holds at most 10');
    expect(ok(free, both('free', 'number'), 1e-7)).toEqual({ driver: '0.0000001', write: '0.0000001' });
    expect(ok(free, both('free', 'number'), 1e21)).toEqual({ driver: '1000000000000000000000', write: '1000000000000000000000' });
  });

  it('takes floats as they are; a real refuses what a float4 cannot hold', () => {
    expect(ok(score, both('score', 'number'), 3.141592653589793)).toEqual({ driver: 3.141592653589793, write: 3.141592653589793 });
    expect(ok(ratio, both('ratio', 'number'), 0.25)).toEqual({ driver: 0.25, write: 0.25 });
    expect(refused(ratio, both('ratio', 'number'), 1e39)).toBe('ratio: 1000000000000000000000000000000000000000 is outside the range of ratio (real)');
  });

  it('parses number text from text and note columns', () => {
    expect(ok(views, both('views', 'text'), '9223372036854775807')).toEqual({ driver: '9223372036854775807', write: '9223372036854775807' });
    expect(ok(units, both('units', 'note'), '0042')).toEqual({ driver: 42, write: 42 });
    expect(ok(amount, both('amount', 'text'), '1234.50')).toEqual({ driver: '1234.5', write: '1234.5' });
    expect(ok(free, both('free', 'text'), 'NaN')).toEqual({ driver: 'NaN', write: 'NaN' });
    expect(ok(score, both('score', 'text'), '-Infinity')).toEqual({ driver: -Infinity, write: -Infinity });
    expect(refused(views, both('views', 'text'), '9223372036854775808')).toMatch(/outside the range of views/);
    expect(refused(units, both('units', 'text'), '1.5')).toBe('units: "1.5" is not an integer, and units is integer');
    expect(refused(score, both('score', 'text'), 'abc')).toBe('score: "abc" is not a number, and score is double precision');
  });
});

describe('booleans, dates and timestamps', () => {
  const active = col('active', 'boolean');
  const due = col('due', 'date');
  const local = col('local_at', 'timestamp');
  const created = col('created_at', 'timestamptz');

  it('booleans from Yes/No fields and from text', () => {
    expect(ok(active, both('active', 'boolean'), false)).toEqual({ driver: false, write: false });
    expect(ok(active, both('active', 'text'), 'Yes')).toEqual({ driver: true, write: true });
    expect(refused(active, both('active', 'boolean'), 'true')).toBe('active: the boolean field active holds "true", expected true or false');
    expect(refused(active, both('active', 'note'), 'maybe')).toBe('active: "maybe" is not a boolean (true/false, yes/no, 1/0), and active is boolean');
  });

  it('a date is the UTC day of a date-only value; with format dateTime a time of day is refused', () => {
    expect(ok(due, both('due', 'dateTime'), '2024-02-29T00:00:00Z')).toEqual({ driver: new Date('2024-02-29T00:00:00Z'), write: '2024-02-29' });
    expect(ok(due, both('due', 'dateTime'), '2024-02-29T23:00:00Z')).toEqual({ driver: new Date('2024-02-29T00:00:00Z'), write: '2024-02-29' });
    expect(refused(due, both('due', 'dateTime', { converterOptions: { format: 'dateTime' } }), '2024-02-29T23:00:00Z')).toBe(
      'due: 2024-02-29T23:00:00Z has a time of day, and due (date) keeps the day only',
    );
    expect(ok(due, both('due', 'text'), '2024-02-29')).toEqual({ driver: new Date('2024-02-29T00:00:00Z'), write: '2024-02-29' });
    expect(refused(due, both('due', 'text'), '2024-02-30')).toBe('due: "2024-02-30" is not a date (YYYY-MM-DD)');
    expect(refused(due, both('due', 'dateTime'), 'yesterday')).toBe('due: the dateTime field due holds "yesterday", expected an ISO 8601 date and time');
  });

  it('timestamps are the instant; the written text is UTC (no zone for timestamp) with every digit a text gives', () => {
    expect(ok(created, both('created_at', 'dateTime'), '2024-03-10T01:30:00Z')).toEqual({
      driver: new Date('2024-03-10T01:30:00Z'),
      write: '2024-03-10T01:30:00Z',
    });
    expect(ok(local, both('local_at', 'dateTime'), '2024-03-10T02:30:00Z')).toEqual({ driver: new Date('2024-03-10T02:30:00Z'), write: '2024-03-10T02:30:00' });
    expect(ok(created, both('created_at', 'note'), '2024-03-10T02:30:00.123456+01:00')).toEqual({
      driver: new Date('2024-03-10T01:30:00.123Z'),
      write: '2024-03-10T01:30:00.123456Z',
    });
    expect(ok(local, both('local_at', 'text'), '2024-03-10T02:30:00.5Z')).toEqual({
      driver: new Date('2024-03-10T02:30:00.5Z'),
      write: '2024-03-10T02:30:00.5',
    });
    expect(ok(local, both('local_at', 'text'), '2024-03-10')).toEqual({ driver: new Date('2024-03-10T00:00:00Z'), write: '2024-03-10T00:00:00' });
    expect(refused(created, both('created_at', 'text'), 'infinity')).toBe('created_at: "infinity" is not a timestamp (ISO 8601, e.g. 2024-03-01T10:00:00Z)');
  });

  it('refuses a date push could not write back (SharePoint range)', () => {
    expect(refused(created, both('created_at', 'dateTime'), '1899-12-31T00:00:00Z')).toMatch(
      /outside SharePoint's date range .* \(the list value "1899-12-31T00:00:00Z" could not be pushed back to the list\)$/,
    );
  });
});

describe('text, choices, links and the other families', () => {
  const code = col('code', 'text', { dataType: 'character varying(5)', maxLength: 5 });
  const body = col('body', 'text');
  const status = col('status', 'enum', { dataType: 'order_status', enumValues: ['new', 'paid', 'shipped'] });
  const ref = col('ref', 'uuid');
  const meta = col('meta', 'jsonb');
  const blob = col('blob', 'bytea');
  const duration = col('duration', 'interval');
  const opens = col('opens', 'time');
  const addr = col('addr', 'other');

  it('text stays as it is, within the varchar length', () => {
    expect(ok(code, both('code', 'text'), ' ab ')).toEqual({ driver: ' ab ', write: ' ab ' });
    expect(refused(code, both('code', 'text'), 'abcdef')).toBe('code: "abcdef" is 6 characters long, code (character varying(5)) holds 5');
    expect(refused(body, both('body', 'note'), 42)).toBe('body: the note field body holds 42, expected text');
  });

  it('numbers, booleans and dates into a text column get the text push would parse', () => {
    expect(ok(body, both('body', 'number'), 12.5)).toEqual({ driver: '12.5', write: '12.5' });
    expect(ok(body, both('body', 'boolean'), true)).toEqual({ driver: 'true', write: 'true' });
    // The plain decimal unless only the exponent form fits the column.
    expect(ok(body, both('body', 'number'), 1e21).driver).toBe('1000000000000000000000');
    expect(ok(code, both('code', 'number'), 1e21).driver).toBe('1e+21');
    expect(ok(body, both('body', 'dateTime'), '2024-01-02T03:04:05Z')).toEqual({ driver: '2024-01-02T03:04:05Z', write: '2024-01-02T03:04:05Z' });
    expect(ok(body, both('body', 'dateTime', { converterOptions: { format: 'dateOnly' } }), '2024-01-02T00:00:00Z').driver).toBe('2024-01-02');
    const flag = col('flag', 'text', { dataType: 'character varying(4)', maxLength: 4 });
    expect(refused(flag, both('flag', 'boolean'), false)).toBe('flag: "false" is 5 characters long, flag (character varying(4)) holds 4');
  });

  it('choices must be enum labels (or the mapping choices)', () => {
    expect(ok(status, both('status', 'choice'), 'paid')).toEqual({ driver: 'paid', write: 'paid' });
    expect(refused(status, both('status', 'choice'), 'lost')).toBe(
      'status: "lost" is not one of the labels of status (order_status): "new", "paid", "shipped"',
    );
    expect(refused(status, both('status', 'choice', { converterOptions: { allowTextEntry: true } }), 'lost')).toMatch(/is not one of the labels of status/);
    expect(refused(status, both('status', 'text'), 'PAID')).toBe('status: "PAID" is not one of the labels of status (order_status): new, paid, shipped');
    const size = both('body', 'choice', { converterOptions: { choices: ['S', 'M'] } });
    expect(ok(body, size, 'M').driver).toBe('M');
    expect(refused(body, size, 'XL')).toBe('body: "XL" is not one of the choices of body: "S", "M"');
    expect(ok(body, both('body', 'choice', { converterOptions: { choices: ['S'], allowTextEntry: true } }), 'XL').driver).toBe('XL');
  });

  it('a hyperlink gives its Url; the description is not kept', () => {
    expect(ok(body, both('body', 'hyperlink'), { Url: 'https://example.com/a', Description: 'A' })).toEqual({
      driver: 'https://example.com/a',
      write: 'https://example.com/a',
    });
    expect(refused(body, both('body', 'hyperlink'), { Url: 'javascript:alert(1)', Description: 'x' })).toMatch(/only http, https, mailto and ftp links/);
    expect(refused(body, both('body', 'hyperlink'), 7)).toBe('body: the hyperlink field body holds 7, expected { Url, Description }');
  });

  it('uuid, json, bytea, interval, time and other types', () => {
    expect(ok(ref, both('ref', 'text'), 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11').driver).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(refused(ref, both('ref', 'text'), 'a0eebc999c0b')).toBe('ref: "a0eebc999c0b" is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)');
    expect(ok(meta, both('meta', 'note'), '{"b": 1, "a": [true, null]}')).toEqual({ driver: { a: [true, null], b: 1 }, write: '{"b": 1, "a": [true, null]}' });
    expect(ok(meta, both('meta', 'note'), '{"n": 9007199254740993}').write).toBe('{"n": 9007199254740993}'); // the text keeps every digit
    expect(refused(meta, both('meta', 'note'), '{a: 1}')).toBe('meta: "{a: 1}" is not JSON, and meta is jsonb');
    expect(ok(blob, both('blob', 'note'), '3q2+7w==')).toEqual({ driver: Buffer.from([0xde, 0xad, 0xbe, 0xef]), write: Buffer.from([0xde, 0xad, 0xbe, 0xef]) });
    expect(refused(blob, both('blob', 'note'), '3q2+7w=')).toBe('blob: "3q2+7w=" is not base64 (the list form of blob, bytea)');
    expect(ok(duration, both('duration', 'text'), 'P1DT2H3M4.5S').driver).toBe('P1DT2H3M4.5S');
    expect(refused(duration, both('duration', 'text'), 'a while')).toMatch(/is not an interval/);
    expect(ok(opens, both('opens', 'text'), '08:30:00').driver).toBe('08:30:00');
    expect(ok(addr, both('addr', 'note'), '10.0.0.1').driver).toBe('10.0.0.1');
  });

  it('arrays: JSON array text by element family, nested arrays kept, digits kept', () => {
    const bigIds = col('ids', 'array', { dataType: 'bigint[]', elementFamily: 'bigint' });
    expect(ok(bigIds, both('ids', 'note'), '[9007199254740993,null,-1]')).toEqual({
      driver: ['9007199254740993', null, '-1'],
      write: ['9007199254740993', null, '-1'],
    });
    const days = col('days', 'array', { dataType: 'date[]', elementFamily: 'date' });
    expect(ok(days, both('days', 'note'), '[["2024-01-01"],["2024-01-02"]]')).toEqual({
      driver: [[new Date('2024-01-01T00:00:00Z')], [new Date('2024-01-02T00:00:00Z')]],
      write: [['2024-01-01'], ['2024-01-02']],
    });
    const floats = col('f', 'array', { dataType: 'double precision[]', elementFamily: 'double' });
    expect(ok(floats, both('f', 'note'), '[1.5,"NaN"]').driver).toEqual([1.5, NaN]);
    const ints = col('n', 'array', { dataType: 'integer[]', elementFamily: 'integer' });
    expect(refused(ints, both('n', 'note'), '[1,2.5]')).toBe('n: element 2: 2.5 is not an integer, and n is an element of integer[]');
    expect(refused(ints, both('n', 'note'), '{"a":1}')).toBe('n: "{\\"a\\":1}" is not a JSON array, and n is integer[]');
    const tags = col('tags', 'array', { dataType: 'status[]', elementFamily: 'enum', enumValues: ['a', 'b'] });
    expect(refused(tags, both('tags', 'note'), '["a","c"]')).toMatch(/^tags: element 2: "c" is not one of the labels/);
  });
});

describe('empty values', () => {
  it('absent, null and empty fields are NULL; a NOT NULL text column gets the empty text push wrote', () => {
    const nullable = col('a', 'text');
    const required = col('b', 'text', { nullable: false });
    const n = col('c', 'integer', { nullable: false });
    const link = col('d', 'text');
    const table = tableOf([nullable, required, n, link]);
    const mappings = [both('a', 'note'), both('b', 'note'), both('c', 'number'), both('d', 'hyperlink')];
    for (const fields of [{}, { a: null, b: null, c: null, d: null }, { a: '', b: '', d: { Url: '', Description: '' } }]) {
      expect(itemToRow(fields, mappings, table)).toEqual({
        ok: true,
        driver: { a: null, b: '', c: null, d: null },
        write: { a: null, b: '', c: null, d: null },
      });
    }
  });
});

describe('which mappings carry values back', () => {
  const name = col('name', 'text');
  const gen = col('gen', 'integer', { generated: true });
  const ident = col('ident', 'integer', { identity: 'always' });

  it('names the problem: push-only, not writable, transforms that cannot be inverted', () => {
    expect(ingestProblem(both('name', 'text', { direction: 'push' }), name)).toBe('column name: the mapping is push-only');
    expect(ingestProblem(both('name', 'text', { transforms: [{ op: 'trim' }] }), name)).toBeNull();
    expect(ingestProblem(both('name', 'text', { transforms: [{ op: 'trim' }, { op: 'upper' }] }), name)).toBe(
      'column name: its transforms cannot be inverted; make the mapping push-only',
    );
    expect(ingestProblem(both('name', 'text', { transforms: [{ op: 'regex_replace', pattern: 'a', replacement: 'b' }] }), name)).toMatch(/cannot be inverted/);
    expect(ingestProblem(both('gen', 'number'), gen)).toMatch(/generated column/);
    expect(ingestProblem(both('ident', 'number'), ident)).toMatch(/GENERATED ALWAYS identity/);
    expect(ingestProblem(both('gen', 'boolean'), col('x', 'integer'))).toMatch(/cannot convert to a SharePoint boolean/);
    expect(ingestProblem(mapping('name', 'note', { direction: 'ingress' }), name)).toBeNull();
  });

  it('itemToRow takes ingress and both mappings, ignores push-only and non-invertible ones', () => {
    const table = tableOf([col('a', 'text'), col('b', 'text'), col('c', 'text'), col('d', 'text'), gen]);
    const mappings = [
      mapping('a', 'note', { direction: 'push' }),
      mapping('b', 'note', { direction: 'ingress' }),
      both('c', 'note', { transforms: [{ op: 'lower' }] }),
      both('d', 'note', { transforms: [{ op: 'trim' }] }),
      both('gen', 'number'),
    ];
    expect(itemToRow({ a: 'A', b: 'B', c: 'C', d: '  D ', gen: 3 }, mappings, table)).toEqual({
      ok: true,
      driver: { b: 'B', d: '  D ' },
      write: { b: 'B', d: '  D ' },
    });
  });

  it('fails on a mapped column that no longer exists', () => {
    expect(itemToRow({}, [both('gone', 'note')], tableOf([col('a', 'text')]))).toEqual({
      ok: false,
      column: 'gone',
      reason: 'column gone no longer exists in public.t',
    });
  });

  it('ignores the fields Graph adds (etag, id, Created, SyncBridgeKey...)', () => {
    const r = itemToRow(
      { '@odata.etag': '"x,1"', id: '7', Created: '2024-01-01T00:00:00Z', SyncBridgeKey: 'k', a: 'x' },
      [both('a', 'note')],
      tableOf([col('a', 'text')]),
    );
    expect(r).toEqual({ ok: true, driver: { a: 'x' }, write: { a: 'x' } });
  });
});

describe('itemKey: the key of an item created in SharePoint', () => {
  const table = tableOf([
    col('id', 'bigint', { nullable: false }),
    col('at', 'timestamptz', { nullable: false }),
    col('ref', 'uuid', { nullable: false }),
    col('day', 'date', { nullable: false }),
  ]);
  const mappings = [both('id', 'number'), both('at', 'dateTime'), both('ref', 'text'), both('day', 'dateTime')];

  it('gives the canonical key texts by family', () => {
    const fields = { id: 26990, at: '2022-01-23T13:03:52Z', ref: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', day: '2022-01-23T00:00:00Z' };
    expect(itemKey(fields, ['id', 'at', 'ref', 'day'], mappings, table)).toEqual({
      ok: true,
      key: ['26990', '2022-01-23T13:03:52Z', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2022-01-23'],
    });
  });

  it('fails when a key column is not mapped for ingress, missing or invalid', () => {
    expect(itemKey({ id: 1 }, ['id'], [mapping('id', 'number', { direction: 'push' })], table)).toEqual({
      ok: false,
      column: 'id',
      missing: true,
      reason: 'key column id is not mapped for ingress, so an item created in SharePoint has no key',
    });
    // No value at all is `missing` (a generator may supply one); a wrong value is not.
    expect(itemKey({}, ['id'], mappings, table)).toEqual({ ok: false, column: 'id', missing: true, reason: 'key column id: the item has no value in id' });
    expect(itemKey({ id: 1.5 }, ['id'], mappings, table)).toEqual({
      ok: false,
      column: 'id',
      reason: 'key column id: 1.5 is not an integer, and id is bigint',
    });
    expect(itemKey({ id: 1 }, ['nope'], mappings, table)).toMatchObject({ ok: false, column: 'nope' });
  });
});

describe('a whole row there and back', () => {
  it('push fields, as Graph returns them, come back to values that push to the same fields', () => {
    const table = tableOf([
      col('id', 'bigint'),
      col('code', 'text', { maxLength: 40 }),
      col('amount', 'numeric', { numericPrecision: 12, numericScale: 2 }),
      col('active', 'boolean'),
      col('due', 'date'),
      col('created_at', 'timestamptz'),
      col('status', 'enum', { enumValues: ['new', 'paid'] }),
      col('tags', 'array', { elementFamily: 'text' }),
    ]);
    const mappings = [
      both('id', 'number'),
      both('code', 'text', { transforms: [{ op: 'trim' }] }),
      both('amount', 'currency'),
      both('active', 'boolean'),
      both('due', 'dateTime'),
      both('created_at', 'dateTime'),
      both('status', 'choice'),
      both('tags', 'note'),
    ];
    const row = {
      id: '42',
      code: ' ORD-42 ',
      amount: '1234.50',
      active: true,
      due: new Date('2024-02-29T00:00:00Z'),
      created_at: new Date('2024-03-10T01:30:00.5Z'),
      status: 'paid',
      tags: ['a', 'b "c"'],
    };
    const pushed = convertRow(row, mappings, table);
    if (!pushed.ok) throw new Error(pushed.reason);
    const fields = JSON.parse(JSON.stringify(pushed.fields)) as Record<string, unknown>;
    const back = itemToRow(fields, mappings, table);
    expect(back).toEqual({
      ok: true,
      driver: {
        id: '42',
        code: 'ORD-42',
        amount: '1234.5',
        active: true,
        due: new Date('2024-02-29T00:00:00Z'),
        created_at: new Date('2024-03-10T01:30:00Z'), // SharePoint keeps whole seconds
        status: 'paid',
        tags: ['a', 'b "c"'],
      },
      write: {
        id: '42',
        code: 'ORD-42',
        amount: '1234.5',
        active: true,
        due: '2024-02-29',
        created_at: '2024-03-10T01:30:00Z',
        status: 'paid',
        tags: ['a', 'b "c"'],
      },
    });
    if (back.ok) expect(convertRow(back.driver, mappings, table)).toEqual(pushed);
  });
});
