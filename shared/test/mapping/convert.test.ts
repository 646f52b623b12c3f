import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convertRow, convertValue } from '../../src/mapping/convert.ts';
import { col, mapping, tableOf } from './fixtures.ts';

const conv = (value: unknown, column: ReturnType<typeof col>, m: ReturnType<typeof mapping>) => convertValue(value, column, m);

describe('text and note', () => {
  const code = col('code', 'text', { maxLength: 10, dataType: 'character varying(10)' });

  it('applies transforms in order before checking the length', () => {
    const m = mapping('code', 'text', {
      transforms: [{ op: 'trim' }, { op: 'upper' }, { op: 'regex_replace', pattern: '\\s+', flags: 'g', replacement: '-' }],
    });
    expect(conv('   ab  cd  ef   ', code, m)).toEqual({ ok: true, value: 'AB-CD-EF' });
    expect(conv('  Some Text ', code, mapping('code', 'text', { transforms: [{ op: 'trim' }, { op: 'lower' }] }))).toEqual({ ok: true, value: 'some text' });
    // Without "g" only the first match is replaced, as in JavaScript.
    expect(conv('a-b-c', code, mapping('code', 'text', { transforms: [{ op: 'regex_replace', pattern: '-', replacement: '+' }] }))).toEqual({
      ok: true,
      value: 'a+b-c',
    });
  });

  it('fails a value longer than the column after transforms', () => {
    expect(conv('x'.repeat(11), code, mapping('code', 'text'))).toEqual({ ok: false, reason: 'value is 11 characters long, the text column code allows 10' });
    expect(conv(' '.repeat(5) + 'x'.repeat(10), code, mapping('code', 'text', { transforms: [{ op: 'trim' }] }))).toEqual({ ok: true, value: 'x'.repeat(10) });
    expect(conv('abcdef', code, mapping('code', 'text', { converterOptions: { maxLength: 5 } })).ok).toBe(false);
  });

  it('refuses control characters SharePoint cannot store, keeps tabs and newlines', () => {
    expect(conv('a\u0001b', code, mapping('code', 'text'))).toEqual({
      ok: false,
      reason: 'value contains the control character U+0001, which SharePoint cannot store',
    });
    expect(conv('a\tb\nc', col('d', 'text'), mapping('d', 'note'))).toEqual({ ok: true, value: 'a\tb\nc' });
  });

  it('writes the text form of non-text sources', () => {
    expect(conv(12.5, col('n', 'numeric'), mapping('n', 'text'))).toEqual({ ok: true, value: '12.5' });
    expect(conv('0012.50', col('n', 'numeric'), mapping('n', 'text'))).toEqual({ ok: true, value: '12.5' });
    expect(conv(true, col('b', 'boolean'), mapping('b', 'text'))).toEqual({ ok: true, value: 'true' });
    expect(conv(new Date('2024-01-02T03:04:05.006Z'), col('t', 'timestamptz'), mapping('t', 'text'))).toEqual({ ok: true, value: '2024-01-02T03:04:05.006Z' });
    expect(conv(new Date('2024-01-02T00:00:00Z'), col('d', 'date'), mapping('d', 'text'))).toEqual({ ok: true, value: '2024-01-02' });
    expect(conv('1 year 2 mons -3 days 04:05:06', col('i', 'interval'), mapping('i', 'text'))).toEqual({ ok: true, value: 'P1Y2M-3DT4H5M6S' });
    expect(conv('"quoted"', col('j', 'json'), mapping('j', 'note'))).toEqual({ ok: true, value: '"\\"quoted\\""' });
  });

  it('encodes bytea as base64 up to a size cap', () => {
    const blob = col('blob', 'bytea');
    expect(conv(Buffer.from('hello'), blob, mapping('blob', 'note'))).toEqual({ ok: true, value: 'aGVsbG8=' });
    expect(conv(Buffer.alloc(11), blob, mapping('blob', 'note', { converterOptions: { maxBytes: 10 } }))).toEqual({
      ok: false,
      reason: '11 bytes exceed the limit of 10 bytes for a base64 text column',
    });
  });

  it('writes JSON-native array text, with every digit of bigint elements', () => {
    const arr = col('a', 'array', { elementFamily: 'bigint' });
    expect(conv(['1', '9223372036854775807', null], arr, mapping('a', 'note'))).toEqual({ ok: true, value: '[1,9223372036854775807,null]' });
    const stamps = col('s', 'array', { elementFamily: 'timestamptz' });
    expect(conv([[new Date('2024-01-01T00:00:00Z')]], stamps, mapping('s', 'note'))).toEqual({ ok: true, value: '[["2024-01-01T00:00:00Z"]]' });
  });

  it('keeps any short text unchanged (property)', () => {
    const c = col('t', 'text', { maxLength: 255 });
    fc.assert(
      // Printable ASCII and beyond: control characters are covered by their own test.
      fc.property(
        fc.string({ maxLength: 255 }).filter((s) => [...s].every((ch) => ch >= ' ' || ch === '\t' || ch === '\n' || ch === '\r')),
        (s) => {
          expect(conv(s, c, mapping('t', 'text'))).toEqual({ ok: true, value: s });
        },
      ),
    );
  });
});

