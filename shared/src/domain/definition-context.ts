import { asc, eq, inArray } from 'drizzle-orm';
import { schema, type MetaDb } from '../db/index.ts';
import type { FieldMappingSpec, RoutingRule } from '../mapping/index.ts';

/*
 * What an operation works on. Loaded from the meta-store when the operation begins and frozen
 * into its sync_runs row (docs/design/operations.md): every later step reads the frozen copy,
 * so an edit can never change a run half-way. Credentials are never frozen: they are read live
 * by id (the instance row, the connection rows) when a step connects.
 */

export type DefinitionRow = typeof schema.syncDefinitions.$inferSelect;
export type TargetRow = typeof schema.syncTargets.$inferSelect;

/** The definition fields operations read, JSON-safe. */
export interface FrozenDefinition {
  id: string;
  appId: string;
  name: string;
  databaseId: string;
  /** The pin, when the definition has one. */
  sourceInstanceId: string | null;
  sourceSchema: string;
  sourceTable: string;
  keyStrategy: DefinitionRow['keyStrategy'];
  keyColumns: string[];
  cursorStrategy: DefinitionRow['cursorStrategy'];
  cursorColumn: string | null;
  cursorOverlapSeconds: number;
  direction: DefinitionRow['direction'];
  conflictPolicy: DefinitionRow['conflictPolicy'];
  targetStrategy: DefinitionRow['targetStrategy'];
  batchSize: number;
  /** Absent in contexts frozen before 0.4: `delete`. */
  ingressDeletePolicy?: DefinitionRow['ingressDeletePolicy'];
  softDeleteColumn?: string | null;
  /** Absent in contexts frozen before 0.5: `from_list`. */
  newItemKeys?: DefinitionRow['newItemKeys'];
  /** Absent in contexts frozen before 0.7 (which never read the log). */
  replicationMaxRetainedMb?: number;
}

export interface FrozenTarget {
  id: string;
  connectionId: string;
  siteId: string;
  listId: string | null;
  listDisplayName: string;
  routingRule: RoutingRule | null;
  priority: number;
  isDefault: boolean;
}

export interface FrozenContext {
  definition: FrozenDefinition;
  /** What push writes: mappings of direction push or both. */
  mappings: FieldMappingSpec[];
  /** What ingress reads back: direction ingress or both. Absent in contexts frozen before 0.4 (they had `mappings` only). */
  ingressMappings?: FieldMappingSpec[];
  targets: FrozenTarget[];
  /** The source instance this run resolved when it began. */
  instanceId: string;
  engine: (typeof schema.databaseEngine.enumValues)[number];
}

export class DefinitionNotFoundError extends Error {
  override name = 'DefinitionNotFoundError';
}

export function freezeDefinition(d: DefinitionRow): FrozenDefinition {
  return {
    id: d.id,
    appId: d.appId,
    name: d.name,
    databaseId: d.databaseId,
    sourceInstanceId: d.sourceInstanceId,
    sourceSchema: d.sourceSchema,
    sourceTable: d.sourceTable,
    keyStrategy: d.keyStrategy,
    keyColumns: [...d.keyColumns],
    cursorStrategy: d.cursorStrategy,
    cursorColumn: d.cursorColumn,
    cursorOverlapSeconds: d.cursorOverlapSeconds,
    direction: d.direction,
    conflictPolicy: d.conflictPolicy,
    targetStrategy: d.targetStrategy,
    batchSize: d.batchSize,
    ingressDeletePolicy: d.ingressDeletePolicy,
    softDeleteColumn: d.softDeleteColumn,
    newItemKeys: d.newItemKeys,
    replicationMaxRetainedMb: d.replicationMaxRetainedMb,
  };
}

type MappingRow = typeof schema.fieldMappings.$inferSelect;

/** Push-side mappings (those a push writes): direction push or both. */
export const pushMappings = (rows: MappingRow[]): FieldMappingSpec[] => mappingSpecs(rows.filter((m) => m.direction !== 'ingress'));

/** Ingress-side mappings (those ingress reads back into the table): direction ingress or both. */
export const ingressSideMappings = (rows: MappingRow[]): FieldMappingSpec[] => mappingSpecs(rows.filter((m) => m.direction !== 'push'));

/** Every mapping: what provisioning creates list columns for. */
export function allMappings(ctx: { mappings: FieldMappingSpec[]; ingressMappings: FieldMappingSpec[] }): FieldMappingSpec[] {
  return [...ctx.mappings, ...ctx.ingressMappings.filter((m) => m.direction === 'ingress')];
}

function mappingSpecs(rows: MappingRow[]): FieldMappingSpec[] {
  return rows.map((m) => ({
    sourceColumn: m.sourceColumn,
    targetColumn: m.targetColumn,
    targetType: m.targetType as FieldMappingSpec['targetType'],
    converterOptions: (m.converterOptions ?? {}) as Record<string, unknown>,
    transforms: (m.transforms ?? []) as FieldMappingSpec['transforms'],
    direction: m.direction,
  }));
}

export function freezeTarget(t: TargetRow): FrozenTarget {
  return {
    id: t.id,
    connectionId: t.connectionId,
    siteId: t.siteId,
    listId: t.listId,
    listDisplayName: t.listDisplayName,
    routingRule: (t.routingRule ?? null) as RoutingRule | null,
    priority: t.priority,
    isDefault: t.isDefault,
  };
}

/** The definition as it is now: its row, push-side and ingress-side mappings and targets (in routing order). */
export async function loadDefinitionNow(
  db: MetaDb,
  definitionId: string,
): Promise<{ definition: DefinitionRow; mappings: FieldMappingSpec[]; ingressMappings: FieldMappingSpec[]; targets: FrozenTarget[] }> {
  const [definition] = await db.select().from(schema.syncDefinitions).where(eq(schema.syncDefinitions.id, definitionId));
  if (!definition) throw new DefinitionNotFoundError(`sync definition ${definitionId} does not exist`);
  const [mappings, targets] = await Promise.all([
    db.select().from(schema.fieldMappings).where(eq(schema.fieldMappings.definitionId, definitionId)).orderBy(asc(schema.fieldMappings.createdAt)),
    db
      .select()
      .from(schema.syncTargets)
      .where(eq(schema.syncTargets.definitionId, definitionId))
      .orderBy(asc(schema.syncTargets.priority), asc(schema.syncTargets.createdAt)),
  ]);
  return { definition, mappings: pushMappings(mappings), ingressMappings: ingressSideMappings(mappings), targets: targets.map(freezeTarget) };
}

/** The connection rows of these targets (credentials stay encrypted here). */
export async function connectionsOf(db: MetaDb, targets: FrozenTarget[]) {
  const ids = [...new Set(targets.map((t) => t.connectionId))];
  if (ids.length === 0) return new Map<string, typeof schema.sharepointConnections.$inferSelect>();
  const rows = await db.select().from(schema.sharepointConnections).where(inArray(schema.sharepointConnections.id, ids));
  return new Map(rows.map((r) => [r.id, r]));
}

/** The targets' routing view, for routeRow and the fingerprint. */
export const routingTargets = (targets: FrozenTarget[]) =>
  targets.map((t) => ({ id: t.id, routingRule: t.routingRule, priority: t.priority, isDefault: t.isDefault }));
