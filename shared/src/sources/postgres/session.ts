import type postgres from 'postgres';
import type { ChangeCapture, SourceSession } from '../connector.ts';
import type {
  CountAfterParams,
  CountParams,
  CursorParams,
  KeysPresentParams,
  ReadByKeyParams,
  ReadByKeysParams,
  ReadByWatermarkParams,
  ReserveKeysParams,
} from '../reads.ts';
import type { SourceSocketFactory } from '../socket.ts';
import type { IntrospectionFilter } from '../types.ts';
import type { WritableParams, WriteBatch } from '../writes.ts';
import { introspectPostgres } from './introspect.ts';
import { countRows, countRowsAfter, keysPresent, maxWatermark, readByKey, readByKeys, readByWatermark, rewindWatermark } from './read.ts';
import { reserveKeys } from './reserve.ts';
import { advanceSlot, dropReplication, ensureReplication, peekChanges, replicationProblems, slotStatus } from './replication.ts';
import { checkWritable } from './writable.ts';
import { applyChanges } from './write.ts';

/** A PostgreSQL session: one postgres.js pool and the socket factory that makes its connections. */
export class PostgresSession implements SourceSession {
  readonly engine = 'postgres' as const;

  /** Logical replication through the SQL slot functions (replication.ts), on this session's pool. */
  readonly changeCapture: ChangeCapture = {
    problems: (table, keyColumns) => replicationProblems(this.sql, table, keyColumns),
    ensure: (names, table, keyColumns) => ensureReplication(this.sql, names, table, keyColumns),
    drop: (names) => dropReplication(this.sql, names),
    status: (names) => slotStatus(this.sql, names),
    peek: (names, table, keyColumns, opts) => peekChanges(this.sql, names, table, keyColumns, opts),
    advance: (names, lsn) => advanceSlot(this.sql, names, lsn),
  };

  constructor(
    private readonly sql: postgres.Sql,
    private readonly sockets: SourceSocketFactory,
  ) {}

  async checkConnection() {
    const [row] = await this.sql<{ version: string }[]>`select current_setting('server_version') as version`;
    return { serverVersion: `PostgreSQL ${row?.version ?? 'unknown'}` };
  }

  introspect(filter: IntrospectionFilter = {}) {
    return introspectPostgres(this.sql, filter);
  }

  readByWatermark(p: ReadByWatermarkParams) {
    return readByWatermark(this.sql, p);
  }

  readByKey(p: ReadByKeyParams) {
    return readByKey(this.sql, p);
  }

  readByKeys(p: ReadByKeysParams) {
    return readByKeys(this.sql, p);
  }

  keysPresent(p: KeysPresentParams) {
    return keysPresent(this.sql, p);
  }

  maxWatermark(p: CursorParams) {
    return maxWatermark(this.sql, p);
  }

  rewindWatermark(p: CursorParams, watermark: string | null, seconds: number) {
    return rewindWatermark(this.sql, p, watermark, seconds);
  }

  countRowsAfter(p: CountAfterParams) {
    return countRowsAfter(this.sql, p);
  }

  countRows(p: CountParams) {
    return countRows(this.sql, p);
  }

  checkWritable(p: WritableParams) {
    return checkWritable(this.sql, p);
  }

  applyChanges(batch: WriteBatch) {
    return applyChanges(this.sql, batch);
  }

  reserveKeys(p: ReserveKeysParams) {
    return reserveKeys(this.sql, p);
  }

  async close(options: { immediately?: boolean } = {}): Promise<void> {
    // No new connection from here on, even if the driver asks for one.
    this.sockets.close();
    await this.sql.end({ timeout: options.immediately ? 0 : 5 });
  }
}
