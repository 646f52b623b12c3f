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
}
