import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalDecimal, compareDecimal, exactDouble } from '../../src/mapping/decimal.ts';

describe('canonicalDecimal', () => {
  it('normalises sign, zeros and exponents', () => {
    expect(canonicalDecimal('0001.2300')).toBe('1.23');
    expect(canonicalDecimal('-0.000')).toBe('0');
    expect(canonicalDecimal(-0)).toBe('0');
    expect(canonicalDecimal('+5')).toBe('5');
    expect(canonicalDecimal('.5')).toBe('0.5');
    expect(canonicalDecimal('1.5e3')).toBe('1500');
    expect(canonicalDecimal('-12e-4')).toBe('-0.0012');
    expect(canonicalDecimal(1e21)).toBe('1000000000000000000000');
    expect(canonicalDecimal(5e-7)).toBe('0.0000005');
    expect(canonicalDecimal(2n ** 70n)).toBe('1180591620717411303424');
  });

  it('rejects what is not a finite decimal', () => {
    for (const bad of ['', '.', 'abc', '1.2.3', 'NaN', 'Infinity', '1e99999', '--1']) expect(canonicalDecimal(bad)).toBeNull();
    expect(canonicalDecimal(Number.NaN)).toBeNull();
    expect(canonicalDecimal(Number.POSITIVE_INFINITY)).toBeNull();
  });

  it('agrees with the double it came from (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        const c = canonicalDecimal(n) as string;
        expect(Number(c)).toBe(Object.is(n, -0) ? 0 : n);
        expect(c).toMatch(/^-?(0|[1-9]\d*)(\.\d*[1-9])?$/);
      }),
    );
  });
});

describe('compareDecimal', () => {
  it('orders integers as BigInt does (property)', () => {
    fc.assert(
      fc.property(fc.bigInt(), fc.bigInt(), (a, b) => {
        expect(compareDecimal(canonicalDecimal(a) as string, canonicalDecimal(b) as string)).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
  });

  it('orders doubles as numbers do (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double({ noNaN: true, noDefaultInfinity: true }), (a, b) => {
        expect(compareDecimal(canonicalDecimal(a) as string, canonicalDecimal(b) as string)).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
  });
});

describe('exactDouble', () => {
  it('accepts decimals a double writes back identically, refuses the rest', () => {
    expect(exactDouble('0.1')).toBe(0.1);
    expect(exactDouble('9007199254740992')).toBe(2 ** 53);
    expect(exactDouble('9007199254740993')).toBeNull();
    expect(exactDouble('12345678901234567.5')).toBeNull();
  });
});