describe('number and currency', () => {
  it('converts integers within ±2^53 exactly and refuses larger ones (property)', () => {
    const big = col('v', 'bigint');
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
        const r = conv(String(n), big, mapping('v', 'number'));
        const abs = n < 0n ? -n : n;
        if (abs <= 2n ** 53n) expect(r).toEqual({ ok: true, value: Number(n) });
        else expect(r.ok).toBe(false);
      }),
    );
  });

  it('keeps numeric values that a double holds exactly; rounding only when asked', () => {
    const n = col('n', 'numeric', { numericPrecision: 30, numericScale: 2 });
    expect(conv('1234.50', n, mapping('n', 'currency'))).toEqual({ ok: true, value: 1234.5 });
    expect(conv('12345678901234567.89', n, mapping('n', 'number'))).toEqual({ ok: false, reason: expect.stringContaining('more significant digits') });
    expect(conv('12345678901234567.89', n, mapping('n', 'number', { converterOptions: { rounding: 'nearest' } }))).toEqual({
      ok: true,
      value: 12345678901234568,
    });
    expect(conv('NaN', n, mapping('n', 'number'))).toEqual({ ok: false, reason: '"NaN" is not a finite number' });
  });

  it('refuses NaN and infinities from floats, turns -0 into 0', () => {
    const d = col('d', 'double');
    expect(conv(Number.NaN, d, mapping('d', 'number'))).toEqual({ ok: false, reason: 'NaN cannot be stored in a SharePoint number column' });
    expect(conv(Number.NEGATIVE_INFINITY, d, mapping('d', 'number')).ok).toBe(false);
    expect(conv(-0, d, mapping('d', 'number'))).toEqual({ ok: true, value: 0 });
  });

  it('parses text sources after transforms', () => {
    const t = col('t', 'text');
    expect(conv(' 42 ', t, mapping('t', 'number', { transforms: [{ op: 'trim' }] }))).toEqual({ ok: true, value: 42 });
    expect(conv('1,234', t, mapping('t', 'number', { transforms: [{ op: 'regex_replace', pattern: ',', flags: 'g', replacement: '' }] }))).toEqual({
      ok: true,
      value: 1234,
    });
    expect(conv('abc', t, mapping('t', 'number'))).toEqual({ ok: false, reason: '"abc" is not a finite number' });
  });
});

