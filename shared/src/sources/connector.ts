import type { EgressPolicy } from '../net/egress.ts';
import type { ClassifiedSourceError } from './errors.ts';
import type {
  CountAfterParams,
  CountParams,
  CursorParams,
  KeyPage,
  KeysPresentParams,
  KeysRead,
  ReadByKeyParams,
  ReadByKeysParams,
  ReadByWatermarkParams,
  ReserveKeysParams,
  WatermarkPage,
} from './reads.ts';
import type { AttemptBudget } from './socket.ts';
import type { IntrospectionFilter, SchemaSnapshot, SourceConnectionParams, SourceEngine } from './types.ts';
import type { Writability, WritableParams, WriteBatch, WriteResult } from './writes.ts';
import type { ChangeBatch, ReplicationNames, SlotStatus } from './postgres/replication.ts';

/*
 * A source engine is a connector (one folder per engine: postgres/, ...) that opens sessions.
 * Everything outside the connector's folder (activities, the API, tests) talks to a
 * SourceSession and never to a driver: keys and positions are canonical texts, rows follow the
 * value contract of reads.ts, column types are canonical families (types.ts), and writes go
 * through applyChanges (writes.ts).
 */

/** How the engine names things. The API checks definitions against these before any SQL is built. */
export interface IdentifierRules {
  /** The longest name the engine keeps, counted in `unit`. PostgreSQL: 63 bytes (UTF-8); MySQL/MariaDB: 64 characters. */
  maxLength: number;
  unit: 'bytes' | 'characters';
  /** Quotes one name for this engine's SQL (PostgreSQL `"a""b"`, MySQL `` `a``b` ``). Throws InvalidIdentifierError for a name it cannot hold. */
  quote(name: string): string;
}

/** How a session connects. Defaults suit a worker's long-lived pool. */
export interface SessionOptions {
  /** Connections the session may hold at once (default 4). */
  maxConnections?: number;
  /** Time limit of one connection attempt: TCP, TLS and the handshake (default 10 s). */
  connectTimeoutMs?: number;
  /** Connection attempts the session may make (default: its own connections at once, then one every five seconds; see socket.ts). */
  attempts?: AttemptBudget;
  /** Server-side time limit of every statement, so the server gives up with the caller. */
  statementTimeoutMs?: number;
  /** Checked before every connection, and the connection made to the checked address (shared/src/net/egress.ts). */
  egress?: EgressPolicy | undefined;
}

export interface SourceConnector {
  /** The `databases.engine` values this connector serves (the MySQL connector serves `mysql` and `mariadb`). */
  readonly engines: readonly SourceEngine[];
  /** For messages and docs: "PostgreSQL". */
  readonly displayName: string;
  readonly identifiers: IdentifierRules;
  /** A session over a connection pool; nothing connects until the first call. Close it when done. */
  openSession(params: SourceConnectionParams, options?: SessionOptions): SourceSession;
  /** A failed call as a class and a safe message (shared/src/net/error-class.ts): never the server's text; the engine's error code in `code`. */
  classifyError(error: unknown, params: SourceConnectionParams): ClassifiedSourceError;
}

/**
 * One instance's connection pool and everything SyncBridge does with it. Relations and columns
 * are named as introspection reports them (never quoted by the caller); a missing relation or
 * column fails with SourceObjectNotFoundError before any row is read.
 */
export interface SourceSession {
  readonly engine: SourceEngine;

  /** Runs a trivial query; resolves with the server's product and version ("PostgreSQL 16.4"). Throws what the driver threw. */
  checkConnection(): Promise<{ serverVersion: string }>;
  /** Tables, views and their columns, keys, foreign keys, indexes and row estimates in one consistent read; system schemas never included. */
  introspect(filter?: IntrospectionFilter): Promise<SchemaSnapshot>;

  /** Incremental read in keyset order (cursor, key...): rows sharing a cursor value are never skipped at a page boundary; NULL cursors first. */
  readByWatermark(p: ReadByWatermarkParams): Promise<WatermarkPage>;
  /** Full scan in key order, `key > afterKey`. */
  readByKey(p: ReadByKeyParams): Promise<KeyPage>;
  /** Specific rows by key in one statement; keys without a row are absent from the answer. Rows in key order. */
  readByKeys(p: ReadByKeysParams): Promise<KeysRead>;
  /** Which of these keys still have a row (indexes into `keys`), by the column types' own equality: absence is evidence of deletion. */
  keysPresent(p: KeysPresentParams): Promise<Set<number>>;
  /** The highest cursor value as exact text; null for an empty table or all-NULL cursors. */
  maxWatermark(p: CursorParams): Promise<string | null>;
  /** The watermark moved back by an overlap window in the column's own type (timestamps by seconds, dates by whole days; integers unchanged). */
  rewindWatermark(p: CursorParams, watermark: string | null, seconds: number): Promise<string | null>;
  /** Rows past the watermark (all rows without one), or null when counting takes longer than `timeoutMs`. */
  countRowsAfter(p: CountAfterParams): Promise<number | null>;
  /** Exact row count. */
  countRows(p: CountParams): Promise<number>;

  /** Whether applyChanges may write to the table with this key, and if not why (a view, no unique key, a privilege, a read-only server, a non-transactional table). */
  checkWritable(p: WritableParams): Promise<Writability>;
  /**
   * Applies inserts, updates and deletes by key in one transaction, with multi-row statements,
   * each change checked against what the caller last saw; see writes.ts. Throws
   * SourceNotWritableError (nothing written) when checkWritable refuses the table, RangeError
   * for a malformed batch (unknown version or hash column, too many changes).
   */
  applyChanges(batch: WriteBatch): Promise<WriteResult>;
  /**
   * Takes `count` values from the sequence that fills the key column (serial, identity, a nextval
   * default; see new-keys.ts), as canonical key texts. Each is handed out once, whatever happens to
   * the rows later. Throws RangeError when the column has no sequence.
   */
  reserveKeys(p: ReserveKeysParams): Promise<string[]>;

  /** Log-based change capture (PostgreSQL logical replication); absent for engines without it. */
  readonly changeCapture?: ChangeCapture;

  /** Ends the pool: politely (in-flight statements finish, at most a few seconds) or, with `immediately`, at once. */
  close(options?: { immediately?: boolean }): Promise<void>;
}

/** A table's changes read from the source's log: a slot and a publication per definition (postgres/replication.ts). */
export interface ChangeCapture {
  /** What keeps the table from being captured (server settings, privileges, replica identity), in words; [] when nothing. */
  problems(table: RelationName, keyColumns: string[]): Promise<string[]>;
  /** Creates the publication and the slot when missing (idempotent). */
  ensure(
    names: ReplicationNames,
    table: RelationName,
    keyColumns: string[],
  ): Promise<{ slotCreated: boolean; publicationCreated: boolean; slotLsn: string | null }>;
  /** Drops the slot and the publication when they exist. */
  drop(names: ReplicationNames): Promise<void>;
  status(names: ReplicationNames): Promise<SlotStatus>;
  /** Reads whole transactions after `afterLsn` without consuming them: the net change per key. */
  peek(names: ReplicationNames, table: RelationName, keyColumns: string[], opts: { afterLsn: string | null; maxChanges: number }): Promise<ChangeBatch>;
  /** Lets the server release the log up to `lsn` (after the changes before it were committed). */
  advance(names: ReplicationNames, lsn: string): Promise<void>;
}

export interface RelationName {
  schema: string;
  name: string;
}
