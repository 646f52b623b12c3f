import { canonicalKeyText } from '../mapping/canonical.ts';
import { canonicalDecimal, compareDecimal } from '../mapping/decimal.ts';
import { canonicalJson } from '../mapping/json.ts';
import { formatUtcDate, isValidDate } from '../mapping/temporal.ts';
import { parseJsonArrayKeepingNumbers } from './json-array.ts';
import type { TypeFamily } from './types.ts';

/*
 * Values to write (writes.ts SourceValue) as the canonical text of the column's family. Engines
 * bind the text and cast it in SQL, so what is stored is exactly what the text says; nothing
 * goes through a double or a JavaScript Date on the way unless the caller sent one. A value
 * that cannot mean anything in the column is refused here, with the reason, before any SQL;
 * the database still has the last word (ranges of its own types, constraints, triggers).
 */

export interface WriteColumn {
  name: string;
  family: TypeFamily;
  /** Arrays: the family of the elements. */
  elementFamily?: TypeFamily | undefined;
}

export type WriteText = { ok: true; text: string | null } | { ok: false; reason: string };

const ok = (text: string | null): WriteText => ({ ok: true, text });
const fail = (reason: string): WriteText => ({ ok: false, reason });
const show = (v: unknown) =>
  typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : Array.isArray(v) ? 'an array' : v instanceof Date ? 'a Date' : typeof v;

