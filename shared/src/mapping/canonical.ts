import type { TypeFamily } from '../sources/types.ts';
import { canonicalDecimal } from './decimal.ts';
import { formatPgTimestamp, formatUtcDate, isValidDate } from './temporal.ts';

export class UnsupportedKeyValueError extends TypeError {
  override name = 'UnsupportedKeyValueError';
}

const INTEGER_FAMILIES: ReadonlySet<TypeFamily> = new Set(['smallint', 'integer', 'bigint']);
const TRUE_TEXT = new Set(['t', 'true', 'y', 'yes', 'on', '1']);
const FALSE_TEXT = new Set(['f', 'false', 'n', 'no', 'off', '0']);

/**
 * The canonical text of one key value: what PostgreSQL prints for it (`::text`, ISO DateStyle,
 * UTC session), normalised so the same value gives the same text however the driver or a
 * caller typed it. 42, 42n and "42" give "42"; numeric "1.50" gives "1.5"; a uuid is lower
 * case; `true` gives "true". With a `family` (from introspection) dates and timestamps match
 * PostgreSQL's text exactly; without one a Date becomes full ISO 8601.
 *
 * Strings for temporal families are taken as PostgreSQL text and kept as they are: the
 * readers return them that way, and re-parsing would drop microseconds.
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
    if (family === 'timestamp') return formatPgTimestamp(value, false);
    if (family === 'timestamptz') return formatPgTimestamp(value, true);
    return value.toISOString();
  }
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  throw new UnsupportedKeyValueError(`a ${Array.isArray(value) ? 'array' : typeof value} cannot be part of a key (only scalars)`);
}

function canonicalString(value: string, family?: TypeFamily): string {
  if (family === 'uuid') return value.toLowerCase();
  if (family && (INTEGER_FAMILIES.has(family) || family === 'numeric')) return canonicalDecimal(value) ?? value;
  if (family === 'boolean') {
    const lower = value.trim().toLowerCase();
    if (TRUE_TEXT.has(lower)) return 'true';
    if (FALSE_TEXT.has(lower)) return 'false';
  }
  return value;
}
