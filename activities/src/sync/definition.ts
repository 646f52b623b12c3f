import { ApplicationFailure } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import { graphConfigFromConnection, MissingSecretError, sourceParamsFromInstance } from '@syncbridge/shared/connections';
import { schema } from '@syncbridge/shared/db';
import {
  connectionsOf,
  DefinitionNotFoundError,
  freezeDefinition,
  loadDefinitionNow,
  NoSourceInstanceError,
  resolveSourceInstance,
  type FrozenContext,
  type FrozenDefinition,
  type FrozenTarget,
} from '@syncbridge/shared/domain';
import { FailureType } from '@syncbridge/shared/errors';
import { GraphConfigError, type GraphGateway } from '@syncbridge/shared/graph';
import type { FieldMappingSpec } from '@syncbridge/shared/mapping';
import type { SourceConnectionParams } from '@syncbridge/shared/sources';
import type { ActivityDeps } from '../deps.ts';

export { routingTargets } from '@syncbridge/shared/domain';

export type ConnectionRow = typeof schema.sharepointConnections.$inferSelect;

export interface TargetContext extends FrozenTarget {
  connection: ConnectionRow;
}

/** What a step of an operation works on: the frozen context plus live credentials. */
export interface DefinitionContext {
  definition: FrozenDefinition;
  instanceId: string;
  /** Changes whenever the instance row changes, so pools follow new credentials. */
  instanceVersion: string;
  source: SourceConnectionParams;
  /** What push writes (direction push or both). */
  mappings: FieldMappingSpec[];
  /** What ingress reads back (direction ingress or both). */
  ingressMappings: FieldMappingSpec[];
  targets: TargetContext[];
}

export const notFound = (what: string) => ApplicationFailure.nonRetryable(`${what} does not exist`, FailureType.NotFound);
export const invalid = (message: string) => ApplicationFailure.nonRetryable(message, FailureType.InvalidInput);

/** Loads the definition now and resolves its source instance: what an operation freezes when it begins. */
export async function freezeContextNow(
  deps: ActivityDeps,
  definitionId: string,
  opts: { writesToSource?: boolean; instanceId?: string; writesWhenTwoWay?: boolean } = {},
): Promise<{ frozen: FrozenContext; reason: string }> {
  try {
    const now = await loadDefinitionNow(deps.store.db, definitionId);
    // A push of a two-way definition reads the lists back into the table first: it writes, so it needs a primary.
    const writesToSource = opts.writesToSource === true || (opts.writesWhenTwoWay === true && now.definition.direction === 'both');
    // A run that resolved its instance already keeps it (as if pinned), whatever changed since.
    const resolved = await resolveSourceInstance(
      deps.store.db,
      opts.instanceId ? { databaseId: now.definition.databaseId, sourceInstanceId: opts.instanceId } : now.definition,
      { writesToSource },
    );
    return {
      frozen: {
        definition: freezeDefinition(now.definition),
        mappings: now.mappings,
        ingressMappings: now.ingressMappings,
        targets: now.targets,
        instanceId: resolved.instance.id,
        engine: resolved.engine,
      },
      reason: resolved.reason,
    };
  } catch (err) {
    if (err instanceof DefinitionNotFoundError) throw notFound(`sync definition ${definitionId}`);
    if (err instanceof NoSourceInstanceError) throw ApplicationFailure.nonRetryable(err.message, FailureType.NoSourceInstance);
    throw err;
  }
}

/** A frozen context with the credentials it needs read live (instance password, connection secrets stay encrypted until used). */
export async function withCredentials(deps: ActivityDeps, frozen: FrozenContext): Promise<DefinitionContext> {
  const { db } = deps.store;
  const [inst] = await db.select().from(schema.databaseInstances).where(eq(schema.databaseInstances.id, frozen.instanceId));
  if (!inst) throw ApplicationFailure.nonRetryable(`the run's source instance ${frozen.instanceId} was deleted`, FailureType.NoSourceInstance);
  const connections = await connectionsOf(db, frozen.targets);
  const targets = frozen.targets.map((t) => {
    const connection = connections.get(t.connectionId);
    if (!connection) throw notFound(`SharePoint connection ${t.connectionId}`);
    return { ...t, connection };
  });
  return {
    definition: frozen.definition,
    instanceId: inst.id,
    instanceVersion: inst.updatedAt.toISOString(),
    source: sourceParamsFromInstance(inst, frozen.engine, deps.secrets),
    mappings: frozen.mappings,
    // Contexts frozen before 0.4 kept push-side mappings only; ingress read those back.
    ingressMappings: frozen.ingressMappings ?? frozen.mappings,
    targets,
  };
}

/**
 * The context of a step of a run: the copy frozen when the run began. Runs started before
 * the operation model froze nothing; they read the definition as it is now.
 */
export async function loadRunContext(
  deps: ActivityDeps,
  input: { definitionId: string; runRowId: string },
): Promise<DefinitionContext & { onlyTargetId: string | null }> {
  const [run] = await deps.store.db
    .select({ context: schema.syncRuns.context, options: schema.syncRuns.options })
    .from(schema.syncRuns)
    .where(eq(schema.syncRuns.id, input.runRowId));
  const frozen = (run?.context as FrozenContext | null | undefined) ?? (await freezeContextNow(deps, input.definitionId)).frozen;
  // "Push this run to list X only" (options.targetId), read with the context: one query per step.
  const targetId = (run?.options as Record<string, unknown> | undefined)?.targetId;
  return { ...(await withCredentials(deps, frozen)), onlyTargetId: typeof targetId === 'string' ? targetId : null };
}

/**
 * The definition as it is now, with credentials: for provisioning (which creates the mappings it
 * then uses) and runs of 0.1. With a run id, the run's own source instance is used.
 */
export async function loadDefinitionContext(deps: ActivityDeps, definitionId: string, runId?: string): Promise<DefinitionContext> {
  let instanceId: string | undefined;
  if (runId) {
    const [run] = await deps.store.db.select({ instanceId: schema.syncRuns.instanceId }).from(schema.syncRuns).where(eq(schema.syncRuns.id, runId));
    instanceId = run?.instanceId ?? undefined;
  }
  return withCredentials(deps, (await freezeContextNow(deps, definitionId, instanceId ? { instanceId } : {})).frozen);
}

/** The Graph gateway of a connection, built from its stored (decrypted) secret. */
export function gatewayFor(deps: ActivityDeps, connection: ConnectionRow): GraphGateway {
  try {
    return deps.graph.get(graphConfigFromConnection(connection, deps.secrets), { logger: deps.logger, egress: deps.egress });
  } catch (err) {
    if (err instanceof MissingSecretError || err instanceof GraphConfigError) throw invalid(`SharePoint connection "${connection.name}": ${err.message}`);
    throw err;
  }
}
