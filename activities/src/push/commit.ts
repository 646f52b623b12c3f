import { and, eq, isNull, sql } from 'drizzle-orm';
import { schema, type MetaDb } from '@syncbridge/shared/db';
import { insertLedgerEvents, keyIn, type LedgerEventRow } from '@syncbridge/shared/domain';
import type { AppliedWrite } from './apply.ts';
import type { Quarantined } from './plan.ts';

export type Tx = Parameters<Parameters<MetaDb['transaction']>[0]>[0];
type CursorKind = (typeof schema.cursorKind.enumValues)[number];

export interface BatchCommit {
  definitionId: string;
  runRowId: string;
  applied: AppliedWrite[];
  deleted: Array<{ sourceKey: string; targetId: string | null; listItemId: string | null }>;
  quarantined: Quarantined[];
  /** Keys that went through cleanly: any open quarantine entry for them is resolved. */
  healthyKeys: string[];
  /** Ledger entries moved to the row's lossless key without a write (the row is quarantined now). */
  renames?: Array<{ from: string; to: string }>;
  /** Entries a delete sweep marked but found present again: their mark is cleared. */
  kept?: string[];
  cursor?: { kind: CursorKind; value: Record<string, unknown> };
  counts: Record<string, number>;
}

export async function upsertCursor(tx: Tx | MetaDb, definitionId: string, kind: CursorKind, value: Record<string, unknown>) {
  await tx
    .insert(schema.syncCursors)
    .values({ definitionId, kind, targetId: null, value })
    .onConflictDoUpdate({
      target: [schema.syncCursors.definitionId, schema.syncCursors.kind, schema.syncCursors.targetId],
      set: { value, updatedAt: new Date() },
    });
}

export async function readCursor(db: MetaDb, definitionId: string, kind: CursorKind): Promise<Record<string, unknown> | null> {
  const [row] = await db
    .select({ value: schema.syncCursors.value })
    .from(schema.syncCursors)
    .where(and(eq(schema.syncCursors.definitionId, definitionId), eq(schema.syncCursors.kind, kind), isNull(schema.syncCursors.targetId)));
  return (row?.value as Record<string, unknown> | undefined) ?? null;
}

/**
 * Ledger, audit events, quarantine, cursor and run counts move together in one
 * transaction, after the Graph writes they describe (invariant 2): a crash before
 * it re-does the batch, and the ledger plus the hidden key column make that harmless.
 */
export async function commitBatch(db: MetaDb, c: BatchCommit): Promise<void> {
  await db.transaction(async (tx) => {
    const now = new Date();
    // Entries an earlier version keyed lossily: the write that took one over replaces it.
    const replaced = [...c.applied.flatMap((a) => (a.rekeyFrom ? [a.rekeyFrom] : [])), ...(c.renames ?? []).map((r) => r.from)];
    if (c.renames?.length) {
      // A rename whose target key already has an entry (written in this batch) just drops the old one.
      await tx.execute(sql`
        update ${schema.syncLedger} l set source_key = r.to_key, updated_at = ${now.toISOString()}::timestamptz
        from unnest(${sql.param(c.renames.map((r) => r.from))}::text[], ${sql.param(c.renames.map((r) => r.to))}::text[]) as r(from_key, to_key)
        where l.definition_id = ${c.definitionId} and l.source_key = r.from_key
          and not exists (select 1 from ${schema.syncLedger} x where x.definition_id = ${c.definitionId} and x.source_key = r.to_key)`);
    }
    if (replaced.length) {
      await tx.delete(schema.syncLedger).where(and(eq(schema.syncLedger.definitionId, c.definitionId), keyIn(replaced)));
    }
    if (c.applied.length) {
      // One parameter per column (unnest): a batch's entries as a VALUES list are thousands of parameters.
      const col = <T>(pick: (a: AppliedWrite) => T) => sql.param(c.applied.map(pick));
      await tx.execute(sql`
        insert into ${schema.syncLedger} (definition_id, source_key, target_id, list_item_id, content_hash, etag, provenance, last_pushed_at)
        select ${c.definitionId}::uuid, u.source_key, u.target_id, u.list_item_id, u.content_hash, u.etag, 'push', ${now.toISOString()}::timestamptz
        from unnest(${col((a) => a.sourceKey)}::text[], ${col((a) => a.targetId)}::uuid[], ${col((a) => a.listItemId)}::text[],
                    ${col((a) => a.hash)}::text[], ${col((a) => a.etag ?? null)}::text[]) as u(source_key, target_id, list_item_id, content_hash, etag)
        on conflict (definition_id, source_key) do update set
          target_id = excluded.target_id, list_item_id = excluded.list_item_id, content_hash = excluded.content_hash, etag = excluded.etag,
          provenance = excluded.provenance, last_pushed_at = excluded.last_pushed_at, sweep_run_id = null, updated_at = ${now.toISOString()}::timestamptz`);
    }
    if (c.deleted.length) {
      await tx.delete(schema.syncLedger).where(and(eq(schema.syncLedger.definitionId, c.definitionId), keyIn(c.deleted.map((d) => d.sourceKey))));
    }
    if (c.kept?.length) {
      await tx
        .update(schema.syncLedger)
        .set({ sweepRunId: null })
        .where(and(eq(schema.syncLedger.definitionId, c.definitionId), keyIn(c.kept)));
    }
    const events: LedgerEventRow[] = [
      ...c.applied.map((a) => ({
        definitionId: c.definitionId,
        runId: c.runRowId,
        sourceKey: a.sourceKey,
        kind: a.kind,
        fromTargetId: a.from?.targetId ?? null,
        toTargetId: a.targetId,
        listItemId: a.listItemId,
        detail:
          a.from || a.rekeyFrom ? { ...(a.from ? { fromListItemId: a.from.listItemId } : {}), ...(a.rekeyFrom ? { rekeyedFrom: a.rekeyFrom } : {}) } : null,
      })),
      ...c.deleted.map((d) => ({
        definitionId: c.definitionId,
        runId: c.runRowId,
        sourceKey: d.sourceKey,
        kind: 'delete' as const,
        fromTargetId: d.targetId,
        toTargetId: null,
        listItemId: d.listItemId,
        detail: null,
      })),
      ...c.quarantined.map((q) => ({
        definitionId: c.definitionId,
        runId: c.runRowId,
        sourceKey: q.sourceKey,
        kind: 'quarantine' as const,
        fromTargetId: null,
        toTargetId: null,
        listItemId: null,
        detail: { reason: q.reason },
      })),
    ];
    await insertLedgerEvents(tx, events);

    await recordQuarantine(tx, c.definitionId, c.quarantined, c.healthyKeys, now);
    if (c.cursor) await upsertCursor(tx, c.definitionId, c.cursor.kind, c.cursor.value);

    await addRunCounts(tx, c.runRowId, c.counts);
  });
}