describe('boolean, dateTime, choice, hyperlink', () => {
  it('booleans from booleans and yes/no words', () => {
    expect(conv(false, col('b', 'boolean'), mapping('b', 'boolean'))).toEqual({ ok: true, value: false });
    expect(conv('Yes', col('t', 'text'), mapping('t', 'boolean'))).toEqual({ ok: true, value: true });
    expect(conv('maybe', col('t', 'text'), mapping('t', 'boolean')).ok).toBe(false);
  });

  it('dateTime: UTC, whole seconds, SharePoint range', () => {
    const ts = col('ts', 'timestamp');
    expect(conv('2024-03-31 02:30:00.999999', ts, mapping('ts', 'dateTime'))).toEqual({ ok: true, value: '2024-03-31T02:30:00Z' });
    expect(conv('2024-03-31T02:30:00+02:00', col('t', 'text'), mapping('t', 'dateTime'))).toEqual({ ok: true, value: '2024-03-31T00:30:00Z' });
    expect(conv(new Date('8900-12-31T23:59:59.999Z'), ts, mapping('ts', 'dateTime'))).toEqual({ ok: true, value: '8900-12-31T23:59:59Z' });
    expect(conv(new Date('8901-01-01T00:00:00Z'), ts, mapping('ts', 'dateTime')).ok).toBe(false);
    expect(conv('2024-02-30', col('d', 'date'), mapping('d', 'dateTime'))).toEqual({ ok: false, reason: '"2024-02-30" is not a valid date' });
  });

  it('dateTime keeps the calendar day of dates in any range year (property)', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('8900-12-31T00:00:00Z'), noInvalidDate: true }), (d) => {
        const day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
        const r = conv(day, col('d', 'date'), mapping('d', 'dateTime'));
        expect(r).toEqual({ ok: true, value: `${day.toISOString().slice(0, 10)}T00:00:00Z` });
      }),
    );
  });

  it('choice: enum labels or explicit choices', () => {
    const status = col('status', 'enum', { enumValues: ['new', 'paid'] });
    expect(conv('paid', status, mapping('status', 'choice'))).toEqual({ ok: true, value: 'paid' });
    expect(conv('lost', status, mapping('status', 'choice'))).toEqual({ ok: false, reason: '"lost" is not one of the choices of status' });
    expect(conv('lost', status, mapping('status', 'choice', { converterOptions: { allowTextEntry: true } }))).toEqual({ ok: true, value: 'lost' });
    const t = col('t', 'text');
    expect(conv(' b ', t, mapping('t', 'choice', { converterOptions: { choices: ['A', 'B'] }, transforms: [{ op: 'trim' }, { op: 'upper' }] }))).toEqual({
      ok: true,
      value: 'B',
    });
  });

  it('hyperlink: absolute http(s)/mailto/ftp URLs only', () => {
    const t = col('url', 'text');
    expect(conv('https://example.com/a?b=1', t, mapping('url', 'hyperlink'))).toEqual({
      ok: true,
      value: { Url: 'https://example.com/a?b=1', Description: 'https://example.com/a?b=1' },
    });
    expect(conv('https://x.io', t, mapping('url', 'hyperlink', { converterOptions: { description: 'Open' } }))).toEqual({
      ok: true,
      value: { Url: 'https://x.io', Description: 'Open' },
    });
    expect(conv('javascript:alert(1)', t, mapping('url', 'hyperlink')).ok).toBe(false);
    expect(conv('/relative', t, mapping('url', 'hyperlink')).ok).toBe(false);
  });
});

describe('convertRow', () => {
  const table = tableOf([col('id', 'integer'), col('name', 'text', { maxLength: 5 }), col('secret', 'text')]);

  it('builds fields for push mappings, skips ingress-only ones, keeps NULL as null', () => {
    const ms = [mapping('id', 'number', { targetColumn: 'RowId' }), mapping('name', 'text'), mapping('secret', 'note', { direction: 'ingress' })];
    expect(convertRow({ id: 1, name: null, secret: 'x' }, ms, table)).toEqual({ ok: true, fields: { RowId: 1, name: null } });
  });

  it('fails the row on the first bad value, naming the source column', () => {
    const ms = [mapping('id', 'number'), mapping('name', 'text')];
    expect(convertRow({ id: 1, name: 'toolong' }, ms, table)).toEqual({
      ok: false,
      column: 'name',
      reason: 'name: value is 7 characters long, the text column name allows 5',
    });
    expect(convertRow({ id: 1 }, ms, table)).toEqual({ ok: false, column: 'name', reason: 'name: value was not read from the source (missing from the row)' });
    expect(convertRow({ gone: 1 }, [mapping('gone', 'number')], table)).toMatchObject({ ok: false, column: 'gone' });
    // A broken pattern saved without validation quarantines instead of failing the batch.
    const broken = [mapping('name', 'text', { transforms: [{ op: 'regex_replace', pattern: '(', replacement: '' }] })];
    expect(convertRow({ name: 'a' }, broken, table)).toMatchObject({ ok: false, column: 'name', reason: expect.stringContaining('transform failed') });
  });

  it('refuses a conversion the matrix does not allow', () => {
    const t = tableOf([col('blob', 'bytea'), col('doc', 'jsonb')]);
    expect(convertRow({ blob: Buffer.from('x') }, [mapping('blob', 'number')], t)).toMatchObject({
      ok: false,
      reason: 'blob: a bytea column cannot convert to a SharePoint number column',
    });
    expect(convertRow({ doc: { a: 1 } }, [mapping('doc', 'boolean')], t)).toMatchObject({ ok: false, column: 'doc' });
  });
});
