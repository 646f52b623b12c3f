import { asc, eq } from 'drizzle-orm';
import { schema, type MetaDb } from '../db/index.ts';

/*
 * Which instance of a definition's source database a run uses, decided once when it begins
 * (docs/design/operations.md): the pinned instance, or else the database's instances, primary
 * first, then replicas by priority, skipping those whose last health check failed. An
 * operation that writes to the source takes the primary only.
 */

type InstanceRow = typeof schema.databaseInstances.$inferSelect;
type Engine = (typeof schema.databaseEngine.enumValues)[number];

export interface ResolvedInstance {
  instance: InstanceRow;
  engine: Engine;
  /** Why this one, for the run's log and record. */
  reason: string;
}

export class NoSourceInstanceError extends Error {
  override name = 'NoSourceInstanceError';
}

const describe = (i: InstanceRow) => `"${i.name}" (${i.role}, ${i.status}${i.lastHealthError ? `: ${i.lastHealthError}` : ''})`;

export async function resolveSourceInstance(
  db: MetaDb,
  definition: { databaseId: string; sourceInstanceId: string | null },
  opts: { writesToSource?: boolean } = {},
): Promise<ResolvedInstance> {
  const rows = await db
    .select({ instance: schema.databaseInstances, engine: schema.databases.engine, databaseName: schema.databases.name })
    .from(schema.databaseInstances)
    .innerJoin(schema.databases, eq(schema.databases.id, schema.databaseInstances.databaseId))
    .where(eq(schema.databaseInstances.databaseId, definition.databaseId))
    .orderBy(asc(schema.databaseInstances.priority), asc(schema.databaseInstances.name));
  const dbName = rows[0]?.databaseName ?? definition.databaseId;
  if (definition.sourceInstanceId) {
    const pinned = rows.find((r) => r.instance.id === definition.sourceInstanceId);
    if (!pinned)
      throw new NoSourceInstanceError(
        `the definition is pinned to instance ${definition.sourceInstanceId}, which is not an instance of database "${dbName}" (any more)`,
      );
    if (opts.writesToSource && pinned.instance.role !== 'primary')
      throw new NoSourceInstanceError(
        `the definition is pinned to ${describe(pinned.instance)}, a replica; this operation writes to the source and needs the primary`,
      );
    return { instance: pinned.instance, engine: pinned.engine, reason: `pinned to ${describe(pinned.instance)}` };
  }
  const candidates = rows
    .filter((r) => (opts.writesToSource ? r.instance.role === 'primary' : true))
    .sort((a, b) => Number(b.instance.role === 'primary') - Number(a.instance.role === 'primary'));
  const usable = candidates.find((r) => r.instance.status !== 'unhealthy');
  if (!usable) {
    const seen = rows.length ? rows.map((r) => describe(r.instance)).join(', ') : 'none registered';
    throw new NoSourceInstanceError(
      `no usable ${opts.writesToSource ? 'primary ' : ''}instance of database "${dbName}" (instances: ${seen}); test them with POST /v1/database-instances/{id}/test`,
    );
  }
  const skipped = candidates.slice(0, candidates.indexOf(usable));
  const reason = skipped.length ? `${describe(usable.instance)}; skipped ${skipped.map((s) => describe(s.instance)).join(', ')}` : describe(usable.instance);
  return { instance: usable.instance, engine: usable.engine, reason };
}
