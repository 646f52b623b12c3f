import type { EgressPolicy } from '../net/egress.ts';
import type { ConnectionErrorClass } from '../net/error-class.ts';

/** What SyncBridge needs to reach a source database instance (secret already decrypted). */
export interface SourceConnectionParams {
  engine: 'postgres' | 'mysql' | 'sqlserver';
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

/** One source engine. PostgreSQL today; MySQL/MariaDB and SQL Server implement the same contract. */
export interface SourceAdapter {
  readonly engine: SourceConnectionParams['engine'];
  /** Never throws for what the server or the network did (that is the result); throws EgressDeniedError when the policy refuses the host. */
  checkConnection(params: SourceConnectionParams, options?: SourceCallOptions): Promise<ConnectionCheck>;
  /** Tables, views and their columns, keys and indexes; system schemas are never included. */
  introspect(params: SourceConnectionParams, filter?: IntrospectionFilter, options?: SourceCallOptions): Promise<SchemaSnapshot>;
}

/** How SyncBridge groups source column types; drives default mappings and value conversion. */
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
  /** format_type output, e.g. "character varying(40)", "numeric(12,2)", "timestamp with time zone". */
  dataType: string;
  typeFamily: TypeFamily;
  /** pg_type.typname of the column's declared type (the domain's name for a domain). */
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

/** Where a column set that PostgreSQL guarantees unique comes from. */
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
  engine: 'postgres';
  serverVersion: string;
  capturedAt: string;
  tables: IntrospectedTable[];
}

export interface IntrospectionFilter {
  schema?: string;
  table?: string;
}
