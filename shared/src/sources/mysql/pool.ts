import type net from 'node:net';
import { Duplex } from 'node:stream';
import mysql from 'mysql2/promise';
import type { SessionOptions } from '../connector.ts';
import { poolAttempts, SourceSocketFactory } from '../socket.ts';
import type { SourceConnectionParams } from '../types.ts';

/*
 * The connection pool of a MySQL or MariaDB session (mysql2). Its sockets come from the shared
 * SourceSocketFactory (bounded attempts, egress policy: see socket.ts) through mysql2's `stream`
 * option, and every connection gets the same session settings, so rows mean the same on every
 * worker whatever the server's or the user's defaults:
 * - time_zone '+00:00': TIMESTAMP columns (stored in UTC, shown in the session zone) read and
 *   write as UTC; DATETIME has no zone and is read as UTC like PostgreSQL's timestamp.
 * - sql_mode, set whole (the server's default is replaced): STRICT_ALL_TABLES (a value a column
 *   cannot hold is an error, never a silent truncation or a warning), NO_ZERO_DATE and
 *   NO_ZERO_IN_DATE (no new zero dates), ERROR_FOR_DIVISION_BY_ZERO, NO_ENGINE_SUBSTITUTION.
 *   Not ANSI_QUOTES (identifiers are backtick-quoted), not NO_BACKSLASH_ESCAPES (the driver's
 *   literals escape with backslashes), not PAD_CHAR_TO_FULL_LENGTH (char(n) reads without its
 *   trailing spaces, as PostgreSQL's char(n)::text does).
 * - utf8mb4 on the wire; REPEATABLE READ (the write path's locking reads also lock the gaps of
 *   absent keys, so no row appears between the check of an insert and the insert).
 * - the statement time limit: MariaDB's max_statement_time (every statement), MySQL's
 *   max_execution_time (SELECT only: MySQL has no limit for other statements).
 * Values are read as raw bytes (see query.ts) and converted by the connector itself, so nothing
 * depends on the driver's date or number parsing.
 */

export type Flavor = 'mariadb' | 'mysql';

export const SESSION_SQL_MODE = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

type SslOptions = { rejectUnauthorized: boolean; verifyIdentity?: boolean };

function sslOption(mode: SourceConnectionParams['sslMode']): SslOptions | undefined {
  if (mode === 'verify-full') return { rejectUnauthorized: true, verifyIdentity: true };
  if (mode === 'require' || mode === 'prefer') return { rejectUnauthorized: false };
  return undefined;
}

/** CLIENT_SSL in the capability flags of the server's greeting (protocol 10). */
function greetingOffersTls(packet: Buffer): boolean | undefined {
  // 4 bytes header, protocol version, NUL-terminated version, 4 connection id, 8 auth data, 1 filler, 2 capability flags.
  if (packet.length < 5 || packet[4] !== 10) return undefined;
  const end = packet.indexOf(0, 5);
  const at = end + 1 + 4 + 8 + 1;
  if (end < 0 || packet.length < at + 2) return undefined;
  return (packet.readUInt16LE(at) & 0x800) !== 0;
}

/**
 * The stream mysql2 talks to, returned at once while the socket factory (async: DNS, egress,
 * bounded attempts) makes the real socket; bytes flow both ways once it exists. `onGreeting`
 * sees the server's first packet before the driver does (sslMode prefer: TLS only when the
 * server offers it).
 */
class DeferredSocket extends Duplex {
  private socket: net.Socket | null = null;
  private pending: Array<{ chunk: Buffer; callback: (error?: Error | null) => void }> = [];
  private greeted = false;

  constructor(
    created: Promise<net.Socket>,
    private readonly onGreeting?: (packet: Buffer) => void,
  ) {
    super();
    created.then(
      (socket) => this.attach(socket),
      (error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))),
    );
  }

  private attach(socket: net.Socket): void {
    if (this.destroyed) {
      socket.destroy();
      return;
    }
    this.socket = socket;
    socket.setNoDelay?.(true);
    socket.on('data', (data: Buffer) => {
      if (!this.greeted) {
        this.greeted = true;
        this.onGreeting?.(data);
      }
      if (!this.push(data)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => {
      if (!this.destroyed) this.destroy();
    });
    for (const { chunk, callback } of this.pending.splice(0)) socket.write(chunk, callback);
  }

  override _read(): void {
    this.socket?.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.socket) this.socket.write(chunk, callback);
    else this.pending.push({ chunk, callback });
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket?.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket?.destroy();
    for (const { callback: cb } of this.pending.splice(0)) cb(error ?? new Error('the connection was closed'));
    callback(error);
  }
}

export interface MysqlPool {
  pool: mysql.Pool;
  sockets: SourceSocketFactory;
  /** Learnt from the first connection's greeting; 'mysql' until then. */
  flavor(): Flavor;
}

/** A mysql2 pool whose connections come from the socket factory and carry the session settings above. */
export function openMysqlPool(params: SourceConnectionParams, opts: SessionOptions = {}): MysqlPool {
  const max = opts.maxConnections ?? 4;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const protocol = params.engine === 'mariadb' ? 'MariaDB' : 'MySQL';
  const sockets = new SourceSocketFactory(params.host, params.port, {
    egress: opts.egress,
    budget: opts.attempts ?? poolAttempts(max),
    connectTimeoutMs,
    protocol,
  });
  const ssl = sslOption(params.sslMode);
  let flavor: Flavor = params.engine === 'mariadb' ? 'mariadb' : 'mysql';
  const pool = mysql.createPool({
    host: params.host,
    port: params.port,
    user: params.username,
    password: params.password ?? undefined,
    database: params.databaseName || undefined,
    ...(ssl ? { ssl } : {}),
    // The stream factory gets the connection's own config: for `prefer`, TLS is dropped from it when the greeting offers none.
    stream: ((factoryOptions: { config: { ssl?: unknown } }) =>
      new DeferredSocket(
        sockets.create(),
        params.sslMode === 'prefer'
          ? (packet) => {
              if (greetingOffersTls(packet) === false) factoryOptions.config.ssl = undefined;
            }
          : undefined,
      )) as never,
    connectionLimit: max,
    maxIdle: max,
    idleTimeout: 30_000,
    connectTimeout: connectTimeoutMs,
    waitForConnections: true,
    queueLimit: 0,
    charset: 'utf8mb4_general_ci',
    timezone: 'Z',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    multipleStatements: false,
    namedPlaceholders: false,
    enableKeepAlive: true,
  });
  pool.pool.on('connection', (connection) => {
    const core = connection as unknown as { _isMariaDB?: boolean; query: (sql: string, cb: (error: unknown) => void) => void; destroy: () => void };
    flavor = core._isMariaDB ? 'mariadb' : 'mysql';
    const settings = [`time_zone = '+00:00'`, `sql_mode = '${SESSION_SQL_MODE}'`, 'group_concat_max_len = 1048576'];
    if (opts.statementTimeoutMs) {
      settings.push(
        flavor === 'mariadb'
          ? `max_statement_time = ${(Math.ceil(opts.statementTimeoutMs) / 1000).toFixed(3)}`
          : `max_execution_time = ${Math.ceil(opts.statementTimeoutMs)}`,
      );
    }
    // Queued before whatever the caller runs on this new connection; a connection that cannot take them is not used.
    const fail = (error: unknown) => {
      if (error) core.destroy();
    };
    core.query(`SET ${settings.join(', ')}`, fail);
    core.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ', fail);
  });
  return { pool, sockets, flavor: () => flavor };
}
