/*
 * Exact decimal text handling. PostgreSQL hands bigint and numeric to JavaScript as strings;
 * comparing, canonicalising or checking them through a double would silently round, so this
 * works on the digits.
 */

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
/** Past this exponent a value is not a number anyone syncs; refusing keeps strings bounded. */
const MAX_EXPONENT = 1000;

/**
 * Canonical decimal text of a finite number: optional "-", integer digits without leading
 * zeros, and a fraction without trailing zeros; "0" for any zero (no "-0"); never an exponent.
 * Returns null for anything that is not a finite decimal (NaN, Infinity, "abc", "1e99999").
 */
export function canonicalDecimal(x: string | number | bigint): string | null {
  if (typeof x === 'bigint') return x.toString();
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) return null;
    // String(n) is the shortest text that round-trips to the same double (may use an exponent).
    return canonicalDecimal(String(x));
  }
  const m = DECIMAL.exec(x.trim());
  if (!m) return null;
  const [, sign = '', intPart = '', fracPart = '', expPart] = m;
  if (intPart.length + fracPart.length === 0) return null;
  const exp = expPart === undefined ? 0 : Number(expPart);
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > MAX_EXPONENT) return null;
  // Shift the decimal point by the exponent over the concatenated digits.
  const digits = intPart + fracPart;
  let point = intPart.length + exp;
  let all = digits;
  if (point < 0) {
    all = '0'.repeat(-point) + all;
    point = 0;
  } else if (point > all.length) {
    all = all + '0'.repeat(point - all.length);
  }
  const int = all.slice(0, point).replace(/^0+/, '') || '0';
  const frac = all.slice(point).replace(/0+$/, '');
  const body = frac ? `${int}.${frac}` : int;
  return body === '0' ? '0' : sign === '-' ? `-${body}` : body;
}

/** True when `x` is an integer in canonical form (no fraction). */
export const isCanonicalInteger = (canonical: string): boolean => !canonical.includes('.');

/** Compares two canonical decimals exactly: -1, 0 or 1. */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const negA = a.startsWith('-');
  const negB = b.startsWith('-');
  if (negA !== negB) return negA ? -1 : 1;
  const abs = compareAbs(negA ? a.slice(1) : a, negB ? b.slice(1) : b);
  // Never -0: equal negatives compare as 0.
  return (negA && abs !== 0 ? -abs : abs) as -1 | 0 | 1;
}

function compareAbs(a: string, b: string): -1 | 0 | 1 {
  const [ai = '', af = ''] = a.split('.');
  const [bi = '', bf = ''] = b.split('.');
  if (ai.length !== bi.length) return ai.length < bi.length ? -1 : 1;
  if (ai !== bi) return ai < bi ? -1 : 1;
  const len = Math.max(af.length, bf.length);
  const pa = af.padEnd(len, '0');
  const pb = bf.padEnd(len, '0');
  return pa === pb ? 0 : pa < pb ? -1 : 1;
}

/**
 * The double nearest to a canonical decimal, or null when the double does not represent the
 * decimal exactly (its own shortest text differs): 2^53 + 1, 0.1000000000000000055511151231257827 etc.
 */
export function exactDouble(canonical: string): number | null {
  const n = Number(canonical);
  if (!Number.isFinite(n)) return null;
  return canonicalDecimal(n) === canonical ? n : null;
}
