import type { IntrospectedColumn } from '../sources/types.ts';
import { canonicalDecimal, compareDecimal, exactDouble } from './decimal.ts';
import { canonicalJson } from './json.ts';
import { DEFAULT_MAX_BYTES, MAX_EXACT_INTEGER } from './rules.ts';
import { formatIsoUtc, formatUtcDate, inSharePointRange, intervalToIso, isValidDate, parseTimestampText, toSharePointDateTime } from './temporal.ts';

/*
 * Value conversions from driver values to SharePoint field values. Each returns a result
 * instead of throwing: a value that cannot convert quarantines its row, with the reason.
 */

export type Converted<T = unknown> = { ok: true; value: T } | { ok: false; reason: string };
const ok = <T>(value: T): Converted<T> => ({ ok: true, value });
const fail = (reason: string): Converted<never> => ({ ok: false, reason });
const describe = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : String(v));

const bytesOf = (v: unknown): Buffer | null => (v instanceof Uint8Array ? Buffer.from(v) : null);

/** The text form of any source value (what text, note and choice columns receive). */
export function toText(value: unknown, column: IntrospectedColumn, options: Record<string, unknown>): Converted<string> {
  const family = column.typeFamily;
  if (family === 'json' || family === 'jsonb') return ok(canonicalJson(value));
  if (family === 'array' || Array.isArray(value)) return ok(canonicalJson(value, column.elementFamily));
  const bytes = bytesOf(value);
  if (bytes) {
    const max = typeof options.maxBytes === 'number' ? options.maxBytes : DEFAULT_MAX_BYTES;
    if (bytes.length > max) return fail(`${bytes.length} bytes exceed the limit of ${max} bytes for a base64 text column`);
    return ok(bytes.toString('base64'));
  }
  if (typeof value === 'string') {
    if (family === 'interval') return ok(intervalToIso(value) ?? value);
    if (family === 'numeric' || family === 'bigint') return ok(canonicalDecimal(value) ?? value);
    return ok(value);
  }
  if (typeof value === 'number') return ok(Number.isFinite(value) ? (canonicalDecimal(value) as string) : String(value));
  if (typeof value === 'bigint') return ok(value.toString());
  if (typeof value === 'boolean') return ok(value ? 'true' : 'false');
  if (value instanceof Date) {
    if (!isValidDate(value)) return fail('value is not a valid date (infinity or outside the JavaScript date range)');
    return ok(family === 'date' ? formatUtcDate(value) : formatIsoUtc(value));
  }
  if (typeof value === 'object' && value !== null) return ok(canonicalJson(value));
  return fail(`a value of type ${typeof value} has no text form`);
}

/** SharePoint number or currency: a finite double that holds the source value exactly. */
export function toNumber(value: unknown, column: IntrospectedColumn, options: Record<string, unknown>): Converted<number> {
  const family = column.typeFamily;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return fail(`${value} cannot be stored in a SharePoint number column`);
    return ok(Object.is(value, -0) ? 0 : value);
  }
  if (typeof value !== 'string' && typeof value !== 'bigint') return fail(`${describe(value)} is not a number`);
  const canonical = canonicalDecimal(value);
  if (canonical === null) return fail(`${describe(value)} is not a finite number`);
  if (family === 'smallint' || family === 'integer' || family === 'bigint') {
    // Integers convert only within ±2^53, where every integer is a distinct double.
    const magnitude = canonical.startsWith('-') ? canonical.slice(1) : canonical;
    if (compareDecimal(magnitude, MAX_EXACT_INTEGER) > 0) {
      return fail(`${canonical} is beyond ±2^53 and would lose precision in a SharePoint number; map the column to text to keep it exactly`);
    }
    return ok(Number(canonical));
  }
  const exact = exactDouble(canonical);
  if (exact !== null) return ok(exact);
  const nearest = Number(canonical);
  if (options.rounding === 'nearest' && Number.isFinite(nearest)) return ok(nearest);
  if (!Number.isFinite(nearest)) return fail(`${canonical} is outside the range of a SharePoint number`);
  return fail(`${canonical} has more significant digits than a SharePoint number keeps; set converterOptions.rounding to "nearest" or map to text`);
}

const TRUE_WORDS = new Set(['true', 't', 'yes', 'y', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n', '0', 'off']);

export function toBoolean(value: unknown): Converted<boolean> {
  if (typeof value === 'boolean') return ok(value);
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return ok(true);
    if (FALSE_WORDS.has(word)) return ok(false);
  }
  return fail(`${describe(value)} is not a boolean (true/false, yes/no, 1/0)`);
}

/**
 * SharePoint dateTime: ISO 8601 UTC with whole seconds. Dates become midnight UTC of the same
 * calendar day; timestamps without time zone are read as UTC; strings are parsed the same way.
 */
export function toDateTime(value: unknown): Converted<string> {
  let d: Date | null = null;
  if (value instanceof Date) d = value;
  else if (typeof value === 'string') d = parseTimestampText(value);
  if (value instanceof Date && !isValidDate(value)) return fail('value is not a valid date (infinity, or outside the JavaScript date range)');
  if (!d || !isValidDate(d)) return fail(`${describe(value)} is not a valid date`);
  if (!inSharePointRange(d)) return fail(`${formatIsoUtc(d)} is outside SharePoint's date range (1900-01-01 to 8900-12-31)`);
  return ok(toSharePointDateTime(d));
}

const URL_PROTOCOLS = new Set(['http:', 'https:', 'mailto:', 'ftp:']);

/** SharePoint hyperlink: `{ Url, Description }`; only absolute http(s), mailto and ftp URLs. */
export function toHyperlink(text: string, options: Record<string, unknown>): Converted<{ Url: string; Description: string }> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail(`${describe(text)} is not an absolute URL`);
  }
  if (!URL_PROTOCOLS.has(url.protocol)) return fail(`${describe(text)} uses ${url.protocol}, only http, https, mailto and ftp links are allowed`);
  const description = typeof options.description === 'string' ? options.description : text;
  return ok({ Url: text, Description: description });
}
