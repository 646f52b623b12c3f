import { EgressDeniedError } from '../net/egress.ts';
import type { SourceConnector, SourceSession } from './connector.ts';
import { SourceDeadlineError, sourceErrorDetail, targetOf } from './errors.ts';
import { ONE_SHOT_ATTEMPTS } from './socket.ts';
import type { ConnectionCheck, IntrospectionFilter, SchemaSnapshot, SourceCallOptions, SourceConnectionParams } from './types.ts';

/*
 * One-shot calls (a connection test, an introspection from the API), the same for every
 * engine: a session of one connection that exists only for the call, at most three connection
 * attempts, an overall deadline, and nothing left connecting after the answer.
 */

/** Defaults of a one-shot call when its caller names none. */
export const DEFAULT_CHECK_DEADLINE_MS = 10_000;
export const DEFAULT_INTROSPECTION_DEADLINE_MS = 60_000;
const DEFAULT_CALL_CONNECT_TIMEOUT_MS = 5_000;

/**
 * Runs `work` on a session that exists only for it. Past the deadline the call fails with
 * SourceDeadlineError, no new connection is attempted and the session is torn down at once (the
 * server's statement time limit, set to the deadline, ends whatever it was still running).
 */
export async function withSourceSession<T>(
  connector: SourceConnector,
  params: SourceConnectionParams,
  options: SourceCallOptions & { deadlineMs: number },
  work: (session: SourceSession) => Promise<T>,
): Promise<T> {
  const connectTimeoutMs = Math.min(options.connectTimeoutMs ?? DEFAULT_CALL_CONNECT_TIMEOUT_MS, options.deadlineMs);
  const session = connector.openSession(params, {
    maxConnections: 1,
    connectTimeoutMs,
    egress: options.egress,
    attempts: ONE_SHOT_ATTEMPTS,
    statementTimeoutMs: options.deadlineMs,
  });
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new SourceDeadlineError(targetOf(params), options.deadlineMs));
    }, options.deadlineMs);
  });
  try {
    return await Promise.race([work(session), deadline]);
  } finally {
    clearTimeout(timer);
    await session.close({ immediately: timedOut });
  }
}

/** A connection test: never throws for what the server or the network did (that is the result); throws EgressDeniedError when the policy refuses the host. */
export async function checkSourceConnection(
  connector: SourceConnector,
  params: SourceConnectionParams,
  options: SourceCallOptions = {},
): Promise<ConnectionCheck> {
  const started = performance.now();
  try {
    const { serverVersion } = await withSourceSession(connector, params, { ...options, deadlineMs: options.deadlineMs ?? DEFAULT_CHECK_DEADLINE_MS }, (s) =>
      s.checkConnection(),
    );
    return { ok: true, latencyMs: Math.round(performance.now() - started), serverVersion };
  } catch (err) {
    // Refused by the egress policy: nothing was attempted, so there is no health to record.
    if (err instanceof EgressDeniedError) throw err;
    const classified = connector.classifyError(err, params);
    return {
      ok: false,
      latencyMs: Math.round(performance.now() - started),
      errorClass: classified.errorClass,
      error: classified.message,
      ...(classified.code ? { errorCode: classified.code } : {}),
      detail: sourceErrorDetail(err, params.password),
    };
  }
}

/** Tables, views and their columns, keys and indexes, within a deadline (DEFAULT_INTROSPECTION_DEADLINE_MS unless given). */
export function introspectOnce(
  connector: SourceConnector,
  params: SourceConnectionParams,
  filter: IntrospectionFilter = {},
  options: SourceCallOptions = {},
): Promise<SchemaSnapshot> {
  return withSourceSession(connector, params, { ...options, deadlineMs: options.deadlineMs ?? DEFAULT_INTROSPECTION_DEADLINE_MS }, (s) => s.introspect(filter));
}
