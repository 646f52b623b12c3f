import postgres from 'postgres';
import { formatUtcDate, parseTimestampText } from '../mapping/temporal.ts';
import { EgressDeniedError, type EgressPolicy } from '../net/egress.ts';
import { introspectPostgres } from './postgres-introspect.ts';
import { ONE_SHOT_ATTEMPTS, poolAttempts, SourceSocketFactory, type AttemptBudget } from './postgres-socket.ts';
import { classifySourceError, SourceDeadlineError, sourceErrorDetail } from './source-errors.ts';
import type { ConnectionCheck, SourceAdapter, SourceCallOptions, SourceConnectionParams } from './types.ts';

const sslOption = (mode: SourceConnectionParams['sslMode']) =>
  mode === 'disable' ? false : mode === 'verify-full' ? ('verify-full' as const) : mode === 'require' ? ('require' as const) : ('prefer' as const);

/** Temporal parameters: strings go to the server untouched (exact microseconds), Dates as ISO text. */
const temporalParam = (x: unknown) => (x instanceof Date ? x.toISOString() : String(x));

/*
 * Type handling every source connection shares, so rows mean the same on every worker:
 * - timestamp without time zone (1114) is parsed as UTC. The driver's default parses it in
 *   the worker's local time zone, so the same row would convert differently per machine.
 * - date/timestamp/timestamptz parameters given as strings are sent as they are; the
 *   default serialiser turns them into a JS Date first and drops microseconds.
 * Parsed values keep millisecond precision (a JS Date); exact positions come from `::text`.
 */
const sourceTypes = {
  sbTimestamp: { to: 1114, from: [1114], serialize: temporalParam, parse: (x: string) => parseTimestampText(x) ?? new Date(Number.NaN) },
  sbTimestamptz: { to: 1184, from: [1184], serialize: temporalParam, parse: (x: string) => new Date(x) },
  sbDate: { to: 1082, from: [1082], serialize: (x: unknown) => (x instanceof Date ? formatUtcDate(x) : String(x)), parse: (x: string) => new Date(x) },
};

export interface SourcePoolOptions {
  max?: number;
  connectTimeoutSeconds?: number;
  /** Checked before every connection, and the connection made to the checked address (shared/src/net/egress.ts). */
  egress?: EgressPolicy | undefined;
  /** Connection attempts the pool may make (default: its own connections at once, then one every five seconds). */
  attempts?: AttemptBudget;
  /** PostgreSQL's statement_timeout for every statement of the pool, so the server gives up with the caller. */
  statementTimeoutMs?: number;
}

/**
 * A connection pool to a source instance, with the socket factory that makes its connections
 * (bounded attempts, egress policy: see postgres-socket.ts). Session settings are fixed at
 * connect time so results never depend on a database's or role's defaults: TimeZone UTC
 * (timestamptz text is `+00`), ISO DateStyle (what the driver's date parsing expects), ISO 8601
 * intervals and exact float output.
 */
export function openSourcePool(params: SourceConnectionParams, opts: SourcePoolOptions = {}): { sql: postgres.Sql; sockets: SourceSocketFactory } {
  const max = opts.max ?? 4;
  const connectTimeoutSeconds = opts.connectTimeoutSeconds ?? 10;
  const sockets = new SourceSocketFactory(params.host, params.port, {
    egress: opts.egress,
    budget: opts.attempts ?? poolAttempts(max),
    connectTimeoutMs: connectTimeoutSeconds * 1000,
  });
  // `socket` is a documented postgres.js option its type declarations lack, hence the assertion below.
  const sql = postgres({
    host: params.host,
    port: params.port,
    socket: sockets.create,
    database: params.databaseName,
    username: params.username,
    password: params.password ?? undefined,
    ssl: sslOption(params.sslMode),
    max,
    connect_timeout: connectTimeoutSeconds,
    idle_timeout: 30,
    onnotice: () => {},
    types: sourceTypes,
    // extra_float_digits > 0: floats print in the shortest form that reads back exactly (PostgreSQL < 12 rounds otherwise).
    connection: {
      application_name: 'syncbridge-source',
      TimeZone: 'UTC',
      DateStyle: 'ISO, YMD',
      IntervalStyle: 'iso_8601',
      extra_float_digits: 3,
      ...(opts.statementTimeoutMs ? { statement_timeout: Math.ceil(opts.statementTimeoutMs) } : {}),
    },
  } as postgres.Options<typeof sourceTypes>) as unknown as postgres.Sql;
  return { sql, sockets };
}

