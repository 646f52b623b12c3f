import {
  classifyGraphError,
  egressDeniedIn,
  GraphError,
  type ConnectionTestResult,
  type GraphGateway,
  type GraphGatewayOptions,
} from '@syncbridge/shared/graph';
import { EgressDeniedError, type EgressField } from '@syncbridge/shared/net';
import type { schema } from '@syncbridge/shared/db';
import type { Logger } from '@syncbridge/shared/logger';
import type { ApiDeps } from './context.ts';
import { egressOf, egressRefused, GRAPH_READ_DEADLINE_MS, GRAPH_TEST_DEADLINE_MS, withDeadline } from './probes.ts';
import { ApiError, ErrorCode } from './problem.ts';
import { scrubSecretText } from './secret-text.ts';

/*
 * The API's live Graph calls (connection test, discovery): the egress policy checked on both
 * URLs first, an overall deadline, and answers made of classes (shared/src/graph/classify.ts)
 * rather than the identity platform's or Graph's own text, which goes to the log.
 */

type ConnectionRow = typeof schema.sharepointConnections.$inferSelect;

/** A call that was aborted at its deadline gets this long to return its own result before the API answers without it. */
const ABORT_GRACE_MS = 2_000;
/** One Graph or identity request may take this long in the API (the worker's default is 100 s). */
const API_GRAPH_REQUEST_TIMEOUT_MS = 10_000;

/** Gateway options of the API's calls: few attempts, short requests, the egress policy. */
export const apiGatewayOptions = (deps: ApiDeps): GraphGatewayOptions => ({
  logger: deps.logger,
  maxAttempts: 3,
  requestTimeoutMs: API_GRAPH_REQUEST_TIMEOUT_MS,
  // A Retry-After longer than this is reported (503, throttled), not waited for.
  maxThrottleWaitMs: 5_000,
  egress: egressOf(deps),
});

function endpointOf(url: string): { host: string; port: number } | undefined {
  try {
    const u = new URL(url);
    return { host: u.hostname, port: Number(u.port || (u.protocol === 'http:' ? 80 : 443)) };
  } catch {
    return undefined;
  }
}

/** 422 naming graphBaseUrl or authorityHost when the egress policy refuses its address; nothing is sent anywhere then. */
export async function checkConnectionEgress(deps: ApiDeps, row: Pick<ConnectionRow, 'graphBaseUrl' | 'authorityHost'>, log: Logger): Promise<void> {
  const egress = egressOf(deps);
  for (const field of ['authorityHost', 'graphBaseUrl'] as const) {
    const endpoint = endpointOf(row[field]);
    if (!endpoint) continue;
    try {
      await egress.check(endpoint.host, endpoint.port, field);
    } catch (err) {
      if (err instanceof EgressDeniedError) throw egressRefused(err, field, log);
      // A name that does not resolve: the call itself reports it, as a result or a 503.
    }
  }
}

/** Which URL a refused address belongs to. */
function fieldOf(gateway: GraphGateway, err: EgressDeniedError): EgressField {
  const authority = endpointOf(gateway.config.authorityHost);
  return authority && authority.host.replace(/^\[|\]$/g, '') === err.host && authority.port === err.port ? 'authorityHost' : 'graphBaseUrl';
}

/**
 * `testConnection` within GRAPH_TEST_DEADLINE_MS. Past it the call is aborted; if it has not
 * returned its own result shortly after, the answer is a `timeout` without it, and the
 * connection's gateway is evicted (its sockets closed, no new one opened).
 */
export async function testWithDeadline(deps: ApiDeps, connectionId: string, gateway: GraphGateway, log: Logger): Promise<ConnectionTestResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), GRAPH_TEST_DEADLINE_MS);
  let tested: ConnectionTestResult;
  try {
    const outcome = await withDeadline(
      GRAPH_TEST_DEADLINE_MS + ABORT_GRACE_MS,
      () => gateway.testConnection({ signal: controller.signal }),
      () => deps.graph.evict(connectionId),
    );
    // Without its own result the stage is unknown; the token stage is the one run by a library (MSAL) that may not heed the abort.
    tested = outcome.timedOut
      ? { ok: false, stage: 'token', message: 'gave up waiting', errorClass: 'timeout', summary: `no answer within ${GRAPH_TEST_DEADLINE_MS / 1000} s` }
      : outcome.value;
  } finally {
    clearTimeout(timer);
  }
  if (controller.signal.aborted) {
    // Whatever the stage, the deadline ended it: report the timeout, and close what it left open.
    deps.graph.evict(connectionId);
    if (!tested.ok) tested = { ...tested, errorClass: 'timeout', summary: `no answer within ${GRAPH_TEST_DEADLINE_MS / 1000} s (${tested.stage} stage)` };
  }
  if (!tested.ok) {
    log.warn(
      { connectionId, stage: tested.stage, errorClass: tested.errorClass, detail: scrubSecretText(tested.message, [gateway.config.clientSecret]) },
      'sharepoint connection test failed',
    );
  }
  return tested;
}

/**
 * A discovery read within GRAPH_READ_DEADLINE_MS, answered the API's way: what the caller can
 * fix is 4xx (404 for what does not exist, 422 for refused credentials, permissions or a
 * refused address), outages and timeouts are 503. Messages come from the failure's class.
 */
export async function readWithDeadline<T>(
  deps: ApiDeps,
  connectionId: string,
  gateway: GraphGateway,
  call: (graph: GraphGateway, signal: AbortSignal) => Promise<T>,
  log: Logger,
): Promise<T> {
  let failure: unknown;
  const outcome = await withDeadline(
    GRAPH_READ_DEADLINE_MS,
    (signal) =>
      call(gateway, signal).catch((err: unknown) => {
        failure = err;
        throw err;
      }),
    () => deps.graph.evict(connectionId),
  ).catch((err: unknown) => ({ failed: err }));
  if ('timedOut' in outcome && !outcome.timedOut) return outcome.value;
  if ('timedOut' in outcome) {
    log.warn({ connectionId, deadlineMs: GRAPH_READ_DEADLINE_MS }, 'sharepoint discovery timed out');
    throw new ApiError(503, ErrorCode.Unavailable, `SharePoint did not answer within ${GRAPH_READ_DEADLINE_MS / 1000} s (timeout); retry later`);
  }
  const err = failure ?? outcome.failed;
  const denied = egressDeniedIn(err);
  if (denied) throw egressRefused(denied, fieldOf(gateway, denied), log);
  if (!(err instanceof GraphError)) throw err;
  const { errorClass, message } = classifyGraphError(err, gateway.config);
  log.warn(
    { connectionId, status: err.status, code: err.code, errorClass, detail: scrubSecretText(err.message, [gateway.config.clientSecret]) },
    'sharepoint discovery failed',
  );
  if (err.status === 404) throw new ApiError(404, ErrorCode.NotFound, `SharePoint says: ${message}`);
  if (errorClass === 'authentication_failed' || errorClass === 'permission_denied' || errorClass === 'invalid_request' || errorClass === 'tls') {
    throw new ApiError(422, ErrorCode.ValidationFailed, `SharePoint refused the connection's request (${errorClass}): ${message}`);
  }
  const retryIn = err.retryAfterMs ? `; Graph asks to retry in ${Math.ceil(err.retryAfterMs / 1000)} s` : '';
  throw new ApiError(503, ErrorCode.Unavailable, `SharePoint is unavailable (${errorClass}): ${message}${retryIn}`);
}
