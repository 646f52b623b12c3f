import type { EgressPolicy } from '../net/egress.ts';
import type { ConnectionErrorClass } from '../net/error-class.ts';

/** The engines a database may declare (`databases.engine`); which of them this build can reach is in connectors.ts. */
export type SourceEngine = 'postgres' | 'mysql' | 'mariadb' | 'sqlserver';

/** What SyncBridge needs to reach a source database instance (secret already decrypted). */
export interface SourceConnectionParams {
  engine: SourceEngine;
  host: string;
  port: number;
  databaseName: string;
  username: string;
  password: string | null;
  sslMode: 'disable' | 'prefer' | 'require' | 'verify-full';
}

export type ConnectionCheck =
  | { ok: true; latencyMs: number; serverVersion: string }
  | {
      ok: false;
      latencyMs: number;
      /** What went wrong, as a class (shared/src/net/error-class.ts). */
      errorClass: ConnectionErrorClass;
      /** A message built from the class and what the caller configured; safe to show and store. */
      error: string;
      /** The SQLSTATE when the server answered with one. */
      errorCode?: string;
      /** The driver's own message, password scrubbed: for logs only, never for a response or a stored row. */
      detail: string;
    };

/** Limits of one call to a source (a connection test, an introspection). */
export interface SourceCallOptions {
  /** Overall time limit of the call; it fails with SourceDeadlineError past it. */
  deadlineMs?: number;
  /** Time limit of one connection attempt (TCP and handshake). */
  connectTimeoutMs?: number;
  /** Where the call may connect (shared/src/net/egress.ts); unrestricted when absent. */
  egress?: EgressPolicy | undefined;
}

/**
 * The canonical type families (shared/src/mapping/TYPE-MAPPING.md): every engine maps each of
 * its column types to one of them, and everything after the connector (default mappings,
 * conversions, keys, writes) works on families, never on an engine's type names.
 */
export type TypeFamily =
  | 'text'
  | 'smallint'
  | 'integer'
  | 'bigint'
  | 'numeric'
  | 'real'
  | 'double'
  | 'boolean'
  | 'date'
  | 'timestamp'
  | 'timestamptz'
  | 'time'
  | 'uuid'
  | 'json'
  | 'jsonb'
  | 'array'
  | 'enum'
  | 'bytea'
  | 'interval'
  | 'other';

export interface IntrospectedColumn {
  name: string;
  /** The column's attribute number (as information_schema.ordinal_position); gaps remain where columns were dropped. */
  ordinal: number;
  /** The declared type as the engine prints it: PostgreSQL's format_type ("character varying(40)", "timestamp with time zone"). */
  dataType: string;
  typeFamily: TypeFamily;
  /** The engine's name of the declared type without modifiers (PostgreSQL: pg_type.typname, the domain's name for a domain). */
  udtName: string;
  nullable: boolean;
  defaultExpr: string | null;
  maxLength: number | null;
  numericPrecision: number | null;
  numericScale: number | null;
  /** For arrays: the family of the element type. */
  elementFamily?: TypeFamily;
  /** For enums (and arrays of enums): labels in their declared order. */
  enumValues?: string[];
  /** True for GENERATED ALWAYS AS (...) STORED columns: readable, never writable (ingress must skip them). */
  generated?: boolean;
  /** 'always' | 'by_default' for identity columns. */
  identity?: 'always' | 'by_default';
  /** Set only when the column's type is a domain: its name and the type it is based on. */
  domain?: ColumnDomain;
}

export interface ColumnDomain {
  /** pg_type.typname of the domain (as udtName). */
  name: string;
  /** format_type of the domain's base type with the domain's typmod, e.g. "character varying(40)". */
  baseType: string;
}

export interface IntrospectedConstraint {
  name: string;
  columns: string[];
}

export interface IntrospectedIndex {
  name: string;
  /** Key columns in index order (INCLUDE columns are not listed). */
  columns: string[];
  unique: boolean;
  primary: boolean;
  /** pg_get_indexdef output. */
  definition: string;
  /** Has a WHERE predicate: uniqueness holds only for some rows. */
  partial?: boolean;
  /** Indexes an expression (not only plain columns); such a column list is incomplete. */
  hasExpressions?: boolean;
}

/** A foreign key: `columns` reference `referencedColumns` of another (or the same) table, in order. */
export interface IntrospectedForeignKey {
  name: string;
  columns: string[];
  referencedSchema: string;
  referencedTable: string;
  referencedColumns: string[];
  /** What the engine does to this row when the referenced row is updated / deleted. */
  onUpdate: ForeignKeyAction;
  onDelete: ForeignKeyAction;
}

export type ForeignKeyAction = 'no_action' | 'restrict' | 'cascade' | 'set_null' | 'set_default';

/** Where a column set that the engine guarantees unique comes from. */
export interface IntrospectedUniqueKey {
  name: string;
  columns: string[];
  source: 'primary_key' | 'unique_constraint' | 'unique_index';
}

/**
 * How many rows a relation holds, and how that number was obtained:
 * - statistics: pg_class.reltuples (ANALYZE, VACUUM or autovacuum ran);
 * - count: an exact count(*), made when a relation without statistics is small;
 * - size: derived from the relation's size on disk and its row width (no statistics, too large to count);
 * - none: no number (views, unpopulated materialized views, foreign tables never analysed, locked relations).
 * A partitioned table sums its leaf partitions, each estimated by the same rule; its source is
 * the least exact of theirs.
 */
export interface RowEstimate {
  rows: number | null;
  source: 'statistics' | 'count' | 'size' | 'none';
}

export interface IntrospectedTable {
  schema: string;
  name: string;
  /** A 'partition' is any relation attached to a partitioned table (itself partitioned or not). */
  kind: 'table' | 'view' | 'materialized_view' | 'partitioned_table' | 'partition' | 'foreign_table';
  columns: IntrospectedColumn[];
  primaryKey: IntrospectedConstraint | null;
  uniqueConstraints: IntrospectedConstraint[];
  indexes: IntrospectedIndex[];
  /** Every column set usable as a `unique` key: primary key, unique constraints, unique non-partial indexes on plain columns. */
  uniqueKeys?: IntrospectedUniqueKey[];
  /** Foreign keys declared on this table (absent in snapshots taken before they were recorded). */
  foreignKeys?: IntrospectedForeignKey[];
  /**
   * The storage engine, where the database has several (MySQL/MariaDB: InnoDB, MyISAM, ...).
   * `transactional: false` means writes cannot be rolled back: the write path refuses the table.
   * Absent where every table is transactional (PostgreSQL).
   */
  storage?: { engine: string; transactional: boolean };
  /** rowEstimate.rows, kept for older readers. */
  estimatedRows: number | null;
  rowEstimate: RowEstimate;
  /** For partitions: `schema.table` of the immediate parent (a sub-partition names the partition it belongs to). */
  partitionOf?: string;
  /** For partitions: `schema.table` of the top-level partitioned table, the one to sync. */
  partitionRoot?: string;
  /** For partitions: the bound as PostgreSQL prints it, e.g. "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')" or "DEFAULT". */
  partitionBound?: string;
  /** For partitioned tables (including sub-partitioned partitions): `schema.table` of each immediate partition, sorted. */
  partitions?: string[];
}

export interface SchemaSnapshot {
  engine: SourceEngine;
  serverVersion: string;
  capturedAt: string;
  tables: IntrospectedTable[];
}

export interface IntrospectionFilter {
  schema?: string;
  table?: string;
}
