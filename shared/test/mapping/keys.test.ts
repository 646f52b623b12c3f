import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalKeyText } from '../../src/mapping/canonical.ts';
import { decodeSourceKey, encodeSourceKey, InvalidSourceKeyError, keyFilter, KeyTooLongError } from '../../src/mapping/keys.ts';

// Any UTF-16 code unit, lone surrogates included: the encoding must not depend on valid Unicode.
const anyString = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 12 });
const keyPart = fc.oneof(anyString, fc.constant(null), fc.constantFrom('', 'A', 'a', '~', '_', '_2', '_3', "'", ' '));
const tuple = fc.array(keyPart, { minLength: 1, maxLength: 4 });
const encodable = (xs: Array<string | null>) => {
  try {
    return encodeSourceKey(xs);
  } catch (err) {
    if (err instanceof KeyTooLongError) return null;
    throw err;
  }
};

describe('encodeSourceKey / decodeSourceKey', () => {
  it('round-trips any tuple of strings and NULLs (property)', () => {
    fc.assert(
      fc.property(tuple, (xs) => {
        const enc = encodable(xs);
        if (enc !== null) expect(decodeSourceKey(enc)).toEqual(xs);
      }),
      { numRuns: 2000 },
    );
  });

  it('is injective, also under SharePoint case-insensitive comparison (property)', () => {
    fc.assert(
      fc.property(tuple, tuple, (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        const ea = encodable(a);
        const eb = encodable(b);
        if (ea !== null && eb !== null) expect(ea.toLowerCase()).not.toBe(eb.toLowerCase());
      }),
      { numRuns: 2000 },
    );
  });

  it('writes only lower-case URL-safe characters, never a quote (property)', () => {
    fc.assert(
      fc.property(tuple, (xs) => {
        const enc = encodable(xs);
        if (enc !== null) expect(enc).toMatch(/^[a-z0-9._~-]+$/);
      }),
    );
    expect(keyFilter(encodeSourceKey(["O'Brien"]))).toBe("fields/SyncBridgeKey eq '_o_027_brien'");
  });

  it('gives the same key whatever JavaScript type the driver used (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
        expect(encodeSourceKey([String(n)], ['bigint'])).toBe(encodeSourceKey([n], ['bigint']));
        if (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)) expect(encodeSourceKey([Number(n)])).toBe(encodeSourceKey([n]));
      }),
    );
    expect(encodeSourceKey(['1.50'], ['numeric'])).toBe(encodeSourceKey([1.5], ['numeric']));
    expect(encodeSourceKey(['A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'], ['uuid'])).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(encodeSourceKey([new Date('2024-01-15T00:00:00Z')], ['date'])).toBe(encodeSourceKey(['2024-01-15'], ['date']));
    expect(encodeSourceKey([new Date('2024-01-15T10:00:00.5Z')], ['timestamptz'])).toBe(encodeSourceKey(['2024-01-15 10:00:00.5+00'], ['timestamptz']));
    expect(encodeSourceKey([true, 't'], ['boolean', 'boolean'])).toBe('true~true');
  });

  it('keeps typical keys readable', () => {
    expect(encodeSourceKey([42])).toBe('42');
    expect(encodeSourceKey(['SKU-1', 7])).toBe('_s_k_u-1~7');
    expect(encodeSourceKey(['2024-01-15 10:00:00+00'])).toBe('2024-01-15_02010_03a00_03a00_02b00');
  });

  it('throws KeyTooLongError past 255 characters and accepts exactly 255', () => {
    expect(encodeSourceKey(['a'.repeat(255)])).toHaveLength(255);
    expect(() => encodeSourceKey(['a'.repeat(256)])).toThrow(KeyTooLongError);
    expect(() => encodeSourceKey(['A'.repeat(128)])).toThrow(/256 characters long/);
  });

  it('refuses malformed and non-canonical encodings', () => {
    for (const bad of ['', 'ABC', '_041', '_0zz', 'a~', '~a', '_', '_1abc', 'a b', "a'"])
      expect(() => decodeSourceKey(bad), bad).toThrow(InvalidSourceKeyError);
  });

  it('refuses values that cannot be keys', () => {
    expect(() => encodeSourceKey([])).toThrow(RangeError);
    expect(() => encodeSourceKey([{ a: 1 }])).toThrow(TypeError);
    expect(() => encodeSourceKey([new Date(Number.NaN)])).toThrow(TypeError);
    expect(canonicalKeyText(Buffer.from([0xde, 0xad]))).toBe('\\xdead');
  });
});
