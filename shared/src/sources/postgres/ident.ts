import { InvalidIdentifierError } from '../errors.ts';

/*
 * Identifier quoting for SQL text built from introspected names. Values never go through
 * here: they are always bind parameters.
 */

/** `"name"` with embedded double quotes doubled, so any name (spaces, keywords, quotes) is one identifier. */
export function quoteIdent(name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidIdentifierError('an SQL identifier must be a non-empty string');
  // PostgreSQL identifiers cannot contain NUL; the protocol would cut the statement there.
  if (name.includes('\u0000')) throw new InvalidIdentifierError('an SQL identifier cannot contain a NUL character');
  return `"${name.replace(/"/g, '""')}"`;
}

/** `"schema"."table"`. */
export const qualifiedName = (schema: string, table: string): string => `${quoteIdent(schema)}.${quoteIdent(table)}`;
