import { ApplicationFailure } from '@temporalio/activity';
import { asc, eq } from 'drizzle-orm';
import { FailureType } from '@syncbridge/shared/errors';
import { schema } from '@syncbridge/shared/db';
import { graphConfigFromConnection, MissingSecretError, sourceParamsFromInstance } from '@syncbridge/shared/connections';
import { getGraphGateway, type GraphGateway } from '@syncbridge/shared/graph';
import type { FieldMappingSpec, RoutingRule } from '@syncbridge/shared/mapping';
import type { SourceConnectionParams } from '@syncbridge/shared/sources';
import type { ActivityDeps } from '../deps.ts';

export type DefinitionRow = typeof schema.syncDefinitions.$inferSelect;
export type TargetRow = typeof schema.syncTargets.$inferSelect;
export type ConnectionRow = typeof schema.sharepointConnections.$inferSelect;

export interface TargetContext extends TargetRow {
  connection: ConnectionRow;
}

export interface DefinitionContext {
  definition: DefinitionRow;
  instanceId: string;
  /** Changes whenever the instance row changes, so pools follow new credentials. */
  instanceVersion: string;
  source: SourceConnectionParams;
  mappings: FieldMappingSpec[];
  targets: TargetContext[];
}

export const notFound = (what: string) => ApplicationFailure.nonRetryable(`${what} does not exist`, FailureType.NotFound);
export const invalid = (message: string) => ApplicationFailure.nonRetryable(message, FailureType.InvalidInput);

/** Everything a sync activity needs about a definition, in three queries. */
export async function loadDefinitionContext(deps: ActivityDeps, definitionId: string): Promise<DefinitionContext> {
  const { db } = deps.store;
  const [row] = await db
    .select({ definition: schema.syncDefinitions, instance: schema.databaseInstances, engine: schema.databases.engine })
    .from(schema.syncDefinitions)
    .innerJoin(schema.databaseInstances, eq(schema.databaseInstances.id, schema.syncDefinitions.sourceInstanceId))
    .innerJoin(schema.databases, eq(schema.databases.id, schema.databaseInstances.databaseId))
    .where(eq(schema.syncDefinitions.id, definitionId));
  if (!row) throw notFound(`sync definition ${definitionId}`);
  const [mappings, targets] = await Promise.all([
    db.select().from(schema.fieldMappings).where(eq(schema.fieldMappings.definitionId, definitionId)).orderBy(asc(schema.fieldMappings.createdAt)),
    db
      .select({ target: schema.syncTargets, connection: schema.sharepointConnections })
      .from(schema.syncTargets)
      .innerJoin(schema.sharepointConnections, eq(schema.sharepointConnections.id, schema.syncTargets.connectionId))
      .where(eq(schema.syncTargets.definitionId, definitionId))
      .orderBy(asc(schema.syncTargets.priority), asc(schema.syncTargets.createdAt)),
  ]);
  const inst = row.instance;
  return {
    definition: row.definition,
    instanceId: inst.id,
    instanceVersion: inst.updatedAt.toISOString(),
    source: sourceParamsFromInstance(inst, row.engine, deps.secrets),
    mappings: mappings
      .filter((m) => m.direction !== 'ingress')
      .map((m) => ({
        sourceColumn: m.sourceColumn,
        targetColumn: m.targetColumn,
        targetType: m.targetType as FieldMappingSpec['targetType'],
        converterOptions: (m.converterOptions ?? {}) as Record<string, unknown>,
        transforms: (m.transforms ?? []) as FieldMappingSpec['transforms'],
        direction: m.direction,
      })),
    targets: targets.map((t) => ({ ...t.target, connection: t.connection })),
  };
}

export function routingTargets(targets: TargetContext[]) {
  return targets.map((t) => ({ id: t.id, routingRule: (t.routingRule ?? null) as RoutingRule | null, priority: t.priority, isDefault: t.isDefault }));
}

/** The Graph gateway of a connection, built from its stored (decrypted) secret. */
export function gatewayFor(deps: ActivityDeps, connection: ConnectionRow): GraphGateway {
  try {
    return getGraphGateway(graphConfigFromConnection(connection, deps.secrets), { logger: deps.logger });
  } catch (err) {
    if (err instanceof MissingSecretError) throw invalid(err.message);
    throw err;
  }
}
