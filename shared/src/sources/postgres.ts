import postgres from 'postgres';
import { formatUtcDate, parseTimestampText } from '../mapping/temporal.ts';
import { introspectPostgres } from './postgres-introspect.ts';
import type { ConnectionCheck, SourceAdapter, SourceConnectionParams } from './types.ts';

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
 * A connection pool to a source instance. Session settings are fixed at connect time so
 * results never depend on a database's or role's defaults: TimeZone UTC (timestamptz text is
 * `+00`), ISO DateStyle (what the driver's date parsing expects), ISO 8601 intervals and
 * exact float output.
 */
export function connectPostgresSource(params: SourceConnectionParams, opts: { max?: number; connectTimeoutSeconds?: number } = {}): postgres.Sql {
  return postgres({
    host: params.host,
    port: params.port,
    database: params.databaseName,
    username: params.username,
    password: params.password ?? undefined,
    ssl: sslOption(params.sslMode),
    max: opts.max ?? 4,
    connect_timeout: opts.connectTimeoutSeconds ?? 10,
    idle_timeout: 30,
    onnotice: () => {},
    types: sourceTypes,
    // extra_float_digits > 0: floats print in the shortest form that reads back exactly (PostgreSQL < 12 rounds otherwise).
    connection: { application_name: 'syncbridge-source', TimeZone: 'UTC', DateStyle: 'ISO, YMD', IntervalStyle: 'iso_8601', extra_float_digits: 3 },
  }) as unknown as postgres.Sql;
}

export const postgresSourceAdapter: SourceAdapter = {
  engine: 'postgres',
  async checkConnection(params, timeoutMs = 5000): Promise<ConnectionCheck> {
    const started = performance.now();
    const sql = connectPostgresSource(params, { max: 1, connectTimeoutSeconds: Math.ceil(timeoutMs / 1000) });
    try {
      const [row] = await sql<{ version: string }[]>`select current_setting('server_version') as version`;
      return { ok: true, latencyMs: Math.round(performance.now() - started), serverVersion: `PostgreSQL ${row?.version ?? 'unknown'}` };
    } catch (err) {
      const e = err as { message?: string; code?: string };
      // The driver's message names host and user but never the password.
      return { ok: false, latencyMs: Math.round(performance.now() - started), error: e.message ?? String(err), ...(e.code ? { errorCode: e.code } : {}) };
    } finally {
      await sql.end({ timeout: 1 });
    }
  },
  async introspect(params, filter = {}) {
    const sql = connectPostgresSource(params, { max: 1 });
    try {
      return await introspectPostgres(sql, filter);
    } finally {
      await sql.end({ timeout: 5 });
    }
  },
};
