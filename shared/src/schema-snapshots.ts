import { and, desc, eq, sql } from 'drizzle-orm';
import { schema, type MetaDb } from './db/index.ts';
import { diffSnapshots, snapshotFingerprint, type SchemaDiff, type SchemaSnapshot } from './sources/index.ts';

/**
 * The history of what a source looked like, one history per filter scope, in
 * schema_snapshots. Written by the schema endpoint and by provisioning.
 */
type SnapshotRow = typeof schema.schemaSnapshots.$inferSelect;

/** Which part of the source a snapshot covers: null means "all". Snapshots are compared only within one scope. */
export interface SnapshotScope {
  schema: string | null;
  table: string | null;
}

export const scopeOf = (filter: { schema?: string | undefined; table?: string | undefined }): SnapshotScope => ({
  schema: filter.schema ?? null,
  table: filter.table ?? null,
});

export interface RecordedSnapshot {
  id: string;
  capturedAt: Date;
  fingerprint: string;
  /** True when this call stored a new snapshot (the first of its scope, or the schema changed). */
  created: boolean;
  /** The latest snapshot of the scope before this call, if any. */
  previous: { id: string; snapshot: SchemaSnapshot } | null;
}

/** What is stored in schema_snapshots.snapshot: the snapshot plus the scope it was taken with. */
export type StoredSnapshot = SchemaSnapshot & { scope: SnapshotScope };

/**
 * Stores `snapshot` for the instance unless the latest snapshot of the same scope has the
 * same fingerprint (then that one is returned). Serialised per instance and scope with a
 * transaction-level advisory lock, so concurrent calls never store the same state twice.
 */
export async function recordSnapshot(db: MetaDb, instanceId: string, scope: SnapshotScope, snapshot: SchemaSnapshot): Promise<RecordedSnapshot> {
  const fingerprint = snapshotFingerprint(snapshot);
  const scopeJson = JSON.stringify(scope);
  const t = schema.schemaSnapshots;
  // The usual case, nothing changed, is answered by a plain read: no transaction, lock or write.
  const [current] = (await db
    .select()
    .from(t)
    .where(and(eq(t.instanceId, instanceId), sql`${t.snapshot} -> 'scope' = ${scopeJson}::jsonb`))
    .orderBy(desc(t.capturedAt), desc(t.id))
    .limit(1)) as SnapshotRow[];
  if (current && current.fingerprint === fingerprint) {
    return {
      id: current.id,
      capturedAt: current.capturedAt,
      fingerprint,
      created: false,
      previous: { id: current.id, snapshot: current.snapshot as SchemaSnapshot },
    };
  }
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`schema_snapshots|${instanceId}|${scopeJson}`}, 0))`);
    const [latest] = (await tx
      .select()
      .from(t)
      .where(and(eq(t.instanceId, instanceId), sql`${t.snapshot} -> 'scope' = ${scopeJson}::jsonb`))
      .orderBy(desc(t.capturedAt), desc(t.id))
      .limit(1)) as SnapshotRow[];
    const previous = latest ? { id: latest.id, snapshot: latest.snapshot as SchemaSnapshot } : null;
    if (latest && latest.fingerprint === fingerprint) {
      return { id: latest.id, capturedAt: latest.capturedAt, fingerprint, created: false, previous };
    }
    // Strictly after the previous one, whatever the clocks say: "latest" is well defined.
    const capturedAt = new Date(Math.max(Date.now(), (latest?.capturedAt.getTime() ?? 0) + 1));
    const stored: StoredSnapshot = { ...snapshot, scope };
    const [row] = await tx
      .insert(t)
      .values({ instanceId, serverVersion: snapshot.serverVersion, fingerprint, snapshot: stored, capturedAt })
      .returning({ id: t.id, capturedAt: t.capturedAt });
    return { id: row!.id, capturedAt: row!.capturedAt, fingerprint, created: true, previous };
  });
}

/**
 * recordSnapshot for what a read saw (GET .../schema, which a viewer may call with any filter):
 * a scope whose filter matches no table and has no history yet is not recorded (null), so
 * filters naming schemas that do not exist cannot add rows. A scope with history records
 * its tables going away as usual.
 */
export async function recordObservedSnapshot(db: MetaDb, instanceId: string, scope: SnapshotScope, snapshot: SchemaSnapshot): Promise<RecordedSnapshot | null> {
  if (snapshot.tables.length === 0 && !(await latestSnapshot(db, instanceId, scope))) return null;
  return recordSnapshot(db, instanceId, scope, snapshot);
}

/** The latest stored snapshot of the scope, or null when none was ever recorded. */
export async function latestSnapshot(
  db: MetaDb,
  instanceId: string,
  scope: SnapshotScope,
): Promise<{ id: string; capturedAt: Date; snapshot: SchemaSnapshot } | null> {
  const t = schema.schemaSnapshots;
  const [row] = (await db
    .select()
    .from(t)
    .where(and(eq(t.instanceId, instanceId), sql`${t.snapshot} -> 'scope' = ${JSON.stringify(scope)}::jsonb`))
    .orderBy(desc(t.capturedAt), desc(t.id))
    .limit(1)) as SnapshotRow[];
  return row ? { id: row.id, capturedAt: row.capturedAt, snapshot: row.snapshot as SchemaSnapshot } : null;
}

/** Changes between the previous snapshot of the scope and now; null for the first snapshot. */
export function changesSince(recorded: RecordedSnapshot, live: SchemaSnapshot): SchemaDiff | null {
  return recorded.previous ? diffSnapshots(recorded.previous.snapshot, live) : null;
}

/** The latest stored snapshot of the scope taken on any instance of a database (what a definition bound to it last saw). */
export async function latestSnapshotOfDatabase(
  db: MetaDb,
  databaseId: string,
  scope: SnapshotScope,
): Promise<{ id: string; capturedAt: Date; snapshot: SchemaSnapshot } | null> {
  const t = schema.schemaSnapshots;
  const [row] = await db
    .select({ id: t.id, capturedAt: t.capturedAt, snapshot: t.snapshot })
    .from(t)
    .innerJoin(schema.databaseInstances, eq(schema.databaseInstances.id, t.instanceId))
    .where(and(eq(schema.databaseInstances.databaseId, databaseId), sql`${t.snapshot} -> 'scope' = ${JSON.stringify(scope)}::jsonb`))
    .orderBy(desc(t.capturedAt), desc(t.id))
    .limit(1);
  return row ? { id: row.id, capturedAt: row.capturedAt, snapshot: row.snapshot as SchemaSnapshot } : null;
}
