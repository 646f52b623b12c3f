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
  | { ok: false; latencyMs: number; error: string; errorCode?: string };

/** One source engine. PostgreSQL today; MySQL/MariaDB and SQL Server implement the same contract. */
export interface SourceAdapter {
  readonly engine: SourceConnectionParams['engine'];
  checkConnection(params: SourceConnectionParams, timeoutMs?: number): Promise<ConnectionCheck>;
  /** Tables, views and their columns, keys and indexes; system schemas are never included. */
  introspect(params: SourceConnectionParams, filter?: IntrospectionFilter): Promise<SchemaSnapshot>;
}

/** How SyncBridge groups source column types; drives default mappings and value conversion. */
export type TypeFamily =
  | 'text' | 'smallint' | 'integer' | 'bigint' | 'numeric' | 'real' | 'double' | 'boolean' | 'date' | 'timestamp' | 'timestamptz'
  | 'time' | 'uuid' | 'json' | 'jsonb' | 'array' | 'enum' | 'bytea' | 'interval' | 'other';

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

export interface IntrospectedTable {
  schema: string;
  name: string;
  kind: 'table' | 'view' | 'materialized_view' | 'partitioned_table' | 'foreign_table';
  columns: IntrospectedColumn[];
  primaryKey: IntrospectedConstraint | null;
  uniqueConstraints: IntrospectedConstraint[];
  indexes: IntrospectedIndex[];
  /** pg_class.reltuples; null when never analysed or not a stored relation. */
  estimatedRows: number | null;
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
