import type { TypeFamily } from '../sources/types.ts';
import { canonicalDecimal } from './decimal.ts';
import { formatPgTimestamp, formatUtcDate, isValidDate, parseTimestampText } from './temporal.ts';

export class UnsupportedKeyValueError extends TypeError {
  override name = 'UnsupportedKeyValueError';
}

const INTEGER_FAMILIES: ReadonlySet<TypeFamily> = new Set(['smallint', 'integer', 'bigint']);
const TRUE_TEXT = new Set(['t', 'true', 'y', 'yes', 'on', '1']);
const FALSE_TEXT = new Set(['f', 'false', 'n', 'no', 'off', '0']);

/**
 * The canonical text of one key value. Keys must be lossless: the text is read from the
 * database's own output (`::text`), never from a driver value (a JS Date keeps milliseconds
 * only, so two rows that differ in microseconds would share a key and a read by that key
 * would find neither). It is normalised so the same value always gives the same text:
 * - integers and numerics: shortest decimal (42, 42n, "42", "42.0" give "42"; "1.50" gives "1.5");
 * - uuid: lower case; boolean: "true" / "false";
 * - timestamptz: ISO 8601 in UTC with every fractional digit, `2022-02-16T09:12:58.90327Z`;
 * - timestamp (without time zone): the same without a zone, `2022-02-16T09:12:58.90327`;
 * - date: `2022-02-16`; time: as PostgreSQL prints it; 'infinity', BC values: as printed;
 * - bytea: `\x` + hex; anything else (text, enum labels, citext, char(n) as PostgreSQL's
 *   `::text` gives it, without trailing blanks): unchanged.
 * A Date (from a caller, never from the readers) is exact to its millisecond.
 */
export function canonicalKeyText(value: unknown, family?: TypeFamily): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return canonicalString(value, family);
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
    return canonicalDecimal(value) as string;
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) {
    if (!isValidDate(value)) throw new UnsupportedKeyValueError('an invalid Date cannot be part of a key');
    if (family === 'date') return formatUtcDate(value);
    const iso = value
      .toISOString()
      .replace(/\.?0+Z$/, 'Z')
      .replace(/\.Z$/, 'Z');
    return family === 'timestamp' ? iso.slice(0, -1) : iso;
  }
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  throw new UnsupportedKeyValueError(`a ${Array.isArray(value) ? 'array' : typeof value} cannot be part of a key (only scalars)`);
}

function canonicalString(value: string, family?: TypeFamily): string {
  if (family === 'uuid') return value.toLowerCase();
  if (family && (INTEGER_FAMILIES.has(family) || family === 'numeric')) return canonicalDecimal(value) ?? value;
  if (family === 'timestamp' || family === 'timestamptz') return canonicalTimestamp(value, family === 'timestamptz') ?? value;
  if (family === 'boolean') {
    const lower = value.trim().toLowerCase();
    if (TRUE_TEXT.has(lower)) return 'true';
    if (FALSE_TEXT.has(lower)) return 'false';
  }
  return value;
}

// PostgreSQL's ISO output (`2022-02-16 09:12:58.90327+00`) and ISO 8601 (`...T...Z`, `+05:30`).
const TIMESTAMP = /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$/i;
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * ISO 8601 text of a timestamp with all its fractional digits (trailing zeros trimmed). The
 * readers' text is already UTC (the session's TimeZone), so it is only re-punctuated; text
 * with another offset (from a caller) is moved to UTC by whole-second arithmetic, exactly.
 * Null when the text is not a plain AD timestamp ('infinity', BC): those keep PostgreSQL's text.
 */
function canonicalTimestamp(text: string, withZone: boolean): string | null {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return null;
  let [, y, mo, d, h, mi, s] = m as unknown as string[];
  const frac = (m[7] ?? '').replace(/0+$/, '');
  const zone = m[8];
  const offset = withZone && zone ? offsetSeconds(zone) : 0;
  if (offset !== 0) {
    const t = new Date(0);
    t.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
    t.setUTCHours(Number(h), Number(mi), Number(s) - offset, 0);
    if (Number.isNaN(t.getTime()) || t.getUTCFullYear() < 1) return null;
    [y, mo, d, h, mi, s] = [
      pad(t.getUTCFullYear(), 4),
      pad(t.getUTCMonth() + 1),
      pad(t.getUTCDate()),
      pad(t.getUTCHours()),
      pad(t.getUTCMinutes()),
      pad(t.getUTCSeconds()),
    ];
  }
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${frac ? `.${frac}` : ''}${withZone ? 'Z' : ''}`;
}

function offsetSeconds(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(/:/g, '');
  return sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2, 4) || '0') * 60 + Number(digits.slice(4, 6) || '0'));
}

/**
 * The key text SyncBridge wrote before keys were lossless (ledger entries and list items
 * created by versions up to 0.1): the reader parsed timestamps into a JS Date (milliseconds
 * kept, the rest truncated) and printed them as PostgreSQL does, and char(n) values kept the
 * driver's trailing blanks. Used only to find and re-key such entries; null when the value
 * has no older form that differs.
 */
export function legacyKeyText(canonical: string | null, family: TypeFamily | undefined, charLength?: number | null): string | null {
  if (canonical === null) return null;
  if (family === 'timestamp' || family === 'timestamptz') {
    const d = parseTimestampText(canonical);
    if (!d) return null;
    return formatPgTimestamp(d, family === 'timestamptz');
  }
  if (charLength && canonical.length < charLength) return canonical.padEnd(charLength, ' ');
  return null;
}
