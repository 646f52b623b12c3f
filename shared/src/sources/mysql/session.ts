import type { SourceSession } from '../connector.ts';
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
import type { IntrospectionFilter, SourceEngine } from '../types.ts';
import type { WritableParams, WriteBatch } from '../writes.ts';
import { introspectMysql } from './introspect.ts';
import type { Flavor, MysqlPool } from './pool.ts';
import { plainRows } from './query.ts';
import { countRows, countRowsAfter, keysPresent, maxWatermark, readByKey, readByKeys, readByWatermark, rewindWatermark, type ReadContext } from './read.ts';
import { reserveKeys } from './reserve.ts';
import { checkWritable } from './writable.ts';
import { applyChanges } from './write.ts';

/** A MySQL or MariaDB session: one mysql2 pool and the socket factory that makes its connections. */
export class MysqlSession implements SourceSession {
  private known: Flavor | null = null;
  private readonly ctx: ReadContext;

  constructor(
    readonly engine: SourceEngine,
    private readonly db: MysqlPool,
  ) {
    this.ctx = { db: db.pool, flavor: () => this.flavor() };
  }

  /** MariaDB or MySQL, from the server's greeting (the first connection tells). */
  private async flavor(): Promise<Flavor> {
    if (this.known) return this.known;
    const [row] = await plainRows<{ v: string }>(this.db.pool, 'select version() as v');
    this.known = /mariadb/i.test(row?.v ?? '') ? 'mariadb' : 'mysql';
    return this.known;
  }

  async checkConnection() {
    const [row] = await plainRows<{ v: string }>(this.db.pool, 'select version() as v');
    const text = row?.v ?? 'unknown';
    this.known = /mariadb/i.test(text) ? 'mariadb' : 'mysql';
    const version = /^\d+(?:\.\d+)*/.exec(text)?.[0] ?? text;
    return { serverVersion: `${this.known === 'mariadb' ? 'MariaDB' : 'MySQL'} ${version}` };
  }

  async introspect(filter: IntrospectionFilter = {}) {
    const flavor = await this.flavor();
    // One connection for every catalog statement.
    const conn = await this.db.pool.getConnection();
    try {
      return await introspectMysql(conn, flavor, this.engine, filter);
    } finally {
      conn.release();
    }
  }

  readByWatermark(p: ReadByWatermarkParams) {
    return readByWatermark(this.ctx, p);
  }

  readByKey(p: ReadByKeyParams) {
    return readByKey(this.ctx, p);
  }

  readByKeys(p: ReadByKeysParams) {
    return readByKeys(this.ctx, p);
  }

  keysPresent(p: KeysPresentParams) {
    return keysPresent(this.ctx, p);
  }

  maxWatermark(p: CursorParams) {
    return maxWatermark(this.ctx, p);
  }

  rewindWatermark(p: CursorParams, watermark: string | null, seconds: number) {
    return rewindWatermark(this.ctx, p, watermark, seconds);
  }

  countRowsAfter(p: CountAfterParams) {
    return countRowsAfter(this.ctx, p);
  }

  countRows(p: CountParams) {
    return countRows(this.ctx, p);
  }

  async checkWritable(p: WritableParams) {
    return checkWritable(this.db.pool, await this.flavor(), p);
  }

  applyChanges(batch: WriteBatch) {
    return applyChanges({ pool: this.db.pool, flavor: () => this.flavor() }, batch);
  }

  reserveKeys(p: ReserveKeysParams) {
    return reserveKeys(this.db.pool, p);
  }

  async close(options: { immediately?: boolean } = {}): Promise<void> {
    // No new connection from here on, even if the driver asks for one.
    this.db.sockets.close();
    const core = this.db.pool.pool as unknown as { _allConnections?: { toArray?: () => Array<{ destroy(): void }> } };
    if (options.immediately) for (const c of core._allConnections?.toArray?.() ?? []) c.destroy();
    const ended = this.db.pool.end().catch(() => {});
    if (options.immediately) return;
    // Politely: in-flight statements finish, for at most five seconds.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, 5_000)))]);
    clearTimeout(timer);
  }
}
