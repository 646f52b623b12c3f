import { eq } from 'drizzle-orm';
import { sourceParamsFromInstance } from '@syncbridge/shared/connections';
import { schema } from '@syncbridge/shared/db';
import { EgressDeniedError } from '@syncbridge/shared/net';
import {
  identifierProblem,
  introspectOnce,
  sourceConnectorFor,
  UnsupportedEngineError,
  type SchemaSnapshot,
  type SourceConnectionParams,
  type SourceConnector,
} from '@syncbridge/shared/sources';
import type { ApiDeps } from './context.ts';
import { egressOf, egressRefused } from './probes.ts';
import { ApiError, commonErrorResponses, ErrorCode, notFound } from './problem.ts';
import { scrubSecretText } from './secret-text.ts';

/*
 * Live access to a source database for the API: load an instance with its decrypted
 * credentials, introspect it (unreachable -> 503, unsupported engine -> 422), and keep the
 * history of what it looked like in schema_snapshots, one history per filter scope.
 */

type InstanceRow = typeof schema.databaseInstances.$inferSelect;

/** How long a live introspection may take before the API gives up with a 503. */
export const INTROSPECTION_TIMEOUT_MS = 30_000;

export interface SourceInstance {
  instance: InstanceRow;
  engine: SourceConnectionParams['engine'];
}

/** The instance and its database's engine, or undefined when it does not exist. */
export async function findSourceInstance(deps: ApiDeps, instanceId: string): Promise<SourceInstance | undefined> {
  const [row] = await deps.store.db
    .select({ instance: schema.databaseInstances, engine: schema.databases.engine })
    .from(schema.databaseInstances)
    .innerJoin(schema.databases, eq(schema.databases.id, schema.databaseInstances.databaseId))
    .where(eq(schema.databaseInstances.id, instanceId))
    .limit(1);
  return row;
}

export async function loadSourceInstance(deps: ApiDeps, instanceId: string): Promise<SourceInstance> {
  const row = await findSourceInstance(deps, instanceId);
  if (!row) throw notFound('DatabaseInstance', instanceId);
  return row;
}

/** Connection parameters with the stored password decrypted (never logged, never returned). */
export function connectionParams(deps: ApiDeps, source: SourceInstance): SourceConnectionParams {
  return sourceParamsFromInstance(source.instance, source.engine, deps.secrets);
}

export const describeInstance = (inst: Pick<InstanceRow, 'id' | 'name' | 'host' | 'port' | 'databaseName'>) =>
  `database instance "${inst.name}" (${inst.id}, ${inst.host}:${inst.port}/${inst.databaseName})`;

/** The instance's engine's connector; an engine this build cannot reach is a 422. */
export function connectorFor(source: SourceInstance): SourceConnector {
  try {
    return sourceConnectorFor(source.engine);
  } catch (err) {
    if (err instanceof UnsupportedEngineError) {
      throw new ApiError(422, ErrorCode.ValidationFailed, `${describeInstance(source.instance)}: ${err.message}`);
    }
    throw err;
  }
}

/** Errors that are our own bugs, not the source's answer: they stay 500s. */
const isProgrammingError = (err: unknown) =>
  err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError;

/** The driver's message without the password, should a driver ever echo it. */
function driverMessage(err: unknown, password: string | null): string {
  const e = err as { message?: unknown; code?: unknown };
  let message = typeof e?.message === 'string' && e.message ? e.message : String(err);
  if (typeof e?.code === 'string' && !message.includes(e.code)) message = `${message} (${e.code})`;
  return scrubSecretText(message, [password]);
}

/**
 * Introspects an instance live, within INTROSPECTION_TIMEOUT_MS and the egress policy.
 * `unavailablePrefix` starts the 503 message, e.g. "the definition cannot be validated now".
 * The message names the instance and the failure's class (shared/src/net/error-class.ts),
 * never the server's own text nor the password; the driver's detail goes to the log. A host
 * the egress policy refuses answers 422 naming `host`.
 */
export async function introspectSource(
  deps: ApiDeps,
  source: SourceInstance,
  filter: { schema?: string; table?: string },
  unavailablePrefix?: string,
): Promise<SchemaSnapshot> {
  return callSource(deps, source, 'source introspection failed', unavailablePrefix, (connector, params) =>
    introspectOnce(connector, params, filter, { deadlineMs: INTROSPECTION_TIMEOUT_MS, egress: egressOf(deps) }),
  );
}

/**
 * One call to a source on behalf of a request: a failure to reach it is a 503 naming the
 * instance and the class of failure (the driver's own text is logged, never returned), a host
 * the egress policy refuses is a 422; programming errors pass through.
 */
export async function callSource<T>(
  deps: ApiDeps,
  source: SourceInstance,
  logMessage: string,
  unavailablePrefix: string | undefined,
  work: (connector: SourceConnector, params: SourceConnectionParams) => Promise<T>,
): Promise<T> {
  const connector = connectorFor(source);
  const params = connectionParams(deps, source);
  try {
    return await work(connector, params);
  } catch (err) {
    if (isProgrammingError(err)) throw err;
    if (err instanceof EgressDeniedError) throw egressRefused(err, 'host', deps.logger.child({ instanceId: source.instance.id }));
    const classified = connector.classifyError(err, params);
    deps.logger.warn({ instanceId: source.instance.id, errorClass: classified.errorClass, error: driverMessage(err, params.password) }, logMessage);
    const what = `${describeInstance(source.instance)} cannot be reached (${classified.errorClass}): ${classified.message}`;
    throw new ApiError(503, ErrorCode.Unavailable, unavailablePrefix ? `${unavailablePrefix}: ${what}` : what);
  }
}

/**
 * Names checked against the instance's engine (its length limit and what it can quote): the
 * request schemas only cap them at the largest limit of any engine (MAX_IDENTIFIER_LENGTH).
 * Throws 422 naming each field that does not fit.
 */
export function checkIdentifiers(source: SourceInstance, names: Array<{ field: string; name: string | null | undefined }>): void {
  const connector = connectorFor(source);
  const errors = names.flatMap(({ field, name }) => {
    if (!name) return [];
    const problem = identifierProblem(connector.identifiers, connector.displayName, name);
    return problem ? [{ field, message: `${JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name)} ${problem}` }] : [];
  });
  if (errors.length) throw new ApiError(422, ErrorCode.ValidationFailed, errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
}

// The OpenAPI shapes of introspection are in source-schema-api.ts.

/** The 503 every route that reads a source live documents. */
export const sourceUnavailableResponse = {
  503: {
    description:
      'The source database could not be reached or did not answer within 30 s (the message names the instance and the class of failure: unreachable, timeout, tls, protocol, authentication_failed, database_not_found, permission_denied, server_error); nothing was changed',
    content: commonErrorResponses[500].content,
  },
} as const;
