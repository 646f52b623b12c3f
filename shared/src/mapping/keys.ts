import type { TypeFamily } from '../sources/types.ts';
import { canonicalKeyText } from './canonical.ts';
import { KEY_COLUMN_NAME } from './names.ts';

/*
 * Source keys as list-column text. The encoding is:
 * - canonical: each value goes through canonicalKeyText first, so 42, 42n and "42" agree;
 * - lower-case ASCII only ([a-z0-9.-], "_" escapes, "~" between values): SharePoint compares
 *   a unique text column case-insensitively, so "ABC" and "abc" must not encode to strings
 *   that differ only in case; here an upper-case letter is "_" + the lower-case letter;
 * - free of quotes, spaces and URL-reserved characters: it drops into an OData literal
 *   `SyncBridgeKey eq '...'` and a query string without further escaping;
 * - reversible: decodeSourceKey gives back the canonical texts (strings, or null).
 *
 * Escapes: `_a`..`_z` upper-case letter, `_0hh` a UTF-16 code unit below 0x100, `_1hhhh` any
 * other code unit, `_2` a NULL value, `_3` an empty string.
 */

export const MAX_SOURCE_KEY_LENGTH = 255;

export class KeyTooLongError extends Error {
  override name = 'KeyTooLongError';
  constructor(
    readonly length: number,
    readonly maxLength = MAX_SOURCE_KEY_LENGTH,
  ) {
    super(`the encoded source key is ${length} characters long; a SharePoint text column holds ${maxLength}`);
  }
}

export class InvalidSourceKeyError extends Error {
  override name = 'InvalidSourceKeyError';
}

const LITERAL = /[a-z0-9.-]/;
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

function encodeText(text: string): string {
  if (text === '') return '_3';
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    const code = text.charCodeAt(i);
    if (LITERAL.test(ch)) out += ch;
    else if (code >= 65 && code <= 90) out += `_${ch.toLowerCase()}`;
    else if (code < 0x100) out += `_0${hex(code, 2)}`;
    else out += `_1${hex(code, 4)}`;
  }
  return out;
}

/**
 * Encodes a row's key values (in key column order). Pass the key columns' families (from
 * introspection) so Dates and strings are normalised the way PostgreSQL prints them.
 * Throws KeyTooLongError past 255 characters, unless `unbounded` (positions kept by
 * SyncBridge itself, never written to a list column).
 */
export function encodeSourceKey(values: readonly unknown[], families?: ReadonlyArray<TypeFamily | undefined>, opts: { unbounded?: boolean } = {}): string {
  if (values.length === 0) throw new RangeError('a source key needs at least one value');
  const encoded = values
    .map((v, i) => {
      const text = canonicalKeyText(v, families?.[i]);
      return text === null ? '_2' : encodeText(text);
    })
    .join('~');
  if (encoded.length > MAX_SOURCE_KEY_LENGTH && !opts.unbounded) throw new KeyTooLongError(encoded.length);
  return encoded;
}

const HEX2 = /^[0-9a-f]{2}$/;
const HEX4 = /^[0-9a-f]{4}$/;

function decodeComponent(part: string, whole: string): string | null {
  if (part === '_2') return null;
  if (part === '_3') return '';
  if (part === '') throw new InvalidSourceKeyError(`"${whole}" has an empty component`);
  let out = '';
  for (let i = 0; i < part.length;) {
    const ch = part[i] as string;
    if (LITERAL.test(ch)) {
      out += ch;
      i += 1;
      continue;
    }
    const next = part[i + 1];
    if (ch !== '_' || next === undefined) throw new InvalidSourceKeyError(`"${whole}" is not a SyncBridge key`);
    if (next >= 'a' && next <= 'z') {
      out += next.toUpperCase();
      i += 2;
    } else if (next === '0' && HEX2.test(part.slice(i + 2, i + 4))) {
      out += String.fromCharCode(parseInt(part.slice(i + 2, i + 4), 16));
      i += 4;
    } else if (next === '1' && HEX4.test(part.slice(i + 2, i + 6))) {
      out += String.fromCharCode(parseInt(part.slice(i + 2, i + 6), 16));
      i += 6;
    } else {
      throw new InvalidSourceKeyError(`"${whole}" has an invalid escape at position ${i}`);
    }
  }
  return out;
}

/** The canonical key texts back from an encoded key; strict, so one key has exactly one encoding. */
export function decodeSourceKey(encoded: string): Array<string | null> {
  if (typeof encoded !== 'string' || encoded === '') throw new InvalidSourceKeyError('an empty string is not a SyncBridge key');
  const values = encoded.split('~').map((p) => decodeComponent(p, encoded));
  // Reject texts that decode but are not what encodeText would write (e.g. "_041" for "A").
  const reencoded = values.map((v) => (v === null ? '_2' : encodeText(v))).join('~');
  if (reencoded !== encoded) throw new InvalidSourceKeyError(`"${encoded}" is not in canonical form`);
  return values;
}

/** OData filter selecting an item by its key; the encoding has no quote, so no escaping is needed. */
export const keyFilter = (encoded: string): string => `fields/${KEY_COLUMN_NAME} eq '${encoded}'`;
