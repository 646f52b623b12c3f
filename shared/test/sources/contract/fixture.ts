import type { SourceSession } from '../../../src/sources/connector.ts';
import type { SourceConnectionParams, TypeFamily } from '../../../src/sources/types.ts';

/*
 * What the connector contract suite (contract.test.ts) needs from an engine: a throw-away
 * database on a real server, the connector's own session on it, and the engine's DDL for the
 * few column kinds the engine-neutral scenarios use. One file per engine (postgres.ts,
 * mariadb.ts) exports an EngineFixtureFactory; fixtures.ts lists them.
 */

/** Column kinds the neutral scenarios declare; each engine names its own type for each. */
export type ContractColumnKind =
  | 'int' // a 32-bit integer
  | 'bigint' // a 64-bit signed integer
  | 'text_key' // text usable in a primary or unique key (case-sensitive, unicode: PostgreSQL text, MySQL varchar(191) utf8mb4_bin)
  | 'text' // unbounded text
  | 'timestamp6' // a timestamp with microseconds, no zone (the watermark kind)
  | 'date'
  | 'decimal' // decimal(18,4)
  | 'boolean';

export interface ContractColumn {
  name: string;
  kind: ContractColumnKind;
  nullable?: boolean;
}

export interface ContractTable {
  name: string;
  columns: ContractColumn[];
  primaryKey?: string[];
  /** Unique constraints (each a column list). */
  unique?: string[][];
  /** Plain (non-unique) indexes. */
  indexes?: string[][];
}

/** The engine's table with one column of every type it has (the round-trip scenario). */
export interface EveryTypeTable {
  /** Creates the table under `name` (called twice: the source and the copy written back). */
  ddl(name: string): string;
  /** Inserts rows covering each type's edge values (including NULLs) into `name`. */
  seed(name: string): string;
  keyColumns: string[];
  /** Columns applyChanges must never write (generated); read and compared, not written. */
  readOnlyColumns: string[];
  /** The families introspection must report for some columns: column name -> family. */
  families: Record<string, TypeFamily>;
}

export interface EngineFixture {
  /** For test names: "PostgreSQL", "MariaDB". */
  label: string;
  params: SourceConnectionParams;
  /** The schema (PostgreSQL) or database (MySQL) the tables live in, as introspection names it. */
  schema: string;
  /** The connector's session, as workers get it. */
  session: SourceSession;
  /** Runs DDL or seeding SQL (several statements allowed), outside the session. */
  exec(sql: string): Promise<void>;
  /** Quotes one identifier for this engine. */
  quote(name: string): string;
  /** CREATE TABLE for a neutral table description. */
  createTable(table: ContractTable): string;
  /** Inserts rows as bound parameters (texts for timestamps 'YYYY-MM-DD HH:MM:SS.ffffff', decimals and big integers; null for NULL); one multi-row statement per 1000 rows. */
  insertRows(table: string, columns: string[], rows: Array<Array<string | number | null>>): Promise<void>;
  /** A view over a table (read-only relation scenario). */
  createView(view: string, table: string): string;
  everyType: EveryTypeTable;
  /** A table the write path must refuse for this engine-specific reason (MySQL: a MyISAM table), or null when the engine has none. */
  /**
   * Tables whose integer key `id` (with a text column `v`) gets its values from the engine: `sequence`
   * from a sequence reserveKeys can call (PostgreSQL serial, MariaDB DEFAULT NEXT VALUE FOR), `counter`
   * from one it cannot (PostgreSQL: an integer without a default; MariaDB: AUTO_INCREMENT).
   */
  generatedKeys: { sequence(name: string): string; counter(name: string): string };
  nonTransactionalTable?: { ddl(name: string): string; reason: RegExp } | null;
  close(): Promise<void>;
}

export type EngineFixtureFactory = {
  label: string;
  /** Opens a fresh database; throws when the server is not reachable (CI starts both servers). */
  open(prefix: string): Promise<EngineFixture>;
};
