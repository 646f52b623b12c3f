import { createHash } from 'node:crypto';
import { canonicalKeyText } from '../mapping/canonical.ts';
import type { TypeFamily } from './types.ts';

/*
 * Canonical texts of stored values, and the row hash built from them. The engine prints each
 * value (PostgreSQL `::text`); the text is normalised only where the same value has several
 * prints, so a canonical text written back stores exactly the same value.
 */

/** The same families canonical keys normalise; everything else keeps the engine's text (numerics keep their scale, json its spelling). */
const NORMALISED: ReadonlySet<TypeFamily> = new Set(['timestamp', 'timestamptz', 'boolean', 'uuid']);

/** The canonical text of one stored value from the engine's text of it. */
export function canonicalValueText(text: string | null, family: TypeFamily): string | null {
  if (text === null) return null;
  return NORMALISED.has(family) ? canonicalKeyText(text, family) : text;
}

/** Bump when the hashed form changes: every stored row hash then differs (and every check conflicts) once. */
const ROW_HASH_VERSION = 'sbrow1';

/**
 * SHA-256 (hex) of a row's values over `columns`: column names with their canonical texts, in
 * column-name order (so the order the caller lists them in does not matter). Readers return it
 * (`hashColumns`) and applyChanges computes it from the locked row the same way, so
 * `expected.rowHash` compares what the caller saw with what is stored now, value by value.
 */
export function sourceRowHash(columns: readonly string[], texts: ReadonlyArray<string | null>): string {
  if (columns.length !== texts.length) throw new RangeError(`expected ${columns.length} texts, got ${texts.length}`);
  const pairs = columns.map((c, i) => [c, texts[i] ?? null] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256')
    .update(`${ROW_HASH_VERSION}\n${JSON.stringify(pairs)}`)
    .digest('hex');
}