/**
 * Opens (or refreshes) a quarantine entry per key, and resolves the open entries of keys that went through cleanly in the
 * same direction (ingress entries carry `detail.direction = 'ingress'`).
 */
export async function recordQuarantine(
  tx: Tx,
  definitionId: string,
  quarantined: readonly Quarantined[],
  healthyKeys: readonly string[],
  now: Date,
  side: 'push' | 'ingress' = 'push',
): Promise<void> {
  if (quarantined.length) {
    // One open entry per key: a row quarantined again refreshes its entry.
    const unique = [...new Map(quarantined.map((q) => [q.sourceKey, q])).values()];
    const detailOf = (q: Quarantined) => (side === 'ingress' ? { ...q.detail, direction: 'ingress' } : (q.detail ?? null));
    await tx
      .insert(schema.quarantine)
      .values(unique.map((q) => ({ definitionId, sourceKey: q.sourceKey, reason: q.reason, detail: detailOf(q) })))
      .onConflictDoUpdate({
        target: [schema.quarantine.definitionId, schema.quarantine.sourceKey],
        targetWhere: isNull(schema.quarantine.resolvedAt),
        set: { reason: sql`excluded.reason`, detail: sql`excluded.detail`, lastSeenAt: now },
      });
  }
  if (healthyKeys.length) {
    await tx
      .update(schema.quarantine)
      .set({ resolvedAt: now })
      .where(
        and(
          eq(schema.quarantine.definitionId, definitionId),
          sql`${schema.quarantine.sourceKey} = any(${sql.param([...healthyKeys])}::text[])`,
          isNull(schema.quarantine.resolvedAt),
          // A key going through one direction cleanly says nothing about what the other direction refused.
          sql`coalesce(${schema.quarantine.detail}->>'direction', 'push') = ${side}`,
        ),
      );
  }
}

/** Adds to the run's counts in one statement (zero counts are skipped). */
export async function addRunCounts(tx: Tx, runRowId: string, counts: Record<string, number>): Promise<void> {
  const increments = Object.entries(counts).filter(([, n]) => n > 0);
  if (!increments.length) return;
  const patch = increments.map(([k, n]) => sql`jsonb_build_object(${k}::text, coalesce((${schema.syncRuns.counts}->>${k})::int, 0) + ${n})`);
  await tx
    .update(schema.syncRuns)
    .set({ counts: sql`${schema.syncRuns.counts} || ${sql.join(patch, sql` || `)}` })
    .where(eq(schema.syncRuns.id, runRowId));
}
