import type { TypeFamily } from '../sources/types.ts';
import { canonicalDecimal } from './decimal.ts';
import { formatIsoUtc, formatUtcDate, intervalToIso, isValidDate } from './temporal.ts';

/*
 * Canonical JSON text: object keys sorted by code unit, no whitespace, numbers in their
 * shortest form. The same value always gives the same text, which makes it usable for list
 * content (json/jsonb/array columns) and as hash input.
 */

export class CanonicalJsonError extends TypeError {
  override name = 'CanonicalJsonError';
}

/**
 * `leafFamily` tells how to write driver values that JSON has no type for, as PostgreSQL
 * arrays deliver them: bigint/numeric elements (strings) become JSON numbers with every
 * digit kept, date elements "YYYY-MM-DD", timestamps ISO 8601 UTC, bytea base64,
 * intervals ISO 8601 durations, NaN/Infinity floats the strings "NaN"/"Infinity".
 */
export function canonicalJson(value: unknown, leafFamily?: TypeFamily): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, leafFamily)).join(',')}]`;
  switch (typeof value) {
    case 'string':
      return leafString(value, leafFamily);
    case 'number':
      if (!Number.isFinite(value)) return JSON.stringify(String(value));
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw new CanonicalJsonError(`a ${typeof value} has no JSON form`);
  }
  if (value instanceof Date) {
    if (!isValidDate(value)) throw new CanonicalJsonError('an invalid Date has no JSON form');
    return JSON.stringify(leafFamily === 'date' ? formatUtcDate(value) : formatIsoUtc(value));
  }
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  const entries = Object.keys(value as Record<string, unknown>)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

function leafString(value: string, family?: TypeFamily): string {
  if (family === 'bigint' || family === 'numeric') {
    const d = canonicalDecimal(value);
    if (d !== null) return d; // digits as a JSON number, none lost to a double
  }
  if (family === 'interval') return JSON.stringify(intervalToIso(value) ?? value);
  return JSON.stringify(value);
}
