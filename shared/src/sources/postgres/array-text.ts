import { parseTimestampText } from '../../mapping/temporal.ts';
import { canonicalValueText } from '../row-text.ts';
import type { TypeFamily } from '../types.ts';

/*
 * Arrays are read as PostgreSQL's text (`col::text`) and parsed here, not by postgres.js: its
 * parser reads an unquoted NULL element as the string "NULL" (then NaN for integers, an invalid
 * Date for dates), so {x,NULL} and {x,"NULL"} came out alike, and a value written back would
 * store the text "NULL" where the database had NULL.
 */

export class ArrayTextError extends Error {
  override name = 'ArrayTextError';
}

/**
 * Parses an array's text (`{1,2,NULL}`, `{"a b","c\"d"}`, `{{1,2},{3,4}}`, `[0:1]={1,2}`):
 * quoted elements are data (`"NULL"` is the text NULL), an unquoted NULL is null, nested braces
 * are nested arrays. `parse` turns each element's text into a value.
 */
export function parsePgArray(text: string, parse: (element: string) => unknown, delimiter = ','): unknown[] {
  let i = 0;
  // Non-default lower bounds are printed first: `[0:1]={1,2}`.
  if (text.startsWith('[')) i = text.indexOf('=') + 1;
  const fail = (): never => {
    throw new ArrayTextError(`malformed array text at position ${i}`);
  };
  const level = (): unknown[] => {
    if (text[i] !== '{') fail();
    i++;
    const out: unknown[] = [];
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      if (i >= text.length) fail();
      if (text[i] === '{') out.push(level());
      else if (text[i] === '"') {
        i++;
        let s = '';
        while (text[i] !== '"') {
          if (i >= text.length) fail();
          if (text[i] === '\\') i++;
          s += text[i++];
        }
        i++;
        out.push(parse(s));
      } else {
        const start = i;
        while (i < text.length && text[i] !== delimiter && text[i] !== '}') i++;
        const raw = text.slice(start, i).trim();
        out.push(raw.toUpperCase() === 'NULL' ? null : parse(raw));
      }
      if (text[i] === delimiter) i++;
      else if (text[i] === '}') {
        i++;
        return out;
      } else fail();
    }
  };
  const result = level();
  if (i !== text.length) fail();
  return result;
}

/** Element values as postgres.js gives the same types outside arrays, and as the source pool's parsers do (timestamps as UTC). */
function driverElement(family: TypeFamily | undefined): (s: string) => unknown {
  switch (family) {
    case 'smallint':
    case 'integer':
    case 'real':
    case 'double':
      return (s) => Number(s);
    case 'boolean':
      return (s) => s === 't';
    case 'date':
    case 'timestamptz':
      return (s) => new Date(s);
    case 'timestamp':
      return (s) => parseTimestampText(s) ?? new Date(Number.NaN);
    case 'json':
    case 'jsonb':
      return (s) => JSON.parse(s);
    case 'bytea':
      return (s) => Buffer.from(s.slice(2), 'hex');
    default:
      // bigint and numeric stay strings (every digit); so does every other type.
      return (s) => s;
  }
}

const delimiterOf = (elementType: string | undefined) => (elementType === 'box' ? ';' : ',');

/** An array column's driver value (reads.ts): elements by their family, NULL elements as null. */
export function arrayDriverValue(text: string | null, elementFamily: TypeFamily | undefined, elementType: string | undefined): unknown[] | null {
  if (text === null) return null;
  return parsePgArray(text, driverElement(elementFamily), delimiterOf(elementType));
}

/** An array column's canonical text: a JSON array of its elements' canonical texts (nested for several dimensions), NULL elements as null. */
export function arrayCanonicalText(text: string | null, elementFamily: TypeFamily | undefined, elementType: string | undefined): string | null {
  if (text === null) return null;
  return JSON.stringify(parsePgArray(text, (s) => canonicalValueText(s, elementFamily ?? 'other'), delimiterOf(elementType)));
}
