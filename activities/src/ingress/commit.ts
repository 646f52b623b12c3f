import { and, eq, inArray, sql } from 'drizzle-orm';
import { schema, type MetaDb } from '@syncbridge/shared/db';
import { insertLedgerEvents, keyIn } from '@syncbridge/shared/domain';
import { addRunCounts, recordQuarantine, type Tx } from '../push/commit.ts';
import type { Quarantined } from '../push/plan.ts';

/** Where a list's delta stands: `next` mid-round, `deltaLink` between rounds; `resync` while a 410 forces a new enumeration. */
export interface DeltaCursor {
  next?: string | undefined;
  deltaLink?: string;
  resync?: boolean;
  /** When the enumeration after a 410 began: entries neither seen in it nor written since were deleted meanwhile. */
  resyncFrom?: string;
  /** The item fields the round selects (sorted, comma-separated): a link keeps its query, so other fields need a new round. */
  fields?: string;
}

/** A row whose list item ingress read (and wrote to the table, or found equal): the ledger records the item's hash. */
export interface IngestedEntry {
  sourceKey: string;
  targetId: string;
  listItemId: string;
  hash: string;
  etag: string | null;
}

export interface IngressEvent {
  sourceKey: string;
  kind: 'create' | 'update' | 'delete' | 'conflict' | 'move';
  listItemId: string | null;
  /** move: the list the item went to (the page's list is where it came from). */
  toTargetId?: string;
  detail: Record<string, unknown>;
  /** A conflict left to a person: both versions. */
  conflict?: { sourceValue: unknown; listValue: unknown };
}

export interface IngressCommit {
  definitionId: string;
  runRowId: string;
  targetId: string;
  ingested?: IngestedEntry[];
  /** Ledger entries whose items are gone from the list (their rows deleted, or kept and to be pushed again). */
  dropped?: string[];
  events?: IngressEvent[];
  quarantined?: Quarantined[];
  healthyKeys?: string[];
  /** The list's next delta position; absent: the position stays (a first commit before writes that follow). */
  cursor?: DeltaCursor;
  /**
   * While the list is enumerated again (resync), the items of this page: their ledger entries count as seen (read now)
   * even when the item was held back (quarantined), so the end of the enumeration does not take them for deleted.
   */
  seenItems?: string[];
  /** List items (of this target) whose generated-key reservations go: the items carry their keys now. */
  releasedItems?: string[];
  counts: Record<string, number>;
}

export async function readDeltaCursor(db: MetaDb, definitionId: string, targetId: string): Promise<DeltaCursor | null> {
  const [row] = await db
    .select({ value: schema.syncCursors.value })
    .from(schema.syncCursors)
    .where(and(eq(schema.syncCursors.definitionId, definitionId), eq(schema.syncCursors.kind, 'delta_token'), eq(schema.syncCursors.targetId, targetId)));
  return (row?.value as DeltaCursor | undefined) ?? null;
}

/**
 * The ledger, audit events, conflicts, quarantine, run counts and the list's delta position in
 * one transaction, after the source writes they describe: the position never passes a change
 * that is not recorded, and a crash before this repeats the page harmlessly.
 */
export async function commitIngressPage(db: MetaDb, c: IngressCommit): Promise<void> {
  await db.transaction(async (tx: Tx) => {
    const now = new Date();
    const L = schema.syncLedger;
    if (c.ingested?.length) {
      await tx
        .insert(L)
        .values(
          c.ingested.map((e) => ({
            definitionId: c.definitionId,
            sourceKey: e.sourceKey,
            targetId: e.targetId,
            listItemId: e.listItemId,
            contentHash: e.hash,
            etag: e.etag,
            provenance: 'ingress' as const,
            lastIngestedAt: now,
          })),
        )
        .onConflictDoUpdate({
          target: [L.definitionId, L.sourceKey],
          set: {
            targetId: sql`excluded.target_id`,
            listItemId: sql`excluded.list_item_id`,
            contentHash: sql`excluded.content_hash`,
            etag: sql`excluded.etag`,
            provenance: sql`excluded.provenance`,
            lastIngestedAt: sql`excluded.last_ingested_at`,
            sweepRunId: null,
            updatedAt: now,
          },
        });
    }
    if (c.seenItems?.length)
      await tx
        .update(L)
        .set({ lastIngestedAt: now })
        .where(and(eq(L.definitionId, c.definitionId), eq(L.targetId, c.targetId), inArray(L.listItemId, c.seenItems)));
    if (c.dropped?.length) await tx.delete(L).where(and(eq(L.definitionId, c.definitionId), keyIn(c.dropped)));
    if (c.events?.length) {
      await insertLedgerEvents(
        tx,
        c.events.map((e) => ({
          definitionId: c.definitionId,
          runId: c.runRowId,
          sourceKey: e.sourceKey,
          kind: e.kind,
          fromTargetId: e.kind === 'delete' || e.kind === 'move' ? c.targetId : null,
          toTargetId: e.kind === 'delete' ? null : (e.toTargetId ?? c.targetId),
          listItemId: e.listItemId,
          detail: { direction: 'ingress', ...e.detail },
        })),
      );
      const open = c.events.filter((e) => e.conflict);
      if (open.length) {
        // One open conflict per row: a newer edit of the same item replaces the versions kept.
        await tx.delete(schema.conflicts).where(
          and(
            eq(schema.conflicts.definitionId, c.definitionId),
            eq(schema.conflicts.status, 'open'),
            inArray(
              schema.conflicts.sourceKey,
              open.map((e) => e.sourceKey),
            ),
          ),
        );
        await tx.insert(schema.conflicts).values(
          open.map((e) => ({
            definitionId: c.definitionId,
            sourceKey: e.sourceKey,
            sourceValue: JSON.parse(JSON.stringify(e.conflict!.sourceValue ?? null)),
            listValue: JSON.parse(JSON.stringify(e.conflict!.listValue ?? null)),
          })),
        );
      }
    }
    await recordQuarantine(tx, c.definitionId, c.quarantined ?? [], c.healthyKeys ?? [], now, 'ingress');
    if (c.cursor) {
      await tx
        .insert(schema.syncCursors)
        .values({ definitionId: c.definitionId, kind: 'delta_token', targetId: c.targetId, value: c.cursor })
        .onConflictDoUpdate({
          target: [schema.syncCursors.definitionId, schema.syncCursors.kind, schema.syncCursors.targetId],
          set: { value: c.cursor, updatedAt: now },
        });
    }
    if (c.releasedItems?.length) {
      const R = schema.keyReservations;
      await tx.delete(R).where(and(eq(R.definitionId, c.definitionId), eq(R.targetId, c.targetId), inArray(R.listItemId, c.releasedItems)));
    }
    await addRunCounts(tx, c.runRowId, c.counts);
  });
}