const INTEGER_RANGES: Partial<Record<TypeFamily, [string, string]>> = {
  smallint: ['-32768', '32767'],
  integer: ['-2147483648', '2147483647'],
  bigint: ['-9223372036854775808', '9223372036854775807'],
};
const SPECIAL_FLOAT = /^(NaN|[+-]?Inf(inity)?)$/i;
const TRUE_WORDS = new Set(['true', 't', 'yes', 'y', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n', 'off', '0']);
const DATE = /^\d{4,}-\d{2}-\d{2}$/;
const MIDNIGHT_UTC = /^(\d{4,}-\d{2}-\d{2})T00:00(?::00(?:\.0+)?)?(?:Z|[+-]00(?::?00)?)?$/i;
const TIMESTAMP = /^\d{4,}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?\s*(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$/i;
const SPECIAL_TIME = /^([+-]?infinity|.* BC)$/i;

function integerText(value: unknown, column: WriteColumn): WriteText {
  let text: string | null = null;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return fail(`${value} is not an integer`);
    if (!Number.isSafeInteger(value)) return fail(`${value} is beyond ±2^53 and may have lost digits already; send it as a string or a bigint`);
    text = String(value);
  } else if (typeof value === 'bigint') text = value.toString();
  else if (typeof value === 'string') {
    const canonical = canonicalDecimal(value);
    if (canonical === null || canonical.includes('.')) return fail(`${show(value)} is not an integer`);
    text = canonical;
  } else return fail(`${show(value)} is not an integer`);
  const range = INTEGER_RANGES[column.family];
  if (range && (compareDecimal(text, range[0]) < 0 || compareDecimal(text, range[1]) > 0)) {
    return fail(`${text} is outside the range of ${column.family} (${range[0]} to ${range[1]})`);
  }
  return ok(text);
}

function decimalText(value: unknown, column: WriteColumn): WriteText {
  if (typeof value === 'number')
    return ok(Number.isFinite(value) ? (canonicalDecimal(value) as string) : Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity');
  if (typeof value === 'bigint') return ok(value.toString());
  if (typeof value === 'string') {
    const trimmed = value.trim();
    // The text as given: it keeps its scale ("1.50") where the column keeps scales.
    if (canonicalDecimal(trimmed) !== null || SPECIAL_FLOAT.test(trimmed)) return ok(trimmed);
  }
  return fail(`${show(value)} is not a ${column.family === 'numeric' ? 'decimal number' : 'number'}`);
}

function booleanText(value: unknown): WriteText {
  if (typeof value === 'boolean') return ok(value ? 'true' : 'false');
  if (value === 1 || value === 0) return ok(value === 1 ? 'true' : 'false');
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return ok('true');
    if (FALSE_WORDS.has(word)) return ok('false');
  }
  return fail(`${show(value)} is not a boolean (true/false, yes/no, on/off, 1/0)`);
}

function dateText(value: unknown): WriteText {
  if (value instanceof Date) {
    if (!isValidDate(value)) return fail('an invalid Date cannot be written');
    if (value.getTime() % 86_400_000 !== 0)
      return fail(`${value.toISOString()} has a time of day; a date column keeps the day only (send midnight UTC or YYYY-MM-DD)`);
    return ok(formatUtcDate(value));
  }
  if (typeof value === 'string') {
    const s = value.trim();
    if (DATE.test(s) || SPECIAL_TIME.test(s)) return ok(s);
    const midnight = MIDNIGHT_UTC.exec(s);
    if (midnight) return ok(midnight[1] as string);
    if (TIMESTAMP.test(s)) return fail(`${show(value)} has a time of day; a date column keeps the day only (send midnight UTC or YYYY-MM-DD)`);
  }
  return fail(`${show(value)} is not a date (YYYY-MM-DD)`);
}

function timestampText(value: unknown, withZone: boolean): WriteText {
  if (value instanceof Date) {
    if (!isValidDate(value)) return fail('an invalid Date cannot be written');
    const iso = value.toISOString();
    return ok(withZone ? iso : iso.slice(0, -1));
  }
  if (typeof value === 'string') {
    const s = value.trim();
    if (SPECIAL_TIME.test(s)) return ok(s);
    if (DATE.test(s)) return ok(withZone ? `${s}T00:00:00Z` : `${s}T00:00:00`);
    const m = TIMESTAMP.exec(s);
    if (m) {
      // An offset moves the instant to UTC; a timestamp without time zone then drops the "Z" (it is read as UTC).
      const utc = canonicalKeyText(s, 'timestamptz') as string;
      if (withZone) return ok(utc);
      return ok(m[1] ? utc.slice(0, -1) : s);
    }
  }
  return fail(`${show(value)} is not a timestamp (ISO 8601)`);
}

function jsonText(value: unknown): WriteText {
  if (typeof value === 'string') {
    try {
      JSON.parse(value);
    } catch {
      return fail(`${show(value)} is not JSON text`);
    }
    return ok(value);
  }
  try {
    return ok(canonicalJson(value));
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
}

function byteaText(value: unknown): WriteText {
  if (value instanceof Uint8Array) return ok(`\\x${Buffer.from(value).toString('hex')}`);
  if (typeof value === 'string') {
    if (/^\\x([0-9a-f]{2})*$/i.test(value)) return ok(value);
    if (/^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0) return ok(`\\x${Buffer.from(value, 'base64').toString('hex')}`);
  }
  return fail(`${show(value)} is neither \\x-hex nor base64 bytes`);
}

function plainText(value: unknown): WriteText {
  if (typeof value === 'string') return ok(value);
  if (typeof value === 'number') return ok(Number.isFinite(value) ? (canonicalDecimal(value) as string) : String(value));
  if (typeof value === 'bigint') return ok(value.toString());
  if (typeof value === 'boolean') return ok(value ? 'true' : 'false');
  return fail(`${show(value)} cannot be written as text`);
}

/** PostgreSQL-style array literal text is built by the engine; here, the elements' canonical texts (nested for several dimensions). */
export type ArrayTexts = Array<string | null | ArrayTexts>;

export type ArrayConversion = { ok: true; elements: ArrayTexts | null } | { ok: false; reason: string };

/** An array value (a JavaScript array, or JSON array text whose numbers keep every digit) as its elements' canonical texts. */
export function arrayElementTexts(value: unknown, column: WriteColumn): ArrayConversion {
  if (value === null || value === undefined) return { ok: true, elements: null };
  let items: unknown;
  if (typeof value === 'string') {
    items = parseJsonArrayKeepingNumbers(value);
    if (items === undefined) return { ok: false, reason: `${show(value)} is not a JSON array` };
  } else items = value;
  if (!Array.isArray(items)) return { ok: false, reason: `${show(value)} is not an array` };
  const element: WriteColumn = { name: column.name, family: column.elementFamily ?? 'other' };
  const convert = (list: unknown[]): ArrayTexts | string => {
    const out: ArrayTexts = [];
    for (const item of list) {
      if (Array.isArray(item)) {
        const nested = convert(item);
        if (typeof nested === 'string') return nested;
        out.push(nested);
        continue;
      }
      const t = writeText(item, element);
      if (!t.ok) return `element ${out.length + 1}: ${t.reason}`;
      out.push(t.text);
    }
    return out;
  };
  const elements = convert(items);
  return typeof elements === 'string' ? { ok: false, reason: elements } : { ok: true, elements };
}

/** The canonical text of a scalar value for a column of this family (arrays: see arrayElementTexts); null for NULL. */
export function writeText(value: unknown, column: WriteColumn): WriteText {
  if (value === null || value === undefined) return ok(null);
  switch (column.family) {
    case 'smallint':
    case 'integer':
    case 'bigint':
      return integerText(value, column);
    case 'numeric':
    case 'real':
    case 'double':
      return decimalText(value, column);
    case 'boolean':
      return booleanText(value);
    case 'date':
      return dateText(value);
    case 'timestamp':
    case 'timestamptz':
      return timestampText(value, column.family === 'timestamptz');
    case 'json':
    case 'jsonb':
      return jsonText(value);
    case 'bytea':
      return byteaText(value);
    case 'array':
      return fail('an array column takes arrayElementTexts');
    default:
      return plainText(value);
  }
}