/** A long-lived connection pool to a source instance (see openSourcePool). */
export function connectPostgresSource(params: SourceConnectionParams, opts: SourcePoolOptions = {}): postgres.Sql {
  return openSourcePool(params, opts).sql;
}

/** Defaults of a one-shot call (a test, an introspection) when its caller names none. */
export const DEFAULT_CHECK_DEADLINE_MS = 10_000;
export const DEFAULT_INTROSPECTION_DEADLINE_MS = 60_000;
const DEFAULT_CALL_CONNECT_TIMEOUT_MS = 5_000;

/**
 * Runs `work` on a pool of one connection that exists only for it: at most three connection
 * attempts, and an overall deadline after which the call fails with `SourceDeadlineError`, no
 * new connection is attempted and the pool is torn down (the server's statement_timeout ends
 * whatever it was still running). Nothing keeps connecting after the answer.
 */
export async function withSourcePool<T>(
  params: SourceConnectionParams,
  options: SourceCallOptions & { deadlineMs: number },
  work: (sql: postgres.Sql) => Promise<T>,
): Promise<T> {
  const connectTimeoutMs = Math.min(options.connectTimeoutMs ?? DEFAULT_CALL_CONNECT_TIMEOUT_MS, options.deadlineMs);
  const { sql, sockets } = openSourcePool(params, {
    max: 1,
    connectTimeoutSeconds: Math.max(1, Math.ceil(connectTimeoutMs / 1000)),
    egress: options.egress,
    attempts: ONE_SHOT_ATTEMPTS,
    statementTimeoutMs: options.deadlineMs,
  });
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new SourceDeadlineError(`${params.host}:${params.port}`, options.deadlineMs));
    }, options.deadlineMs);
  });
  try {
    return await Promise.race([work(sql), deadline]);
  } finally {
    clearTimeout(timer);
    sockets.close();
    // After the deadline the pool is torn down at once; otherwise it ends politely, waiting at most a second.
    await sql.end({ timeout: timedOut ? 0 : 1 });
  }
}

export const postgresSourceAdapter: SourceAdapter = {
  engine: 'postgres',
  async checkConnection(params, options = {}): Promise<ConnectionCheck> {
    const started = performance.now();
    try {
      const version = await withSourcePool(params, { ...options, deadlineMs: options.deadlineMs ?? DEFAULT_CHECK_DEADLINE_MS }, async (sql) => {
        const [row] = await sql<{ version: string }[]>`select current_setting('server_version') as version`;
        return row?.version ?? 'unknown';
      });
      return { ok: true, latencyMs: Math.round(performance.now() - started), serverVersion: `PostgreSQL ${version}` };
    } catch (err) {
      // Refused by the egress policy: nothing was attempted, so there is no health to record.
      if (err instanceof EgressDeniedError) throw err;
      const classified = classifySourceError(err, params);
      return {
        ok: false,
        latencyMs: Math.round(performance.now() - started),
        errorClass: classified.errorClass,
        error: classified.message,
        ...(classified.code ? { errorCode: classified.code } : {}),
        detail: sourceErrorDetail(err, params.password),
      };
    }
  },
  async introspect(params, filter = {}, options = {}) {
    return withSourcePool(params, { ...options, deadlineMs: options.deadlineMs ?? DEFAULT_INTROSPECTION_DEADLINE_MS }, (sql) =>
      introspectPostgres(sql, filter),
    );
  },
};
