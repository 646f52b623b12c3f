import { createHash } from 'node:crypto';
import { canonicalJson } from './json.ts';

/** Bump when the canonical form changes: every stored hash then differs once and rows are re-sent. */
const HASH_VERSION = 'sb1';

/**
 * SHA-256 (hex) of converted list fields in canonical form: keys sorted, numbers in shortest
 * form (-0 as 0), Dates as ISO 8601 UTC. Equal hashes mean the list item needs no update;
 * a mapping change that changes a name or a converted value changes the hash.
 */
export function contentHash(fields: Record<string, unknown>): string {
  return createHash('sha256')
    .update(`${HASH_VERSION}\n${canonicalJson(asSharePointKeepsIt(fields))}`)
    .digest('hex');
}

/**
 * SharePoint keeps an empty text as null (it reads back as an absent field), so '' and null
 * are the same list value: hashed alike on purpose, a change between them is no change to
 * write, and a comparison with what the list holds never sees endless differences.
 */
function asSharePointKeepsIt(fields: Record<string, unknown>): Record<string, unknown> {
  if (!Object.values(fields).includes('')) return fields;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v === '' ? null : v]));
}
