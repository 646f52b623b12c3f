import type { IntrospectedTable, SourceEngine } from './types.ts';

/*
 * Keys for rows SyncBridge creates without one: an item made in SharePoint whose key columns are
 * empty (a definition with `newItemKeys: generate`). The key is taken before the row is written
 * and recorded against the item (the meta-store's key_reservations), so a write repeated after a
 * crash uses the same key and never creates the row twice. That needs a key the database (or
 * SyncBridge) hands out ahead of the insert:
 * - `sequence`: an integer key filled by a sequence: PostgreSQL serial, identity (BY DEFAULT or
 *   ALWAYS: the insert overrides it) or a `nextval(...)` default; MariaDB a `NEXT VALUE FOR seq`
 *   default. The reservation calls the sequence (SourceSession.reserveKeys).
 * - `uuid`: a uuid-typed key: SyncBridge makes a random (version 4) UUID.
 * MySQL/MariaDB AUTO_INCREMENT is refused: its next value is known only once a row is inserted,
 * so a crash between the insert and the record would make the row twice on the retry.
 */

export type NewKeySource = { kind: 'sequence' | 'uuid'; column: string } | { kind: 'none'; problem: string };

const SEQUENCE_DEFAULT = /^nextval\(/i;

export function newKeySourceOf(engine: SourceEngine, table: IntrospectedTable, keyColumns: readonly string[]): NewKeySource {
  if (keyColumns.length !== 1)
    return { kind: 'none', problem: `generated keys need a single key column (this key has ${keyColumns.length}: ${keyColumns.join(', ')})` };
  const name = keyColumns[0]!;
  const column = table.columns.find((c) => c.name === name);
  if (!column) return { kind: 'none', problem: `key column "${name}" does not exist in ${table.schema}.${table.name}` };
  if (column.typeFamily === 'uuid') return { kind: 'uuid', column: name };
  if (column.generated) return { kind: 'none', problem: `key column "${name}" is computed (GENERATED ALWAYS AS ...): no key can be given to a new row` };
  const integer = column.typeFamily === 'smallint' || column.typeFamily === 'integer' || column.typeFamily === 'bigint';
  const sequenceDefault = column.defaultExpr !== null && SEQUENCE_DEFAULT.test(column.defaultExpr);
  if (integer && (sequenceDefault || (engine === 'postgres' && column.identity))) return { kind: 'sequence', column: name };
  if (integer && column.identity && engine !== 'postgres')
    return {
      kind: 'none',
      problem: `key column "${name}" is AUTO_INCREMENT, which hands out a value only when a row is inserted, so a key cannot be reserved before the write (a crash could create the row twice); use a sequence default (DEFAULT NEXT VALUE FOR a_sequence, MariaDB 10.3+), a uuid key, or keys typed in the list`,
    };
  return {
    kind: 'none',
    problem: `key column "${name}" (${column.dataType}) has no generator: generated keys need a uuid column or an integer column filled by a sequence (serial, identity, a nextval default)`,
  };
}
