import { eq } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { checkDefinitionSource, NoSourceInstanceError, resolveSourceInstance } from '@syncbridge/shared/domain';
import { recordSnapshot, scopeOf } from '@syncbridge/shared/schema-snapshots';
import type { ApiDeps } from './context.ts';
import { assertDatabaseInApp } from './app-scope.ts';
import { ApiError, ErrorCode } from './problem.ts';
import { replicationNames, withSourceSession } from '@syncbridge/shared/sources';
import { egressOf } from './probes.ts';
import { callSource, checkIdentifiers, describeInstance, INTROSPECTION_TIMEOUT_MS, introspectSource, type SourceInstance } from './source-schema.ts';

type DefinitionRow = typeof schema.syncDefinitions.$inferSelect;

export type SourceBinding = Pick<DefinitionRow, 'appId' | 'sourceSchema' | 'sourceTable' | 'keyStrategy' | 'keyColumns' | 'cursorStrategy' | 'cursorColumn'> & {
  softDeleteColumn?: string | null | undefined;
  newItemKeys?: DefinitionRow['newItemKeys'] | undefined;
  databaseId?: string | null | undefined;
  sourceInstanceId?: string | null | undefined;
};

const fieldError = (status: 422, code: ErrorCode, field: string, message: string) => new ApiError(status, code, message, [{ field, message }]);

/**
 * Where a definition reads from: its database (given, or the pinned instance's) and the
 * instance a run would use now. Another app's database or an instance of another database
 * is refused before any connection is made.
 */
export async function resolveBinding(deps: ApiDeps, d: SourceBinding): Promise<{ databaseId: string; source: SourceInstance }> {
  const { db } = deps.store;
  let databaseId = d.databaseId ?? null;
  if (d.sourceInstanceId) {
    const [pinned] = await db
      .select({ databaseId: schema.databaseInstances.databaseId })
      .from(schema.databaseInstances)
      .where(eq(schema.databaseInstances.id, d.sourceInstanceId));
    if (!pinned) throw fieldError(422, ErrorCode.InvalidReference, 'body.sourceInstanceId', `database instance ${d.sourceInstanceId} does not exist`);
    if (databaseId && pinned.databaseId !== databaseId) {
      throw fieldError(
        422,
        ErrorCode.ValidationFailed,
        'body.sourceInstanceId',
        `database instance ${d.sourceInstanceId} is not an instance of database ${databaseId}; pin an instance of the definition's database`,
      );
    }
    databaseId = pinned.databaseId;
  }
  if (!databaseId)
    throw fieldError(
      422,
      ErrorCode.ValidationFailed,
      'body.databaseId',
      'give the source database (databaseId), and optionally pin one of its instances (sourceInstanceId)',
    );
  await assertDatabaseInApp(
    deps,
    databaseId,
    d.appId,
    d.sourceInstanceId ? 'body.sourceInstanceId' : 'body.databaseId',
    d.sourceInstanceId ? `database instance ${d.sourceInstanceId}` : `database ${databaseId}`,
  );
  try {
    const resolved = await resolveSourceInstance(db, { databaseId, sourceInstanceId: d.sourceInstanceId ?? null });
    return { databaseId, source: { instance: resolved.instance, engine: resolved.engine } };
  } catch (err) {
    if (err instanceof NoSourceInstanceError)
      throw new ApiError(503, ErrorCode.Unavailable, `the definition cannot be validated now, so nothing was saved: ${err.message}`);
    throw err;
  }
}

/**
 * Checks the names against the engine's rules, and the key and cursor against the source table as it is now (a live introspection of
 * the instance a run would use) and records the snapshot it was checked against. Throws 422
 * naming the fields that do not fit (or the missing table, or a partition), 503 when the
 * source cannot be reached; nothing is saved then.
 */
