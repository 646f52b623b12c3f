import { escape } from 'mysql2';
import { InvalidIdentifierError } from '../errors.ts';

/*
 * Identifier quoting and value literals for SQL text built from introspected names.
 * Identifiers are backtick-quoted (the session's sql_mode never has ANSI_QUOTES). Values are
 * literals made by the driver's own escaping, exactly what `query(sql, values)` would splice in;
 * the session's sql_mode never has NO_BACKSLASH_ESCAPES, so its backslash escapes hold.
 */

/** MySQL and MariaDB keep names of at most 64 characters. */
export const MAX_IDENTIFIER_CHARACTERS = 64;

/** `` `name` `` with embedded backticks doubled, so any name (spaces, keywords, backticks) is one identifier. */
export function quoteIdent(name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidIdentifierError('an SQL identifier must be a non-empty string');
  if (name.includes('\u0000')) throw new InvalidIdentifierError('an SQL identifier cannot contain a NUL character');
  // The server strips trailing spaces from names (and refuses them in CREATE): `a ` would name `a`.
  if (/ $/.test(name)) throw new InvalidIdentifierError('a MySQL/MariaDB identifier cannot end with a space');
  return `\`${name.replace(/`/g, '``')}\``;
}

/** `` `schema`.`table` ``. */
export const qualifiedName = (schema: string, table: string): string => `${quoteIdent(schema)}.${quoteIdent(table)}`;

/** A value as an SQL literal: strings quoted and escaped, Buffers as X'..', null as NULL, numbers as they are. */
export function literal(value: string | number | Buffer | null): string {
  return escape(value);
}

/** Character set and collation names are spliced into SQL (CONVERT ... USING, COLLATE): only plain names pass. */
export function safeName(name: string): string {
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new InvalidIdentifierError(`unexpected character set or collation name ${JSON.stringify(name)}`);
  return name;
}
