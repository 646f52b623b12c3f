import postgres from 'postgres';
import { formatUtcDate, parseTimestampText } from '../../mapping/temporal.ts';
import type { SessionOptions } from '../connector.ts';
import { poolAttempts, SourceSocketFactory } from '../socket.ts';
import type { SourceConnectionParams } from '../types.ts';

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

/**
 * A connection pool to a source instance, with the socket factory that makes its connections
 * (bounded attempts, egress policy: see socket.ts). Session settings are fixed at connect time so
 * results never depend on a database's or role's defaults: TimeZone UTC (timestamptz text is
 * `+00`), ISO DateStyle (what the driver's date parsing expects), ISO 8601 intervals, exact
 * float output and hex bytea output (the text keys and row hashes are made of).
 */
export function openPostgresPool(params: SourceConnectionParams, opts: SessionOptions = {}): { sql: postgres.Sql; sockets: SourceSocketFactory } {
  const max = opts.maxConnections ?? 4;
  const connectTimeoutSeconds = Math.max(1, Math.ceil((opts.connectTimeoutMs ?? 10_000) / 1000));
  const sockets = new SourceSocketFactory(params.host, params.port, {
    egress: opts.egress,
    budget: opts.attempts ?? poolAttempts(max),
    connectTimeoutMs: connectTimeoutSeconds * 1000,
    protocol: 'PostgreSQL',
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
      bytea_output: 'hex',
      ...(opts.statementTimeoutMs ? { statement_timeout: Math.ceil(opts.statementTimeoutMs) } : {}),
    },
  } as postgres.Options<typeof sourceTypes>) as unknown as postgres.Sql;
  return { sql, sockets };
}

/** A pool exactly as sessions get it (session settings and type parsers included): for tests and benchmarks that set up source data. */
export function connectPostgresSource(params: SourceConnectionParams, opts: SessionOptions = {}): postgres.Sql {
  return openPostgresPool(params, opts).sql;
}