export async function validateDefinitionSource(deps: ApiDeps, d: SourceBinding): Promise<{ databaseId: string; sourceSnapshotId: string }> {
  const { databaseId, source } = await resolveBinding(deps, d);
  // The engine's own naming rules, before any connection: a name it would cut or cannot hold never reaches SQL.
  checkIdentifiers(source, [
    { field: 'body.sourceSchema', name: d.sourceSchema },
    { field: 'body.sourceTable', name: d.sourceTable },
    ...d.keyColumns.map((name, i) => ({ field: `body.keyColumns.${i}`, name })),
    { field: 'body.cursorColumn', name: d.cursorColumn },
    { field: 'body.softDeleteColumn', name: d.softDeleteColumn ?? null },
  ]);
  const filter = { schema: d.sourceSchema, table: d.sourceTable };
  const snapshot = await introspectSource(
    deps,
    source,
    filter,
    'the definition cannot be validated now, so nothing was saved; retry when the source is reachable',
  );
  const checked = checkDefinitionSource(snapshot, d, describeInstance(source.instance));
  if (checked.issues.length) {
    const errors = checked.issues.map((i) => ({ field: `body.${i.field}`, message: i.message }));
    const where = checked.table ? `the source table ${checked.table.schema}.${checked.table.name}` : 'the source';
    throw new ApiError(
      422,
      ErrorCode.ValidationFailed,
      checked.table?.kind === 'partition' || !checked.table
        ? errors[0]!.message
        : `the definition does not fit ${where}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
      errors,
    );
  }
  const recorded = await recordSnapshot(deps.store.db, source.instance.id, scopeOf(filter), snapshot);
  return { databaseId, sourceSnapshotId: recorded.id };
}

/**
 * A definition that writes to its table (direction ingress or both) needs a table the
 * instance's user may write: a live check of the instance a run would use (a view, a
 * non-transactional table, no unique key, a missing privilege or a read-only server is a 422
 * naming `body.direction`; an unreachable source a 503). Push-only definitions are not checked.
 */
export async function checkIngressWritable(deps: ApiDeps, d: SourceBinding & { direction: DefinitionRow['direction'] }): Promise<void> {
  if (d.direction === 'push') return;
  const { source } = await resolveBinding(deps, d);
  const verdict = await callSource(
    deps,
    source,
    'source write check failed',
    'the definition cannot be validated now, so nothing was saved',
    (connector, params) =>
      withSourceSession(connector, params, { deadlineMs: INTROSPECTION_TIMEOUT_MS, egress: egressOf(deps) }, (s) =>
        s.checkWritable({ schema: d.sourceSchema, table: d.sourceTable, keyColumns: d.keyColumns }),
      ),
  );
  if (!verdict.writable) {
    throw fieldError(
      422,
      ErrorCode.ValidationFailed,
      'body.direction',
      `direction ${d.direction} writes list edits into ${d.sourceSchema}.${d.sourceTable}, which ${describeInstance(source.instance)} does not allow: ${verdict.reason}; keep direction push`,
    );
  }
}

/**
 * Cursor strategy logical_replication reads PostgreSQL's log: a live check of the instance a run
 * would use (wal_level, the role's right to make slots, a replica identity that carries the key).
 * Another engine, or a server that cannot, is a 422 naming `body.cursorStrategy` with the reasons.
 */
export async function checkLogicalCapture(deps: ApiDeps, d: SourceBinding): Promise<void> {
  if (d.cursorStrategy !== 'logical_replication') return;
  const { source } = await resolveBinding(deps, d);
  const problems = await callSource(
    deps,
    source,
    'source replication check failed',
    'the definition cannot be validated now, so nothing was saved',
    (connector, params) =>
      withSourceSession(connector, params, { deadlineMs: INTROSPECTION_TIMEOUT_MS, egress: egressOf(deps) }, (s) =>
        s.changeCapture
          ? s.changeCapture.problems({ schema: d.sourceSchema, name: d.sourceTable }, d.keyColumns)
          : Promise.resolve([`${s.engine} sources have no logical replication SyncBridge can read; use cursorStrategy updated_at or full_scan`]),
      ),
  );
  if (problems.length) {
    throw fieldError(
      422,
      ErrorCode.ValidationFailed,
      'body.cursorStrategy',
      `cursorStrategy logical_replication cannot read ${d.sourceSchema}.${d.sourceTable} on ${describeInstance(source.instance)}: ${problems.join('; ')}`,
    );
  }
}

/**
 * Drops a definition's replication slot and publication where they are (the instance its state
 * names, or, when the state is gone with the definition, every instance of its database), so the
 * server keeps no WAL for it: the definition was deleted or reads otherwise now. Best effort: an
 * unreachable instance is logged (drop the slot by hand there, or it keeps WAL).
 */
export async function dropChangeCapture(deps: ApiDeps, def: { id: string; databaseId: string; cursorStrategy: string }): Promise<void> {
  const { db } = deps.store;
  const [slot] = await db.select().from(schema.replicationSlots).where(eq(schema.replicationSlots.definitionId, def.id));
  // Only a definition that read the log (or still has its state) can have a slot.
  if (!slot && def.cursorStrategy !== 'logical_replication') return;
  const names = slot ? { slot: slot.slotName, publication: slot.publicationName } : replicationNames(def.id);
  const instances = await db
    .select({ instance: schema.databaseInstances, engine: schema.databases.engine })
    .from(schema.databaseInstances)
    .innerJoin(schema.databases, eq(schema.databases.id, schema.databaseInstances.databaseId))
    .where(slot ? eq(schema.databaseInstances.id, slot.instanceId) : eq(schema.databaseInstances.databaseId, def.databaseId));
  let dropped = true;
  for (const { instance, engine } of instances) {
    if (engine !== 'postgres') continue;
    try {
      await callSource(deps, { instance, engine }, 'replication slot drop failed', 'the replication slot could not be dropped now', (connector, params) =>
        withSourceSession(connector, params, { deadlineMs: INTROSPECTION_TIMEOUT_MS, egress: egressOf(deps) }, async (s) => {
          await s.changeCapture?.drop(names);
        }),
      );
    } catch (err) {
      dropped = false;
      deps.logger.warn(
        { definitionId: def.id, instanceId: instance.id, slot: names.slot, err: (err as Error).message },
        'replication slot not dropped: drop it on that instance by hand (pg_drop_replication_slot) or it keeps WAL',
      );
    }
  }
  if (slot && dropped) await db.delete(schema.replicationSlots).where(eq(schema.replicationSlots.definitionId, def.id));
}
